"""The account card: snapshot, band and why, stakeholder map, flags and the open plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from commands.ui.ids import Action, StakeholderMenu
from commands.ui.text import channel_mention, dated, days_from, escape, money, user_mention
from commands.ui.values import AccountValue, HistoryValue, PersonMenuValue
from commands.ui.views.blocks import (
    MAX_CONTEXT_TEXT,
    Block,
    actions,
    button,
    context,
    divider,
    fields,
    fit,
    header,
    listing,
    section,
    shorten,
)
from commands.ui.views.catalogue import products_lines
from commands.ui.views.deals import card_deals
from commands.ui.views.org import coverage_line, events_line
from commands.ui.views.plan import plan_section, tasks_section
from commands.ui.views.save_plan import progress_words
from store.catalogue import AccountProducts
from store.enums import ContactChannel, RenewalStage, Role, Sentiment, StakeholderStatus, label
from store.events import OrgFacts
from store.history import BandSpell
from store.models import Opportunity
from store.plays import draft_save_plan
from store.rows import PersonRow
from store.signals import (
    RENEWAL_KINDS,
    AccountSnapshot,
    Assessment,
    Band,
    Severity,
    SignalKind,
    UsageTrend,
    next_steps,
    seat_utilisation,
    signature_step,
    stage_words,
)
from store.stakeholders import LastTouch
from store.wording import dated as dated_words
from store.wording import day, plural

BAND_ICON = {
    Band.GREEN: ":large_green_circle:",
    Band.YELLOW: ":large_yellow_circle:",
    Band.RED: ":red_circle:",
}
SEVERITY_ICON = {
    Severity.CRITICAL: ":rotating_light:",
    Severity.RISK: ":warning:",
    Severity.WATCH: ":eyes:",
    Severity.OPPORTUNITY: ":seedling:",
}
SENTIMENT_ICON = {
    Sentiment.POSITIVE: ":slightly_smiling_face:",
    Sentiment.NEUTRAL: ":neutral_face:",
    Sentiment.NEGATIVE: ":slightly_frowning_face:",
}
ROLE_ORDER = (
    Role.CHAMPION,
    Role.EXECUTIVE_SPONSOR,
    Role.ECONOMIC_BUYER,
    Role.DECISION_MAKER,
    Role.INFLUENCER,
    Role.END_USER,
    Role.DETRACTOR,
)
ROLE_WORD = {role: label(role) for role in Role}
CONTACT_WORDS = {channel: channel.value for channel in ContactChannel} | {
    ContactChannel.SLACK: "Slack"
}
SHARED_OUTSIDE_MARK = (
    ":globe_with_meridians: shared with another organisation: the bot posts nothing internal there"
)
PEOPLE_PER_ROLE = 12
PEOPLE_SHOWN = 20
PLAN_SHOWN = 5
COVERAGE_FLOOR = 500
"""Characters the coverage line keeps however long the events line under it is."""
TASKS_SHOWN = 3
FLAG_LINE = 400
SIGNED = SignalKind.RENEWAL_SIGNED


def why_line(snapshot: AccountSnapshot, assessment: Assessment, today: date) -> str:
    """The band's why in one line; the Flags below list each signal, so it is said once. An
    open renewal says it (`renewal in 41 days with 5 risks open`), and on a green account the
    next step toward signature with it; otherwise the gravest reason and how many more."""
    renewal = next((s for s in assessment.signals if s.kind in RENEWAL_KINDS), None)
    if renewal is not None:
        why = escape(renewal.reason)
        if assessment.rules_band is Band.GREEN:
            step = signature_step(snapshot, today=today)
            why += f" · next toward signature: {escape(step.text[:1].lower() + step.text[1:])}"
            why += f" by {dated_words(step.due_on, today)}"
        return why
    reasons = assessment.rule_reasons
    if not reasons:
        return "no warning signs"
    more = f", and {plural(len(reasons) - 1, 'more risk')}" if len(reasons) > 1 else ""
    return escape(reasons[0]) + more


def band_line(snapshot: AccountSnapshot, assessment: Assessment, today: date) -> str:
    """`:red_circle: *Red*: renewal in 41 days with 5 risks open`; an owner's override says so,
    why and until when, with the rules' band and its why beside it."""
    why = why_line(snapshot, assessment, today)
    text = f"{BAND_ICON[assessment.band]} *{assessment.band.value.capitalize()}*"
    override = assessment.override
    if override is None:
        return f"{text}: {why}"
    rules = f"{BAND_ICON[assessment.rules_band]} rules say {assessment.rules_band.value}"
    return (
        f"{text} by override until {day(override.expires_on, today)}: "
        f"“{escape(override.reason)}” ({user_mention(override.set_by_user_id)})\n"
        f"{rules}: {why}"
    )


