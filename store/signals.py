"""The account-strategy rules: pure functions from an account's stored facts to its signals.

Every signal carries a plain-language reason and its evidence. The health band is derived from
the signals by one transparent rule (see `band_for`), so the card can always say why. An owner's
override, while in force, is the band shown; the rules' band is still computed beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from store.enums import (
    Band,
    Influence,
    Level,
    OrgLevel,
    RenewalStage,
    Role,
    Sentiment,
    StakeholderStatus,
    label,
)
from store.rows import AccountRow, ItemRow, PersonRow
from store.settings import Thresholds
from store.wording import day, days_from, plural

__all__ = ["Band"]  # the band lives in store.enums; the rules are where everyone reads it

KEY_ROLES = (Role.CHAMPION, Role.ECONOMIC_BUYER, Role.EXECUTIVE_SPONSOR)
ROLE_WORDS = {role: role.value.replace("_", " ") for role in Role}
STAGE_WORDS = {
    RenewalStage.NOT_STARTED: "renewal not started",
    RenewalStage.PROPOSAL_SENT: "proposal sent",
    RenewalStage.VERBAL_YES: "verbal yes",
    RenewalStage.SIGNED: "signed",
}
RISK_ORDER = "riskiest first: ARR at stake, then how soon it renews, then severity"
"""The one order of every list of accounts (`riskiest_first`), as its header says it."""


class Severity(StrEnum):
    """How much a signal weighs: critical turns the band red, risk counts toward it."""

    CRITICAL = "critical"
    RISK = "risk"
    WATCH = "watch"
    OPPORTUNITY = "opportunity"


class SignalKind(StrEnum):
    """What fired. Values are stored (the signals a digest showed), so they never change."""

    NO_STAKEHOLDERS = "no_stakeholders"
    GONE_DARK = "gone_dark"
    CHAMPION_DEPARTED = "champion_departed"
    SPONSOR_DEPARTED = "sponsor_departed"
    NEGATIVE_ECONOMIC_BUYER = "negative_economic_buyer"
    NEGATIVE_CHAMPION = "negative_champion"
    NEGATIVE_SPONSOR = "negative_sponsor"
    THIN_COVERAGE = "thin_coverage"
    NO_RECENT_CONTACT = "no_recent_contact"
    NO_CHAMPION = "no_champion"
    NO_ECONOMIC_BUYER = "no_economic_buyer"
    NO_EXECUTIVE_SPONSOR = "no_executive_sponsor"
    HIGH_INFLUENCE_DETRACTOR = "high_influence_detractor"
    STALE_MAP = "stale_map"
    ACTIONS_OVERDUE = "actions_overdue"
    ACTIONS_DUE_SOON = "actions_due_soon"
    NONE_BOOKED = "none_booked"
    ADOPTION_RISK = "adoption_risk"
    RENEWAL_SOON = "renewal_soon"
    RENEWAL_AT_RISK = "renewal_at_risk"
    RENEWAL_SIGNED = "renewal_signed"
    EXPANSION_SEATS = "expansion_seats"
    DECLINING_USAGE = "declining_usage"
    LOW_FEATURE_ADOPTION = "low_feature_adoption"
    LOW_SATISFACTION = "low_satisfaction"
    ESCALATION = "escalation"
    TASKS_OVERDUE = "tasks_overdue"
    NO_SAVE_PLAN = "no_save_plan"
    NARROW_LEVELS = "narrow_levels"


RENEWAL_KINDS = frozenset({SignalKind.RENEWAL_SOON, SignalKind.RENEWAL_AT_RISK})
SIGNAL_NAMES = {
    SignalKind.NO_STAKEHOLDERS: "no active stakeholders",
    SignalKind.GONE_DARK: "gone dark",
    SignalKind.CHAMPION_DEPARTED: "champion departed",
    SignalKind.SPONSOR_DEPARTED: "executive sponsor departed",
    SignalKind.NEGATIVE_ECONOMIC_BUYER: "negative economic buyer",
    SignalKind.NEGATIVE_CHAMPION: "negative champion",
    SignalKind.NEGATIVE_SPONSOR: "negative executive sponsor",
    SignalKind.THIN_COVERAGE: "thin coverage",
    SignalKind.NO_RECENT_CONTACT: "no recent contact with key people",
    SignalKind.NO_CHAMPION: "no champion",
    SignalKind.NO_ECONOMIC_BUYER: "no known economic buyer",
    SignalKind.NO_EXECUTIVE_SPONSOR: "no executive sponsor",
    SignalKind.HIGH_INFLUENCE_DETRACTOR: "high-influence detractor",
    SignalKind.STALE_MAP: "stale map",
    SignalKind.ACTIONS_OVERDUE: "overdue action items",
    SignalKind.ACTIONS_DUE_SOON: "action items due soon",
    SignalKind.NONE_BOOKED: "none booked",
    SignalKind.ADOPTION_RISK: "low adoption",
    SignalKind.RENEWAL_SOON: "renewal inside its window",
    SignalKind.RENEWAL_AT_RISK: "renewal at risk",
    SignalKind.RENEWAL_SIGNED: "renewal signed",
    SignalKind.EXPANSION_SEATS: "expansion signal",
    SignalKind.DECLINING_USAGE: "declining usage",
    SignalKind.LOW_FEATURE_ADOPTION: "low core-feature adoption",
    SignalKind.LOW_SATISFACTION: "low support satisfaction",
    SignalKind.ESCALATION: "recent escalation",
    SignalKind.TASKS_OVERDUE: "overdue internal tasks",
    SignalKind.NO_SAVE_PLAN: "red with no save plan",
    SignalKind.NARROW_LEVELS: "threads at few levels",
}
"""Each signal in two or three words, for saying one no longer holds ("cleared: stale map")."""


@dataclass(frozen=True, slots=True)
class Signal:
    kind: SignalKind
    severity: Severity
    reason: str
    evidence: str = ""
    people: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Override:
    """An owner's band for an account, why, and until when (the last day it holds)."""

    band: Band
    reason: str
    expires_on: date
    set_by_user_id: str
    set_at: datetime | None = None
    rules_band: Band | None = None
    """What the rules said when it was set."""


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """One dated usage reading, as the rules read it."""

    read_on: date
    seats_active: int
    monthly_active_users: int | None = None
    adoption_percent: int | None = None
    satisfaction: Decimal | None = None
    escalations: int | None = None


@dataclass(frozen=True, slots=True)
class UsageTrend:
    """An account's usage as the rules need it (`store.usage.usage_query`, one query for any
    number of accounts): the latest reading, the latest one 30 and 90 days back, and the
    escalations of the readings inside the last 30 days."""

    latest: UsagePoint
    month_ago: UsagePoint | None = None
    quarter_ago: UsagePoint | None = None
    escalations_30_days: int = 0


