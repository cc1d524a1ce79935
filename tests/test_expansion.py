"""The expansion hypotheses, as a pure rule over in-memory facts (like test_signals.py).

Each kind is built from a full set of parts (evidence, context, timing, a stakeholder who cares)
and then with each part taken away: without its evidence there is nothing, without any other part
it is an observation naming what to find out. Then the band's gating, the ranking and the
estimates with and without prices."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from store.catalogue import EntryRow, whitespace
from store.enums import Band, CatalogueKind, EventKind, PriceBasis, Role, Sentiment
from store.expansion import (
    HELD_RED,
    HELD_YELLOW,
    UNKNOWN_CONTEXT,
    AccountFacts,
    BusinessEvent,
    Department,
    DepartmentUsage,
    Hypothesis,
    HypothesisKind,
    Person,
    Promotion,
    Readiness,
    Setting,
    expansion,
)
from store.revenue import Rates

TODAY = date(2026, 11, 23)
SETTING = Setting(today=TODAY, recent_contact_days=60, renewal_window_days=120)
CORE = EntryRow(1, "Core", CatalogueKind.PRODUCT, Decimal("100"), PriceBasis.PER_SEAT, "USD", None)
SSO = EntryRow(2, "SSO", CatalogueKind.MODULE, Decimal("4000"), PriceBasis.FLAT, "USD", 1)
AUDIT = EntryRow(3, "Audit Trail", CatalogueKind.MODULE, None, None, "USD", 1)
ANA = Person("Ana Diaz", Role.CHAMPION, Sentiment.POSITIVE, TODAY - timedelta(5))
RENEWING = TODAY + timedelta(60)


def facts(**changes: object) -> AccountFacts:
    """A green account renewing in 60 days, a positive champion in touch, Core in use."""
    base = AccountFacts(
        account_id=1,
        name="Acme",
        band=Band.GREEN,
        seats_licensed=100,
        seats_active=50,
        renewal_date=RENEWING,
        products_in_use=(CORE,),
        whitespace=tuple(whitespace([CORE, SSO, AUDIT], {1}, seats_licensed=100)),
        people=(ANA,),
        events=(BusinessEvent(EventKind.REORGANISATION, TODAY - timedelta(10), "new CIO plan"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]  # the test's keyword overrides


def only(
    result_facts: AccountFacts, kind: HypothesisKind, setting: Setting = SETTING
) -> Hypothesis:
    found = expansion(result_facts, setting)
    matching = [h for h in (*found.hypotheses, *found.observations) if h.kind is kind]
    assert len(matching) == 1, matching
    return matching[0]


def kinds(result_facts: AccountFacts, setting: Setting = SETTING) -> set[HypothesisKind]:
    found = expansion(result_facts, setting)
    return {h.kind for h in (*found.hypotheses, *found.observations)}


FULL = {
    HypothesisKind.SEATS: {"seats_active": 92},
    HypothesisKind.USAGE_CONCENTRATED: {
        "usage_by_department": (DepartmentUsage("Sales", 80), DepartmentUsage("Ops", 10))
    },
    HypothesisKind.DEPARTMENTS_NOT_USING: {
        "departments": (Department("Sales", True, 50), Department("Finance", False, 20))
    },
    HypothesisKind.WHITESPACE_MODULE: {
        "notes": ("They asked twice about SSO for their contractors",),
    },
    HypothesisKind.NEW_LEADER: {
        "events": (BusinessEvent(EventKind.NEW_LEADER, TODAY - timedelta(7), "new CRO"),),
    },
    HypothesisKind.CHAMPION_PROMOTED: {
        "promotions": (Promotion("Ana Diaz", "Manager", "VP Operations", TODAY - timedelta(3)),),
    },
    HypothesisKind.GROWTH_EVENT: {
        "events": (BusinessEvent(EventKind.FUNDING, TODAY - timedelta(12), "Series C", 40),),
    },
    HypothesisKind.MERGER_ACQUISITION: {
        "events": (BusinessEvent(EventKind.ACQUISITION, TODAY - timedelta(20), "bought Beta", 30),),
    },
    HypothesisKind.REGULATORY_CHANGE: {
        "events": (BusinessEvent(EventKind.REGULATORY, TODAY - timedelta(40), "DORA"),),
    },
}
"""Each kind's evidence added to the base account (which has context, timing and Ana)."""