def account_card(
    snapshot: AccountSnapshot,
    assessment: Assessment,
    *,
    today: date,
    shared_by: str | None = None,
    channel_shared_outside: bool = False,
    last: LastTouch | None = None,
    spell: BandSpell | None = None,
    products: AccountProducts | None = None,
    org: OrgFacts | None = None,
    deals: Sequence[Opportunity] = (),
) -> list[Block]:
    """The whole card; buttons only on the private copy, a credit line on a shared one. A
    linked channel shared with another organisation is marked: nothing internal goes there.
    `spell` (from the account's history) says how long it has had its band; `deals` are its
    open deals (listed on the private copy only, as our tasks are)."""
    account = snapshot.account
    channel = channel_mention(account.channel_id)
    if channel_shared_outside:
        channel += f"\n{SHARED_OUTSIDE_MARK}"
    if account.churned_on is not None:
        return _churned_card(snapshot, today=today, channel=channel, shared_by=shared_by)
    blocks: list[Block] = [
        header(account.name),
        section(band_line(snapshot, assessment, today)),
        *([context(trend)] if (trend := trend_line(spell, snapshot.usage, today)) else []),
        fields(
            f"*ARR*\n{money(account.arr, account.currency)}",
            f"*Renewal*\n{_renewal(snapshot, assessment, today)}",
            f"*Owner*\n{user_mention(account.owner_user_id)}",
            f"*Channel*\n{channel}",
            f"*Segment*\n{label(account.segment)}",
            f"*Seats*\n{_seats(snapshot)}",
        ),
        section(_touches(snapshot, assessment, last, today)),
        divider(),
        *_map_blocks(snapshot.stakeholders, assessment, today=today, interactive=shared_by is None),
        *(_org_blocks(org, snapshot, today) if org is not None else []),
        divider(),
        *_flag_blocks(assessment),
        *(_play_blocks(snapshot, assessment, today=today) if shared_by is None else []),
        divider(),
        *plan_section(
            snapshot.open_actions, today=today, interactive=shared_by is None, shown=PLAN_SHOWN
        ),
        # our own work stays off a copy shared in a channel
        *(
            tasks_section(snapshot.open_tasks, today=today, shown=TASKS_SHOWN)
            if shared_by is None
            else []
        ),
        *(card_deals(deals, today=today) if shared_by is None else []),
    ]
    if shared_by is None:
        this = AccountValue.write(account_id=account.id)
        history = HistoryValue.write(account_id=account.id, offset=0)
        blocks.append(
            actions(
                button("Add stakeholder", action_id=Action.ADD_STAKEHOLDER, value=this),
                button("Add action item", action_id=Action.ADD_ITEM, value=this),
                button("Add task", action_id=Action.ADD_TASK, value=this),
                button("Log contact", action_id=Action.LOG_CONTACT, value=this),
                button("History", action_id=Action.HISTORY_PAGE, value=history),
                button("Share in channel", action_id=Action.SHARE_CARD, value=this),
                button("Edit account", action_id=Action.EDIT_ACCOUNT, value=this),
                button("Renewal stage", action_id=Action.RENEWAL_STAGE, value=this),
                button("Override band", action_id=Action.OVERRIDE_BAND, value=this),
                button("Record usage", action_id=Action.RECORD_USAGE, value=this),
                button("Departments", action_id=Action.DEPARTMENTS, value=this),
                button("Log event", action_id=Action.LOG_EVENT, value=this),
                button("Growth", action_id=Action.SHOW_GROWTH, value=this),
                button("Add deal", action_id=Action.ADD_DEAL, value=this),
                button("Deals", action_id=Action.SHOW_DEALS, value=this),
            )
        )
    footer = products_lines(products) if products else []
    if shared_by:
        footer.append(f"shared by {user_mention(shared_by)}")
    if footer:
        blocks.append(context("\n".join(footer)))
    return fit(blocks)


def _org_blocks(org: OrgFacts, snapshot: AccountSnapshot, today: date) -> list[Block]:
    """Coverage by department and level, and the account's recent events, one line each."""
    events = events_line(org.events, today)
    room = MAX_CONTEXT_TEXT - len(events) - 1 if events else MAX_CONTEXT_TEXT
    lines = [coverage_line(org.departments, snapshot.stakeholders, limit=max(room, COVERAGE_FLOOR))]
    if events:
        lines.append(events)
    return [context("\n".join(lines))]