@dataclass(frozen=True, slots=True)
class SavePlanStatus:
    """An account's current save plan as the card and the digests read it: its steps (internal
    tasks, cancelled ones apart) and how many are done (`store.save_plans.save_plan_query`,
    one query for any number of accounts)."""

    id: int
    steps: int
    done: int
    churn_probability: Level
    difficulty: Level
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What the rules need about one account, loaded in a fixed number of queries."""

    account: AccountRow
    stakeholders: tuple[PersonRow, ...]
    open_actions: tuple[ItemRow, ...]
    last_map_activity: date | None
    override: Override | None = None
    """The account's uncleared override, if any (expired or not: the rules look at the day)."""
    usage: UsageTrend | None = None
    """Its usage readings as the rules read them; None without a recent reading."""
    open_tasks: tuple[ItemRow, ...] = ()
    """Its open internal tasks (an owner on our side only), apart from the mutual action plan."""
    save_plan: SavePlanStatus | None = None
    """Its current save plan, if one was saved."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The rules' verdict on an account, and the band shown (an owner's override in force)."""

    band: Band
    signals: tuple[Signal, ...]
    threads: tuple[PersonRow, ...]
    """The live contacts: active, not negative, contacted within the recent-contact window."""
    expansion_play: Signal | None = None
    renewal_days: int | None = None
    at_stake: Decimal = Decimal("0")
    """The ARR at stake: an account shown red or yellow whose renewal is open inside its
    window (0 otherwise): the risk order's first key."""
    risk_score: int = field(default=0)
    rules_band: Band = Band.GREEN
    override: Override | None = None
    """The override in force (the band shown is its band)."""
    renewal_window: int = 90
    renewal_stage: RenewalStage = RenewalStage.NOT_STARTED
    threads_needed: int = 3
    override_note: str = ""
    first_move: str = ""
    """With an open renewal and one risk: what to do first (`close “Order form”`)."""

    @property
    def in_window(self) -> bool:
        """The renewal is inside its segment's window (today up to the window's last day)."""
        days = self.renewal_days
        return days is not None and 0 <= days <= self.renewal_window

    @property
    def renewal_open(self) -> bool:
        """Inside the window and not signed yet: the renewal is what to work on."""
        return self.in_window and self.renewal_stage is not RenewalStage.SIGNED

    @property
    def rule_reasons(self) -> tuple[str, ...]:
        """The rules' reasons, most severe first (an open renewal's urgency included)."""
        return tuple(
            s.reason for s in self.signals if s.severity in _WEIGHING or s.kind in RENEWAL_KINDS
        )

    @property
    def reasons(self) -> tuple[str, ...]:
        """The band's reasons: an override in force first, saying so, then the rules'."""
        note = (self.override_note,) if self.override_note else ()
        return note + self.rule_reasons

    @property
    def weighing_kinds(self) -> tuple[SignalKind, ...]:
        """The risk and critical signals behind the band (an open renewal's urgency apart):
        what a digest remembers, to say next week which appeared and which cleared."""
        return tuple(
            s.kind for s in self.signals if s.severity in _WEIGHING and s.kind not in RENEWAL_KINDS
        )

    @property
    def risks(self) -> int:
        """How many risk or critical signals hold (an open renewal's own urgency apart)."""
        return sum(s.severity in _WEIGHING and s.kind not in RENEWAL_KINDS for s in self.signals)

    @property
    def none_booked(self) -> Signal | None:
        """The watch on the next touch (`SignalKind.NONE_BOOKED`), when it holds."""
        return next((s for s in self.signals if s.kind is SignalKind.NONE_BOOKED), None)

    def of(self, severity: Severity) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.severity is severity)


_WEIGHING = (Severity.CRITICAL, Severity.RISK)


def days_since(day: date | None, today: date) -> int | None:
    return None if day is None else (today - day).days


def is_thread(person: PersonRow, *, today: date, thresholds: Thresholds) -> bool:
    """A live contact: active, recently contacted, not hostile."""
    since = days_since(person.last_contacted_on, today)
    return (
        person.status is StakeholderStatus.ACTIVE
        and since is not None
        and since <= thresholds.recent_contact_days
        and person.sentiment is not Sentiment.NEGATIVE
    )


def override_in_force(override: Override | None, today: date) -> Override | None:
    """The override while it holds: through its expiry date, not after."""
    return override if override is not None and override.expires_on >= today else None


def assess(snapshot: AccountSnapshot, *, today: date, thresholds: Thresholds) -> Assessment:
    """Run every rule over one account and derive its band (and the band shown)."""
    account = snapshot.account
    segment = account.segment
    census = _census(snapshot.stakeholders, today=today, thresholds=thresholds)
    window = thresholds.renewal_window(segment)
    renewal_days = None if account.renewal_date is None else (account.renewal_date - today).days
    stage = account.renewal_stage or RenewalStage.NOT_STARTED
    renewal_open = (
        renewal_days is not None
        and 0 <= renewal_days <= window
        and stage is not RenewalStage.SIGNED
    )
    needed = thresholds.threads_needed(segment)
    signals = _one_voice_per_person(
        [
            *_presence_signals(census, today=today, thresholds=thresholds),
            *_relationship_signals(
                census, renewal_open=renewal_open, needed=needed, thresholds=thresholds
            ),
            *_sponsor_watch(census, watched=thresholds.sponsor_watched(segment)),
            *_level_watch(census),
            *_map_freshness_signals(snapshot, census, today=today, thresholds=thresholds),
            *_plan_signals(snapshot.open_actions, today=today, thresholds=thresholds),
            *_task_signals(snapshot.open_tasks, today=today),
            *_next_touch_signals(
                snapshot.open_actions,
                census,
                renewal_open=renewal_open,
                today=today,
                thresholds=thresholds,
            ),
            *_seat_signals(account, thresholds=thresholds),
            *usage_signals(snapshot.usage, today=today, thresholds=thresholds),
        ],
        census,
        needed=needed,
        today=today,
    )
    first = ""
    if renewal_days is not None and 0 <= renewal_days <= window:
        weighing = [s for s in signals if s.severity in _WEIGHING]
        if renewal_open and len(weighing) == 1:
            first = _first_move(weighing[0], census, snapshot.open_actions, today)
        signals.insert(0, _renewal_signal(account, renewal_days, weighing, first, today=today))
    rules_band = band_for(signals)
    override = override_in_force(snapshot.override, today)
    band = override.band if override is not None else rules_band
    if band is Band.RED and snapshot.save_plan is None:
        signals.append(_no_save_plan())
    expansion = next((s for s in signals if s.kind is SignalKind.EXPANSION_SEATS), None)
    play = None
    if (
        expansion is not None
        and band is Band.GREEN
        and rules_band is not Band.RED
        and not renewal_open
    ):
        play = _expansion_play(expansion, census.active, today=today, thresholds=thresholds)
    ordered = tuple(sorted(signals, key=_shown_order))
    note = ""
    if override is not None:
        note = (
            f"{override.band.value} by override until {day(override.expires_on, today)} "
            f"(rules: {rules_band.value}): {override.reason}"
        )
    return Assessment(
        band=band,
        signals=ordered,
        threads=tuple(census.threads),
        expansion_play=play,
        renewal_days=renewal_days,
        at_stake=account.arr if band is not Band.GREEN and renewal_open else Decimal("0"),
        risk_score=_risk_score(ordered, band),
        rules_band=rules_band,
        override=override,
        renewal_window=window,
        renewal_stage=stage,
        threads_needed=needed,
        override_note=note,
        first_move=first,
    )


