"""The expansion hypotheses of one account: a pure rule over what the record knows, as
`store/signals.py` is for risk. No database access: callers fill the input dataclasses below
(the org-coverage and business-event work feeds its departments and events in through the same
shapes), and the same facts always give the same hypotheses in the same order.

A hypothesis is an expansion signal with its evidence, the context that explains it, the timing
that makes it worth raising now, and the stakeholder who cares. Missing any of the last three, it
is an *observation* that says what to find out. Never on a red account (held: save it first); on a
yellow account only observations (stabilise it first)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from store.catalogue import EntryRow, Whitespace
from store.enums import Band, EventKind, OrgLevel, PriceBasis, Role, Sentiment, label
from store.names import name_key
from store.opportunities import MAX_AMOUNT
from store.revenue import Rates
from store.wording import compact_money, dated

SEAT_SHARE = 80
"""Seats used at this share of the licence or more point to more seats (the expansion signal)."""
STRONG_SEAT_SHARE = 90
"""From this share the seat signal is strong."""
SEAT_HEADROOM = 70
"""The seats the seat signal points to: enough for use to sit at this share of the licence."""
CONCENTRATED_SHARE = 70
"""One department holding this share of the active users or more is concentrated usage."""
FRESH_EVENT_DAYS = 90
"""An event this recent is a reason to talk now; older, it is context only."""
VERY_FRESH_DAYS = 30
BUDGET_LEAD_DAYS = 90
"""A fiscal year starting within this many days puts the account in its budget cycle."""
MAX_ESTIMATE = MAX_AMOUNT
"""The largest estimate the record keeps (`expansion_hypothesis.estimate`, 14 digits, as an
opportunity's amount, which it prefills)."""
TOO_LARGE = "too large to be an estimate: check the catalogue's prices"
LARGE_ESTIMATE = Decimal("25000")
"""An estimate from this much (in the reporting currency) is a large revenue potential."""
SEAT_RETURN_POINTS = 5
"""A dismissed seat signal comes back when seat use is this many points (of the licence) over
its measure at dismissal."""
RETURNS = {
    "seats": f"seat use up at least {SEAT_RETURN_POINTS} points over the dismissal's",
    "usage_concentrated": "never on its own: its evidence has no measure yet",
    "departments_not_using": "a different set of departments without the product (a new key)",
    "whitespace_module": "never on its own: the module is named or it is not",
    "new_leader": "a newer event than the one dismissed (a new key)",
    "champion_promoted": "a newer promotion than the one dismissed (a new key)",
    "growth_event": "a newer event than the one dismissed (a new key)",
    "merger_acquisition": "a newer event than the one dismissed (a new key)",
    "regulatory_change": "a newer event than the one dismissed (a new key)",
}
"""When a dismissed hypothesis of each kind comes back (`store.growth.refresh_hypotheses`):
a kind keyed by its event is dismissed for that event only, so a newer one is a new hypothesis."""
UNKNOWN_CONTEXT = "unknown: ask"
HELD_RED = "save it first: the account is red, no expansion talk until it is stable"
HELD_YELLOW = "stabilise it first: the account is yellow"
KEY_LENGTH = 200
"""The longest key the record keeps (`expansion_hypothesis.key`, `opportunity.hypothesis_key`)."""


def bounded_key(key: str) -> str:
    """A hypothesis's key as stored: itself, or, past `KEY_LENGTH` (idle departments' names,
    thirty of up to 80 characters), its start and a digest of the whole, so one long key never
    stops a team's refresh and the same facts still give the same key."""
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: KEY_LENGTH - len(digest) - 1]}~{digest}"


CARING_ROLES = (
    Role.ECONOMIC_BUYER,
    Role.EXECUTIVE_SPONSOR,
    Role.CHAMPION,
    Role.DECISION_MAKER,
    Role.INFLUENCER,
)
"""Who may carry an expansion, most senior first."""


class HypothesisKind(StrEnum):
    SEATS = "seats"
    USAGE_CONCENTRATED = "usage_concentrated"
    DEPARTMENTS_NOT_USING = "departments_not_using"
    WHITESPACE_MODULE = "whitespace_module"
    NEW_LEADER = "new_leader"
    CHAMPION_PROMOTED = "champion_promoted"
    GROWTH_EVENT = "growth_event"
    MERGER_ACQUISITION = "merger_acquisition"
    REGULATORY_CHANGE = "regulatory_change"


