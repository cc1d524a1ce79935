"""What this week's digests say, built for a whole team in a fixed number of queries.

A channel digest says what changed: the band and its move since last week's digest, then what
changed (signals that appeared or cleared, people, items closed or slipped), then at most three
next steps, each with an owner and a date; the rest is on the full card. The portfolio digest
is in money: total ARR, red ARR and its share, ARR renewing within its window and how much of it
is red, new reds and recoveries, accounts grouped by owner in the one risk order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from itertools import count
from operator import itemgetter

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from commands.ui.views.growth import KIND_WORDS
from commands.ui.views.save_plan import save_plan_line
from store.champion_leads import leads_since
from store.digest_bands import ShownBefore, bands_before
from store.enums import OPEN_ACTION_STATUSES, ActionStatus, Band, StakeholderStatus
from store.expansion import Person, Readiness, Setting, who_cares
from store.growth import StoredHypothesis, open_hypotheses
from store.models import ActionItem, ActionItemChange, StakeholderChange
from store.rows import AccountRow
from store.settings import thresholds_for
from store.signals import (
    RENEWAL_KINDS,
    SIGNAL_NAMES,
    AccountSnapshot,
    Assessment,
    Severity,
    SignalKind,
    Step,
    assess,
    next_steps,
    riskiest_first,
)
from store.snapshots import stream_snapshots
from store.stakeholders import CREATED

WEEK = timedelta(days=7)
ACTIONS_SHOWN = 3
STEPS_KEPT = 6
"""Steps worked out per account: three shown, the rest counted ("on the full card")."""
BAND_RANK = {Band.GREEN: 0, Band.YELLOW: 1, Band.RED: 2}
DEPARTURE_KINDS = frozenset({SignalKind.CHAMPION_DEPARTED, SignalKind.SPONSOR_DEPARTED})


@dataclass(frozen=True, slots=True)
class MapChange:
    """A move on the map since the last digest: someone added, departed, or changed sentiment."""

    name: str
    kind: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A mutual-action item closed this week (`done`), or slipped: it fell overdue this week
    (`overdue`, `days` late now) or was pushed back (`pushed`, to `due_on`)."""

    title: str
    kind: str
    days: int = 0
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class StepGroup:
    """Next steps of one owner on our side: the owner is named once, above their steps."""

    owner_user_id: str | None
    steps: tuple[tuple[int, Step], ...]
    """(number shown, step)"""


GROWTH_LINES = 2
"""High-readiness hypotheses a green account's digest names (the growth view has them all)."""


@dataclass(frozen=True, slots=True)
class GrowthLine:
    """One hypothesis of a digest's Growth section: kind, evidence, estimate, who cares."""

    kind: str
    evidence: str
    estimate: Decimal | None
    currency: str
    stakeholder: str | None
    no_estimate: str | None = None
    """Without an estimate, what is missing for one."""