def band_for(signals: Sequence[Signal]) -> Band:
    """Red: any critical signal, or three or more risks. Yellow: one or two risks. Else green.

    (An open renewal with two or more risks is itself a critical signal: see `_renewal_signal`.)
    """
    if any(s.severity is Severity.CRITICAL for s in signals):
        return Band.RED
    risks = sum(s.severity is Severity.RISK for s in signals)
    if risks >= 3:
        return Band.RED
    return Band.YELLOW if risks else Band.GREEN


_SEVERITY_ORDER = {
    Severity.CRITICAL: 0,
    Severity.RISK: 1,
    Severity.WATCH: 2,
    Severity.OPPORTUNITY: 3,
}


def _shown_order(signal: Signal) -> float:
    """Most severe first; an open renewal's urgency right after the critical signals."""
    if signal.kind in RENEWAL_KINDS and signal.severity is not Severity.CRITICAL:
        return 0.5
    return _SEVERITY_ORDER[signal.severity]


def _risk_score(signals: Sequence[Signal], band: Band) -> int:
    """Severity as one number: the band, then the weight of what fires."""
    weights = {
        Severity.CRITICAL: 100,
        Severity.RISK: 10,
        Severity.WATCH: 1,
        Severity.OPPORTUNITY: 0,
    }
    base = {Band.RED: 10_000, Band.YELLOW: 1_000, Band.GREEN: 0}[band]
    return base + sum(weights[s.severity] for s in signals)


T = TypeVar("T")


def risk_order_key(account: AccountRow, assessment: Assessment) -> tuple[object, ...]:
    """The one risk order (`RISK_ORDER`): ARR at stake first (red or yellow, renewal open
    inside its window), then how soon it renews (no date or a date passed last), then severity
    (band, then the weight of what fires), then the name."""
    days = assessment.renewal_days
    soon = days if days is not None and days >= 0 else 10**6
    return (-assessment.at_stake, soon, -assessment.risk_score, account.name_key)


def riskiest_first(
    items: Iterable[T], *, pick: Callable[[T], tuple[AccountRow, Assessment]]
) -> list[T]:
    """Accounts (or anything holding one and its assessment) in the one risk order."""
    return sorted(items, key=lambda item: risk_order_key(*pick(item)))


def _names(people: Sequence[PersonRow]) -> tuple[str, ...]:
    return tuple(p.name for p in people)


def _listed(names: Sequence[str]) -> str:
    """`Ana`, `Ana and Ben`, `Ana, Ben and Cy`."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _titled(person: PersonRow) -> str:
    return f"{person.name} ({person.title})" if person.title else person.name


@dataclass(slots=True)
class _Census:
    """One pass over an account's people: everything the relationship rules count."""

    active: list[PersonRow] = field(default_factory=list)
    threads: list[PersonRow] = field(default_factory=list)
    by_role: dict[Role, list[PersonRow]] = field(default_factory=dict)
    departed: dict[Role, list[PersonRow]] = field(default_factory=dict)
    detractors: list[PersonRow] = field(default_factory=list)
    no_recent_contact: list[tuple[PersonRow, int | None]] = field(default_factory=list)
    last_contact: PersonRow | None = None
    gone_dark: bool = False
    """People on the map, and none contacted within the gone-dark window (or ever)."""

    def holding(self, role: Role) -> list[PersonRow]:
        return self.by_role.get(role, [])


def _census(people: Sequence[PersonRow], *, today: date, thresholds: Thresholds) -> _Census:
    """One pass over an account's people (the lists run it for every person of an owner's
    portfolio: the lists are built from local names and one date comparison per person)."""
    census = _Census()
    active, threads, by_role, departed = (
        census.active,
        census.threads,
        census.by_role,
        census.departed,
    )
    detractors, quiet = census.detractors, census.no_recent_contact
    recent_since = today - timedelta(days=thresholds.recent_contact_days)  # within the window
    last: PersonRow | None = None
    last_on: date | None = None
    for person in people:
        role = person.role
        if person.status is not StakeholderStatus.ACTIVE:
            gone = departed.get(role)
            if gone is None:
                departed[role] = [person]
            else:
                gone.append(person)
            continue
        active.append(person)
        holding = by_role.get(role)
        if holding is None:
            by_role[role] = [person]
        else:
            holding.append(person)
        contacted = person.last_contacted_on
        if contacted is None:
            if role in KEY_ROLES:
                quiet.append((person, None))
        else:
            if last_on is None or contacted > last_on:
                last, last_on = person, contacted
            if contacted >= recent_since:
                if person.sentiment is not Sentiment.NEGATIVE:
                    threads.append(person)
            elif role in KEY_ROLES:
                quiet.append((person, (today - contacted).days))
        if role is Role.DETRACTOR and person.influence is Influence.HIGH:
            detractors.append(person)
    census.last_contact = last
    census.gone_dark = bool(active) and (
        last_on is None or (today - last_on).days >= thresholds.gone_dark_days
    )
    return census


