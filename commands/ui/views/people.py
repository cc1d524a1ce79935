"""Modals and messages of the stakeholder map: people, contacts, history, departure alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from commands.ui.fields import EMAIL, NAME, TEXT
from commands.ui.ids import Action, ContactField, StakeholderField, View
from commands.ui.text import day, escape, user_mention
from commands.ui.values import HistoryValue, ModalMeta, NewPersonValue
from commands.ui.views.blocks import Block, actions, button, context, header, section
from commands.ui.views.modal import (
    MAX_OPTIONS,
    date_input,
    enum_select,
    initial,
    input_block,
    modal,
    option,
    text_input,
)
from commands.ui.views.org import LEVEL_WORDS, department_select
from store.catalogue import PRODUCTS
from store.enums import (
    ContactChannel,
    Influence,
    OrgLevel,
    RenewalStage,
    Role,
    Sentiment,
    StakeholderStatus,
    label,
)
from store.models import Account, AccountChange, AccountDepartment, Stakeholder, StakeholderChange
from store.stakeholders import CREATED, HistoryEntry
from store.wording import plural

S = StakeholderField
C = ContactField
WORDS: dict[Any, str] = {
    m: label(m) for enum in (Role, Influence, Sentiment, ContactChannel) for m in enum
}
WORDS[ContactChannel.SLACK] = "Slack"


def _people_options(people: Sequence[Stakeholder]) -> list[dict[str, Any]]:
    return [
        option(
            str(p.id),
            f"{p.name} ({label(p.role).lower()})"
            + (" - departed" if p.status is StakeholderStatus.DEPARTED else ""),
        )
        for p in people[:MAX_OPTIONS]
    ]


def stakeholder_form(
    *,
    meta: ModalMeta,
    account: Account,
    people: Sequence[Stakeholder],
    person: Stakeholder | None = None,
    role: Role | None = None,
    today: date,
    departments: Sequence[AccountDepartment] = (),
    suggested: tuple[str, str | None] | None = None,
) -> dict[str, Any]:
    """Add a person (empty, contact date today; or `suggested`, a name and title, as for a
    former champion offered to the account made from their lead) or edit one (filled in);
    their department is one of the account's (none known: the form says where to add them)."""
    name, title = (person.name, person.title) if person else (suggested or (None, None))
    others = [p for p in people if person is None or p.id != person.id]
    reports_to: dict[str, Any] = {"type": "static_select", "options": _people_options(others)}
    if person and person.reports_to_id:
        manager = next((p for p in others if p.id == person.reports_to_id), None)
        if manager:
            reports_to["initial_option"] = _people_options([manager])[0]
    blocks = [
        input_block(S.NAME, "Name", text_input(max_length=NAME, value=name)),
        input_block(
            S.TITLE,
            "Title",
            text_input(max_length=NAME, value=title),
            optional=True,
        ),
        input_block(
            S.ROLE,
            "Role",
            enum_select(list(Role), value=person.role if person else role, words=WORDS),
        ),
        input_block(
            S.INFLUENCE,
            "Influence",
            enum_select(
                list(Influence), value=person.influence if person else Influence.MEDIUM, words=WORDS
            ),
        ),
        input_block(
            S.SENTIMENT,
            "Sentiment",
            enum_select(
                list(Sentiment),
                value=person.sentiment if person else Sentiment.NEUTRAL,
                words=WORDS,
            ),
        ),
    ]
    if departments:
        chosen = person.department_id if person else None
        blocks.append(
            input_block(
                S.DEPARTMENT,
                "Department",
                department_select(departments, chosen),
                optional=True,
            )
        )
    else:
        blocks.append(
            context("No departments known yet: add them with the card's *Departments* button.")
        )
    blocks.append(
        input_block(
            S.LEVEL,
            "Level",
            enum_select(list(OrgLevel), value=person.level if person else None, words=LEVEL_WORDS),
            optional=True,
        )
    )
    if others:
        blocks.append(input_block(S.REPORTS_TO, "Reports to", reports_to, optional=True))
    blocks += [
        input_block(
            S.OWNER,
            "Our relationship owner",
            initial(
                {"type": "users_select"},
                "initial_user",
                person.relationship_owner_user_id if person else None,
            ),
            optional=True,
        ),
        input_block(
            S.LAST_CONTACT,
            "Last contact",
            date_input(person.last_contacted_on if person else today),
            optional=True,
        ),
        input_block(
            S.EMAIL,
            "Email",
            text_input(max_length=EMAIL, value=person.email if person else None),
            optional=True,
        ),
        input_block(
            S.NOTES,
            "Notes",
            text_input(max_length=TEXT, value=person.notes if person else None, multiline=True),
            optional=True,
        ),
    ]
    title = "Edit stakeholder" if person else "Add stakeholder"
    view = modal(callback_id=View.STAKEHOLDER_FORM, title=title, blocks=blocks, meta=meta)
    view["blocks"].insert(0, context(f"Stakeholder map of *{escape(account.name)}*"))
    return view