class Readiness(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


EVENT_HYPOTHESIS = {
    EventKind.FUNDING: HypothesisKind.GROWTH_EVENT,
    EventKind.NEW_OFFICE: HypothesisKind.GROWTH_EVENT,
    EventKind.HEADCOUNT_GROWTH: HypothesisKind.GROWTH_EVENT,
    EventKind.ACQUISITION: HypothesisKind.MERGER_ACQUISITION,
    EventKind.NEW_LEADER: HypothesisKind.NEW_LEADER,
    EventKind.REGULATORY: HypothesisKind.REGULATORY_CHANGE,
}
"""Events that are a hypothesis of their own (a reorganisation is context only)."""

FORMULAS = {
    HypothesisKind.SEATS: "per-seat price x seats needed for use to sit at 70% of the licence",
    HypothesisKind.USAGE_CONCENTRATED: "none: concentration names no seats",
    HypothesisKind.DEPARTMENTS_NOT_USING: "per-seat price x the headcount of those departments",
    HypothesisKind.WHITESPACE_MODULE: "the module's list price: per seat x seats licensed, flat",
    HypothesisKind.NEW_LEADER: "per-unit or per-seat price x the units the event names",
    HypothesisKind.CHAMPION_PROMOTED: "none: a promotion brings reach, not volume",
    HypothesisKind.GROWTH_EVENT: "per-unit or per-seat price x the units the event names",
    HypothesisKind.MERGER_ACQUISITION: "per-unit or per-seat price x the units the event names",
    HypothesisKind.REGULATORY_CHANGE: "per-unit or per-seat price x the units the event names",
}
"""How each kind estimates ARR: said with every estimate, never an invented number."""

ANGLES = {
    HypothesisKind.SEATS: "Keep {name}'s growing teams working without waiting for a seat",
    HypothesisKind.USAGE_CONCENTRATED: "Bring the results {top} gets to the rest of {name}",
    HypothesisKind.DEPARTMENTS_NOT_USING: "Show {subject} what the teams already using it gained",
    HypothesisKind.WHITESPACE_MODULE: "Solve what {subject} addresses for {name}",
    HypothesisKind.NEW_LEADER: "Help {name}'s new leader land their first wins quickly",
    HypothesisKind.CHAMPION_PROMOTED: "Help {subject} succeed in the new role with what works",
    HypothesisKind.GROWTH_EVENT: "Make {name}'s growth smooth: the new people productive at once",
    HypothesisKind.MERGER_ACQUISITION: "Bring the acquired teams onto what already works at {name}",
    HypothesisKind.REGULATORY_CHANGE: "Help {name} meet the new rules with less effort and risk",
}
"""The outreach angle: the customer's outcome first, the product after."""

KIND_ORDER = {kind: i for i, kind in enumerate(HypothesisKind)}


# -- input ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """A stakeholder as the engine reads them; `level` (executive, director, ...) when known."""

    name: str
    role: Role
    sentiment: Sentiment
    last_contacted_on: date | None
    level: OrgLevel | None = None


@dataclass(frozen=True, slots=True)
class BusinessEvent:
    kind: EventKind
    on: date
    note: str = ""
    units: int | None = None
    """The units (people, offices, entities) the event names, when it names any."""


@dataclass(frozen=True, slots=True)
class Promotion:
    """A champion or sponsor whose title changed while active (from the map's history)."""

    name: str
    old_title: str | None
    new_title: str
    on: date


@dataclass(frozen=True, slots=True)
class DepartmentUsage:
    """Active users of one department (from usage readings that carry a department)."""

    department: str
    active_users: int


@dataclass(frozen=True, slots=True)
class Department:
    """A department of the account, whether it uses the product, its headcount when known."""

    name: str
    uses_product: bool
    headcount: int | None = None


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """Everything the engine reads of one account. The optional parts are None when unknown
    (never guessed): usage by department, the account's departments, the customer's fiscal
    year's first month (its budget cycle; None: timing from renewal and events only)."""

    account_id: int
    name: str
    band: Band
    seats_licensed: int | None
    seats_active: int | None
    renewal_date: date | None
    products_in_use: Sequence[EntryRow] = ()
    whitespace: Sequence[Whitespace] = ()
    people: Sequence[Person] = ()
    events: Sequence[BusinessEvent] = ()
    promotions: Sequence[Promotion] = ()
    usage_by_department: Sequence[DepartmentUsage] | None = None
    departments: Sequence[Department] | None = None
    notes: Sequence[str] = ()
    """Free text the team wrote about the account (stakeholder notes): evidence for a module."""
    fiscal_year_start_month: int | None = None


@dataclass(frozen=True, slots=True)
class Setting:
    """The team's side: today, the recent-contact (stale) window, the renewal window of the
    account's segment, and the reporting currency with its rates."""

    today: date
    recent_contact_days: int = 60
    renewal_window_days: int = 120
    rates: Rates = field(default_factory=Rates)


# -- output -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """ARR in the reporting currency, or why there is none; with the kind's formula."""

    amount: Decimal | None
    currency: str
    formula: str
    why_none: str | None = None

    def words(self) -> str:
        if self.amount is None:
            return f"no estimate ({self.why_none})"
        return f"{compact_money(self.amount, self.currency)} ARR ({self.formula})"


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """One expansion signal read whole. `key` with `kind` names it stably (what a dismissal or
    an opportunity points back to). An observation (`observation`) lacks context, timing or a
    stakeholder, or sits on a yellow account: `find_out` says what is missing."""

    kind: HypothesisKind
    key: str
    evidence: str
    context: str
    timing: str | None
    stakeholder: str | None
    estimate: Estimate
    readiness: Readiness
    angle: str
    score: int
    score_explained: str
    observation: bool
    find_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Expansion:
    """An account's hypotheses and observations, best first; or why it is held (red)."""

    hypotheses: tuple[Hypothesis, ...]
    observations: tuple[Hypothesis, ...]
    held: str | None = None


# -- the rule ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Signal:
    kind: HypothesisKind
    key: str
    evidence: str
    strength: int
    estimate: Estimate
    subject: str = ""
    context: str | None = None
    fresh_on: date | None = None
    cares: str | None = None


def expansion(facts: AccountFacts, setting: Setting) -> Expansion:
    """The account's expansion hypotheses, ranked by score (evidence strength x revenue
    potential x timing), then estimate, kind and key."""
    if facts.band is Band.RED:
        return Expansion((), (), held=HELD_RED)
    signals = [
        *_seats(facts, setting),
        *_concentration(facts, setting),
        *_departments(facts, setting),
        *_modules(facts, setting),
        *_events(facts, setting),
        *_promotions(facts, setting),
    ]
    read = [_read(signal, facts, setting) for signal in signals]
    ranked = sorted(read, key=_rank)
    return Expansion(
        hypotheses=tuple(h for h in ranked if not h.observation),
        observations=tuple(h for h in ranked if h.observation),
        held=HELD_YELLOW if facts.band is Band.YELLOW and ranked else None,
    )


def _rank(h: Hypothesis) -> tuple[int, Decimal, int, str]:
    amount = h.estimate.amount if h.estimate.amount is not None else Decimal(-1)
    return (-h.score, -amount, KIND_ORDER[h.kind], h.key)


def _read(signal: _Signal, facts: AccountFacts, setting: Setting) -> Hypothesis:
    timing, timing_factor = _timing(signal, facts, setting)
    stakeholder = signal.cares or _who_cares(facts.people, setting)
    context = signal.context or _context(facts, setting)
    potential, potential_words = _potential(signal.estimate)
    score = signal.strength * potential * timing_factor
    explained = (
        f"{score} of {MAX_SCORE} = evidence {signal.strength} ({_STRENGTH[signal.strength]})"
        f" x revenue {potential} ({potential_words}) x timing {timing_factor}"
        f" ({_PRESSING[timing_factor]})"
    )
    find_out = []
    if context is None:
        find_out.append("why it is happening: ask")
    if timing is None:
        find_out.append("why now: the budget cycle or a coming decision")
    if stakeholder is None:
        find_out.append("who cares: a positive champion, buyer or sponsor in touch")
    if facts.band is Band.YELLOW:
        find_out.append(HELD_YELLOW)
    observation = bool(find_out)
    readiness = Readiness.LOW if observation else _readiness(score)
    top = facts.usage_by_department[0].department if facts.usage_by_department else ""
    return Hypothesis(
        kind=signal.kind,
        key=bounded_key(signal.key),
        evidence=signal.evidence,
        context=context or UNKNOWN_CONTEXT,
        timing=timing,
        stakeholder=stakeholder,
        estimate=signal.estimate,
        readiness=readiness,
        angle=ANGLES[signal.kind].format(name=facts.name, subject=signal.subject, top=top),
        score=score,
        score_explained=explained,
        observation=observation,
        find_out=tuple(find_out),
    )


_STRENGTH = {1: "weak", 2: "clear", 3: "strong"}


def _readiness(score: int) -> Readiness:
    if score >= 18:
        return Readiness.HIGH
    if score >= 8:
        return Readiness.MEDIUM
    return Readiness.LOW


MAX_SCORE = 27
"""Evidence, revenue and timing are each 1 to 3: a score is out of 27."""
_PRESSING = {3: "pressing", 2: "soon", 1: "nothing says now"}
"""The timing factor in words (its reasons are the hypothesis's timing, said once)."""


def _potential(estimate: Estimate) -> tuple[int, str]:
    if estimate.amount is None:
        return 1, "no estimate"
    money = compact_money(estimate.amount, estimate.currency)
    if estimate.amount >= LARGE_ESTIMATE:
        return 3, f"{money}, large"
    return 2, money


def _timing(signal: _Signal, facts: AccountFacts, setting: Setting) -> tuple[str | None, int]:
    """Why now, and how pressing (3: a renewal in its window or an event of the last 30 days;
    2: the budget cycle or an event of the last 90 days); None with 1 when nothing says now."""
    today = setting.today
    reasons: list[tuple[int, str]] = []
    renewal = facts.renewal_date
    if renewal is not None and today <= renewal <= today + timedelta(setting.renewal_window_days):
        reasons.append((3, f"renewal {dated(renewal, today)}"))
    fresh = [signal.fresh_on] if signal.fresh_on else [e.on for e in facts.events]
    recent = [on for on in fresh if on <= today and (today - on).days <= FRESH_EVENT_DAYS]
    if recent:
        latest = max(recent)
        pressing = 3 if (today - latest).days <= VERY_FRESH_DAYS else 2
        reasons.append((pressing, f"fresh: {dated(latest, today)}"))
    month = facts.fiscal_year_start_month
    if month is not None:
        start = date(today.year, month, 1)
        if start < today:
            start = date(today.year + 1, month, 1)
        if (start - today).days <= BUDGET_LEAD_DAYS:
            reasons.append((2, f"budget cycle: the fiscal year starts {dated(start, today)}"))
    if not reasons:
        return None, 1
    reasons.sort(key=lambda r: -r[0])
    return "; ".join(words for _, words in reasons), reasons[0][0]


def _in_touch(person: Person, setting: Setting) -> bool:
    last = person.last_contacted_on
    return (
        person.sentiment is Sentiment.POSITIVE
        and last is not None
        and (setting.today - last).days <= setting.recent_contact_days
    )


def _who_cares(people: Sequence[Person], setting: Setting) -> str | None:
    """The most senior positive stakeholder in touch (by role, then latest contact, then name)."""
    fit = [p for p in people if p.role in CARING_ROLES and _in_touch(p, setting)]
    if not fit:
        return None
    best = min(
        fit,
        key=lambda p: (
            CARING_ROLES.index(p.role),
            -(p.last_contacted_on or date.min).toordinal(),
            name_key(p.name),
        ),
    )
    return f"{best.name} ({best.role.value.replace('_', ' ')})"


def event_words(kind: EventKind) -> str:
    """An event's kind in a sentence, as the record's forms word it: `regulatory change`."""
    words = label(kind)
    return words[:1].lower() + words[1:]


def who_cares(people: Sequence[Person], setting: Setting) -> str | None:
    """The stakeholder who cares about a stored hypothesis, by the engine's rule (the weekly
    digest names them beside it; a promotion's, never high, is the promoted person)."""
    return _who_cares(people, setting)


def _context(facts: AccountFacts, setting: Setting) -> str | None:
    """Why it is happening, from the latest event with a note (none: ask)."""
    noted = [e for e in facts.events if e.note.strip() and e.on <= setting.today]
    if not noted:
        return None
    latest = max(noted, key=lambda e: (e.on, e.kind.value))
    return f"{event_words(latest.kind)} {dated(latest.on, setting.today)}: {latest.note}"


def _convert(amount: Decimal, currency: str, rates: Rates, formula: str) -> Estimate:
    """The estimate in the reporting currency; past what the record keeps (`MAX_ESTIMATE`: a
    careless price times millions of seats), none, saying why, never a figure no deal holds."""
    if currency != rates.currency and currency not in rates.rates:
        return Estimate(None, rates.currency, formula, f"no rate for {currency}")
    converted = rates.convert(amount, currency).quantize(Decimal("0.01"))
    if converted > MAX_ESTIMATE:
        return Estimate(None, rates.currency, formula, TOO_LARGE)
    return Estimate(converted, rates.currency, formula)


def _priced(entries: Sequence[EntryRow], bases: tuple[PriceBasis, ...]) -> EntryRow | None:
    """The product in use priced on one of `bases` (the dearest, then by name): what more seats or
    units of this account would be bought at."""
    fit = [e for e in entries if e.list_price is not None and e.price_basis in bases]
    if not fit:
        return None
    return min(fit, key=lambda e: (-(e.list_price or 0), name_key(e.name)))


def _times(
    entries: Sequence[EntryRow],
    units: int | None,
    bases: tuple[PriceBasis, ...],
    rates: Rates,
    formula: str,
    no_units: str,
) -> Estimate:
    entry = _priced(entries, bases)
    if entry is None or entry.list_price is None:
        return Estimate(None, rates.currency, formula, "no price in the catalogue")
    if not units:
        return Estimate(None, rates.currency, formula, no_units)
    return _convert(entry.list_price * units, entry.currency, rates, formula)


def _seats(facts: AccountFacts, setting: Setting) -> list[_Signal]:
    licensed, active = facts.seats_licensed, facts.seats_active
    if not licensed or active is None:
        return []
    share = active * 100 / licensed
    if share < SEAT_SHARE:
        return []
    needed = max(math.ceil(active * 100 / SEAT_HEADROOM) - licensed, 0)
    formula = FORMULAS[HypothesisKind.SEATS]
    estimate = _times(
        facts.products_in_use,
        needed,
        (PriceBasis.PER_SEAT,),
        setting.rates,
        formula,
        "no seats needed",
    )
    return [
        _Signal(
            HypothesisKind.SEATS,
            "seats",
            f"{active} of {licensed} seats active ({share:.0f}% of the licence);"
            f" {needed} more seats keep use at {SEAT_HEADROOM}%",
            3 if share >= STRONG_SEAT_SHARE else 2,
            estimate,
        )
    ]


def _concentration(facts: AccountFacts, setting: Setting) -> list[_Signal]:
    usage = facts.usage_by_department
    if not usage or len(usage) < 2:
        return []
    total = sum(u.active_users for u in usage)
    if total <= 0:
        return []
    top = max(usage, key=lambda u: (u.active_users, name_key(u.department)))
    share = top.active_users * 100 / total
    if share < CONCENTRATED_SHARE:
        return []
    formula = FORMULAS[HypothesisKind.USAGE_CONCENTRATED]
    return [
        _Signal(
            HypothesisKind.USAGE_CONCENTRATED,
            f"concentrated:{name_key(top.department)}",
            f"{top.department} has {top.active_users} of {total} active users ({share:.0f}%)"
            f" across {len(usage)} departments",
            2,
            Estimate(None, setting.rates.currency, formula, "concentration names no seats"),
            subject=top.department,
        )
    ]


def _departments(facts: AccountFacts, setting: Setting) -> list[_Signal]:
    known = facts.departments
    if not known:
        return []
    idle = sorted((d for d in known if not d.uses_product), key=lambda d: name_key(d.name))
    using = [d for d in known if d.uses_product]
    if not idle or not using:
        return []
    names = ", ".join(d.name for d in idle)
    counted = [d.headcount for d in idle if d.headcount]
    formula = FORMULAS[HypothesisKind.DEPARTMENTS_NOT_USING]
    if len(counted) < len(idle):
        estimate = Estimate(None, setting.rates.currency, formula, "headcount not known for each")
    else:
        estimate = _times(
            facts.products_in_use,
            sum(counted),
            (PriceBasis.PER_SEAT,),
            setting.rates,
            formula,
            "no headcount",
        )
    return [
        _Signal(
            HypothesisKind.DEPARTMENTS_NOT_USING,
            "departments:" + ",".join(name_key(d.name) for d in idle),
            f"{len(idle)} of {len(known)} known departments do not use the product: {names}",
            2 if len(idle) * 2 >= len(known) else 1,
            estimate,
            subject=names,
        )
    ]


def _modules(facts: AccountFacts, setting: Setting) -> list[_Signal]:
    """A whitespace entry becomes a hypothesis only with evidence: an event note or a note of
    the team naming it. The whitespace alone is a list, not a signal."""
    texts = [(e.note, f"{event_words(e.kind)} {dated(e.on, setting.today)}") for e in facts.events]
    texts += [(note, "a note") for note in facts.notes]
    signals = []
    for row in facts.whitespace:
        key = name_key(row.entry.name)
        where = sorted({source for text, source in texts if key and key in name_key(text)})
        if not where:
            continue
        formula = FORMULAS[HypothesisKind.WHITESPACE_MODULE]
        if row.estimate is None:
            estimate = Estimate(None, setting.rates.currency, formula, row.no_estimate)
        else:
            estimate = _convert(row.estimate, row.entry.currency, setting.rates, formula)
        signals.append(
            _Signal(
                HypothesisKind.WHITESPACE_MODULE,
                f"whitespace:{row.entry.id}",
                f"{row.entry.name} is not in use and is named in {', '.join(where)}",
                2,
                estimate,
                subject=row.entry.name,
            )
        )
    return signals


def _events(facts: AccountFacts, setting: Setting) -> list[_Signal]:
    signals = []
    for event in facts.events:
        kind = EVENT_HYPOTHESIS.get(event.kind)
        age = (setting.today - event.on).days
        if kind is None or age < 0 or age > FRESH_EVENT_DAYS:
            continue
        units = f", {event.units} named" if event.units else ""
        signals.append(
            _Signal(
                kind,
                f"event:{event.kind.value}:{event.on.isoformat()}",
                f"{event_words(event.kind)} {dated(event.on, setting.today)}{units}",
                3 if age <= VERY_FRESH_DAYS else 2,
                _times(
                    facts.products_in_use,
                    event.units,
                    (PriceBasis.PER_UNIT, PriceBasis.PER_SEAT),
                    setting.rates,
                    FORMULAS[kind],
                    "the event names no units",
                ),
                context=(
                    f"{event_words(event.kind)}: {event.note}" if event.note.strip() else None
                ),
                fresh_on=event.on,
            )
        )
    return signals


def _promotions(facts: AccountFacts, setting: Setting) -> list[_Signal]:
    signals = []
    by_name = {name_key(p.name): p for p in facts.people}
    for promotion in facts.promotions:
        age = (setting.today - promotion.on).days
        if age < 0 or age > FRESH_EVENT_DAYS:
            continue
        person = by_name.get(name_key(promotion.name))
        cares = (
            f"{person.name} ({person.role.value.replace('_', ' ')})"
            if person is not None and _in_touch(person, setting)
            else None
        )
        was = f" from {promotion.old_title}" if promotion.old_title else ""
        formula = FORMULAS[HypothesisKind.CHAMPION_PROMOTED]
        signals.append(
            _Signal(
                HypothesisKind.CHAMPION_PROMOTED,
                f"promoted:{name_key(promotion.name)}:{promotion.on.isoformat()}",
                f"{promotion.name} promoted to {promotion.new_title}{was}"
                f" {dated(promotion.on, setting.today)}",
                2,
                Estimate(None, setting.rates.currency, formula, "a promotion names no seats"),
                subject=promotion.name,
                fresh_on=promotion.on,
                cares=cares,
            )
        )
    return signals