def _presence_signals(census: _Census, *, today: date, thresholds: Thresholds) -> list[Signal]:
    """The critical ones: nobody on the map, nobody heard from, a key person gone unreplaced."""
    if not census.active:
        return [
            Signal(
                SignalKind.NO_STAKEHOLDERS, Severity.CRITICAL, "no active stakeholders on the map"
            )
        ]
    signals = []
    last = census.last_contact
    if census.gone_dark:
        since = days_since(last.last_contacted_on, today) if last is not None else None
        evidence = (
            "nobody on the map has been contacted"
            if last is None or since is None
            else f"last contact {plural(since, 'day')} ago, with {last.name}"
        )
        dark = thresholds.gone_dark_days
        signals.append(
            Signal(
                SignalKind.GONE_DARK,
                Severity.CRITICAL,
                f"gone dark: no contact with anyone in {plural(dark, 'day')}",
                evidence,
            )
        )
    for role, kind in (
        (Role.CHAMPION, SignalKind.CHAMPION_DEPARTED),
        (Role.EXECUTIVE_SPONSOR, SignalKind.SPONSOR_DEPARTED),
    ):
        gone = census.departed.get(role, [])
        if gone and not census.holding(role):
            left = "; ".join(
                f"{p.name} left"
                + (f" {days_from(p.departed_on, today)}" if p.departed_on else "")
                + (f", now at {p.left_for_company}" if p.left_for_company else "")
                for p in gone[-3:]
            )
            signals.append(
                Signal(
                    kind,
                    Severity.CRITICAL,
                    f"{ROLE_WORDS[role]} departed with no successor",
                    left,
                    _names(gone),
                )
            )
    return signals


def _relationship_signals(
    census: _Census, *, renewal_open: bool, needed: int, thresholds: Thresholds
) -> list[Signal]:
    signals: list[Signal] = []
    if not census.active:
        return signals
    for role, kind in (
        (Role.ECONOMIC_BUYER, SignalKind.NEGATIVE_ECONOMIC_BUYER),
        (Role.CHAMPION, SignalKind.NEGATIVE_CHAMPION),
        (Role.EXECUTIVE_SPONSOR, SignalKind.NEGATIVE_SPONSOR),
    ):
        negative = [p for p in census.holding(role) if p.sentiment is Sentiment.NEGATIVE]
        if not negative:
            continue
        critical = role is Role.ECONOMIC_BUYER and renewal_open
        quiet = dict((p.name, d) for p, d in census.no_recent_contact)
        signals.append(
            Signal(
                kind,
                Severity.CRITICAL if critical else Severity.RISK,
                f"negative {ROLE_WORDS[role]}",
                "; ".join(
                    _titled(p)
                    + (f", {_last_contact_words(quiet[p.name])}" if p.name in quiet else "")
                    for p in negative
                )
                + ("; the renewal is inside its window" if critical else ""),
                _names(negative),
            )
        )
    live = len(census.threads)
    if live < needed:
        target = f"(target {needed})"
        if live == 0:
            reason = f"no live contacts {target}"
            evidence = (
                f"nobody contacted in the last {plural(thresholds.recent_contact_days, 'day')}"
            )
        elif live == 1:
            reason = f"single-threaded: 1 live contact {target}"
            evidence = census.threads[0].name
        else:
            reason = f"thin coverage: {plural(live, 'live contact')} {target}"
            evidence = _listed(_names(census.threads))
        signals.append(
            Signal(
                SignalKind.THIN_COVERAGE, Severity.RISK, reason, evidence, _names(census.threads)
            )
        )
    if not census.holding(Role.CHAMPION) and not census.departed.get(Role.CHAMPION):
        signals.append(Signal(SignalKind.NO_CHAMPION, Severity.RISK, "no champion"))
    if not census.holding(Role.ECONOMIC_BUYER):
        signals.append(
            Signal(SignalKind.NO_ECONOMIC_BUYER, Severity.RISK, "no known economic buyer")
        )
    if census.detractors:
        signals.append(
            Signal(
                SignalKind.HIGH_INFLUENCE_DETRACTOR,
                Severity.RISK,
                "high-influence detractor",
                ", ".join(_titled(p) for p in census.detractors),
                _names(census.detractors),
            )
        )
    return signals


def _sponsor_watch(census: _Census, *, watched: bool) -> list[Signal]:
    """No executive sponsor is worth watching only where the team expects one (by segment)."""
    if not watched or not census.active or census.holding(Role.EXECUTIVE_SPONSOR):
        return []
    if census.departed.get(Role.EXECUTIVE_SPONSOR):
        return []  # a sponsor gone unreplaced is critical already
    return [Signal(SignalKind.NO_EXECUTIVE_SPONSOR, Severity.WATCH, "no executive sponsor")]


THREAD_LEVELS_NEEDED = 3
"""The method wants threads across levels (executive, director, manager, individual
contributor), not only many people: fewer levels reached is watched."""
LEVELS_KNOWN_MIN = 2
"""Fewer active people with a level than this: the levels are unknown, and nothing is said."""


def _level_watch(census: _Census) -> list[Signal]:
    """Threads across fewer than three levels (watch), once levels are known for enough
    people; never guessed from titles."""
    if sum(1 for person in census.active if person.level is not None) < LEVELS_KNOWN_MIN:
        return []
    reached = sorted(
        {p.level for p in census.threads if p.level is not None}, key=_LEVEL_ORDER.index
    )
    if len(reached) >= THREAD_LEVELS_NEEDED:
        return []
    words = f" ({', '.join(label(level).lower() for level in reached)})" if reached else ""
    return [
        Signal(
            SignalKind.NARROW_LEVELS,
            Severity.WATCH,
            "threads at few levels",
            f"threads reach {plural(len(reached), 'level')}{words}; the method wants "
            f"{_COUNT_WORDS.get(THREAD_LEVELS_NEEDED, str(THREAD_LEVELS_NEEDED))}",
        )
    ]


_LEVEL_ORDER = list(OrgLevel)
_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}


def _map_freshness_signals(
    snapshot: AccountSnapshot, census: _Census, *, today: date, thresholds: Thresholds
) -> list[Signal]:
    signals: list[Signal] = []
    idle = days_since(snapshot.last_map_activity, today)
    if idle is not None and idle >= thresholds.stale_map_days and not census.gone_dark:
        signals.append(
            Signal(
                SignalKind.STALE_MAP,
                Severity.RISK,
                "stale map",
                f"nobody added, changed or contacted for {plural(idle, 'day')}",
            )
        )
    if census.no_recent_contact:
        signals.append(_no_recent_contact(census.no_recent_contact))
    return signals


def _last_contact_words(days: int | None) -> str:
    return "never contacted" if days is None else f"last contact {plural(days, 'day')} ago"


def _no_recent_contact(quiet: Sequence[tuple[PersonRow, int | None]], tail: str = "") -> Signal:
    """`no recent contact with the champion` (`Ana, last contact 74 days ago`); with several,
    each with their role (`Ana (champion), …; Raj (economic buyer), never contacted`)."""
    evidence = "; ".join(
        (p.name if len(quiet) == 1 else f"{p.name} ({ROLE_WORDS[p.role]})")
        + f", {_last_contact_words(d)}"
        for p, d in quiet
    )
    reason = (
        f"no recent contact with {plural(len(quiet), 'key person', 'key people')}"
        if len(quiet) > 1
        else f"no recent contact with the {ROLE_WORDS[quiet[0][0].role]}"
    )
    return Signal(
        SignalKind.NO_RECENT_CONTACT,
        Severity.RISK,
        reason,
        evidence + tail,
        tuple(p.name for p, _ in quiet),
    )


