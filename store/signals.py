"""The account-strategy rules: pure functions from an account's stored facts to its signals.

Every signal carries a plain-language reason and its evidence. The health band is derived from
the signals by one transparent rule (see `band_for`), so the card can always say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from store.enums import Influence, Role, Sentiment, StakeholderStatus
from store.models import Account, ActionItem, Stakeholder
from store.settings import Thresholds

KEY_ROLES = (Role.CHAMPION, Role.ECONOMIC_BUYER, Role.EXECUTIVE_SPONSOR)


class Band(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Severity(StrEnum):
    """How much a signal weighs: critical turns the band red, risk counts toward it."""

    CRITICAL = "critical"
    RISK = "risk"
    WATCH = "watch"
    OPPORTUNITY = "opportunity"


class SignalKind(StrEnum):
    SINGLE_THREADED = "single_threaded"
    STALE_MAP = "stale_map"
    KEY_PERSON_UNCONTACTED = "key_person_uncontacted"
    NO_CHAMPION = "no_champion"
    CHAMPION_DEPARTED = "champion_departed"
    NO_ECONOMIC_BUYER = "no_economic_buyer"
    NO_EXECUTIVE_SPONSOR = "no_executive_sponsor"
    HIGH_INFLUENCE_DETRACTOR = "high_influence_detractor"
    NO_STAKEHOLDERS = "no_stakeholders"
    RENEWAL_SOON = "renewal_soon"
    RENEWAL_AT_RISK = "renewal_at_risk"
    ACTIONS_OVERDUE = "actions_overdue"
    ACTIONS_DUE_SOON = "actions_due_soon"
    ADOPTION_RISK = "adoption_risk"
    EXPANSION_SEATS = "expansion_seats"


@dataclass(frozen=True, slots=True)
class Signal:
    kind: SignalKind
    severity: Severity
    reason: str
    evidence: str = ""
    people: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What the rules need about one account, loaded in a fixed number of queries."""

    account: Account
    stakeholders: tuple[Stakeholder, ...]
    open_actions: tuple[ActionItem, ...]
    last_map_activity: date | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """The rules' verdict on an account."""

    band: Band
    signals: tuple[Signal, ...]
    threads: tuple[Stakeholder, ...]
    expansion_play: Signal | None = None
    renewal_days: int | None = None
    at_stake: Decimal = Decimal("0")
    risk_score: int = field(default=0)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The band's reasons, most severe first."""
        weighing = (Severity.CRITICAL, Severity.RISK)
        return tuple(s.reason for s in self.signals if s.severity in weighing)

    def of(self, severity: Severity) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.severity is severity)


def days_since(day: date | None, today: date) -> int | None:
    return None if day is None else (today - day).days


def is_thread(person: Stakeholder, *, today: date, thresholds: Thresholds) -> bool:
    """An active, recently contacted, not hostile relationship."""
    since = days_since(person.last_contacted_on, today)
    return (
        person.status is StakeholderStatus.ACTIVE
        and since is not None
        and since <= thresholds.thread_contact_days
        and person.sentiment is not Sentiment.NEGATIVE
    )


