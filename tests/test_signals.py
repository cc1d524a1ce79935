"""The account-strategy rules, as pure functions over in-memory rows.

The first test is a table of accounts a CSM would recognise, each with the band they would give
it and the reason that should lead; the rest pin each rule and its wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest

from store.enums import (
    ActionStatus,
    Influence,
    RenewalStage,
    Role,
    Segment,
    Sentiment,
    StakeholderStatus,
)
from store.models import Account, ActionItem, Stakeholder
from store.settings import Thresholds
from store.signals import (
    AccountSnapshot,
    Band,
    Override,
    Severity,
    Signal,
    SignalKind,
    _census,
    assess,
    band_for,
    next_steps,
    riskiest_first,
)

TODAY = date(2026, 11, 23)  # a Monday
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
    title: str | None = None,
) -> Stakeholder:
    return Stakeholder(
        id=next(_ids),
        team_id="T1",
        account_id=1,
        name=name,
        title=title,
        role=role,
        influence=influence,
        sentiment=sentiment,
        status=StakeholderStatus.DEPARTED if departed else StakeholderStatus.ACTIVE,
        last_contacted_on=None if days_ago is None else TODAY - timedelta(days=days_ago),
        relationship_owner_user_id="U0AM",
    )


def item(title: str, due_in: int, *, them: str | None = None) -> ActionItem:
    return ActionItem(
        id=next(_ids),
        team_id="T1",
        account_id=1,
        title=title,
        status=ActionStatus.OPEN,
        due_on=TODAY + timedelta(days=due_in),
        our_owner_user_id="U0AM",
        customer_owner_name=them,
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
    segment: Segment = Segment.ENTERPRISE,
    stage: RenewalStage = RenewalStage.NOT_STARTED,
    signed_days_ago: int | None = None,
    notice_in: int | None = None,
    override: Override | None = None,
    name: str = "Acme",
) -> AccountSnapshot:
    account = Account(
        id=next(_ids),
        team_id="T1",
        name=name,
        name_key=name.casefold(),
        arr=Decimal(arr),
        currency="USD",
        owner_user_id="U0AM",
        segment=segment,
        renewal_date=None if renewal_in is None else TODAY + timedelta(days=renewal_in),
        renewal_stage=stage,
        renewal_signed_on=None
        if signed_days_ago is None
        else TODAY - timedelta(days=signed_days_ago),
        notice_date=None if notice_in is None else TODAY + timedelta(days=notice_in),
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
        override=override,
    )


def verdict(snap: AccountSnapshot, thresholds: Thresholds = DEFAULTS):  # type: ignore[no-untyped-def]
    return assess(snap, today=TODAY, thresholds=thresholds)


def kinds(snap: AccountSnapshot, thresholds: Thresholds = DEFAULTS) -> set[SignalKind]:
    return {s.kind for s in verdict(snap, thresholds).signals}


def signal(snap: AccountSnapshot, kind: SignalKind) -> Signal:
    return next(s for s in verdict(snap).signals if s.kind is kind)


# -- accounts a CSM would recognise --------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    story: str
    snap: AccountSnapshot
    band: Band
    leads_with: str = ""
    """The start of the band's first reason, as the card and the digest show it."""
    also: tuple[str, ...] = field(default=())
    """Other reasons (their starts) that must be there."""