def churned_line(churned_on: date, reason: str | None, today: date) -> str:
    """`Churned on 3 Nov: moved to a competitor` (the reason escaped); `Churns on 11 Dec (in 10
    days)` for a churn answered before its renewal date (inactive from the answer)."""
    said = f": {escape(reason)}" if reason else ""
    if churned_on > today:
        return f":no_entry: *Churns on {dated(churned_on, today)}*{said}"
    return f":no_entry: *Churned on {day(churned_on, today)}*{said}"


def _churned_card(
    snapshot: AccountSnapshot, *, today: date, channel: str, shared_by: str | None
) -> list[Block]:
    """A churned account: inactive (no band, signals or plan), its facts and history kept."""
    account = snapshot.account
    assert account.churned_on is not None
    blocks: list[Block] = [
        header(account.name),
        section(churned_line(account.churned_on, account.churn_reason, today)),
        fields(
            f"*Owner*\n{user_mention(account.owner_user_id)}",
            f"*Channel*\n{channel}",
            f"*Segment*\n{label(account.segment)}",
        ),
        context("No digests, signals, reminders or renewal questions: its history is kept."),
    ]
    if shared_by is None:
        history = HistoryValue.write(account_id=account.id, offset=0)
        blocks.append(actions(button("History", action_id=Action.HISTORY_PAGE, value=history)))
    return fit(blocks)


STABILISE = "*Stabilise* · yellow gets stabilisation steps, never an expansion pitch"
SAVE_PLAY = "*Save play* · red: save it before anything else"
PLAY_STEPS = 3


def _play_blocks(snapshot: AccountSnapshot, assessment: Assessment, *, today: date) -> list[Block]:
    """The play of the account's band, from the signals that fire: a yellow account's
    stabilisation steps (re-engage the map, fix adoption, close overdue commitments), a red
    one's save plan (how far it has got) or, with none yet, the draft and the button that opens
    it. A green account's play is its expansion flag, above."""
    if assessment.band is Band.RED:
        return _save_blocks(snapshot, assessment, today=today)
    if assessment.band is not Band.YELLOW:
        return []
    steps = next_steps(snapshot, assessment, today=today, limit=PLAY_STEPS)
    if not steps:
        return []
    lines = [
        f"{number}. {escape(step.text)} · {user_mention(step.owner_user_id)} · "
        + (
            f"{plural(step.overdue, 'day')} overdue"
            if step.overdue
            else f"by {day(step.due_on, today)}"
        )
        for number, step in enumerate(steps, start=1)
    ]
    return [section(listing(STABILISE, lines))]


def _save_blocks(snapshot: AccountSnapshot, assessment: Assessment, *, today: date) -> list[Block]:
    this = AccountValue.write(account_id=snapshot.account.id)
    status = snapshot.save_plan
    if status is not None:
        return [
            section(f"*Save plan* · {escape(progress_words(status, snapshot.open_tasks, today))}"),
            context(
                f"Churn risk {status.churn_probability.value} · save difficulty "
                f"{status.difficulty.value} · saved {day(status.created_at.date(), today)}; "
                "its steps are under *Our tasks*."
            ),
            actions(
                button("View save plan", action_id=Action.SHOW_SAVE_PLAN, value=this),
                button("Redraft save plan", action_id=Action.SAVE_PLAN, value=this),
            ),
        ]
    draft = draft_save_plan(snapshot, assessment, today=today)
    lines = [
        f"{number}. {escape(step.title)} · {user_mention(step.owner_user_id)} · "
        f"by {day(step.due_on, today)}"
        for number, step in enumerate(draft.steps[:PLAY_STEPS], start=1)
    ]
    more = len(draft.steps) - PLAY_STEPS
    title = (
        f"{SAVE_PLAY}\n:rotating_light: No save plan yet. The draft, from the signals that fire:"
    )
    return [
        section(listing(title, lines)),
        context(
            f"Churn risk {draft.churn_probability.value} · save difficulty "
            f"{draft.difficulty.value}"
            + (f" · {plural(more, 'more step')} in the draft" if more > 0 else "")
        ),
        actions(
            button("Save plan", action_id=Action.SAVE_PLAN, value=this, style="primary"),
        ),
    ]


def _renewal(snapshot: AccountSnapshot, assessment: Assessment, today: date) -> str:
    """The date, then (inside the window, or once work on it started) the renewal's stage, and
    the notice date when there is one."""
    account = snapshot.account
    if account.renewal_date is None:
        return "_no renewal date_"
    parts = [dated(account.renewal_date, today)]
    if assessment.in_window or account.renewal_stage is not RenewalStage.NOT_STARTED:
        parts.append(stage_words(account, today))
    if account.notice_date is not None:
        parts.append(f"notice by {day(account.notice_date, today)}")
    return "\n".join(parts)