def assess(snapshot: AccountSnapshot, *, today: date, thresholds: Thresholds) -> Assessment:
    """Run every rule over one account and derive its band."""
    census = _census(snapshot.stakeholders, today=today, thresholds=thresholds)
    active, threads = census.active, tuple(census.threads)
    signals = [
        *_relationship_signals(census, thresholds=thresholds),
        *_map_freshness_signals(snapshot, census, today=today, thresholds=thresholds),
        *_plan_signals(snapshot.open_actions, today=today, thresholds=thresholds),
        *_seat_signals(snapshot.account, thresholds=thresholds),
    ]
    account = snapshot.account
    renewal_days = None if account.renewal_date is None else (account.renewal_date - today).days
    risks = [s for s in signals if s.severity in (Severity.CRITICAL, Severity.RISK)]
    if renewal_days is not None and 0 <= renewal_days <= thresholds.renewal_warning_days:
        signals.insert(0, _renewal_signal(account, renewal_days, at_risk=bool(risks)))
    band = band_for(signals)
    expansion = next((s for s in signals if s.kind is SignalKind.EXPANSION_SEATS), None)
    play = None
    if expansion is not None and band is not Band.RED:
        play = _expansion_play(expansion, active, today=today, thresholds=thresholds)
    ordered = tuple(sorted(signals, key=lambda s: _SEVERITY_ORDER[s.severity]))
    return Assessment(
        band=band,
        signals=ordered,
        threads=threads,
        expansion_play=play,
        renewal_days=renewal_days,
        at_stake=account.arr if band is not Band.GREEN else Decimal("0"),
        risk_score=_risk_score(ordered, band),
    )


def band_for(signals: Sequence[Signal]) -> Band:
    """Red: any critical signal, or three or more risks. Yellow: one or two risks. Else green."""
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


def _risk_score(signals: Sequence[Signal], band: Band) -> int:
    """Orders a portfolio riskiest first: band, then the weight of what fires."""
    weights = {
        Severity.CRITICAL: 100,
        Severity.RISK: 10,
        Severity.WATCH: 1,
        Severity.OPPORTUNITY: 0,
    }
    base = {Band.RED: 10_000, Band.YELLOW: 1_000, Band.GREEN: 0}[band]
    return base + sum(weights[s.severity] for s in signals)


def _names(people: Sequence[Stakeholder]) -> tuple[str, ...]:
    return tuple(p.name for p in people)


@dataclass(slots=True)
class _Census:
    """One pass over an account's people: everything the relationship rules count."""

    active: list[Stakeholder] = field(default_factory=list)
    threads: list[Stakeholder] = field(default_factory=list)
    champions: int = 0
    departed_champions: list[Stakeholder] = field(default_factory=list)
    economic_buyer: bool = False
    executive_sponsor: bool = False
    detractors: list[Stakeholder] = field(default_factory=list)
    uncontacted: list[tuple[Stakeholder, int | None]] = field(default_factory=list)


def _census(people: Sequence[Stakeholder], *, today: date, thresholds: Thresholds) -> _Census:
    census = _Census()
    for person in people:
        role = person.role
        if person.status is not StakeholderStatus.ACTIVE:
            if role is Role.CHAMPION:
                census.departed_champions.append(person)
            continue
        census.active.append(person)
        contacted = person.last_contacted_on
        since = None if contacted is None else (today - contacted).days
        if (
            since is not None
            and since <= thresholds.thread_contact_days
            and person.sentiment is not Sentiment.NEGATIVE
        ):
            census.threads.append(person)
        if role is Role.CHAMPION:
            census.champions += 1
        elif role is Role.ECONOMIC_BUYER:
            census.economic_buyer = True
        elif role is Role.EXECUTIVE_SPONSOR:
            census.executive_sponsor = True
        elif role is Role.DETRACTOR and person.influence is Influence.HIGH:
            census.detractors.append(person)
        if role in KEY_ROLES and (since is None or since >= thresholds.key_person_contact_days):
            census.uncontacted.append((person, since))
    return census