def sentiment_form(*, meta: ModalMeta, person: Stakeholder) -> dict[str, Any]:
    blocks = [
        section(f"How does *{escape(person.name)}* feel about us now?"),
        input_block(
            S.SENTIMENT,
            "Sentiment",
            enum_select(list(Sentiment), value=person.sentiment, words=WORDS),
        ),
    ]
    return modal(
        callback_id=View.SENTIMENT_FORM, title="Change sentiment", blocks=blocks, meta=meta
    )


def departed_form(*, meta: ModalMeta, person: Stakeholder, today: date) -> dict[str, Any]:
    blocks = [
        section(
            f"*{escape(person.name)}* stays on the map, marked departed. "
            "Where they went is a lead: a champion who leaves is a champion elsewhere."
        ),
        input_block(S.DEPARTED_ON, "Left on", date_input(today)),
        input_block(
            S.LEFT_FOR_COMPANY, "Left for (company)", text_input(max_length=NAME), optional=True
        ),
        input_block(S.LEFT_FOR_TITLE, "New role there", text_input(max_length=NAME), optional=True),
    ]
    return modal(callback_id=View.DEPARTED_FORM, title="Mark departed", blocks=blocks, meta=meta)


def promoted_form(*, meta: ModalMeta, person: Stakeholder) -> dict[str, Any]:
    current = f" (now {escape(person.title)})" if person.title else ""
    blocks = [
        section(f"What is *{escape(person.name)}*'s new title{current}?"),
        input_block(S.TITLE, "New title", text_input(max_length=NAME)),
    ]
    return modal(callback_id=View.PROMOTED_FORM, title="Mark promoted", blocks=blocks, meta=meta)