CASES = [
    Case(
        "Healthy enterprise account, renewal next autumn: nothing to say",
        snapshot(),
        Band.GREEN,
    ),
    Case(
        "Vandelay Imports (issue 19): SMB, renewal in 14 days, positive buyer and champion "
        "heard from 22 days ago, order form two days late: yellow with urgency, not red",
        snapshot(
            [
                person("Art Vandelay", Role.ECONOMIC_BUYER, days_ago=22),
                person("George C.", Role.CHAMPION, days_ago=22),
            ],
            [item("Send renewal order form", -2, them="Art Vandelay")],
            renewal_in=14,
            seats=(15, 14),
            arr="12000",
            segment=Segment.SMB,
            stage=RenewalStage.VERBAL_YES,
        ),
        Band.YELLOW,
        "renewal in 14 days with 1 risk open: close “Send renewal order form” first",
        ("1 action item overdue",),
    ),
    Case(
        "Stark Components: $610k enterprise renewing in 28 days, everyone engaged, proposal "
        "sent: green, and the renewal leads",
        snapshot(
            [
                person("Pepper", Role.EXECUTIVE_SPONSOR, days_ago=14),
                person("Maya", Role.ECONOMIC_BUYER, days_ago=16, sentiment=Sentiment.NEUTRAL),
                person("James", Role.CHAMPION, days_ago=4),
                person("Happy", Role.DECISION_MAKER, days_ago=9),
            ],
            [item("Order form to procurement", 5, them="Maya")],
            renewal_in=28,
            seats=(1200, 1130),
            arr="610000",
            stage=RenewalStage.PROPOSAL_SENT,
        ),
        Band.GREEN,
        "renewal in 28 days",
    ),
    Case(
        "Acme Logistics: the champion left, the CFO not heard from in 74 days, a hostile head "
        "of IT, renewal in 41 days: red, the renewal at risk first",
        snapshot(
            [
                person("Dana Lee", Role.CHAMPION, departed=True),
                person("Raj Patel", Role.ECONOMIC_BUYER, days_ago=74, sentiment=Sentiment.NEUTRAL),
                person(
                    "Olga Berg",
                    Role.DETRACTOR,
                    days_ago=30,
                    sentiment=Sentiment.NEGATIVE,
                    influence=Influence.HIGH,
                ),
                person("Sam Ortiz", Role.END_USER, days_ago=5),
            ],
            [item("Security review sign-off", -9)],
            renewal_in=41,
            arr="480000",
            seats=(900, 610),
        ),
        Band.RED,
        "renewal in 41 days with 5 risks open",
        (
            "champion departed with no successor",
            "single-threaded: 1 live contact (target 3)",
            "no recent contact with the economic buyer",
        ),
    ),
    Case(
        "Wayne Foods: the economic buyer turned negative 75 days before a mid-market renewal",
        snapshot(
            [
                person("Lucius", Role.CHAMPION, days_ago=20),
                person("Selina Kyle", Role.ECONOMIC_BUYER, sentiment=Sentiment.NEGATIVE),
                person("Ana", Role.DECISION_MAKER),
                person("Bo", Role.END_USER),
            ],
            renewal_in=75,
            segment=Segment.MID_MARKET,
        ),
        Band.RED,
        "negative economic buyer",
    ),
    Case(
        "The same negative economic buyer with the renewal ten months away: a risk, not yet red",
        snapshot(
            [
                person("Lucius", Role.CHAMPION),
                person("Selina Kyle", Role.ECONOMIC_BUYER, sentiment=Sentiment.NEGATIVE),
                person("Ana", Role.DECISION_MAKER),
                person("Bo", Role.END_USER),
                person("Sam", Role.EXECUTIVE_SPONSOR),
            ],
            renewal_in=300,
        ),
        Band.YELLOW,
        "negative economic buyer",
    ),
    Case(
        "Umbrella Labs: nobody on the map heard from in 95 days",
        snapshot(
            [
                person("Alice", Role.CHAMPION, days_ago=95, sentiment=Sentiment.NEUTRAL),
                person("Victor", Role.DECISION_MAKER, days_ago=110),
            ],
            renewal_in=300,
            activity_days_ago=95,
        ),
        Band.RED,
        "gone dark: no contact with anyone in 90 days",
    ),
    Case(
        "The executive sponsor left and nobody replaced them",
        snapshot(
            [
                *healthy_people()[:2],
                healthy_people()[3],
                person("Tom", Role.EXECUTIVE_SPONSOR, departed=True),
            ]
        ),
        Band.RED,
        "executive sponsor departed with no successor",
    ),
    Case("A new account with nobody on the map", snapshot([]), Band.RED, "no active stakeholders"),
    Case(
        "Three risks and no renewal in sight: one contact, no buyer, a third of seats used",
        snapshot(
            [person("Cara", Role.CHAMPION), person("Ian", Role.INFLUENCER, days_ago=80)],
            seats=(300, 100),
            renewal_in=300,
        ),
        Band.RED,
        "single-threaded: 1 live contact (target 3)",
        ("no known economic buyer", "low adoption: 33% of seats active"),
    ),
    Case(
        "Two risks and no renewal in sight: yellow, stabilise",
        snapshot(
            [person("Cara", Role.CHAMPION), person("Ian", Role.INFLUENCER), person("Dee")],
            renewal_in=300,
        ),
        Band.YELLOW,
        "no known economic buyer",
    ),
    Case(
        "The same two risks inside the renewal window: red",
        snapshot(
            [person("Cara", Role.CHAMPION), person("Ian", Role.INFLUENCER)],
            renewal_in=100,
        ),
        Band.RED,
        "renewal in 100 days with 2 risks open",
    ),
    Case(
        "SMB account with its owner and a champion, no sponsor: as covered as SMB gets",
        snapshot(
            [person("Gavin", Role.ECONOMIC_BUYER), person("Jared", Role.CHAMPION)],
            segment=Segment.SMB,
            arr="18000",
            renewal_in=160,
        ),
        Band.GREEN,
    ),
    Case(
        "Enterprise account without an executive sponsor: green, and watched",
        snapshot(
            [person("Cara", Role.CHAMPION), person("Eve", Role.ECONOMIC_BUYER), person("Uma")]
        ),
        Band.GREEN,
    ),
    Case(
        "Renewal signed last week, one overdue item: yellow, the renewal no longer at risk",
        snapshot(
            actions=[item("Kick-off", -3)],
            renewal_in=20,
            stage=RenewalStage.SIGNED,
            signed_days_ago=6,
        ),
        Band.YELLOW,
        "1 action item overdue",
    ),
    Case(
        "Owner's override: the rules say red (gone dark), the owner knows why and says yellow",
        snapshot(
            [person("Alice", Role.CHAMPION, days_ago=95)],
            activity_days_ago=95,
            override=Override(
                Band.YELLOW, "Lab move: back on the 7th", TODAY + timedelta(days=14), "U0AM"
            ),
        ),
        Band.YELLOW,
        "yellow by override until 7 Dec (rules: red): Lab move: back on the 7th",
        ("gone dark: no contact with anyone in 90 days",),
    ),
    Case(
        "An override that ended yesterday: the rules' band again",
        snapshot(
            [person("Alice", Role.CHAMPION, days_ago=95)],
            activity_days_ago=95,
            override=Override(Band.GREEN, "Fine", TODAY - timedelta(days=1), "U0AM"),
        ),
        Band.RED,
        "gone dark",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.story[:60] for c in CASES])