def _one_voice_per_person(
    signals: list[Signal], census: _Census, *, needed: int, today: date
) -> list[Signal]:
    """One quiet key person is one cause, said once, by the gravest signal it feeds.

    A champion nobody has called in 95 days would otherwise fire three signals at once (gone
    dark, no recent contact, no live contacts) and count as three risks. The precedence:

    1. *Gone dark* says it all: no recent contact and thin coverage (which gone dark implies:
       nobody contacted for that long is nobody live) fold into it; its evidence names the
       quiet key people, once.
    2. A *negative* champion, economic buyer or sponsor is said by that signal, which says how
       long since their last contact (`_relationship_signals`); they leave *no recent contact*
       (gone when nobody is left).
    3. *Thin coverage* folds into *no recent contact* when reconnecting with the quiet key
       people would reach the target: one conversation fixes both, so one risk, which says what
       coverage it leaves.
    """
    by_kind = {s.kind: s for s in signals}
    quiet = list(census.no_recent_contact)
    dark = by_kind.get(SignalKind.GONE_DARK)
    replaced: dict[SignalKind, Signal | None] = {}
    if dark is not None:
        last = census.last_contact
        others = [p for p, _ in quiet if last is None or p.name != last.name]
        evidence = dark.evidence
        if last is not None and last.role in KEY_ROLES:
            evidence += f" ({ROLE_WORDS[last.role]})"
        if others:
            named = _listed([f"{p.name} ({ROLE_WORDS[p.role]})" for p in others])
            evidence += f", {named} included" if last is None else f"; nor with {named}"
        replaced[SignalKind.GONE_DARK] = Signal(
            dark.kind, dark.severity, dark.reason, evidence, tuple(p.name for p, _ in quiet)
        )
        replaced[SignalKind.NO_RECENT_CONTACT] = None
        replaced[SignalKind.THIN_COVERAGE] = None
    else:
        negative = {
            kind: by_kind[kind]
            for kind in (
                SignalKind.NEGATIVE_ECONOMIC_BUYER,
                SignalKind.NEGATIVE_CHAMPION,
                SignalKind.NEGATIVE_SPONSOR,
            )
            if kind in by_kind
        }
        hostile = {name for said in negative.values() for name in said.people}
        quiet = [(p, d) for p, d in quiet if p.name not in hostile]
        thin = by_kind.get(SignalKind.THIN_COVERAGE)
        tail = ""
        if quiet and thin is not None and len(census.threads) + len(quiet) >= needed:
            live = len(census.threads)
            left = plural(live, "live contact") if live else "no live contacts"
            tail = f"; that leaves {left} (target {needed})"
            replaced[SignalKind.THIN_COVERAGE] = None
        if SignalKind.NO_RECENT_CONTACT in by_kind:
            replaced[SignalKind.NO_RECENT_CONTACT] = (
                _no_recent_contact(quiet, tail) if quiet else None
            )
    folded = [replaced.get(s.kind, s) if s.kind in replaced else s for s in signals]
    return [s for s in folded if s is not None]


def _next_touch_signals(
    actions: Sequence[ItemRow],
    census: _Census,
    *,
    renewal_open: bool,
    today: date,
    thresholds: Thresholds,
) -> list[Signal]:
    """None booked (watch): no open mutual-action item due from today through the next
    `next_touch_days` days, while the renewal is open inside its window (the next meeting
    should be on the calendar) or nobody on the map has been contacted for as long (the
    account is drifting). A recent call with nothing booked yet is normal, and says nothing;
    an empty map or one gone dark says it more gravely."""
    if not census.active or census.gone_dark:
        return []
    horizon = thresholds.next_touch_days
    if any(0 <= (a.due_on - today).days <= horizon for a in actions):
        return []
    last = census.last_contact
    since = None if last is None else days_since(last.last_contacted_on, today)
    drifting = since is None or since > horizon
    if not (renewal_open or drifting):
        return []
    facts = ["the renewal is open"] if renewal_open else []
    if drifting:
        facts.append(
            "nobody contacted yet"
            if since is None
            else f"last contact with anyone {plural(since, 'day')} ago"
        )
    whom = _booking_contact(census)
    return [
        Signal(
            SignalKind.NONE_BOOKED,
            Severity.WATCH,
            f"none booked in the next {plural(horizon, 'day')}",
            "; ".join(facts),
            (whom.name,) if whom is not None else (),
        )
    ]


def _booking_contact(census: _Census) -> PersonRow | None:
    """Whom to book the next touch with: the champion, else the economic buyer, else the
    sponsor (not a negative one), else whoever was contacted last."""
    for role in KEY_ROLES:
        for person in census.holding(role):
            if person.sentiment is not Sentiment.NEGATIVE:
                return person
    return census.last_contact or (census.active[0] if census.active else None)


def _plan_signals(
    actions: Sequence[ItemRow], *, today: date, thresholds: Thresholds
) -> list[Signal]:
    signals: list[Signal] = []
    overdue = sorted((a for a in actions if a.due_on < today), key=lambda a: a.due_on)
    soon = thresholds.action_due_soon_days
    # the next touch (the first item due from today) is said on its own line, not again here
    ahead = sorted((a for a in actions if a.due_on >= today), key=lambda a: a.due_on)
    due_soon = [a for a in ahead[1:] if (a.due_on - today).days <= soon]
    if overdue:
        late = plural((today - overdue[0].due_on).days, "day")
        titles = "; ".join(a.title for a in overdue[:3])
        signals.append(
            Signal(
                SignalKind.ACTIONS_OVERDUE,
                Severity.RISK,
                f"{plural(len(overdue), 'action item')} overdue",
                f"{titles} ({late} overdue)"
                if len(overdue) == 1
                else f"oldest {late} overdue: {titles}",
            )
        )
    if due_soon:
        within = "today" if soon == 0 else f"within {plural(soon, 'day')}"
        signals.append(
            Signal(
                SignalKind.ACTIONS_DUE_SOON,
                Severity.WATCH,
                f"{plural(len(due_soon), 'more action item')} due {within}",
                "; ".join(a.title for a in due_soon[:3]),
            )
        )
    return signals