def contact_form(
    *,
    meta: ModalMeta,
    people: Sequence[Stakeholder],
    today: date,
    account: Account | None = None,
    choose_account: bool = False,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Log a touchpoint. From a message shortcut the account is picked first (`choose_account`)."""
    values = values or {}
    blocks: list[dict[str, Any]] = []
    if choose_account:
        picker: dict[str, Any] = {
            "type": "external_select",
            "action_id": Action.CONTACT_ACCOUNT.value,
            "min_query_length": 0,
            "placeholder": {"type": "plain_text", "text": "Search accounts"},
        }
        if account is not None:
            picker["initial_option"] = option(str(account.id), account.name)
        blocks.append(input_block(C.ACCOUNT, "Account", picker, dispatch=True))
    if account is None:
        blocks.append(context("Pick the account to choose who you were in touch with."))
    else:
        active = [p for p in people if p.status is StakeholderStatus.ACTIVE] or list(people)
        chosen = [
            o
            for o in _people_options(active)
            if o["value"] in {str(v) for v in values.get(C.PEOPLE, [])}
        ]
        who = initial(
            {"type": "multi_static_select", "options": _people_options(active)},
            "initial_options",
            chosen,
        )
        if active:
            blocks.append(input_block(C.PEOPLE, "Who", who))
        else:
            blocks.append(
                section(
                    f"Nobody is on *{escape(account.name)}*'s map yet: add a stakeholder first."
                )
            )
    channel = ContactChannel(
        values.get(C.CHANNEL, ContactChannel.SLACK if meta.message_link else ContactChannel.MEETING)
    )
    blocks += [
        input_block(
            C.DATE,
            "When",
            date_input(date.fromisoformat(values[C.DATE]) if values.get(C.DATE) else today),
        ),
        input_block(
            C.CHANNEL, "How", enum_select(list(ContactChannel), value=channel, words=WORDS)
        ),
        input_block(
            C.SUMMARY,
            "Summary",
            text_input(max_length=TEXT, value=values.get(C.SUMMARY), multiline=True),
            optional=True,
        ),
    ]
    if meta.message_link:
        blocks.append(context(f"From <{meta.message_link}|this message>"))
    title = "Log contact"
    return modal(callback_id=View.CONTACT_FORM, title=title, blocks=blocks, meta=meta, submit="Log")


DEPARTURE_DETAILS = ("departed_on", "left_for_company", "left_for_title")


def _change_text(change: StakeholderChange) -> str:
    if change.field == CREATED:
        try:
            role = json.loads(change.new_value or "{}").get("role")
        except json.JSONDecodeError:
            role = None
        return "added" + (
            f" as {role.replace('_', ' ')}" if role in {r.value for r in Role} else ""
        )
    if change.field == "status" and change.new_value == StakeholderStatus.DEPARTED.value:
        return "departed"
    if change.field == "status" and change.new_value == StakeholderStatus.MERGED.value:
        return "merged into the earlier record of the same person (a duplicate)"
    if change.field == "department_id":
        return "department changed" if change.new_value else "department cleared"
    field = change.field.replace("_id", "").replace("_", " ")
    old = escape(change.old_value) if change.old_value else "_empty_"
    new = escape(change.new_value) if change.new_value else "_empty_"
    return f"{field} {old} → {new}"


def _changes_line(entries: Sequence[HistoryEntry], today: date) -> str:
    """The fields changed together in one action, on one line."""
    who = escape(entries[0].stakeholder_name)
    made = [e.change for e in entries if e.change]
    changes = {change.field: change.new_value for change in made}
    if changes.get("status") == StakeholderStatus.DEPARTED.value:
        company, title = changes.get("left_for_company"), changes.get("left_for_title")
        went = f"at {escape(company)}" if company else ""
        went += f" as {escape(title)}" if title else ""
        on = changes.get("departed_on")
        logged = entries[0].at.date()
        # the day they left, unless it is the day the line is dated already
        when = (
            f" on {day(date.fromisoformat(on), today)}" if on and on != logged.isoformat() else ""
        )
        made = [change for change in made if change.field not in DEPARTURE_DETAILS]
        departed = f"*{who}* departed{when}" + (f" (now {went.strip()})" if went else "")
        rest = "; ".join(_change_text(change) for change in made if change.field != "status")
        return departed + (f"; {rest}" if rest else "")
    parts = [_change_text(change) for change in made]
    if parts[0].startswith("added"):
        return f"{parts[0].replace('added', f'added *{who}*', 1)}"
    return f"*{who}*: " + "; ".join(parts)


def _grouped(entries: Sequence[HistoryEntry]) -> list[list[HistoryEntry]]:
    """Contacts alone; changes made together (same person, or the renewal, at the same moment)
    as one group."""
    groups: list[list[HistoryEntry]] = []
    for entry in entries:
        last = groups[-1][-1] if groups else None
        together = last is not None and last.at == entry.at
        if entry.change is not None and last is not None and last.change is not None:
            together = together and last.change.stakeholder_id == entry.change.stakeholder_id
        elif entry.renewal is not None and last is not None and last.renewal is not None:
            together = together and last.renewal.account_id == entry.renewal.account_id
        else:
            together = False
        if together:
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return [list(reversed(g)) if g[0].change else g for g in groups]


RENEWAL_FIELDS = {
    "renewal_stage": "renewal stage",
    "renewal_signed_on": "signed on",
    "notice_date": "notice date",
    "renewal_date": "renewal date",
    PRODUCTS: "products in use",
}
"""The renewal's facts (and the products in use, set on the account form) as the history
names them, in the order a line says them."""


def _renewal_value(field: str, value: str | None, today: date) -> str:
    """`verbal yes`, `3 Dec`, `_none_`; anything unreadable shown as stored, escaped."""
    if value is None:
        return "_none_"
    if field == PRODUCTS:
        return escape(value)
    try:
        if field == "renewal_stage":
            return RenewalStage(value).value.replace("_", " ")
        return day(date.fromisoformat(value), today)
    except ValueError:
        return escape(value)


def _renewal_line(entries: Sequence[HistoryEntry], today: date) -> str:
    """`:date: renewal stage: proposal sent → verbal yes; notice date: _none_ → 3 Dec`."""
    made: list[AccountChange] = [e.renewal for e in entries if e.renewal is not None]
    rank = {field: index for index, field in enumerate(RENEWAL_FIELDS)}
    made.sort(key=lambda change: rank.get(change.field, len(rank)))
    parts = [
        f"{RENEWAL_FIELDS.get(c.field, escape(c.field))}: "
        f"{_renewal_value(c.field, c.old_value, today)} → "
        f"{_renewal_value(c.field, c.new_value, today)}"
        for c in made
    ]
    return ":date: " + "; ".join(parts)


def _override_line(entry: HistoryEntry, today: date) -> str:
    """`:pushpin: band overridden to yellow until 23 Dec 2026 (rules: red): Lab move`."""
    override = entry.override
    assert override is not None
    if entry.ended:
        return f":pushpin: band override ({override.band.value}) ended"
    rules = f" (rules: {override.rules_band.value})" if override.rules_band else ""
    return (
        f":pushpin: band overridden to {override.band.value} until "
        f"{day(override.expires_on, today)}{rules}: {escape(override.reason[:200])}"
    )


def _logged_late(entry: HistoryEntry) -> bool:
    return entry.logged_at is not None and entry.logged_at.date() > entry.at.date()


def _when(entry: HistoryEntry, today: date) -> str:
    """`18 Nov 17:00` (UTC); a contact logged on a later day: its day alone (when it
    happened)."""
    on = day(entry.at.date(), today)
    return on if _logged_late(entry) else f"{on} {entry.at:%H:%M}"


def _contact_line(entry: HistoryEntry, today: date) -> str:
    contact = entry.contact
    assert contact is not None
    summary = f": {escape(contact.summary[:200])}" if contact.summary else ""
    link = f" (<{contact.message_link}|message>)" if contact.message_link else ""
    logged = entry.logged_at
    late = f" · logged {day(logged.date(), today)}" if logged and _logged_late(entry) else ""
    return (
        f":speech_balloon: {WORDS[contact.channel].lower()} with "
        f"*{escape(entry.stakeholder_name)}*{summary}{link}"
        f"{late}"
    )


def history_blocks(
    account: Account,
    entries: Sequence[HistoryEntry],
    *,
    offset: int,
    more: bool,
    page_size: int,
    today: date,
) -> list[Block]:
    """One page of an account's history, newest first, with Newer / Older buttons."""
    blocks: list[Block] = [header(f"History of {account.name}")]
    if not entries:
        blocks.append(section("Nothing recorded yet."))
    lines = [
        f"`{_when(group[0], today)}` "
        + (
            _changes_line(group, today)
            if group[0].change
            else _renewal_line(group, today)
            if group[0].renewal
            else _override_line(group[0], today)
            if group[0].override
            else _contact_line(group[0], today)
        )
        + (f" · by {user_mention(group[0].by_user_id)}" if group[0].by_user_id else "")
        for group in _grouped(entries)
    ]
    if lines:
        blocks.append(section("\n".join(lines)))
    buttons = []
    if offset > 0:
        buttons.append(
            button(
                "Newer",
                action_id=Action.HISTORY_PAGE,
                value=HistoryValue.write(
                    account_id=account.id,
                    offset=max(0, offset - page_size),
                    page="page",
                ),
            )
        )
    if more:
        buttons.append(
            button(
                "Older",
                action_id=Action.HISTORY_PAGE,
                value=HistoryValue.write(
                    account_id=account.id,
                    offset=offset + page_size,
                    page="page",
                ),
            )
        )
    if buttons:
        blocks.append(actions(*buttons))
    shown = f"Entries {offset + 1} to {offset + len(entries)}, newest first"
    blocks.append(context(shown if entries else "Newest first"))
    return blocks


def departure_alert(
    *, account: Account, person: Stakeholder, threads_left: int, other_champions: int
) -> list[Block]:
    """`Champion Dana Lee departed: 2 live contacts left; no other champion`, with a button to
    act ("live contact" as the card and the signals say it)."""
    role = label(person.role)
    went = ""
    if person.left_for_company:
        went = (
            f" (now at {escape(person.left_for_company)}"
            + (f" as {escape(person.left_for_title)}" if person.left_for_title else "")
            + ")"
        )
    rest = f"{plural(threads_left, 'live contact')} left"
    if person.role is Role.CHAMPION:
        rest += (
            "; no other champion"
            if other_champions == 0
            else f"; {plural(other_champions, 'other champion')}"
        )
    return [
        section(f":rotating_light: *{role} {escape(person.name)} departed*{went}: {rest}."),
        actions(
            button(
                "Add their replacement",
                action_id=Action.ADD_STAKEHOLDER,
                value=NewPersonValue.write(account_id=account.id, role=person.role),
                style="primary",
            )
        ),
        context(
            f"Account *{escape(account.name)}* · `/account {escape(account.name)}` shows the map"
        ),
    ]