def _relationship_signals(census: _Census, *, thresholds: Thresholds) -> list[Signal]:
    signals: list[Signal] = []
    active, threads = census.active, census.threads
    if not active:
        signals.append(
            Signal(
                SignalKind.NO_STAKEHOLDERS, Severity.CRITICAL, "no active stakeholders on the map"
            )
        )
    if len(threads) < thresholds.min_threads:
        holders = ", ".join(_names(threads)) or "nobody"
        signals.append(
            Signal(
                SignalKind.SINGLE_THREADED,
                Severity.RISK,
                "single-threaded",
                f"{len(threads)} of {thresholds.min_threads} relationship threads: {holders}",
                _names(threads),
            )
        )
    departed = census.departed_champions
    if departed and not census.champions:
        signals.append(
            Signal(
                SignalKind.CHAMPION_DEPARTED,
                Severity.CRITICAL,
                "champion departed",
                f"{', '.join(_names(departed))} left; no other champion",
                _names(departed),
            )
        )
    elif not census.champions and active:
        signals.append(Signal(SignalKind.NO_CHAMPION, Severity.RISK, "no champion"))
    if active and not census.economic_buyer:
        signals.append(
            Signal(SignalKind.NO_ECONOMIC_BUYER, Severity.RISK, "no known economic buyer")
        )
    if active and not census.executive_sponsor:
        signals.append(
            Signal(SignalKind.NO_EXECUTIVE_SPONSOR, Severity.WATCH, "no executive sponsor")
        )
    if census.detractors:
        signals.append(
            Signal(
                SignalKind.HIGH_INFLUENCE_DETRACTOR,
                Severity.RISK,
                "high-influence detractor",
                ", ".join(
                    f"{p.name}{f' ({p.title})' if p.title else ''}" for p in census.detractors
                ),
                _names(census.detractors),
            )
        )
    return signals


def _map_freshness_signals(
    snapshot: AccountSnapshot, census: _Census, *, today: date, thresholds: Thresholds
) -> list[Signal]:
    signals: list[Signal] = []
    idle = days_since(snapshot.last_map_activity, today)
    if idle is not None and idle >= thresholds.stale_map_days:
        signals.append(
            Signal(
                SignalKind.STALE_MAP,
                Severity.RISK,
                "stale map",
                f"nobody added, changed or contacted for {idle} days",
            )
        )
    uncontacted = census.uncontacted
    if uncontacted:
        evidence = ", ".join(
            f"{p.name} ({_role_word(p.role)}, {'never contacted' if d is None else f'{d} days'})"
            for p, d in uncontacted
        )
        signals.append(
            Signal(
                SignalKind.KEY_PERSON_UNCONTACTED,
                Severity.RISK,
                "key people uncontacted"
                if len(uncontacted) > 1
                else f"{_role_word(uncontacted[0][0].role)} uncontacted",
                evidence,
                tuple(p.name for p, _ in uncontacted),
            )
        )
    return signals


def _plan_signals(
    actions: Sequence[ActionItem], *, today: date, thresholds: Thresholds
) -> list[Signal]:
    signals: list[Signal] = []
    overdue = [a for a in actions if a.due_on < today]
    due_soon = [
        a for a in actions if 0 <= (a.due_on - today).days <= thresholds.action_due_soon_days
    ]
    if overdue:
        oldest = max((today - a.due_on).days for a in overdue)
        signals.append(
            Signal(
                SignalKind.ACTIONS_OVERDUE,
                Severity.RISK,
                f"{len(overdue)} action item{'s' if len(overdue) != 1 else ''} overdue",
                f"oldest {oldest} days late: " + "; ".join(a.title for a in overdue[:3]),
            )
        )
    if due_soon:
        signals.append(
            Signal(
                SignalKind.ACTIONS_DUE_SOON,
                Severity.WATCH,
                f"{len(due_soon)} action item{'s' if len(due_soon) != 1 else ''} due within "
                f"{thresholds.action_due_soon_days} days",
                "; ".join(a.title for a in due_soon[:3]),
            )
        )
    return signals


def seat_utilisation(account: Account) -> float | None:
    if not account.seats_licensed:
        return None
    return (account.seats_active or 0) / account.seats_licensed


def _seat_signals(account: Account, *, thresholds: Thresholds) -> list[Signal]:
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
                f"low adoption ({utilisation:.0%} of seats)",
                evidence,
            )
        ]
    return []