def test_accounts_a_csm_would_recognise_get_the_band_they_would_give(case: Case) -> None:
    result = verdict(case.snap)
    assert result.band is case.band, result.reasons
    if case.leads_with:
        assert result.reasons and result.reasons[0].startswith(case.leads_with), result.reasons
    else:
        assert result.reasons == ()
    for reason in case.also:
        assert any(r.startswith(reason) for r in result.reasons), (reason, result.reasons)


# -- each rule and its words ---------------------------------------------------------------------


def test_a_healthy_account_is_green_with_its_live_contacts() -> None:
    result = verdict(snapshot())
    assert result.band is Band.GREEN and result.rules_band is Band.GREEN
    assert {p.name for p in result.threads} == {"Cara", "Eve", "Sam", "Uma"}


def test_one_window_decides_live_contacts_and_no_recent_contact() -> None:
    people = [
        person("On the day", Role.CHAMPION, days_ago=60),
        person("A day late", Role.ECONOMIC_BUYER, days_ago=61, title="CFO"),
        person("Never", Role.EXECUTIVE_SPONSOR, days_ago=None),
        person("Hostile", Role.INFLUENCER, sentiment=Sentiment.NEGATIVE),
        person("Gone", Role.END_USER, departed=True),
        person("Neutral", Role.END_USER, sentiment=Sentiment.NEUTRAL),
    ]
    result = verdict(snapshot(people))
    assert {p.name for p in result.threads} == {"On the day", "Neutral"}
    quiet = signal(snapshot(people), SignalKind.NO_RECENT_CONTACT)
    assert quiet.reason == "no recent contact with 2 key people"
    assert quiet.evidence == (
        "A day late (economic buyer), last contact 61 days ago; "
        "Never (executive sponsor), never contacted; that leaves 2 live contacts (target 3)"
    )
    shorter = Thresholds(recent_contact_days=30)
    assert {p.name for p in verdict(snapshot(people), shorter).threads} == {"Neutral"}


@pytest.mark.parametrize(
    ("live", "reason", "evidence"),
    [
        (2, "thin coverage: 2 live contacts (target 3)", "Cara and Eve"),
        (1, "single-threaded: 1 live contact (target 3)", "Cara"),
        (0, "no live contacts (target 3)", "nobody contacted in the last 60 days"),
    ],
)
def test_coverage_is_named_by_what_it_is(live: int, reason: str, evidence: str) -> None:
    people = [person("Cara", Role.CHAMPION), person("Eve", Role.ECONOMIC_BUYER)][:live]
    people += [person("Old", Role.INFLUENCER, days_ago=70)]
    coverage = signal(snapshot(people), SignalKind.THIN_COVERAGE)
    assert (coverage.reason, coverage.evidence) == (reason, evidence)


def test_live_contacts_needed_depend_on_the_segment_and_are_team_settings() -> None:
    two = [person("Gavin", Role.ECONOMIC_BUYER), person("Jared", Role.CHAMPION)]
    assert SignalKind.THIN_COVERAGE in kinds(snapshot(two, segment=Segment.MID_MARKET))
    assert SignalKind.THIN_COVERAGE not in kinds(snapshot(two, segment=Segment.SMB))
    smb_three = Thresholds(min_threads_smb=3)
    assert SignalKind.THIN_COVERAGE in kinds(snapshot(two, segment=Segment.SMB), smb_three)
    assert SignalKind.NO_EXECUTIVE_SPONSOR not in kinds(snapshot(two, segment=Segment.SMB))