@dataclass(frozen=True)
class AccountDigest:
    """One account's digest: its band and the move since last week, what changed, what next.
    What the templates read more than once is worked out once (`cached_property`)."""

    account: AccountRow
    assessment: Assessment
    """The rules' verdict, without the live contacts themselves (`threads` is empty; their
    number is `live_contacts`): their rows, kept for a whole team, held about half of the
    build's memory, and a digest only counts them."""
    today: date
    live_contacts: int = 0
    before: ShownBefore | None = None
    """What last week's digest run showed (None: no digest run to compare with)."""
    changes: tuple[MapChange, ...] = ()
    items: tuple[ItemChange, ...] = ()
    steps: tuple[Step, ...] = ()
    save_plan: str = ""
    """A red account's save plan and how far it has got, or that it has none."""
    hypotheses: tuple[StoredHypothesis, ...] = ()
    """Its open expansion hypotheses (never observations), best first, as last refreshed."""
    growth: tuple[GrowthLine, ...] = ()
    """A green account's Growth section: its top high-readiness hypotheses (internal)."""
    new_leads: tuple[str, ...] = ()
    """Leads made this week from its champions' moves (`Lucius Fox left for Gotham Biotech`)."""

    @property
    def band(self) -> Band:
        return self.assessment.band

    @property
    def previous(self) -> Band | None:
        return None if self.before is None else self.before.band

    @property
    def moved(self) -> bool:
        return self.previous is not None and self.previous is not self.band

    @property
    def improved(self) -> bool:
        previous = self.previous
        return previous is not None and BAND_RANK[self.band] < BAND_RANK[previous]

    @property
    def worsened(self) -> bool:
        """A worse band than last week's digest showed (green to yellow or red, yellow to red)."""
        previous = self.previous
        return previous is not None and BAND_RANK[self.band] > BAND_RANK[previous]

    @property
    def newly_red(self) -> bool:
        return self.band is Band.RED and self.previous not in (None, Band.RED)

    @property
    def recovered(self) -> bool:
        return self.previous is Band.RED and self.band is not Band.RED

    @cached_property
    def appeared(self) -> tuple[str, ...]:
        """Reasons of risk or critical signals last week's digest did not have."""
        if self.before is None:
            return ()
        kinds = set(self.assessment.weighing_kinds) - self.before.signals
        return tuple(s.reason for s in self.assessment.signals if s.kind in kinds)

    @cached_property
    def cleared(self) -> tuple[str, ...]:
        """Signals last week's digest had that no longer hold, in a few words each."""
        if self.before is None:
            return ()
        now = {k.value for k in self.assessment.weighing_kinds}
        gone = sorted(self.before.signals - now)
        return tuple(
            SIGNAL_NAMES[SignalKind(k)] for k in gone if k in SignalKind._value2member_map_
        )

    @cached_property
    def news(self) -> tuple[str, ...]:
        """Line 2's new signals: those `appeared`, less what the digest says otherwise. Once
        the band moved, line 1's reasons are this week's news already; a departure on line 2
        ("Cara departed") is its own "champion departed" signal."""
        if self.before is None:
            return ()
        shown = set(self.headline_reasons[:3]) if self.moved else set()
        gone = {c.name for c in self.changes if c.kind == "departed"}
        kinds = set(self.assessment.weighing_kinds) - self.before.signals
        return tuple(
            s.reason
            for s in self.assessment.signals
            if s.kind in kinds
            and s.reason not in shown
            and not (s.kind in DEPARTURE_KINDS and gone & set(s.people))
        )

    @cached_property
    def map_news(self) -> tuple[MapChange, ...]:
        """Line 2's moves on the map, less a departure line 1 already says (its signal new
        there, with the band's move)."""
        if not self.moved:
            return self.changes
        shown = set(self.headline_reasons[:3])
        said = {
            name
            for s in self.assessment.signals
            if s.kind in DEPARTURE_KINDS and s.reason in shown
            for name in s.people
        }
        return tuple(c for c in self.changes if not (c.kind == "departed" and c.name in said))

    @cached_property
    def anything_changed(self) -> bool:
        return bool(self.moved or self.appeared or self.cleared or self.changes or self.items)

    @cached_property
    def shown_steps(self) -> tuple[Step, ...]:
        """The most urgent steps, read by date, as a calendar is; with one risk inside the
        window, what to do first (chosen first) is dated no later than the others: it leads."""
        shown = list(self.steps[:ACTIONS_SHOWN])
        if self.assessment.first_move and shown:
            shown[0] = replace(shown[0], due_on=min(s.due_on for s in shown))
        return tuple(sorted(shown, key=lambda s: s.due_on))

    @cached_property
    def step_groups(self) -> tuple[StepGroup, ...]:
        """The steps shown, grouped by owner in the order they first come, each owner's in date
        order, numbered as they are read (1, 2, 3 down the post, never 1, 3, 2)."""
        groups: dict[str | None, list[Step]] = {}
        for step in self.shown_steps:
            groups.setdefault(step.owner_user_id, []).append(step)
        numbers = count(1)
        return tuple(
            StepGroup(owner, tuple((next(numbers), step) for step in steps))
            for owner, steps in groups.items()
        )

    @cached_property
    def headline_reasons(self) -> tuple[str, ...]:
        """The rules' reasons for line 1; inside the window the renewal has a line of its own."""
        assessment = self.assessment
        if not assessment.in_window:
            return assessment.rule_reasons
        return tuple(
            s.reason
            for s in assessment.signals
            if s.kind not in RENEWAL_KINDS and s.severity in (Severity.CRITICAL, Severity.RISK)
        )

    @cached_property
    def more_on_card(self) -> int:
        """Flags this digest does not show, and steps beyond the three shown. Shown: the three
        reasons of line 1, and inside the window the renewal and "none booked" (its line)."""
        assessment = self.assessment
        shown = set(self.headline_reasons[:3])
        flags = sum(
            1
            for s in assessment.signals
            if s.severity is not Severity.OPPORTUNITY
            and s.kind is not SignalKind.NONE_BOOKED  # its renewal line, or a step
            and not (assessment.in_window and s.kind in RENEWAL_KINDS)
            and s.reason not in shown
        )
        return flags + max(0, len(self.steps) - ACTIONS_SHOWN)

    @cached_property
    def quiet(self) -> bool:
        """Green with nothing to do this week: no open renewal, no step due within the week."""
        week_end = self.today + timedelta(days=6)
        return (
            self.band is Band.GREEN
            and not self.assessment.renewal_open
            and not any(s.due_on <= week_end for s in self.shown_steps)
        )

    def posts(self, *, all_clear: bool, weekly_all_clear: bool) -> bool:
        """Whether its channel gets this week's digest: always unless green and quiet; a quiet
        green one only when the band improved (or every week, if the team keeps those), or when
        it has growth to raise."""
        if not self.quiet or self.growth:
            return True
        return all_clear and (self.improved or weekly_all_clear)