def _touches(
    snapshot: AccountSnapshot, assessment: Assessment, last: LastTouch | None, today: date
) -> str:
    """Before a call: the last touch (when, how, with whom, what was said) and the next one
    planned (the first open mutual-action item due from today), or that none is booked: with
    the watch icon and why when the rules watch it (`SignalKind.NONE_BOOKED`, said here rather
    than among the flags)."""
    if last is None:
        said = "_no contact logged yet_"
    else:
        who = ", ".join(escape(n) for n in last.people) or "someone no longer on the map"
        summary = f": {escape(shorten(last.summary, 200))}" if last.summary else ""
        how = CONTACT_WORDS.get(last.channel, last.channel.value)
        said = f"{dated_words(last.contacted_on, today)} · {how} with {who}{summary}"
    ahead = sorted((a for a in snapshot.open_actions if a.due_on >= today), key=lambda a: a.due_on)
    if ahead:
        item = ahead[0]
        names: dict[int | None, str] = {p.id: p.name for p in snapshot.stakeholders}
        name = item.customer_owner_name or names.get(item.customer_owner_stakeholder_id)
        them = f" with {escape(name)}" if name else ""
        planned = f"“{escape(item.title)}”{them} · {dated_words(item.due_on, today)}"
    else:
        planned = "none booked"
    watched = assessment.none_booked
    if watched is not None:
        warning = f"{SEVERITY_ICON[Severity.WATCH]} {escape(watched.reason)}"
        warning += f" ({escape(watched.evidence)})" if watched.evidence else ""
        planned = f"{planned} · {warning}" if ahead else warning
    return f"*Last touch* {said}\n*Next touch* {planned}"


def spell_words(spell: BandSpell, today: date) -> str:
    """`Red for 3 weeks (yellow until 9 Nov)`; `Green since today`."""
    days = (today - spell.since).days
    band = spell.band.value.capitalize()
    if days <= 0:
        text = f"{band} since today"
    elif days < 14:
        text = f"{band} for {plural(days, 'day')}"
    elif days < 61:
        text = f"{band} for {plural(days // 7, 'week')}"
    else:
        text = f"{band} for {plural(days // 30, 'month')}"
    if spell.before is not None:
        text += f" ({spell.before.value} until {day(spell.since - timedelta(days=1), today)})"
    return text


def direction(before: float | None, now: float | None) -> str:
    """↑, ↓ or →."""
    if before is None or now is None or before == now:
        return "→"
    return "↑" if now > before else "↓"


def usage_words(usage: UsageTrend | None, today: date) -> list[str]:
    """Seats active and core-feature adoption, with their direction over 90 days:
    `seats active 64 ↓ (80 on 2 Sep)`, `adoption 45% ↑ (30% on 2 Sep)`."""
    if usage is None:
        return []
    latest, base = usage.latest, usage.quarter_ago
    since = f" on {day(base.read_on, today)}" if base else ""
    seats = f"seats active {latest.seats_active:,}"
    if base is not None:
        arrow = direction(base.seats_active, latest.seats_active)
        seats += f" {arrow} ({base.seats_active:,}{since})"
    words = [seats]
    if latest.adoption_percent is not None:
        adoption = f"adoption {latest.adoption_percent}%"
        if base is not None and base.adoption_percent is not None:
            arrow = direction(base.adoption_percent, latest.adoption_percent)
            adoption += f" {arrow} ({base.adoption_percent}%{since})"
        words.append(adoption)
    return words


def trend_line(spell: BandSpell | None, usage: UsageTrend | None, today: date) -> str:
    """The card's trend: how long the band has held, then usage with its 90-day direction."""
    parts = ([spell_words(spell, today)] if spell else []) + usage_words(usage, today)
    return ":chart_with_upwards_trend: " + " · ".join(parts) if parts else ""


def _seats(snapshot: AccountSnapshot) -> str:
    account = snapshot.account
    utilisation = seat_utilisation(account)
    if utilisation is None:
        return "_not recorded_"
    return f"{account.seats_active or 0:,} of {account.seats_licensed:,} ({utilisation:.0%})"


def _person_line(person: PersonRow, today: date) -> str:
    title = f", {escape(person.title)}" if person.title else ""
    if person.last_contacted_on is None:
        contact = "never contacted"
    else:
        contact = f"last contact {days_from(person.last_contacted_on, today)}"
    return (
        f"• *{escape(person.name)}*{title} · {person.influence.value} influence · "
        f"{SENTIMENT_ICON[person.sentiment]} {person.sentiment.value} · {contact}"
    )