@pytest.mark.parametrize(
    ("segment", "watched"),
    [(Segment.ENTERPRISE, True), (Segment.MID_MARKET, True), (Segment.SMB, False)],
)
def test_no_sponsor_is_watched_only_where_the_team_expects_one(
    segment: Segment, watched: bool
) -> None:
    people = [person("Cara", Role.CHAMPION), person("Eve", Role.ECONOMIC_BUYER), person("Uma")]
    assert (SignalKind.NO_EXECUTIVE_SPONSOR in kinds(snapshot(people, segment=segment))) is watched
    everywhere = Thresholds(sponsor_watch_smb=1)
    assert SignalKind.NO_EXECUTIVE_SPONSOR in kinds(
        snapshot(people, segment=Segment.SMB), everywhere
    )


@pytest.mark.parametrize(
    ("segment", "window"),
    [(Segment.ENTERPRISE, 180), (Segment.MID_MARKET, 120), (Segment.SMB, 90)],
)
def test_the_renewal_window_depends_on_the_segment(segment: Segment, window: int) -> None:
    inside = verdict(snapshot(renewal_in=window, segment=segment))
    outside = verdict(snapshot(renewal_in=window + 1, segment=segment))
    assert inside.in_window and SignalKind.RENEWAL_SOON in {s.kind for s in inside.signals}
    assert not outside.in_window and outside.renewal_window == window
    assert not verdict(snapshot(renewal_in=-1, segment=segment)).in_window


def test_stored_thresholds_of_before_are_read_into_the_new_windows() -> None:
    default_saved = Thresholds.model_validate(
        {"min_threads": 3, "thread_contact_days": 90, "key_person_contact_days": 60,
         "renewal_warning_days": 90, "stale_map_days": 21}
    )  # fmt: skip
    assert default_saved.recent_contact_days == 60
    assert default_saved.stale_map_days == 21
    assert (
        default_saved.renewal_window_enterprise_days,
        default_saved.renewal_window_mid_market_days,
        default_saved.renewal_window_smb_days,
    ) == (180, 120, 90)
    chosen = Thresholds.model_validate({"renewal_warning_days": 60, "thread_contact_days": 45})
    assert chosen.recent_contact_days == 45
    assert chosen.renewal_window(Segment.ENTERPRISE) == chosen.renewal_window(Segment.SMB) == 60
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Thresholds.model_validate({"key_person_contact_days": 0})


def test_gone_dark_counts_anyone_on_the_map_and_is_critical() -> None:
    people = [
        person("Alice", Role.CHAMPION, days_ago=95),
        person("Victor", Role.DECISION_MAKER, days_ago=120),
    ]
    dark = signal(snapshot(people), SignalKind.GONE_DARK)
    assert dark.severity is Severity.CRITICAL
    assert dark.evidence == "last contact 95 days ago, with Alice (champion)"
    people.append(person("Bo", days_ago=89))
    assert SignalKind.GONE_DARK not in kinds(snapshot(people))
    never = signal(snapshot([person("New", Role.CHAMPION, days_ago=None)]), SignalKind.GONE_DARK)
    assert never.evidence == "nobody on the map has been contacted, New (champion) included"


def test_gone_dark_says_it_all_without_a_stale_map_beside_it() -> None:
    people = [person("Alice", Role.CHAMPION, days_ago=95)]
    assert SignalKind.STALE_MAP not in kinds(snapshot(people, activity_days_ago=95))
    assert SignalKind.STALE_MAP in kinds(snapshot(activity_days_ago=30))
    assert SignalKind.STALE_MAP not in kinds(snapshot(activity_days_ago=29))
    stale = signal(snapshot(activity_days_ago=30), SignalKind.STALE_MAP)
    assert stale.evidence == "nobody added, changed or contacted for 30 days"


@pytest.mark.parametrize(
    ("role", "kind", "reason"),
    [
        (Role.ECONOMIC_BUYER, SignalKind.NEGATIVE_ECONOMIC_BUYER, "negative economic buyer"),
        (Role.CHAMPION, SignalKind.NEGATIVE_CHAMPION, "negative champion"),
        (Role.EXECUTIVE_SPONSOR, SignalKind.NEGATIVE_SPONSOR, "negative executive sponsor"),
    ],
)
def test_a_negative_key_person_is_a_risk_of_its_own(
    role: Role, kind: SignalKind, reason: str
) -> None:
    people = [
        *(p for p in healthy_people() if p.role is not role),
        person("Grumpy", role, sentiment=Sentiment.NEGATIVE, title="VP"),
    ]
    found = signal(snapshot(people, renewal_in=300), kind)
    assert (found.severity, found.reason, found.evidence) == (Severity.RISK, reason, "Grumpy (VP)")
    inside = signal(snapshot(people, renewal_in=60), kind)
    critical = role is Role.ECONOMIC_BUYER
    assert (inside.severity is Severity.CRITICAL) is critical