@dataclass(frozen=True)
class OwnerBook:
    """One owner's accounts in the portfolio digest: totals, and the ones at risk in order."""

    owner_user_id: str | None
    accounts: int
    arr: dict[str, Decimal]
    red: dict[str, Decimal]
    at_risk: tuple[AccountDigest, ...]


@dataclass(frozen=True)
class PortfolioDigest:
    """For team leads, in money: the book's ARR, what is red, what renews within its window,
    what turned red or recovered this week, and the accounts at risk by owner."""

    today: date
    digests: tuple[AccountDigest, ...]
    title: str = "Portfolio this week"
    failures: tuple[tuple[str, str, str], ...] = ()
    """(account name, channel id, Slack's error)"""
    to_owners: tuple[tuple[str, str, str], ...] = ()
    """Digests sent to the owner by DM, their channel being shared with another organisation:
    (account name, channel id, owner's user id)"""
    by_owner: bool = True
    """Group the accounts at risk by owner (an owner's own digest has one owner: no heading)."""
    total: dict[str, Decimal] = field(default_factory=dict)
    red: dict[str, Decimal] = field(default_factory=dict)
    renewing: dict[str, Decimal] = field(default_factory=dict)
    renewing_red: dict[str, Decimal] = field(default_factory=dict)
    renewing_signed: dict[str, Decimal] = field(default_factory=dict)
    counts: dict[Band, int] = field(default_factory=dict)
    new_reds: tuple[AccountDigest, ...] = ()
    recoveries: tuple[AccountDigest, ...] = ()
    owners: tuple[OwnerBook, ...] = ()
    renewals: tuple[AccountDigest, ...] = ()
    windows: tuple[tuple[str, int], ...] = ()
    """(segment label, window days) of the segments present, for the renewals' heading."""
    left_out: int = 0
    """Accounts linked to a private channel, left out of this digest and its totals (the one
    posted in the portfolio channel, which everyone there reads)."""
    leads_named: bool = True
    """The team has leads, who get every account by DM (else the note says how to name them)."""
    nrr_line: str = ""
    """The month's NRR and GRR so far (`digests.deliver.month_nrr`), for the team's digest."""
    identified: dict[str, Decimal] = field(default_factory=dict)
    """The green accounts' open hypotheses' estimates (observations never, nor what was stored
    for an account yellow or red since), per currency."""
    no_estimate: int = 0
    """Open hypotheses without an estimate: counted apart, never given a number."""
    new_hypotheses: tuple[tuple[str, StoredHypothesis], ...] = ()
    """(account name, hypothesis) first seen this week, best first."""
    champion_leads: tuple[tuple[str, str], ...] = ()
    """(account name, the lead in words) made this week from a champion's move."""

    @property
    def at_risk(self) -> tuple[AccountDigest, ...]:
        return tuple(d for book in self.owners for d in book.at_risk)

    @property
    def any_worse(self) -> bool:
        """Some account at risk got worse this week (listed first, its move shown)."""
        return any(d.worsened for d in self.at_risk)


