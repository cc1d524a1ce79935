"""The account-strategy rules, as pure functions over in-memory rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest

from store.enums import ActionStatus, Influence, Role, Sentiment, StakeholderStatus
from store.models import Account, ActionItem, Stakeholder
from store.settings import Thresholds
from store.signals import AccountSnapshot, Band, Severity, SignalKind, assess, band_for

TODAY = date(2026, 11, 23)
DEFAULTS = Thresholds()
_ids = count(1)


def person(
    name: str,
    role: Role = Role.END_USER,
    *,
    days_ago: int | None = 5,
    sentiment: Sentiment = Sentiment.POSITIVE,
    influence: Influence = Influence.MEDIUM,
    departed: bool = False,
) -> Stakeholder:
    return Stakeholder(
        id=next(_ids),
        team_id="T1",
        account_id=1,
        name=name,
        role=role,
        influence=influence,
        sentiment=sentiment,
        status=StakeholderStatus.DEPARTED if departed else StakeholderStatus.ACTIVE,
        last_contacted_on=None if days_ago is None else TODAY - timedelta(days=days_ago),
    )


def item(title: str, due_in: int) -> ActionItem:
    return ActionItem(
        id=next(_ids),
        team_id="T1",
        account_id=1,
        title=title,
        status=ActionStatus.OPEN,
        due_on=TODAY + timedelta(days=due_in),
    )


def healthy_people() -> list[Stakeholder]:
    return [
        person("Cara", Role.CHAMPION),
        person("Eve", Role.ECONOMIC_BUYER),
        person("Sam", Role.EXECUTIVE_SPONSOR),
        person("Uma", Role.END_USER),
    ]


def snapshot(
    people: list[Stakeholder] | None = None,
    actions: list[ActionItem] | None = None,
    *,
    renewal_in: int | None = 300,
    seats: tuple[int, int] | None = (100, 70),
    activity_days_ago: int | None = 2,
    arr: str = "250000",
) -> AccountSnapshot:
    account = Account(
        id=1,
        team_id="T1",
        name="Acme",
        name_key="acme",
        arr=Decimal(arr),
        currency="USD",
        renewal_date=None if renewal_in is None else TODAY + timedelta(days=renewal_in),
        seats_licensed=seats[0] if seats else None,
        seats_active=seats[1] if seats else None,
    )
    return AccountSnapshot(
        account=account,
        stakeholders=tuple(healthy_people() if people is None else people),
        open_actions=tuple(actions or ()),
        last_map_activity=None
        if activity_days_ago is None
        else TODAY - timedelta(days=activity_days_ago),
    )


def kinds(snap: AccountSnapshot, thresholds: Thresholds = DEFAULTS) -> set[SignalKind]:
    return {s.kind for s in assess(snap, today=TODAY, thresholds=thresholds).signals}


def test_a_healthy_account_is_green_with_no_reasons() -> None:
    verdict = assess(snapshot(), today=TODAY, thresholds=DEFAULTS)
    assert verdict.band is Band.GREEN
    assert verdict.reasons == ()
    assert {p.name for p in verdict.threads} == {"Cara", "Eve", "Sam", "Uma"}


def test_threads_need_recent_contact_active_status_and_no_hostility() -> None:
    people = [
        person("Recent", Role.CHAMPION, days_ago=90),
        person("Too old", Role.ECONOMIC_BUYER, days_ago=91),
        person("Never", Role.INFLUENCER, days_ago=None),
        person("Hostile", Role.INFLUENCER, sentiment=Sentiment.NEGATIVE),
        person("Gone", Role.END_USER, departed=True),
        person("Neutral", Role.END_USER, sentiment=Sentiment.NEUTRAL),
    ]
    verdict = assess(snapshot(people), today=TODAY, thresholds=DEFAULTS)
    assert {p.name for p in verdict.threads} == {"Recent", "Neutral"}
    single = next(s for s in verdict.signals if s.kind is SignalKind.SINGLE_THREADED)
    assert single.evidence == "2 of 3 relationship threads: Recent, Neutral"


def test_three_threads_are_enough_and_the_minimum_is_a_team_setting() -> None:
    three = [person("A", Role.CHAMPION), person("B", Role.ECONOMIC_BUYER), person("C")]
    assert SignalKind.SINGLE_THREADED not in kinds(snapshot(three))
    assert SignalKind.SINGLE_THREADED in kinds(snapshot(three), Thresholds(min_threads=4))


def test_stale_map_after_thirty_days_without_activity() -> None:
    assert SignalKind.STALE_MAP not in kinds(snapshot(activity_days_ago=29))
    verdict = assess(snapshot(activity_days_ago=30), today=TODAY, thresholds=DEFAULTS)
    stale = next(s for s in verdict.signals if s.kind is SignalKind.STALE_MAP)
    assert stale.evidence == "nobody added, changed or contacted for 30 days"


def test_key_people_uncontacted_for_sixty_days_are_named_with_their_days() -> None:
    people = [
        person("Cara", Role.CHAMPION, days_ago=59),
        person("Eve", Role.ECONOMIC_BUYER, days_ago=74),
        person("Sam", Role.EXECUTIVE_SPONSOR, days_ago=None),
        person("Uma", Role.END_USER, days_ago=200),
    ]
    verdict = assess(snapshot(people), today=TODAY, thresholds=DEFAULTS)
    signal = next(s for s in verdict.signals if s.kind is SignalKind.KEY_PERSON_UNCONTACTED)
    assert (
        signal.evidence == "Eve (economic buyer, 74 days), Sam (executive sponsor, never contacted)"
    )
    assert signal.people == ("Eve", "Sam")


def test_missing_roles_are_flagged() -> None:
    found = kinds(
        snapshot(
            [person("Uma"), person("Ian", Role.INFLUENCER), person("Dee", Role.DECISION_MAKER)]
        )
    )
    assert {
        SignalKind.NO_CHAMPION,
        SignalKind.NO_ECONOMIC_BUYER,
        SignalKind.NO_EXECUTIVE_SPONSOR,
    } <= found


def test_departed_champion_with_no_other_champion_is_critical_and_turns_red() -> None:
    people = [*healthy_people()[1:], person("Dana", Role.CHAMPION, departed=True)]
    verdict = assess(snapshot(people), today=TODAY, thresholds=DEFAULTS)
    departed = next(s for s in verdict.signals if s.kind is SignalKind.CHAMPION_DEPARTED)
    assert departed.severity is Severity.CRITICAL
    assert departed.evidence == "Dana left; no other champion"
    assert SignalKind.NO_CHAMPION not in {s.kind for s in verdict.signals}
    assert verdict.band is Band.RED


def test_departed_champion_is_fine_while_another_champion_remains() -> None:
    people = [*healthy_people(), person("Dana", Role.CHAMPION, departed=True)]
    assert SignalKind.CHAMPION_DEPARTED not in kinds(snapshot(people))


def test_only_high_influence_detractors_are_a_risk() -> None:
    low = [
        *healthy_people(),
        person("Olga", Role.DETRACTOR, influence=Influence.LOW, sentiment=Sentiment.NEGATIVE),
    ]
    high = [
        *healthy_people(),
        person("Olga", Role.DETRACTOR, influence=Influence.HIGH, sentiment=Sentiment.NEGATIVE),
    ]
    assert SignalKind.HIGH_INFLUENCE_DETRACTOR not in kinds(snapshot(low))
    assert SignalKind.HIGH_INFLUENCE_DETRACTOR in kinds(snapshot(high))


@pytest.mark.parametrize(
    ("days", "fires"), [(91, False), (90, True), (41, True), (0, True), (-1, False)]
)
def test_renewal_window_is_ninety_days(days: int, fires: bool) -> None:
    found = kinds(snapshot(renewal_in=days))
    assert (SignalKind.RENEWAL_SOON in found) is fires


def test_renewal_with_any_risk_is_critical_and_shows_arr_at_stake() -> None:
    people = [person("Cara", Role.CHAMPION), person("Eve", Role.ECONOMIC_BUYER)]  # single-threaded
    verdict = assess(
        snapshot(people, renewal_in=41, arr="480000"), today=TODAY, thresholds=DEFAULTS
    )
    assert verdict.band is Band.RED
    assert verdict.reasons[:2] == ("renewal in 41 days", "single-threaded")
    renewal = verdict.signals[0]
    assert renewal.kind is SignalKind.RENEWAL_AT_RISK
    assert renewal.evidence == "USD 480,000 at stake; renews 3 Jan 2027"


def test_renewal_alone_on_a_healthy_account_is_only_watched() -> None:
    verdict = assess(snapshot(renewal_in=28), today=TODAY, thresholds=DEFAULTS)
    assert verdict.band is Band.GREEN
    assert [s.kind for s in verdict.of(Severity.WATCH)] == [SignalKind.RENEWAL_SOON]


def test_overdue_and_due_soon_action_items() -> None:
    verdict = assess(
        snapshot(actions=[item("Late", -9), item("Soon", 7), item("Later", 8)]),
        today=TODAY,
        thresholds=DEFAULTS,
    )
    overdue = next(s for s in verdict.signals if s.kind is SignalKind.ACTIONS_OVERDUE)
    due = next(s for s in verdict.signals if s.kind is SignalKind.ACTIONS_DUE_SOON)
    assert overdue.reason == "1 action item overdue" and "9 days late: Late" in overdue.evidence
    assert due.reason == "1 action item due within 7 days" and due.evidence == "Soon"


@pytest.mark.parametrize(
    ("active", "expected"),
    [(80, SignalKind.EXPANSION_SEATS), (79, None), (50, None), (49, SignalKind.ADOPTION_RISK)],
)
def test_seat_utilisation_thresholds(active: int, expected: SignalKind | None) -> None:
    found = kinds(snapshot(seats=(100, active))) & {
        SignalKind.EXPANSION_SEATS,
        SignalKind.ADOPTION_RISK,
    }
    assert found == ({expected} if expected else set())


def test_band_rule_is_transparent() -> None:
    from store.signals import Signal

    risk = Signal(SignalKind.STALE_MAP, Severity.RISK, "r")
    critical = Signal(SignalKind.CHAMPION_DEPARTED, Severity.CRITICAL, "c")
    watch = Signal(SignalKind.RENEWAL_SOON, Severity.WATCH, "w")
    assert band_for([]) is Band.GREEN
    assert band_for([watch, watch]) is Band.GREEN
    assert band_for([risk]) is Band.YELLOW
    assert band_for([risk, risk]) is Band.YELLOW
    assert band_for([risk, risk, risk]) is Band.RED
    assert band_for([critical]) is Band.RED


def test_expansion_is_a_play_only_with_a_stakeholder_who_cares_and_never_on_red() -> None:
    green = assess(snapshot(seats=(100, 90)), today=TODAY, thresholds=DEFAULTS)
    assert green.band is Band.GREEN
    assert green.expansion_play is not None
    assert "who cares: Cara, Eve, Sam" in green.expansion_play.evidence

    lukewarm = [
        person(n, r, sentiment=Sentiment.NEUTRAL)
        for n, r in [("Cara", Role.CHAMPION), ("Eve", Role.ECONOMIC_BUYER), ("Uma", Role.END_USER)]
    ]
    observed = assess(snapshot(lukewarm, seats=(100, 90)), today=TODAY, thresholds=DEFAULTS)
    assert observed.expansion_play is None
    assert SignalKind.EXPANSION_SEATS in {s.kind for s in observed.signals}

    people = [*healthy_people()[1:], person("Dana", Role.CHAMPION, departed=True)]
    red = assess(snapshot(people, seats=(100, 95)), today=TODAY, thresholds=DEFAULTS)
    assert red.band is Band.RED
    assert red.expansion_play is None


def test_an_empty_map_is_critical() -> None:
    verdict = assess(snapshot([]), today=TODAY, thresholds=DEFAULTS)
    assert verdict.band is Band.RED
    assert verdict.reasons[0] == "no active stakeholders on the map"


def test_riskier_accounts_score_higher() -> None:
    red = assess(snapshot([person("Uma")], renewal_in=20), today=TODAY, thresholds=DEFAULTS)
    yellow = assess(snapshot(activity_days_ago=40), today=TODAY, thresholds=DEFAULTS)
    green = assess(snapshot(), today=TODAY, thresholds=DEFAULTS)
    assert red.risk_score > yellow.risk_score > green.risk_score


def test_thresholds_are_validated() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Thresholds(min_threads=0)
    with pytest.raises(ValidationError):
        Thresholds(expansion_seat_percent=120)