NO_EVIDENCE = {
    HypothesisKind.SEATS: {"seats_active": 79},
    HypothesisKind.USAGE_CONCENTRATED: {
        "usage_by_department": (DepartmentUsage("Sales", 60), DepartmentUsage("Ops", 40))
    },
    HypothesisKind.DEPARTMENTS_NOT_USING: {"departments": (Department("Sales", True, 50),)},
    HypothesisKind.WHITESPACE_MODULE: {"notes": ("They like the product",)},
    HypothesisKind.NEW_LEADER: {
        "events": (BusinessEvent(EventKind.NEW_LEADER, TODAY - timedelta(200), "new CRO"),),
    },
    HypothesisKind.CHAMPION_PROMOTED: {
        "promotions": (Promotion("Ana Diaz", "Manager", "VP", TODAY - timedelta(120)),),
    },
    HypothesisKind.GROWTH_EVENT: {
        "events": (BusinessEvent(EventKind.FUNDING, TODAY + timedelta(3), "Series C"),),
    },
    HypothesisKind.MERGER_ACQUISITION: {
        "events": (BusinessEvent(EventKind.REORGANISATION, TODAY - timedelta(20), "merger"),),
    },
    HypothesisKind.REGULATORY_CHANGE: {
        "events": (BusinessEvent(EventKind.REGULATORY, TODAY - timedelta(91), "DORA"),),
    },
}
"""The same evidence, short of its threshold: too few seats, spread usage, an old or future
event, a note not naming the module, a reorganisation (context, not a kind)."""


@pytest.mark.parametrize("kind", list(HypothesisKind))
def test_each_kind_with_all_its_parts_is_a_hypothesis(kind: HypothesisKind) -> None:
    found = only(facts(**FULL[kind]), kind)
    assert not found.observation, found.find_out
    assert found.stakeholder == "Ana Diaz (champion)"
    assert found.timing is not None and found.context != UNKNOWN_CONTEXT
    assert found.evidence and found.angle and str(found.score) in found.score_explained
    assert found.estimate.formula


@pytest.mark.parametrize("kind", list(HypothesisKind))
def test_each_kind_without_its_evidence_is_nothing(kind: HypothesisKind) -> None:
    assert kind not in kinds(facts(**NO_EVIDENCE[kind]))


MISSING = {
    "context": ({"events": ()}, "why it is happening: ask"),
    "timing": (
        {"renewal_date": None, "events": ()},
        "why now: the budget cycle or a coming decision",
    ),
    "stakeholder": (
        {"people": (replace(ANA, sentiment=Sentiment.NEUTRAL),)},
        "who cares: a positive champion, buyer or sponsor in touch",
    ),
}
"""A part taken away from the base account, and what the observation then asks to find out.
The event kinds carry their own context and timing (the event), so for them only the stakeholder
can go."""


@pytest.mark.parametrize("kind", list(HypothesisKind))
@pytest.mark.parametrize("part", list(MISSING))
def test_each_kind_missing_a_part_is_an_observation(kind: HypothesisKind, part: str) -> None:
    removed, find_out = MISSING[part]
    changes = {**FULL[kind], **removed}
    if "events" in removed and "events" in FULL[kind]:
        changes["events"] = FULL[kind]["events"]  # the event is the evidence itself
    found = only(facts(**changes), kind)
    own = "events" in FULL[kind] and part in ("context", "timing")
    if kind is HypothesisKind.CHAMPION_PROMOTED and part == "timing":
        own = True  # a promotion 3 days old is its own reason to talk now
    if own:
        assert find_out not in found.find_out
        return
    assert found.observation
    assert find_out in found.find_out
    assert found.readiness is Readiness.LOW
    if part == "context":
        assert found.context == UNKNOWN_CONTEXT


def test_a_stale_stakeholder_does_not_care_but_a_recent_one_does() -> None:
    stale = replace(ANA, last_contacted_on=TODAY - timedelta(61))
    assert only(facts(seats_active=92, people=(stale,)), HypothesisKind.SEATS).observation
    buyer = Person("Raj Patel", Role.ECONOMIC_BUYER, Sentiment.POSITIVE, TODAY - timedelta(30))
    found = only(facts(seats_active=92, people=(ANA, buyer)), HypothesisKind.SEATS)
    assert found.stakeholder == "Raj Patel (economic buyer)"  # the more senior role first


def test_a_promoted_champion_in_touch_is_who_cares() -> None:
    raj = Person("Raj Patel", Role.ECONOMIC_BUYER, Sentiment.POSITIVE, TODAY - timedelta(30))
    found = only(
        facts(people=(ANA, raj), **FULL[HypothesisKind.CHAMPION_PROMOTED]),
        HypothesisKind.CHAMPION_PROMOTED,
    )
    assert found.stakeholder == "Ana Diaz (champion)"
    assert "promoted to VP Operations from Manager" in found.evidence


def test_budget_cycle_gives_timing_when_the_fiscal_year_is_near() -> None:
    no_timing = facts(seats_active=92, renewal_date=None, events=())
    assert only(no_timing, HypothesisKind.SEATS).timing is None
    budget = replace(no_timing, fiscal_year_start_month=1)
    found = only(budget, HypothesisKind.SEATS)
    assert found.timing == "budget cycle: the fiscal year starts 1 Jan (in 39 days)"
    far = replace(no_timing, fiscal_year_start_month=6)
    assert only(far, HypothesisKind.SEATS).timing is None