def _changes_since(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> dict[int, list[tuple[int, str, str | None, str | None]]]:
    """Additions, departures and sentiment moves in [since, until), per account, in one query."""
    rows = session.execute(
        select(
            col(StakeholderChange.account_id),
            col(StakeholderChange.stakeholder_id),
            col(StakeholderChange.field),
            col(StakeholderChange.old_value),
            col(StakeholderChange.new_value),
        )
        .where(
            col(StakeholderChange.team_id) == team_id,
            col(StakeholderChange.changed_at) >= since,
            col(StakeholderChange.changed_at) < until,
            col(StakeholderChange.field).in_([CREATED, "status", "sentiment"]),
        )
        .order_by(col(StakeholderChange.changed_at), col(StakeholderChange.id))
    )
    found: dict[int, list[tuple[int, str, str | None, str | None]]] = defaultdict(list)
    for change in rows:
        if change.field == CREATED:
            kind = "added"
        elif change.field == "status" and change.new_value == "departed":
            kind = "departed"
        elif change.field == "sentiment":
            kind = "sentiment"
        else:
            continue
        found[change.account_id].append(
            (change.stakeholder_id, kind, change.old_value, change.new_value)
        )
    return found


def _item_moves(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> dict[int, list[ItemChange]]:
    """Items done, and open items pushed back, in [since, until), per account, in one query."""
    rows = session.execute(
        select(
            col(ActionItemChange.account_id),
            col(ActionItemChange.field),
            col(ActionItemChange.old_value),
            col(ActionItemChange.new_value),
            col(ActionItem.title),
            col(ActionItem.status),
        )
        .join(ActionItem, col(ActionItem.id) == col(ActionItemChange.action_item_id))
        .where(
            col(ActionItemChange.team_id) == team_id,
            col(ActionItemChange.changed_at) >= since,
            col(ActionItemChange.changed_at) < until,
            or_(
                and_(
                    col(ActionItemChange.field) == "status",
                    col(ActionItemChange.new_value) == ActionStatus.DONE.value,
                ),
                col(ActionItemChange.field) == "due_on",
            ),
        )
        .order_by(col(ActionItemChange.changed_at), col(ActionItemChange.id))
    )
    found: dict[int, list[ItemChange]] = defaultdict(list)
    for account_id, name, old, new, title, status in rows:
        if name == "status":
            found[account_id].append(ItemChange(title, "done"))
        elif status in OPEN_ACTION_STATUSES and old and new and new > old:
            later = date.fromisoformat(new)
            days = (later - date.fromisoformat(old)).days
            found[account_id].append(ItemChange(title, "pushed", days, later))
    return found


def _named(
    changes: Sequence[tuple[int, str, str | None, str | None]], snapshot: AccountSnapshot
) -> tuple[MapChange, ...]:
    """Name the people in an account's changes (looked up only for accounts that have some)."""
    if not changes:
        return ()
    names = {p.id: p.name for p in snapshot.stakeholders}
    return tuple(  # people no longer on the map (merged duplicates) are no news
        MapChange(names[pid], kind, old, new) for pid, kind, old, new in changes if pid in names
    )


def _fell_overdue(snapshot: AccountSnapshot, *, since: date, today: date) -> list[ItemChange]:
    """Open items whose due day passed since the last digest."""
    return [
        ItemChange(item.title, "overdue", (today - item.due_on).days, item.due_on)
        for item in snapshot.open_actions
        if since <= item.due_on < today
    ]


def build_account_digests(
    session: Session,
    *,
    team_id: str,
    today: date,
    since: datetime,
    until: datetime | None = None,
    week: date | None = None,
    account_ids: Sequence[int] | None = None,
) -> list[AccountDigest]:
    """Every live account's digest (linked channel or not): ten queries for the whole team.
    `week` is the digest's week (its scheduled day): what the runs before it showed is the
    comparison."""
    thresholds = thresholds_for(session, team_id=team_id)
    until = until or since + WEEK
    changes = _changes_since(session, team_id=team_id, since=since, until=until)
    moves = _item_moves(session, team_id=team_id, since=since, until=until)
    before = bands_before(session, team_id=team_id, week=week or today)
    since_day = since.date()
    opened = open_hypotheses(session, team_id=team_id, account_ids=account_ids)
    leads = leads_since(session, team_id=team_id, since=since, until=until, account_ids=account_ids)
    digests: list[tuple[int, AccountDigest]] = []
    for place, snapshot in stream_snapshots(
        session, team_id=team_id, account_ids=account_ids, today=today
    ):
        account_id = snapshot.account.id
        assessment = assess(snapshot, today=today, thresholds=thresholds)
        items = _fell_overdue(snapshot, since=since_day, today=today) + moves.get(account_id, [])
        digest = AccountDigest(
            account=snapshot.account,
            assessment=replace(assessment, threads=()),
            live_contacts=len(assessment.threads),
            today=today,
            before=before.get(account_id),
            changes=_named(changes.get(account_id, ()), snapshot),
            items=tuple(items),
            steps=next_steps(snapshot, assessment, today=today, limit=STEPS_KEPT),
            save_plan=save_plan_line(snapshot.save_plan, snapshot.open_tasks, today)
            if assessment.band is Band.RED
            else "",
            hypotheses=tuple(opened.get(account_id, ())),
            growth=_growth(
                snapshot,
                opened.get(account_id, ()),
                band=assessment.band,
                setting=Setting(today=today, recent_contact_days=thresholds.recent_contact_days),
            ),
            new_leads=tuple(leads.get(account_id, ())),
        )
        digests.append((place, digest))  # the snapshot's people and items are let go here
    digests.sort(key=itemgetter(0))
    return [digest for _, digest in digests]


def _growth(
    snapshot: AccountSnapshot,
    hypotheses: Sequence[StoredHypothesis],
    *,
    band: Band,
    setting: Setting,
) -> tuple[GrowthLine, ...]:
    """A green account's top high-readiness hypotheses, with who cares (the engine's rule over
    the map as it is now); none for a yellow or red account."""
    ready = [h for h in hypotheses if h.readiness == Readiness.HIGH][:GROWTH_LINES]
    if band is not Band.GREEN or not ready:
        return ()
    people = [
        Person(p.name, p.role, p.sentiment, p.last_contacted_on)
        for p in snapshot.stakeholders
        if p.status is StakeholderStatus.ACTIVE
    ]
    cares = who_cares(people, setting)
    return tuple(
        GrowthLine(KIND_WORDS[h.kind], h.evidence, h.estimate, h.currency, cares, h.no_estimate)
        for h in ready
    )


def _add(totals: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    totals[currency] = totals.get(currency, Decimal(0)) + amount


def build_portfolio_digest(
    digests: Sequence[AccountDigest],
    *,
    today: date,
    failures: Sequence[tuple[str, str, str]] = (),
    title: str = "Portfolio this week",
    to_owners: Sequence[tuple[str, str, str]] = (),
    by_owner: bool = True,
    private_channels: Collection[str] = frozenset(),
    leads_named: bool = True,
    nrr_line: str = "",
) -> PortfolioDigest:
    """The money view of these accounts: totals per currency (never added across currencies),
    new reds and recoveries, the ones at risk by owner in the one risk order, renewals ahead.
    Accounts linked to one of `private_channels` are left out, from the totals too, and so are
    the failures and DMs of those channels: only how many accounts were left out is said."""
    if private_channels:
        shown = [d for d in digests if d.account.channel_id not in private_channels]
        left_out = len(digests) - len(shown)
        digests = shown
        failures = [f for f in failures if f[1] not in private_channels]
        to_owners = [t for t in to_owners if t[1] not in private_channels]
    else:
        left_out = 0
    total: dict[str, Decimal] = {}
    red: dict[str, Decimal] = {}
    renewing: dict[str, Decimal] = {}
    renewing_red: dict[str, Decimal] = {}
    renewing_signed: dict[str, Decimal] = {}
    books: dict[str | None, list[AccountDigest]] = defaultdict(list)
    windows: dict[str, int] = {}
    for digest in digests:
        account, assessment = digest.account, digest.assessment
        currency, arr = account.currency, account.arr
        _add(total, currency, arr)
        books[account.owner_user_id].append(digest)
        if digest.band is Band.RED:
            _add(red, currency, arr)
        if assessment.in_window:
            _add(renewing, currency, arr)
            if digest.band is Band.RED:
                _add(renewing_red, currency, arr)
            if not assessment.renewal_open:
                _add(renewing_signed, currency, arr)
        windows[account.segment.value] = assessment.renewal_window
    ordered = riskiest_first(digests, pick=lambda d: (d.account, d.assessment))
    owners = [
        OwnerBook(
            owner_user_id=owner,
            accounts=len(mine),
            arr=_sum(mine),
            red=_sum(d for d in mine if d.band is Band.RED),
            at_risk=tuple(
                sorted(  # those that got worse this week first, each part in the risk order
                    (
                        d
                        for d in riskiest_first(mine, pick=lambda d: (d.account, d.assessment))
                        if d.band is not Band.GREEN
                    ),
                    key=lambda d: not d.worsened,
                )
            ),
        )
        for owner, mine in books.items()
    ]
    owners.sort(
        key=lambda b: (-sum(d.assessment.at_stake for d in b.at_risk), b.owner_user_id or "~")
    )
    renewals = sorted(
        (d for d in digests if d.assessment.in_window),
        key=lambda d: (d.assessment.renewal_days, d.account.name_key),
    )
    order = {"enterprise": 0, "mid_market": 1, "smb": 2}
    identified: dict[str, Decimal] = {}
    week_start = today - timedelta(days=6)
    growing = [d for d in digests if d.band is Band.GREEN]  # a yellow one is to be stabilised
    for digest in growing:
        for h in digest.hypotheses:
            if h.estimate is not None:
                _add(identified, h.currency, h.estimate)
    fresh = sorted(
        (
            (d.account.name, h)
            for d in growing
            for h in d.hypotheses
            if h.first_seen_on >= week_start
        ),
        key=lambda pair: (-pair[1].score, -(pair[1].estimate or 0), pair[0].casefold()),
    )
    return PortfolioDigest(
        identified=identified,
        no_estimate=sum(h.estimate is None for d in growing for h in d.hypotheses),
        new_hypotheses=tuple(fresh),
        champion_leads=tuple((d.account.name, lead) for d in ordered for lead in d.new_leads),
        today=today,
        digests=tuple(ordered),
        title=title,
        failures=tuple(failures),
        to_owners=tuple(to_owners),
        by_owner=by_owner,
        nrr_line=nrr_line,
        total=total,
        red=red,
        renewing=renewing,
        renewing_red=renewing_red,
        renewing_signed=renewing_signed,
        counts={
            band: sum(d.band is band for d in digests)
            for band in (Band.RED, Band.YELLOW, Band.GREEN)
        },
        new_reds=tuple(d for d in ordered if d.newly_red),
        recoveries=tuple(d for d in ordered if d.recovered),
        owners=tuple(b for b in owners if b.at_risk or not by_owner),
        renewals=tuple(renewals),
        windows=tuple(sorted(windows.items(), key=lambda w: order.get(w[0], 9))),
        left_out=left_out,
        leads_named=leads_named,
    )


def _sum(digests: Iterable[AccountDigest]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for digest in digests:
        _add(totals, digest.account.currency, digest.account.arr)
    return totals