def _renewal_signal(account: Account, days: int, *, at_risk: bool) -> Signal:
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    evidence = (
        f"{account.currency} {account.arr:,.0f} at stake; renews {account.renewal_date:%-d %b %Y}"
    )
    if at_risk:
        return Signal(SignalKind.RENEWAL_AT_RISK, Severity.CRITICAL, f"renewal {when}", evidence)
    return Signal(SignalKind.RENEWAL_SOON, Severity.WATCH, f"renewal {when}", evidence)


def _expansion_play(
    expansion: Signal, active: Sequence[Stakeholder], *, today: date, thresholds: Thresholds
) -> Signal | None:
    """An expansion signal becomes a play only with a key stakeholder who cares, recently heard."""
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
        f"{expansion.evidence}; who cares: {', '.join(_names(sponsors))}",
        _names(sponsors),
    )


def _role_word(role: Role) -> str:
    return role.value.replace("_", " ")


def next_steps(
    snapshot: AccountSnapshot, assessment: Assessment, *, today: date, limit: int = 3
) -> tuple[str, ...]:
    """Two or three concrete next steps the signals suggest, most urgent first.

    Each names a person, a meeting or a deliverable, never "strengthen the relationship".
    """
    steps: list[str] = []
    kinds = {s.kind: s for s in assessment.signals}
    active = [p for p in snapshot.stakeholders if p.status is StakeholderStatus.ACTIVE]
    by_contact = sorted(
        (p for p in assessment.threads), key=lambda p: p.last_contacted_on or date.min, reverse=True
    )
    if SignalKind.CHAMPION_DEPARTED in kinds:
        gone = kinds[SignalKind.CHAMPION_DEPARTED].people[0]
        ask = f"; ask {by_contact[0].name} who carries their work now" if by_contact else ""
        steps.append(f"Find a new champion to replace {gone}{ask}")
    if SignalKind.RENEWAL_AT_RISK in kinds and assessment.renewal_days is not None:
        steps.append(
            f"Start the renewal save plan now: {assessment.renewal_days} days left "
            f"with {', '.join(r for r in assessment.reasons[1:3]) or 'open risks'}"
        )
    if SignalKind.KEY_PERSON_UNCONTACTED in kinds:
        names = set(kinds[SignalKind.KEY_PERSON_UNCONTACTED].people)
        for person in (p for p in active if p.name in names):
            since = days_since(person.last_contacted_on, today)
            when = "never contacted" if since is None else f"last contact {since} days ago"
            steps.append(f"Book time with the {_role_word(person.role)} {person.name}: {when}")
    overdue = sorted((a for a in snapshot.open_actions if a.due_on < today), key=lambda a: a.due_on)
    for item in overdue[:1]:
        owner = f" with {item.customer_owner_name}" if item.customer_owner_name else ""
        steps.append(f'Close "{item.title}"{owner}: {(today - item.due_on).days} days overdue')
    if SignalKind.HIGH_INFLUENCE_DETRACTOR in kinds:
        steps.append(
            f"Plan a conversation with {kinds[SignalKind.HIGH_INFLUENCE_DETRACTOR].people[0]}, "
            "a high-influence detractor: hear the objection before the renewal does"
        )
    if SignalKind.SINGLE_THREADED in kinds:
        holders = ", ".join(p.name for p in assessment.threads) or "nobody yet"
        steps.append(
            f"Open a new thread: meet someone beyond {holders} (a decision maker or end user)"
        )
    if SignalKind.NO_ECONOMIC_BUYER in kinds:
        steps.append("Find out who signs: ask your champion to introduce the economic buyer")
    if SignalKind.STALE_MAP in kinds:
        steps.append("Refresh the map: log your latest conversations and who has moved")
    if assessment.expansion_play is not None:
        steps.append(
            f"Explore expansion with {assessment.expansion_play.people[0]}: "
            f"{assessment.expansion_play.reason.removeprefix('expansion: ')}"
        )
    return tuple(dict.fromkeys(steps))[:limit]