def _task_signals(tasks: Sequence[ItemRow], *, today: date) -> list[Signal]:
    """Overdue internal tasks (watch): our own work late, said apart from the mutual action
    plan's items (which are commitments to the customer, and a risk when late)."""
    overdue = sorted((t for t in tasks if t.due_on < today), key=lambda t: t.due_on)
    if not overdue:
        return []
    late = plural((today - overdue[0].due_on).days, "day")
    titles = "; ".join(t.title for t in overdue[:3])
    return [
        Signal(
            SignalKind.TASKS_OVERDUE,
            Severity.WATCH,
            f"{plural(len(overdue), 'internal task')} overdue",
            f"{titles} ({late} overdue)"
            if len(overdue) == 1
            else f"oldest {late} overdue: {titles}",
        )
    ]


def _no_save_plan() -> Signal:
    """A red account with no save plan saved: watched (it follows from the band, so it never
    weighs on it), and said until someone writes the plan."""
    return Signal(
        SignalKind.NO_SAVE_PLAN,
        Severity.WATCH,
        "red with no save plan",
        "every red account gets one: the card's Save plan button drafts it from these signals",
    )


def seat_utilisation(account: AccountRow) -> float | None:
    if not account.seats_licensed:
        return None
    return (account.seats_active or 0) / account.seats_licensed


def _seat_signals(account: AccountRow, *, thresholds: Thresholds) -> list[Signal]:
    utilisation = seat_utilisation(account)
    if utilisation is None:
        return []
    evidence = f"{account.seats_active or 0:,} of {account.seats_licensed:,} seats active"
    if utilisation * 100 >= thresholds.expansion_seat_percent:
        return [
            Signal(
                SignalKind.EXPANSION_SEATS,
                Severity.OPPORTUNITY,
                f"seat utilisation {utilisation:.0%}",
                evidence,
            )
        ]
    if utilisation * 100 < thresholds.adoption_risk_seat_percent:
        return [
            Signal(
                SignalKind.ADOPTION_RISK,
                Severity.RISK,
                f"low adoption: {utilisation:.0%} of seats active",
                evidence.removesuffix(" active"),  # the reason says "active" already
            )
        ]
    return []


USAGE_CURRENT_DAYS = 90
"""A latest reading older than this says nothing about adoption or satisfaction now."""
DECLINE_BASE_DAYS = (30, 60)
"""Declining usage compares the latest reading with one taken 30 to 60 days before today."""
SATISFACTION_RISK = Decimal("3.5")
"""Support satisfaction (of 5) under this is a risk (DOMAIN: support sentiment below 3.5)."""


def _decline(before: int | None, now: int | None) -> float | None:
    """The fall from `before` to `now` as a share of `before` (None when not comparable)."""
    if before is None or now is None or before <= 0:
        return None
    return (before - now) / before


def usage_signals(usage: UsageTrend | None, *, today: date, thresholds: Thresholds) -> list[Signal]:
    """The usage rules: active seats or monthly active users down by the team's threshold over
    30 days, core-feature adoption under its threshold, support satisfaction under 3.5 of 5, an
    escalation in the last 30 days. All risks, from readings taken recently enough."""
    if usage is None or (today - usage.latest.read_on).days > USAGE_CURRENT_DAYS:
        return []
    latest, signals = usage.latest, []
    base = usage.month_ago
    if (
        base is not None
        and DECLINE_BASE_DAYS[0] <= (today - base.read_on).days <= DECLINE_BASE_DAYS[1]
    ):
        falls = [
            (what, fall, before, now)
            for what, before, now in (
                ("active seats", base.seats_active, latest.seats_active),
                ("monthly active users", base.monthly_active_users, latest.monthly_active_users),
            )
            if (fall := _decline(before, now)) is not None
            and fall * 100 >= thresholds.usage_decline_percent
        ]
        if falls:
            what, fall, _before, _now = max(falls, key=lambda f: f[1])
            signals.append(
                Signal(
                    SignalKind.DECLINING_USAGE,
                    Severity.RISK,
                    f"declining usage: {what} down {fall:.0%} in 30 days",
                    "; ".join(
                        f"{w} {b:,} on {day(base.read_on, today)}, {n:,} on "
                        f"{day(latest.read_on, today)}"
                        for w, _f, b, n in falls
                    ),
                )
            )
    adoption = latest.adoption_percent
    if adoption is not None and adoption < thresholds.feature_adoption_risk_percent:
        signals.append(
            Signal(
                SignalKind.LOW_FEATURE_ADOPTION,
                Severity.RISK,
                f"core-feature adoption {adoption}%",
                f"under {thresholds.feature_adoption_risk_percent}%, read "
                f"{day(latest.read_on, today)}",
            )
        )
    satisfaction = latest.satisfaction
    if satisfaction is not None and satisfaction < SATISFACTION_RISK:
        signals.append(
            Signal(
                SignalKind.LOW_SATISFACTION,
                Severity.RISK,
                f"support satisfaction {satisfaction:.1f} of 5",
                f"under {SATISFACTION_RISK} of 5, read {day(latest.read_on, today)}",
            )
        )
    if usage.escalations_30_days > 0:
        signals.append(
            Signal(
                SignalKind.ESCALATION,
                Severity.RISK,
                f"{plural(usage.escalations_30_days, 'support escalation')} in the last 30 days",
                f"latest reading {day(latest.read_on, today)}",
            )
        )
    return signals


def stage_words(account: AccountRow, today: date) -> str:
    """`renewal not started`, `proposal sent`, `verbal yes`, `signed 3 Nov`."""
    stage = account.renewal_stage or RenewalStage.NOT_STARTED
    if stage is RenewalStage.SIGNED and account.renewal_signed_on is not None:
        return f"signed {day(account.renewal_signed_on, today)}"
    return STAGE_WORDS[stage]


def _renewal_signal(
    account: AccountRow,
    days: int,
    weighing: Sequence[Signal],
    first: str,
    *,
    today: date,
) -> Signal:
    """The renewal inside its window: signed, watched, or (two or more risks) critical; with
    one risk it says what to do first."""
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {plural(days, 'day')}"
    facts = [f"renews {day(account.renewal_date, today)}", stage_words(account, today)]  # type: ignore[arg-type]
    if account.notice_date is not None:
        facts.append(f"notice by {day(account.notice_date, today)}")
    evidence = "; ".join(facts)
    if account.renewal_stage is RenewalStage.SIGNED:
        return Signal(
            SignalKind.RENEWAL_SIGNED, Severity.WATCH, f"renewal {when}: signed", evidence
        )
    if len(weighing) >= 2:
        return Signal(
            SignalKind.RENEWAL_AT_RISK,
            Severity.CRITICAL,
            f"renewal {when} with {len(weighing)} risks open",
            evidence,
        )
    if len(weighing) == 1:
        return Signal(
            SignalKind.RENEWAL_SOON,
            Severity.WATCH,
            f"renewal {when} with 1 risk open: {first} first",
            evidence,
        )
    return Signal(SignalKind.RENEWAL_SOON, Severity.WATCH, f"renewal {when}", evidence)