def test_a_departed_champion_is_critical_until_a_successor_is_on_the_map() -> None:
    people = [*healthy_people()[1:], person("Dana", Role.CHAMPION, departed=True)]
    departed = signal(snapshot(people), SignalKind.CHAMPION_DEPARTED)
    assert departed.severity is Severity.CRITICAL
    assert departed.evidence == "Dana left"
    assert SignalKind.NO_CHAMPION not in kinds(snapshot(people))
    assert SignalKind.CHAMPION_DEPARTED not in kinds(
        snapshot([*people, person("Nia", Role.CHAMPION)])
    )


def test_only_high_influence_detractors_are_a_risk() -> None:
    low = person("Olga", Role.DETRACTOR, influence=Influence.LOW, sentiment=Sentiment.NEGATIVE)
    high = person("Olga", Role.DETRACTOR, influence=Influence.HIGH, sentiment=Sentiment.NEGATIVE)
    assert SignalKind.HIGH_INFLUENCE_DETRACTOR not in kinds(snapshot([*healthy_people(), low]))
    assert SignalKind.HIGH_INFLUENCE_DETRACTOR in kinds(snapshot([*healthy_people(), high]))


def test_items_overdue_and_due_soon_are_counted_in_words() -> None:
    snap = snapshot(actions=[item("Late", -9), item("Next", 2), item("Soon", 7), item("Later", 8)])
    overdue = signal(snap, SignalKind.ACTIONS_OVERDUE)
    due = signal(snap, SignalKind.ACTIONS_DUE_SOON)
    assert (overdue.reason, overdue.evidence) == ("1 action item overdue", "Late (9 days overdue)")
    # the next touch ("Next") is said on its own line: the watch is for the items after it
    assert (due.reason, due.evidence) == ("1 more action item due within 7 days", "Soon")
    assert SignalKind.ACTIONS_DUE_SOON not in kinds(snapshot(actions=[item("Next", 2)]))
    two = signal(snapshot(actions=[item("A", -1), item("B", -3)]), SignalKind.ACTIONS_OVERDUE)
    assert (two.reason, two.evidence) == ("2 action items overdue", "oldest 3 days overdue: B; A")
    one_day = signal(snapshot(actions=[item("A", -1)]), SignalKind.ACTIONS_OVERDUE)
    assert one_day.evidence == "A (1 day overdue)"


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
    risk = Signal(SignalKind.STALE_MAP, Severity.RISK, "r")
    critical = Signal(SignalKind.CHAMPION_DEPARTED, Severity.CRITICAL, "c")
    watch = Signal(SignalKind.RENEWAL_SOON, Severity.WATCH, "w")
    assert band_for([]) is Band.GREEN
    assert band_for([watch, watch]) is Band.GREEN
    assert band_for([risk]) is Band.YELLOW
    assert band_for([risk, risk]) is Band.YELLOW
    assert band_for([risk, risk, risk]) is Band.RED
    assert band_for([critical]) is Band.RED


def test_the_renewal_says_its_stage_and_notice_date() -> None:
    snap = snapshot(renewal_in=28, stage=RenewalStage.PROPOSAL_SENT, notice_in=10)
    renewal = signal(snap, SignalKind.RENEWAL_SOON)
    assert renewal.reason == "renewal in 28 days"
    assert renewal.evidence == "renews 21 Dec; proposal sent; notice by 3 Dec"
    signed = signal(
        snapshot(renewal_in=28, stage=RenewalStage.SIGNED, signed_days_ago=2),
        SignalKind.RENEWAL_SIGNED,
    )
    assert (signed.severity, signed.reason) == (Severity.WATCH, "renewal in 28 days: signed")
    assert "signed 21 Nov" in signed.evidence
    assert signal(snapshot(renewal_in=0), SignalKind.RENEWAL_SOON).reason == "renewal today"
    assert signal(snapshot(renewal_in=1), SignalKind.RENEWAL_SOON).reason == "renewal tomorrow"