@pytest.mark.parametrize(("active", "strength"), [(79, None), (80, 2), (89, 2), (90, 3), (100, 3)])
def test_seat_thresholds(active: int, strength: int | None) -> None:
    found = expansion(facts(seats_active=active), SETTING)
    seats = [h for h in found.hypotheses if h.kind is HypothesisKind.SEATS]
    if strength is None:
        assert not seats
        return
    assert f" = evidence {strength} " in seats[0].score_explained


def test_red_is_held_and_yellow_only_observes() -> None:
    full = facts(**FULL[HypothesisKind.SEATS])
    red = expansion(replace(full, band=Band.RED), SETTING)
    assert (red.hypotheses, red.observations, red.held) == ((), (), HELD_RED)
    yellow = expansion(replace(full, band=Band.YELLOW), SETTING)
    assert yellow.hypotheses == () and yellow.held == HELD_YELLOW
    assert [h.kind for h in yellow.observations] == [HypothesisKind.SEATS]
    assert HELD_YELLOW in yellow.observations[0].find_out
    green = expansion(full, SETTING)
    assert [h.kind for h in green.hypotheses] == [HypothesisKind.SEATS] and green.held is None


def test_estimates_with_and_without_prices() -> None:
    seats = only(facts(seats_active=92), HypothesisKind.SEATS)
    # 92 active at 70% needs 132 seats: 32 more at $100 a seat.
    assert seats.estimate.amount == Decimal("3200.00") and seats.estimate.currency == "USD"
    unpriced = CORE._replace(list_price=None, price_basis=None)
    none = only(facts(seats_active=92, products_in_use=(unpriced,)), HypothesisKind.SEATS)
    assert none.estimate.amount is None and none.estimate.why_none == "no price in the catalogue"
    assert none.estimate.words() == "no estimate (no price in the catalogue)"
    sso = only(facts(notes=("SSO asked for",)), HypothesisKind.WHITESPACE_MODULE)
    assert sso.estimate.amount == Decimal("4000.00")
    audit = only(facts(notes=("Audit trail for the auditors",)), HypothesisKind.WHITESPACE_MODULE)
    assert audit.estimate.amount is None and audit.estimate.why_none == "no price in the catalogue"
    growth = only(facts(**FULL[HypothesisKind.GROWTH_EVENT]), HypothesisKind.GROWTH_EVENT)
    assert growth.estimate.amount == Decimal("4000.00")  # 40 people named x $100 a seat
    leader = only(facts(**FULL[HypothesisKind.NEW_LEADER]), HypothesisKind.NEW_LEADER)
    assert leader.estimate.why_none == "the event names no units"
    depts = only(
        facts(**FULL[HypothesisKind.DEPARTMENTS_NOT_USING]), HypothesisKind.DEPARTMENTS_NOT_USING
    )
    assert depts.estimate.amount == Decimal("2000.00")  # Finance's 20 people x $100
    unknown = facts(departments=(Department("Sales", True), Department("Finance", False)))
    assert only(unknown, HypothesisKind.DEPARTMENTS_NOT_USING).estimate.amount is None


def test_estimates_convert_to_the_reporting_currency_or_say_the_rate_is_missing() -> None:
    euro_core = CORE._replace(currency="EUR")
    eur = facts(seats_active=92, products_in_use=(euro_core,))
    rates = Rates("USD", {"EUR": Decimal("1.10")})
    found = only(eur, HypothesisKind.SEATS, replace(SETTING, rates=rates))
    assert (found.estimate.amount, found.estimate.currency) == (Decimal("3520.00"), "USD")
    missing = only(eur, HypothesisKind.SEATS)
    assert missing.estimate.amount is None and missing.estimate.why_none == "no rate for EUR"


def test_ranking_is_by_score_then_estimate_then_kind_and_is_stable() -> None:
    everything = facts(
        seats_active=95,
        notes=("SSO asked for",),
        events=(
            BusinessEvent(EventKind.FUNDING, TODAY - timedelta(2), "Series C", 400),
            BusinessEvent(EventKind.REGULATORY, TODAY - timedelta(60), "DORA"),
        ),
    )
    found = expansion(everything, SETTING)
    ranked = [h.kind for h in found.hypotheses]
    assert ranked == [
        HypothesisKind.GROWTH_EVENT,  # 3 x 3 ($40k) x 3 = 27
        HypothesisKind.SEATS,  # 3 x 2 x 3 = 18
        HypothesisKind.WHITESPACE_MODULE,  # 2 x 2 x 3 = 12
        HypothesisKind.REGULATORY_CHANGE,  # 2 x 1 x 3 = 6
    ]
    assert [h.score for h in found.hypotheses] == [27, 18, 12, 6]
    assert [h.readiness for h in found.hypotheses] == [
        Readiness.HIGH,
        Readiness.HIGH,
        Readiness.MEDIUM,
        Readiness.LOW,
    ]
    shuffled = replace(everything, events=tuple(reversed(everything.events)))
    assert expansion(shuffled, SETTING) == found
    assert found.hypotheses[0].score_explained == (
        "27 of 27 = evidence 3 (strong) x revenue 3 ($40k, large) x timing 3 (pressing)"
    )