def _first_move(signal: Signal, census: _Census, actions: Sequence[ItemRow], today: date) -> str:
    """What to do about one risk, in a few words (`close “Order form”`, `meet Olga Berg`)."""
    named = signal.people[0] if signal.people else ""
    if signal.kind is SignalKind.ACTIONS_OVERDUE:
        late = sorted((a for a in actions if a.due_on < today), key=lambda a: a.due_on)
        return f"close “{late[0].title}”" if len(late) == 1 else "close the overdue items"
    champion = next(iter(_names(census.holding(Role.CHAMPION))), "your champion")
    moves = {
        SignalKind.NO_STAKEHOLDERS: "map the account",
        SignalKind.GONE_DARK: f"call {champion}",
        SignalKind.CHAMPION_DEPARTED: "find the champion's successor",
        SignalKind.SPONSOR_DEPARTED: "find a new executive sponsor",
        SignalKind.NEGATIVE_ECONOMIC_BUYER: f"hear out {named}",
        SignalKind.THIN_COVERAGE: "open another live contact",
        SignalKind.NO_RECENT_CONTACT: f"book time with {named}",
        SignalKind.HIGH_INFLUENCE_DETRACTOR: f"meet {named}",
        SignalKind.NEGATIVE_CHAMPION: f"hear out {named}",
        SignalKind.NEGATIVE_SPONSOR: f"hear out {named}",
        SignalKind.NO_ECONOMIC_BUYER: f"ask {champion} who signs",
        SignalKind.NO_CHAMPION: "find a champion",
        SignalKind.STALE_MAP: "refresh the map",
        SignalKind.ADOPTION_RISK: "book an adoption review",
        SignalKind.DECLINING_USAGE: "find out why usage fell",
        SignalKind.LOW_FEATURE_ADOPTION: "book an enablement session",
        SignalKind.LOW_SATISFACTION: "review the support history",
        SignalKind.ESCALATION: "follow up the escalation",
    }
    return moves.get(signal.kind, signal.reason)


def _expansion_play(
    expansion: Signal, active: Sequence[PersonRow], *, today: date, thresholds: Thresholds
) -> Signal | None:
    """An expansion signal becomes a play only with a key stakeholder who cares, recently heard
    (and only on a green account: yellow stabilises first, red is saved first)."""
    sponsors = [
        p
        for p in active
        if p.role in KEY_ROLES
        and p.sentiment is Sentiment.POSITIVE
        and is_thread(p, today=today, thresholds=thresholds)
    ]
    if not sponsors:
        return None
    return Signal(
        SignalKind.EXPANSION_SEATS,
        Severity.OPPORTUNITY,
        f"expansion: {expansion.reason}",
        f"{expansion.evidence}; positive and in touch: {_listed(_names(sponsors))}",
        _names(sponsors),
    )


# -- next steps ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One concrete next step: what (a call, a meeting, a deliverable), who on our side, by when.
    `overdue` counts the days an item-based step is late."""

    text: str
    owner_user_id: str | None
    due_on: date
    overdue: int = 0


def end_of_week(today: date) -> date:
    """This week's Friday (or the next one, from Saturday)."""
    return today + timedelta(days=(4 - today.weekday()) % 7)