def test_expansion_is_a_play_only_with_someone_who_cares_and_only_on_green() -> None:
    yellow_snap = snapshot(actions=[item("Usage review", -5)], seats=(100, 90))
    yellow = verdict(yellow_snap)
    assert yellow.band is Band.YELLOW and yellow.expansion_play is None
    steps = next_steps(yellow_snap, yellow, today=TODAY, limit=9)
    assert steps and not any("xpansion" in s.text for s in steps)
    green = verdict(snapshot(seats=(100, 90)))
    assert green.band is Band.GREEN and green.expansion_play is not None
    assert "positive and in touch: Cara, Eve and Sam" in green.expansion_play.evidence
    lukewarm = [
        person(n, r, sentiment=Sentiment.NEUTRAL)
        for n, r in [("Cara", Role.CHAMPION), ("Eve", Role.ECONOMIC_BUYER), ("Uma", Role.END_USER)]
    ]
    assert verdict(snapshot(lukewarm, seats=(100, 90))).expansion_play is None
    people = [*healthy_people()[1:], person("Dana", Role.CHAMPION, departed=True)]
    red = verdict(snapshot(people, seats=(100, 95)))
    assert red.band is Band.RED and red.expansion_play is None


# -- next steps ----------------------------------------------------------------------------------


def test_green_inside_the_window_works_toward_signature_not_expansion() -> None:
    snap = snapshot(
        actions=[item("Order form to procurement", 5, them="Eve"), item("Reference call", 30)],
        renewal_in=28,
        seats=(100, 95),
        stage=RenewalStage.PROPOSAL_SENT,
    )
    result = verdict(snap)
    assert result.band is Band.GREEN and result.renewal_open
    steps = next_steps(snap, result, today=TODAY)
    assert [s.text for s in steps] == [
        "Close “Order form to procurement” with Eve",
        "Close “Reference call”",
        "Get a verbal yes on the proposal from Eve",
    ]
    assert steps[0].due_on == TODAY + timedelta(days=5) and steps[0].owner_user_id == "U0AM"
    assert not any("xpansion" in s.text for s in next_steps(snap, result, today=TODAY, limit=9))
    signed = snapshot(renewal_in=28, seats=(100, 95), stage=RenewalStage.SIGNED, signed_days_ago=1)
    assert next_steps(signed, verdict(signed), today=TODAY)[0].text.startswith("Explore expansion")


@pytest.mark.parametrize(
    ("stage", "text"),
    [
        (RenewalStage.NOT_STARTED, "Send the renewal proposal to Eve"),
        (RenewalStage.PROPOSAL_SENT, "Get a verbal yes on the proposal from Eve"),
        (
            RenewalStage.VERBAL_YES,
            "Get the order form signed by Eve before the notice date, 3 Dec",
        ),
    ],
)
def test_the_next_step_toward_signature_follows_the_stage(stage: RenewalStage, text: str) -> None:
    snap = snapshot(renewal_in=40, stage=stage, notice_in=10)
    steps = next_steps(snap, verdict(snap), today=TODAY)
    assert steps[-1].text == text
    assert steps[-1].due_on <= TODAY + timedelta(days=10)  # never after the notice date


def test_with_one_risk_inside_the_window_what_to_do_first_leads() -> None:
    snap = CASES[1].snap  # Vandelay Imports
    result = verdict(snap)
    steps = next_steps(snap, result, today=TODAY)
    assert result.first_move == "close “Send renewal order form”"
    assert steps[0].text == "Close “Send renewal order form” with Art Vandelay"
    assert steps[0].overdue == 2
    assert steps[1].text == ("Get the order form signed by Art Vandelay before the renewal, 7 Dec")


def test_every_step_has_an_owner_and_a_date_and_names_someone() -> None:
    snap = CASES[3].snap  # Acme Logistics
    steps = next_steps(snap, verdict(snap), today=TODAY, limit=9)
    assert steps[0].text == (
        "Find a successor to Dana Lee, the champion who left: ask Sam Ortiz who carries "
        "their work now"
    )
    assert steps[0].due_on == date(2026, 11, 27)  # this Friday
    assert all(s.owner_user_id == "U0AM" for s in steps)
    assert "Close “Security review sign-off”" in [s.text for s in steps]


# -- the one risk order --------------------------------------------------------------------------


def test_one_risk_order_money_at_stake_then_how_soon_then_severity() -> None:
    weak = [person("Cara", Role.CHAMPION), person("Ian", Role.INFLUENCER)]
    accounts = {
        "small red soon": snapshot(weak, renewal_in=33, arr="18000", name="Soylent"),
        "big red later": snapshot(weak, renewal_in=95, arr="540000", name="Cyberdyne"),
        "red far away": snapshot(weak, renewal_in=300, arr="350000", name="Umbrella"),
        "green soon": snapshot(renewal_in=28, arr="610000", name="Stark"),
        "yellow no date": snapshot(
            [*healthy_people(), person("X", Role.DETRACTOR, influence=Influence.HIGH)],
            renewal_in=None,
            name="Hooli",
        ),
    }
    pairs = [(s, verdict(s)) for s in accounts.values()]
    ordered = riskiest_first(pairs, pick=lambda p: (p[0].account, p[1]))
    assert [s.account.name for s, _ in ordered] == [
        "Cyberdyne",  # $540k at stake
        "Soylent",  # $18k at stake
        "Stark",  # nothing at stake (green), renews in 28 days
        "Umbrella",  # renews in 300 days
        "Hooli",  # no renewal date
    ]