def _person_menu(person: PersonRow) -> dict[str, object]:
    """The overflow beside a person: edit, sentiment, departed, promoted."""
    words = {
        StakeholderMenu.EDIT: "Edit",
        StakeholderMenu.SENTIMENT: "Change sentiment",
        StakeholderMenu.DEPARTED: "Mark departed",
        StakeholderMenu.PROMOTED: "Mark promoted",
    }
    return {
        "type": "overflow",
        "action_id": Action.STAKEHOLDER_MENU.value,
        "options": [
            {
                "text": {"type": "plain_text", "text": text},
                "value": PersonMenuValue.write(choice=choice, stakeholder_id=person.id),
            }
            for choice, text in words.items()
        ],
    }


def _map_blocks(
    people: Sequence[PersonRow], assessment: Assessment, *, today: date, interactive: bool
) -> list[Block]:
    threads = assessment.threads
    target = f"(target {assessment.threads_needed})"
    live = (  # "no live contacts", not "0 live contacts: nobody"
        f"{plural(len(threads), 'live contact')} {target}: "
        + ", ".join(escape(p.name) for p in threads)
        if threads
        else f"no live contacts {target}"
    )
    blocks = [section(f"*Stakeholder map* · {live}")]
    rank = {role: index for index, role in enumerate(ROLE_ORDER)}
    active = sorted(
        (p for p in people if p.status is StakeholderStatus.ACTIVE),
        key=lambda p: (rank[p.role], p.name.casefold()),
    )
    if not active:
        blocks.append(section("_Nobody on the map yet._"))
    for person in active[:PEOPLE_SHOWN]:
        line = f"{ROLE_WORD[person.role]} · " + _person_line(person, today).removeprefix("• ")
        blocks.append(section(line, accessory=_person_menu(person) if interactive else None))
    if len(active) > PEOPLE_SHOWN:
        rest = [f"• {escape(p.name)} ({ROLE_WORD[p.role].lower()})" for p in active[PEOPLE_SHOWN:]]
        blocks.append(section(listing(f"*{len(rest)} more on the map*", rest, max_lines=40)))
    departed = [p for p in people if p.status is StakeholderStatus.DEPARTED]
    if departed:
        lines = [
            f"• {escape(p.name)} ({label(p.role).lower()}"
            + (f", left {days_from(p.departed_on, today)}" if p.departed_on else "")
            + (f", now at {escape(p.left_for_company)}" if p.left_for_company else "")
            + ")"
            for p in departed
        ]
        blocks.append(section(listing("*Departed*", lines, max_lines=PEOPLE_PER_ROLE)))
    return blocks


def _flag_blocks(assessment: Assessment) -> list[Block]:
    """The flags, each with its evidence after a dot (a reason often has a colon of its own:
    `single-threaded: 1 live contact (target 3) · Sam Ortiz`), but the open renewal: the band's
    line says it, and its date, stage and notice date (a signed one's too) are the card's
    Renewal field."""
    lines = [
        shorten(
            f"{SEVERITY_ICON[s.severity]} *{escape(s.reason)}*"
            + (f" · {escape(s.evidence)}" if s.evidence and s.kind is not SIGNED else ""),
            FLAG_LINE,
        )
        for s in assessment.signals
        if s.severity is not Severity.OPPORTUNITY
        and s.kind is not SignalKind.NONE_BOOKED
        and s.kind not in RENEWAL_KINDS
    ]
    blocks = [section(listing("*Flags*", lines) if lines else "*Flags*\nNo warning signs.")]
    play = assessment.expansion_play
    opportunity = assessment.of(Severity.OPPORTUNITY)
    if play is not None:
        blocks.append(
            section(
                f"{SEVERITY_ICON[Severity.OPPORTUNITY]} *{escape(play.reason)}* · "
                f"{escape(play.evidence)}"
            )
        )
    elif opportunity and assessment.band is not Band.GREEN:
        signal = opportunity[0]
        first = "save it" if assessment.band is Band.RED else "stabilise it"
        blocks.append(
            context(
                f"Expansion signals are held while the account is {assessment.band.value}: "
                f"{first} first ({escape(signal.reason)}: {escape(signal.evidence)})."
            )
        )
    elif opportunity and not assessment.renewal_open:  # the renewal comes first: not a word
        signal = opportunity[0]
        blocks.append(
            context(
                f"Observation, not yet a play: {escape(signal.reason)} "
                f"({escape(signal.evidence)}). A play needs a champion, economic buyer or "
                "sponsor who is positive and in touch."
            )
        )
    return blocks