def next_steps(
    snapshot: AccountSnapshot, assessment: Assessment, *, today: date, limit: int = 3
) -> tuple[Step, ...]:
    """The next steps the signals suggest, most urgent first, each with an owner and a date
    (a digest shows the most urgent in date order: `AccountDigest.shown_steps`).

    Critical signals first, then overdue items, then the risks (so with one risk inside the
    renewal window, what to do first leads); then, while the renewal is open, the items due
    soon and the next step toward signature; expansion only when no renewal is open and the
    account is green (yellow gets these as its stabilisation steps, red its save play). Each
    names a person, a meeting or a deliverable, never "strengthen the relationship"."""
    account = snapshot.account
    owner = account.owner_user_id
    kinds = {s.kind: s for s in assessment.signals}
    active = [p for p in snapshot.stakeholders if p.status is StakeholderStatus.ACTIVE]
    by_name = {p.name: p for p in active}
    live = sorted(assessment.threads, key=lambda p: p.last_contacted_on or date.min, reverse=True)
    champion = next((p.name for p in active if p.role is Role.CHAMPION), None)
    buyer = next((p.name for p in active if p.role is Role.ECONOMIC_BUYER), None)
    friday = end_of_week(today)
    later = friday + timedelta(days=7) if not assessment.renewal_open else friday
    steps: list[Step] = []

    def add(text: str, due: date, person: str | None = None) -> None:
        holder = by_name.get(person) if person else None
        who = (holder.relationship_owner_user_id if holder else None) or owner
        steps.append(Step(text, who, due))

    if SignalKind.NO_STAKEHOLDERS in kinds:
        add("Map the account: add the champion and the economic buyer you work with", friday)
    if SignalKind.CHAMPION_DEPARTED in kinds:
        gone = kinds[SignalKind.CHAMPION_DEPARTED].people[-1]
        ask = f": ask {live[0].name} who carries their work now" if live else ""
        add(f"Find a successor to {gone}, the champion who left{ask}", friday)
    if SignalKind.SPONSOR_DEPARTED in kinds:
        gone = kinds[SignalKind.SPONSOR_DEPARTED].people[-1]
        ask = f": ask {champion or live[0].name} who owns this now" if champion or live else ""
        add(f"Find a new executive sponsor to replace {gone}{ask}", friday)
    called: set[str] = set()
    """People a step already names: no second step with them."""
    if SignalKind.NEGATIVE_ECONOMIC_BUYER in kinds:
        for name in kinds[SignalKind.NEGATIVE_ECONOMIC_BUYER].people[:1]:
            called.add(name)
            add(
                f"Hear out the economic buyer {name}, who is negative: book a meeting and bring "
                "the value delivered",
                friday,
                name,
            )
    if SignalKind.GONE_DARK in kinds:
        key = next((p for p in active if p.role in KEY_ROLES), active[0] if active else None)
        if key is not None:
            called.add(key.name)
            add(
                f"Call the {ROLE_WORDS[key.role]} {key.name} this week: nobody on the map has "
                "been heard from in months",
                friday,
                key.name,
            )
    overdue = sorted((a for a in snapshot.open_actions if a.due_on < today), key=lambda a: a.due_on)
    for item in overdue[:2]:
        them = f" with {item.customer_owner_name}" if item.customer_owner_name else ""
        steps.append(
            Step(
                f"Close “{item.title}”{them}",
                item.our_owner_user_id or owner,
                item.due_on,
                (today - item.due_on).days,
            )
        )
    if SignalKind.NO_RECENT_CONTACT in kinds:
        for name in kinds[SignalKind.NO_RECENT_CONTACT].people:
            person = by_name.get(name)
            if person is None or name in called:
                continue
            since = days_since(person.last_contacted_on, today)
            when = (
                "never contacted" if since is None else f"last contact {plural(since, 'day')} ago"
            )
            called.add(name)
            add(f"Book time with the {ROLE_WORDS[person.role]} {name}: {when}", later, name)
    for kind in (SignalKind.NEGATIVE_CHAMPION, SignalKind.NEGATIVE_SPONSOR):
        for name in kinds[kind].people[:1] if kind in kinds else ():
            role = ROLE_WORDS[by_name[name].role] if name in by_name else "contact"
            add(f"Find out what turned the {role} {name} negative: meet them", later, name)
    if SignalKind.HIGH_INFLUENCE_DETRACTOR in kinds:
        name = kinds[SignalKind.HIGH_INFLUENCE_DETRACTOR].people[0]
        add(
            f"Meet {name}, a high-influence detractor: hear the objection before the renewal does",
            later,
            name,
        )
    if SignalKind.THIN_COVERAGE in kinds:
        if live:
            beyond = _listed(_names(live))
            add(f"Add a live contact beyond {beyond}: a decision maker or an end user", later)
        elif active and SignalKind.GONE_DARK not in kinds:
            person = max(active, key=lambda p: p.last_contacted_on or date.min)
            if person.name not in called:  # a step with them already: no second one
                add(
                    f"Reconnect with {person.name}: nobody has been contacted lately",
                    later,
                    person.name,
                )
    if SignalKind.NO_ECONOMIC_BUYER in kinds and active:
        add(
            f"Find out who signs: ask {champion or 'your main contact'} to introduce "
            "the economic buyer",
            later,
        )
    if SignalKind.NO_CHAMPION in kinds and live:
        add(f"Find a champion: who among {_listed(_names(live[:3]))} sells for us inside?", later)
    if SignalKind.ADOPTION_RISK in kinds:
        who = champion or (live[0].name if live else None)
        who = who or next((p.name for p in active if p.sentiment is not Sentiment.NEGATIVE), None)
        who = who or "their main users"
        seats = kinds[SignalKind.ADOPTION_RISK].evidence
        add(
            f"Book an adoption review with {who}: {seats} active",
            later,
        )
    _usage_steps(kinds, add, who=champion or (live[0].name if live else "the customer"), due=later)
    if SignalKind.STALE_MAP in kinds:
        add("Refresh the map: log your latest conversations and who has moved", later)
    if assessment.renewal_open:
        soon = sorted(
            (a for a in snapshot.open_actions if a.due_on >= today), key=lambda a: a.due_on
        )
        for item in soon[:2]:
            them = f" with {item.customer_owner_name}" if item.customer_owner_name else ""
            steps.append(
                Step(f"Close “{item.title}”{them}", item.our_owner_user_id or owner, item.due_on)
            )
        steps.append(signature_step(snapshot, today=today))
    if SignalKind.NONE_BOOKED in kinds and not assessment.renewal_open:
        # (with the renewal open, the step toward signature above is the meeting to book)
        booked = kinds[SignalKind.NONE_BOOKED]
        for name in booked.people[:1]:
            if name in called:
                continue  # a step with them is the next meeting already
            role = f" ({ROLE_WORDS[by_name[name].role]})" if name in by_name else ""
            why = f", {booked.evidence}" if booked.evidence else ""
            add(f"Book the next meeting with {name}{role}: none booked{why}", friday, name)
    if SignalKind.NO_EXECUTIVE_SPONSOR in kinds and (champion or buyer):
        add(
            f"Ask {champion or buyer} to introduce an executive sponsor",
            friday + timedelta(days=14),
        )
    play = assessment.expansion_play
    if play is not None and not assessment.renewal_open and assessment.band is Band.GREEN:
        add(
            f"Explore expansion with {play.people[0]}: {play.reason.removeprefix('expansion: ')}",
            friday + timedelta(days=14),
            play.people[0],
        )
    seen: set[str] = set()
    unique = [s for s in steps if not (s.text in seen or seen.add(s.text))]  # type: ignore[func-returns-value]
    return tuple(unique[:limit])


def _usage_steps(
    kinds: dict[SignalKind, Signal], add: Callable[[str, date], None], *, who: str, due: date
) -> None:
    """A step for each usage signal, with the person to see (the champion, or a live contact)."""
    if SignalKind.DECLINING_USAGE in kinds:
        reason = kinds[SignalKind.DECLINING_USAGE].reason.removeprefix("declining usage: ")
        add(f"Find out with {who} why usage fell ({reason}) and agree a plan to win it back", due)
    if SignalKind.LOW_FEATURE_ADOPTION in kinds:
        reason = kinds[SignalKind.LOW_FEATURE_ADOPTION].reason
        add(f"Book an enablement session on the core features with {who}: {reason}", due)
    if SignalKind.LOW_SATISFACTION in kinds:
        reason = kinds[SignalKind.LOW_SATISFACTION].reason
        add(f"Review the support history with {who} and our support lead: {reason}", due)
    if SignalKind.ESCALATION in kinds:
        reason = kinds[SignalKind.ESCALATION].reason
        add(f"Follow up the escalation with {who} and close it with support: {reason}", due)


def signature_step(snapshot: AccountSnapshot, *, today: date) -> Step:
    """The next step toward signature at the renewal's stage, due before the notice date (the
    card's band line says it for a green account inside its window)."""
    account = snapshot.account
    owner = account.owner_user_id
    friday = end_of_week(today)
    buyer = next(
        (
            p.name
            for p in snapshot.stakeholders
            if p.status is StakeholderStatus.ACTIVE and p.role is Role.ECONOMIC_BUYER
        ),
        None,
    )
    who = buyer or "the economic buyer"
    deadline = account.notice_date or account.renewal_date or friday
    stage = account.renewal_stage or RenewalStage.NOT_STARTED
    if stage is RenewalStage.NOT_STARTED:
        return Step(f"Send the renewal proposal to {who}", owner, min(friday, deadline))
    if stage is RenewalStage.PROPOSAL_SENT:
        due = min(friday + timedelta(days=7), deadline)
        return Step(f"Get a verbal yes on the proposal from {who}", owner, due)
    before = "the notice date" if account.notice_date else "the renewal"
    return Step(
        f"Get the order form signed by {who} before {before}, {day(deadline, today)}",
        owner,
        min(friday + timedelta(days=7), deadline),
    )