# -- one quiet key person, one voice -------------------------------------------------------------


@dataclass(frozen=True)
class Quiet:
    story: str
    people: list[Stakeholder]
    said_by: SignalKind
    """The one signal that names the quiet person."""
    folded: tuple[SignalKind, ...]
    """Signals the quiet person would also have fired, folded into `said_by`."""
    band: Band
    evidence: str
    renewal_in: int = 300


QUIET = [
    Quiet(
        "A champion not contacted for 95 days, the only person on the map: gone dark says it",
        [person("Alice", Role.CHAMPION, days_ago=95)],
        SignalKind.GONE_DARK,
        (SignalKind.NO_RECENT_CONTACT, SignalKind.THIN_COVERAGE),
        Band.RED,
        "last contact 95 days ago, with Alice (champion)",
    ),
    Quiet(
        "Gone dark with a quiet buyer too: both named once, in gone dark",
        [
            person("Alice", Role.CHAMPION, days_ago=95),
            person("Raj", Role.ECONOMIC_BUYER, days_ago=None),
            person("Uma", days_ago=100),
        ],
        SignalKind.GONE_DARK,
        (SignalKind.NO_RECENT_CONTACT, SignalKind.THIN_COVERAGE),
        Band.RED,
        "last contact 95 days ago, with Alice (champion); nor with Raj (economic buyer)",
    ),
    Quiet(
        "A champion quiet for 70 days beside two live contacts: one call fixes both, one risk",
        [
            person("Alice", Role.CHAMPION, days_ago=70),
            person("Eve", Role.ECONOMIC_BUYER),
            person("Uma"),
        ],
        SignalKind.NO_RECENT_CONTACT,
        (SignalKind.THIN_COVERAGE,),
        Band.YELLOW,
        "Alice, last contact 70 days ago; that leaves 2 live contacts (target 3)",
    ),
    Quiet(
        "A negative champion nobody has called for 70 days: the negative champion says it",
        [
            person("Alice", Role.CHAMPION, days_ago=70, sentiment=Sentiment.NEGATIVE),
            person("Eve", Role.ECONOMIC_BUYER),
            person("Uma"),
            person("Bo"),
        ],
        SignalKind.NEGATIVE_CHAMPION,
        (SignalKind.NO_RECENT_CONTACT,),
        Band.YELLOW,
        "Alice, last contact 70 days ago",
    ),
]


@pytest.mark.parametrize("case", QUIET, ids=[c.story[:60] for c in QUIET])
def test_one_quiet_key_person_is_said_once_by_the_gravest_signal(case: Quiet) -> None:
    result = verdict(snapshot(case.people, renewal_in=case.renewal_in, activity_days_ago=2))
    fired = {s.kind for s in result.signals}
    assert case.said_by in fired, result.reasons
    assert not fired & set(case.folded), result.reasons
    said = next(s for s in result.signals if s.kind is case.said_by)
    assert said.evidence == case.evidence
    assert result.band is case.band, result.reasons
    quiet = case.people[0].name
    naming = [s for s in result.signals if quiet in f"{s.reason} {s.evidence}"]
    assert [s.kind for s in naming] == [case.said_by], naming


def test_a_quiet_key_person_beside_thin_coverage_no_call_can_fix_keeps_both() -> None:
    """One live contact and a quiet champion, target 3: calling the champion is not enough, so
    thin coverage stays (naming the live one), and no recent contact names the champion."""
    people = [person("Alice", Role.CHAMPION, days_ago=70), person("Eve", Role.ECONOMIC_BUYER)]
    result = verdict(snapshot(people))
    fired = {s.kind: s for s in result.signals}
    assert fired[SignalKind.THIN_COVERAGE].evidence == "Eve"
    assert fired[SignalKind.NO_RECENT_CONTACT].evidence == "Alice, last contact 70 days ago"


# -- none booked ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    story: str
    snap: AccountSnapshot
    fires: bool
    evidence: str = ""


BOOKED = [
    Booked(
        "Renewal open in 60 days, last call a week ago, nothing on the calendar: watch",
        snapshot(renewal_in=60),
        True,
        "the renewal is open",
    ),
    Booked(
        "Renewal open, a QBR prep item due in 12 days: booked",
        snapshot([*healthy_people()], [item("QBR prep", 12)], renewal_in=60),
        False,
    ),
    Booked(
        "Renewal open, the only item due in 45 days: beyond the 30-day horizon, watch",
        snapshot(actions=[item("Order form", 45)], renewal_in=60),
        True,
        "the renewal is open",
    ),
    Booked(
        "No renewal in sight, last contact a week ago, nothing booked: a normal week, silent",
        snapshot(renewal_in=300),
        False,
    ),
    Booked(
        "No renewal in sight, nobody contacted for 40 days, nothing booked: drifting, watch",
        snapshot(
            [
                person("Cara", Role.CHAMPION, days_ago=40),
                person("Eve", Role.ECONOMIC_BUYER, days_ago=45),
            ],
            renewal_in=300,
        ),
        True,
        "last contact with anyone 40 days ago",
    ),
    Booked(
        "Only an overdue item: that is late, not booked",
        snapshot(
            [person("Cara", Role.CHAMPION, days_ago=40)], [item("Kick-off", -3)], renewal_in=300
        ),
        True,
        "last contact with anyone 40 days ago",
    ),
    Booked(
        "Gone dark: gone dark says it, none booked stays silent",
        snapshot([person("Cara", Role.CHAMPION, days_ago=95)], renewal_in=60),
        False,
    ),
    Booked("An empty map: nobody to book with", snapshot([], renewal_in=60), False),
    Booked(
        "Signed renewal, recent contact: nothing to chase",
        snapshot(renewal_in=20, stage=RenewalStage.SIGNED, signed_days_ago=3),
        False,
    ),
]


@pytest.mark.parametrize("case", BOOKED, ids=[c.story[:60] for c in BOOKED])
def test_none_booked_is_watched_when_the_renewal_is_open_or_the_account_drifts(
    case: Booked,
) -> None:
    result = verdict(case.snap)
    booked = [s for s in result.signals if s.kind is SignalKind.NONE_BOOKED]
    assert bool(booked) is case.fires, result.signals
    if booked:
        assert booked[0].severity is Severity.WATCH
        assert booked[0].reason == "none booked in the next 30 days"
        assert booked[0].evidence == case.evidence
        assert result.band is verdict(case.snap, Thresholds(next_touch_days=365)).band


def test_none_booked_horizon_is_a_team_setting_and_suggests_booking_with_the_champion() -> None:
    snap = snapshot(actions=[item("Order form", 45)], renewal_in=60)
    assert SignalKind.NONE_BOOKED in kinds(snap)
    assert SignalKind.NONE_BOOKED not in kinds(snap, Thresholds(next_touch_days=45))
    steps = next_steps(snap, verdict(snap), today=TODAY, limit=10)
    assert not any(s.text.startswith("Book the next meeting") for s in steps), (
        "with the renewal open, the step toward signature is the meeting to book"
    )
    drifting = snapshot([person("Cara", Role.CHAMPION, days_ago=40)], renewal_in=300)
    steps = next_steps(drifting, verdict(drifting), today=TODAY, limit=10)
    assert [s.text for s in steps if s.text.startswith("Book the next")] == [
        "Book the next meeting with Cara (champion): none booked, last contact with anyone "
        "40 days ago"
    ]


def test_the_census_counts_a_contact_on_the_windows_last_day_and_not_the_day_after() -> None:
    """Who is a thread, who of the key people has gone quiet, who left and who was contacted
    last: on the recent-contact window's last day a person is still a thread, the day after a
    key person is quiet (with the days), never contacted quiet without them; a negative recent
    contact is neither a thread nor quiet; a departed person counts only as departed."""
    window = Thresholds().recent_contact_days
    people = [
        person("Ana", Role.CHAMPION, days_ago=window),
        person("Ben", Role.ECONOMIC_BUYER, days_ago=window + 1),
        person("Cy", days_ago=0),
        person("Di", Role.CHAMPION, days_ago=3, sentiment=Sentiment.NEGATIVE),
        person("Ed", Role.EXECUTIVE_SPONSOR, days_ago=None),
        person("Flo", Role.CHAMPION, days_ago=-1, departed=True),
    ]
    census = _census(people, today=TODAY, thresholds=Thresholds())  # type: ignore[arg-type]
    assert [p.name for p in census.threads] == ["Ana", "Cy"]
    assert [(p.name, days) for p, days in census.no_recent_contact] == [
        ("Ben", window + 1),
        ("Ed", None),
    ]
    assert {role: [p.name for p in found] for role, found in census.departed.items()} == {
        Role.CHAMPION: ["Flo"]
    }
    assert [p.name for p in census.holding(Role.CHAMPION)] == ["Ana", "Di"]
    assert census.last_contact is not None and census.last_contact.name == "Cy"
    assert not census.gone_dark
    verdict = assess(snapshot(people), today=TODAY, thresholds=Thresholds())
    assert [p.name for p in verdict.threads] == ["Ana", "Cy"]
