"""A realistic sample portfolio for the demo: healthy accounts and ones at risk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.sample_org import seed_sample_org
from store.accounts import create_account, update_account
from store.actions import add_action_item, complete_action_item
from store.digest_bands import ShownNow, record_bands
from store.enums import (
    Band,
    CatalogueKind,
    ContactChannel,
    Influence,
    PriceBasis,
    RenewalStage,
    RevenueKind,
    RevenueSource,
    Role,
    Segment,
    Sentiment,
)
from store.history import record_as_of, seed_history
from store.models import (
    Account,
    AccountChange,
    AccountProduct,
    ActionItem,
    ActionItemChange,
    CatalogueEntry,
    ChampionLead,
    ContactLog,
    StakeholderChange,
    saved_id,
)
from store.names import name_key
from store.overrides import set_band_override
from store.plays import draft_save_plan
from store.save_plans import PlanStep, RiskAssessment, save_save_plan
from store.settings import thresholds_for
from store.signals import SignalKind, assess
from store.snapshots import load_snapshots
from store.stakeholders import (
    CREATED,
    add_stakeholder,
    log_contact,
    mark_departed,
    update_stakeholder,
)
from store.usage import Reading, record_readings

DEMO_TEAM_ID = "T0DEMO"
DEMO_OWNER = "U0DEMOAM"
DEMO_CSM = "U0DEMOCSM"


@dataclass(frozen=True)
class Person:
    name: str
    title: str
    role: Role
    influence: Influence = Influence.MEDIUM
    sentiment: Sentiment = Sentiment.NEUTRAL
    contacted_days_ago: int | None = 10
    departed_days_ago: int | None = None
    was: Sentiment | None = None
    """The sentiment first recorded, when it has since changed (the history shows the move)."""
    changed_days_ago: int = 3
    left_for: tuple[str, str] | None = None
    """Where a departed person went (company, title): a champion's move is a lead."""
    """When the sentiment moved to what it is now."""


@dataclass(frozen=True)
class Commitment:
    title: str
    due_in_days: int
    customer_owner: str
    done: bool = False


@dataclass(frozen=True)
class SampleAccount:
    name: str
    segment: Segment
    arr: int
    renewal_in_days: int
    seats: tuple[int, int]
    products: tuple[str, ...]
    people: tuple[Person, ...]
    plan: tuple[Commitment, ...] = field(default=())
    owner: str = DEMO_OWNER
    stage: RenewalStage = RenewalStage.NOT_STARTED
    signed_days_ago: int | None = None
    notice_in_days: int | None = None
    """The last day to give notice, counted from today."""
    last_week: Band | None = None
    """The band of last Monday's digest (None: as the rules say now)."""
    new_this_week: tuple[SignalKind, ...] = ()
    """Risk signals last Monday's digest did not have."""
    cleared_this_week: tuple[SignalKind, ...] = ()
    """Risk signals last Monday's digest had that no longer hold."""
    override: tuple[Band, str, int] | None = None
    """The owner's band, why, and for how many more days."""


P, C = Person, Commitment
SAMPLE_PORTFOLIO: tuple[SampleAccount, ...] = (
    SampleAccount(
        "Acme Logistics",
        Segment.ENTERPRISE,
        480_000,
        41,
        (900, 610),
        ("Core", "Analytics"),
        (
            P(
                "Dana Lee",
                "VP Operations",
                Role.CHAMPION,
                Influence.HIGH,
                Sentiment.POSITIVE,
                20,
                departed_days_ago=12,
            ),
            P("Raj Patel", "CFO", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.NEUTRAL, 74),
            P(
                "Olga Berg",
                "Head of IT",
                Role.DETRACTOR,
                Influence.HIGH,
                Sentiment.NEGATIVE,
                30,
                was=Sentiment.NEUTRAL,
            ),
            P("Sam Ortiz", "Ops Analyst", Role.END_USER, Influence.LOW, Sentiment.POSITIVE, 5),
        ),
        (
            C("Kick-off call with IT", -20, "Olga Berg", done=True),
            C("Security review sign-off", -9, "Olga Berg"),
            C("Renewal proposal to CFO", 6, "Raj Patel"),
        ),
        notice_in_days=11,
    ),
    SampleAccount(
        "Northwind Health",
        Segment.ENTERPRISE,
        720_000,
        200,
        (1500, 1390),
        ("Core", "Analytics", "API"),
        (
            P(
                "Priya Shah",
                "Director of Digital",
                Role.CHAMPION,
                Influence.HIGH,
                Sentiment.POSITIVE,
                6,
            ),
            P("Tom Becker", "COO", Role.EXECUTIVE_SPONSOR, Influence.HIGH, Sentiment.POSITIVE, 21),
            P(
                "Grace Kim",
                "VP Finance",
                Role.ECONOMIC_BUYER,
                Influence.HIGH,
                Sentiment.POSITIVE,
                35,
            ),
            P(
                "Luis Romero",
                "Clinical Lead",
                Role.INFLUENCER,
                Influence.MEDIUM,
                Sentiment.POSITIVE,
                12,
            ),
            P("Ana Souza", "Nurse Manager", Role.END_USER, Influence.LOW, Sentiment.POSITIVE, 3),
        ),
        (C("QBR: 2027 roadmap review", 18, "Tom Becker"),),
    ),
    SampleAccount(
        "Globex Retail",
        Segment.MID_MARKET,
        96_000,
        58,
        (250, 110),
        ("Core",),
        (
            P(
                "Mia Wong",
                "Store Ops Manager",
                Role.CHAMPION,
                Influence.MEDIUM,
                Sentiment.POSITIVE,
                15,
            ),
        ),
        (C("Training plan for regional managers", -3, "Mia Wong"),),
    ),
    SampleAccount(
        "Initech",
        Segment.MID_MARKET,
        132_000,
        120,
        (300, 270),
        ("Core", "Workflows"),
        (
            P(
                "Bill Lumbergh",
                "VP Engineering",
                Role.ECONOMIC_BUYER,
                Influence.HIGH,
                Sentiment.NEUTRAL,
                40,
            ),
            P("Peter Gibbons", "Team Lead", Role.CHAMPION, Influence.MEDIUM, Sentiment.POSITIVE, 8),
            P("Samir N.", "Engineer", Role.END_USER, Influence.LOW, Sentiment.POSITIVE, 8),
            P("Milton W.", "Facilities", Role.DETRACTOR, Influence.LOW, Sentiment.NEGATIVE, 90),
        ),
        (C("Usage review with team leads", -5, "Peter Gibbons"),),
        last_week=Band.GREEN,
        new_this_week=(SignalKind.ACTIONS_OVERDUE,),
    ),
    SampleAccount(
        "Umbrella Labs",
        Segment.ENTERPRISE,
        350_000,
        300,
        (600, 240),
        ("Core",),
        (
            P(
                "Alice Chen",
                "Research Director",
                Role.CHAMPION,
                Influence.HIGH,
                Sentiment.NEUTRAL,
                95,
            ),
            P("Victor Hale", "CTO", Role.DECISION_MAKER, Influence.HIGH, Sentiment.NEUTRAL, 110),
        ),
        (C("Adoption workshop", -20, "Alice Chen"),),
        override=(
            Band.YELLOW,
            "Research is paused for the lab move, not gone: Alice Chen is back on the 7th and "
            "our call is booked",
            30,
        ),
    ),
    SampleAccount(
        "Stark Components",
        Segment.ENTERPRISE,
        610_000,
        28,
        (1200, 1130),
        ("Core", "Analytics", "API"),
        (
            P(
                "Pepper Potts",
                "CEO",
                Role.EXECUTIVE_SPONSOR,
                Influence.HIGH,
                Sentiment.POSITIVE,
                14,
            ),
            P(
                "Happy Hogan",
                "Head of Security",
                Role.DECISION_MAKER,
                Influence.MEDIUM,
                Sentiment.POSITIVE,
                9,
            ),
            P(
                "Maya Hansen",
                "Procurement",
                Role.ECONOMIC_BUYER,
                Influence.HIGH,
                Sentiment.NEUTRAL,
                16,
            ),
            P(
                "Ivan Vanko",
                "Plant Manager",
                Role.DETRACTOR,
                Influence.MEDIUM,
                Sentiment.NEGATIVE,
                25,
            ),
            P("James Rhodes", "Ops Director", Role.CHAMPION, Influence.HIGH, Sentiment.POSITIVE, 4),
        ),
        (C("Order form to procurement", 5, "Maya Hansen"), C("Reference call", 12, "James Rhodes")),
        stage=RenewalStage.PROPOSAL_SENT,
    ),
    SampleAccount(
        "Wayne Foods",
        Segment.MID_MARKET,
        84_000,
        75,
        (150, 60),
        ("Core",),
        (
            P(
                "Lucius Fox",
                "IT Manager",
                Role.CHAMPION,
                Influence.MEDIUM,
                Sentiment.POSITIVE,
                50,
                departed_days_ago=30,
                left_for=("Gotham Biotech", "Head of IT"),
            ),
            P("Selina Kyle", "Buyer", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.NEGATIVE, 65),
        ),
    ),
    SampleAccount(
        "Hooli",
        Segment.SMB,
        24_000,
        160,
        (40, 36),
        ("Core",),
        (
            P("Gavin B.", "Founder", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.POSITIVE, 4),
            P("Jared D.", "Operations", Role.CHAMPION, Influence.MEDIUM, Sentiment.POSITIVE, 2),
            P("Erlich B.", "Advisor", Role.INFLUENCER, Influence.LOW, Sentiment.NEUTRAL, 19),
        ),
        last_week=Band.YELLOW,
        cleared_this_week=(SignalKind.NO_RECENT_CONTACT,),
    ),
    SampleAccount(
        "Soylent Co",
        Segment.SMB,
        18_000,
        33,
        (25, 9),
        ("Core",),
        (
            P(
                "Sol Roth",
                "Office Manager",
                Role.CHAMPION,
                Influence.MEDIUM,
                Sentiment.POSITIVE,
                12,
            ),
            P("Thorn S.", "Founder", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.NEUTRAL, 24),
        ),
        (
            C("Kick-off for second team", -14, "Sol Roth", done=True),
            C("Adoption review with the second team", 10, "Sol Roth"),
        ),
    ),
    SampleAccount(
        "Cyberdyne Systems",
        Segment.ENTERPRISE,
        540_000,
        95,
        (800, 760),
        ("Core", "API"),
        (
            P("Miles Dyson", "Director R&D", Role.CHAMPION, Influence.HIGH, Sentiment.POSITIVE, 7),
            P(
                "Sarah Connor",
                "Security Lead",
                Role.DETRACTOR,
                Influence.HIGH,
                Sentiment.NEGATIVE,
                45,
            ),
            P(
                "John Connor",
                "Strategy VP",
                Role.EXECUTIVE_SPONSOR,
                Influence.HIGH,
                Sentiment.NEUTRAL,
                26,
            ),
            P(
                "Catherine Weaver",
                "CFO",
                Role.ECONOMIC_BUYER,
                Influence.HIGH,
                Sentiment.NEUTRAL,
                33,
            ),
            P("Kyle Reese", "Field Engineer", Role.END_USER, Influence.LOW, Sentiment.POSITIVE, 10),
        ),
        (C("Executive alignment meeting", 9, "John Connor"),),
    ),
    SampleAccount(
        "Tyrell Analytics",
        Segment.MID_MARKET,
        150_000,
        230,
        (200, 185),
        ("Core", "Analytics"),
        (
            P(
                "Rachael T.",
                "Head of Data",
                Role.CHAMPION,
                Influence.HIGH,
                Sentiment.POSITIVE,
                5,
                departed_days_ago=3,
            ),
            P("Eldon T.", "CEO", Role.EXECUTIVE_SPONSOR, Influence.HIGH, Sentiment.POSITIVE, 28),
            P("Hannibal C.", "CFO", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.POSITIVE, 33),
            P("Roy B.", "Data Engineer", Role.END_USER, Influence.LOW, Sentiment.POSITIVE, 5),
        ),
        (C("Expansion scoping for Analytics Pro", 21, "Eldon T."),),
        last_week=Band.GREEN,
        new_this_week=(SignalKind.CHAMPION_DEPARTED,),
    ),
    SampleAccount(
        "Vandelay Imports",
        Segment.SMB,
        12_000,
        14,
        (15, 14),
        ("Core",),
        (
            P("Art Vandelay", "Owner", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.POSITIVE, 22),
            P("George C.", "Sales", Role.CHAMPION, Influence.MEDIUM, Sentiment.POSITIVE, 22),
        ),
        (C("Send renewal order form", -2, "Art Vandelay"),),
        owner=DEMO_CSM,
        stage=RenewalStage.VERBAL_YES,
        last_week=Band.GREEN,
        new_this_week=(SignalKind.ACTIONS_OVERDUE,),
    ),
    SampleAccount(
        "Massive Dynamic",
        Segment.MID_MARKET,
        210_000,
        45,
        (300, 246),
        ("Core", "Workflows"),
        (
            P("Nina Sharpe", "COO", Role.EXECUTIVE_SPONSOR, Influence.HIGH, Sentiment.POSITIVE, 30),
            P("Walter Bishop", "Head of R&D", Role.CHAMPION, Influence.HIGH, Sentiment.POSITIVE, 9),
            P("Phillip Broyles", "CFO", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.POSITIVE, 6),
            P("Astrid F.", "Analyst", Role.END_USER, Influence.LOW, Sentiment.POSITIVE, 12),
        ),
        (C("Countersigned order form", -6, "Phillip Broyles", done=True),),
        stage=RenewalStage.SIGNED,
        signed_days_ago=6,
    ),
)


def seed_sample_portfolio(session: Session, *, team_id: str, today: date) -> int:
    """Create the sample accounts unless the team has some already; returns how many were made."""
    existing = session.exec(
        select(func.count()).select_from(Account).where(Account.team_id == team_id)
    ).one()
    if existing:
        return 0
    record_as_of(session, today)  # the history is dated by the demo's today
    catalogue = _seed_catalogue(session, team_id=team_id)
    for index, sample in enumerate(SAMPLE_PORTFOLIO):
        _seed_account(
            session, team_id=team_id, today=today, sample=sample, index=index, catalogue=catalogue
        )
    _seed_save_plan(session, team_id=team_id, today=today)
    seed_sample_org(session, team_id=team_id, today=today)
    _last_weeks_digest(session, team_id=team_id, today=today)
    _seed_history(session, team_id=team_id, today=today)
    return len(SAMPLE_PORTFOLIO)


SAMPLE_CATALOGUE: tuple[tuple[str, str | None, str, PriceBasis], ...] = (
    ("Core", None, "40", PriceBasis.PER_SEAT),
    ("Analytics", None, "18", PriceBasis.PER_SEAT),
    ("Workflows", None, "12", PriceBasis.PER_SEAT),
    ("Premium Support", None, "15000", PriceBasis.FLAT),
    ("API", "Core", "0.02", PriceBasis.PER_UNIT),
    ("SSO", "Core", "4000", PriceBasis.FLAT),
)
"""The sample team's catalogue: name, the product a module needs, list price (USD), basis."""


def _seed_catalogue(session: Session, *, team_id: str) -> dict[str, int]:
    """The sample catalogue, as an admin would have kept it; its ids by name."""
    ids: dict[str, int] = {}
    for name, needs, price, basis in SAMPLE_CATALOGUE:
        entry = CatalogueEntry(
            team_id=team_id,
            name=name,
            name_key=name_key(name),
            kind=CatalogueKind.MODULE if needs else CatalogueKind.PRODUCT,
            list_price=Decimal(price),
            price_basis=basis,
            currency="USD",
            requires_id=ids[needs] if needs else None,
        )
        session.add(entry)
        session.flush()
        ids[name] = saved_id(entry.id)
    return ids


SAVE_PLAN_SAMPLE = "Acme Logistics"
"""The red sample account whose owner saved the drafted save plan and did its first step (the
other red ones have none yet, and are flagged for it)."""


def _seed_save_plan(session: Session, *, team_id: str, today: date) -> None:
    """The drafted save plan of `SAVE_PLAN_SAMPLE`, saved as drafted, its first step done."""
    thresholds = thresholds_for(session, team_id=team_id)
    [snapshot] = [
        s
        for s in load_snapshots(session, team_id=team_id, today=today)
        if s.account.name == SAVE_PLAN_SAMPLE
    ]
    draft = draft_save_plan(
        snapshot, assess(snapshot, today=today, thresholds=thresholds), today=today
    )
    owner = snapshot.account.owner_user_id or DEMO_OWNER
    plan = save_save_plan(
        session,
        team_id=team_id,
        account_id=snapshot.account.id,
        currency=snapshot.account.currency,
        assessment=RiskAssessment(
            churn_probability=draft.churn_probability,
            rationale=draft.rationale,
            arr_at_risk=draft.arr_at_risk,
            difficulty=draft.difficulty,
            investment_hours=draft.investment_hours,
            investment_people=draft.investment_people,
            executive_involvement=draft.executive_involvement,
        ),
        steps=[PlanStep(s.phase, s.title, s.owner_user_id or owner, s.due_on) for s in draft.steps],
        by_user_id=owner,
    )
    plan.created_at = _at(today - timedelta(days=2))
    first = session.exec(
        select(ActionItem).where(ActionItem.save_plan_id == plan.id).order_by(col(ActionItem.id))
    ).first()
    if first is not None:
        complete_action_item(session, team_id=team_id, item_id=saved_id(first.id), by_user_id=owner)
        first.completed_at = _at(today - timedelta(days=1))


USAGE_WEEKS = 26
"""Half a year of weekly usage readings per sample account, so the card shows a 90-day trend."""


def _seed_history(session: Session, *, team_id: str, today: date) -> None:
    """A past for each sample account: green half a year ago, then the band it has now from a
    few weeks ago (from last week's, for the ones whose band moved this week); and weekly usage
    readings ending at its active seats, gently up on green accounts, gently down on the others
    (never enough to fire a usage signal: the sample's bands stay what its stories say)."""
    samples = {sample.name: sample for sample in SAMPLE_PORTFOLIO}
    thresholds = thresholds_for(session, team_id=team_id)
    spells: dict[int, list[tuple[date, Band]]] = {}
    readings: list[Reading] = []
    for snapshot in load_snapshots(session, team_id=team_id, today=today):
        account_id = saved_id(snapshot.account.id)
        band = assess(snapshot, today=today, thresholds=thresholds).rules_band
        sample = samples[snapshot.account.name]
        dated = [(today - timedelta(days=180), Band.GREEN)]
        if sample.last_week is not None and sample.last_week is not band:
            dated += [(today - timedelta(days=60), sample.last_week), (today - timedelta(4), band)]
        elif band is not Band.GREEN:
            dated.append((today - timedelta(days=23), band))
        spells[account_id] = dated
        seats = sample.seats[1]
        rising = band is Band.GREEN
        for week in range(USAGE_WEEKS):
            ago = (USAGE_WEEKS - 1 - week) * 7
            share = 1 - (0.12 if rising else -0.08) * ago / (7 * (USAGE_WEEKS - 1))
            readings.append(
                Reading(
                    account_id=account_id,
                    read_on=today - timedelta(days=ago),
                    seats_active=seats if ago == 0 else round(seats * share),
                    monthly_active_users=round(seats * share * 1.4),
                    adoption_percent=(72 - ago // 14) if rising else (58 + ago // 14),
                    satisfaction=Decimal("4.3") if rising else Decimal("3.8"),
                    escalations=0,
                )
            )
    seed_history(session, team_id=team_id, day=today, spells=spells)
    record_readings(session, team_id=team_id, readings=readings, by_user_id=None, source="import")


def _last_weeks_digest(session: Session, *, team_id: str, today: date) -> None:
    """The bands last Monday's digests showed: as the rules say now, but for the accounts whose
    sample says what moved this week (so this Monday's digests have a change to tell)."""
    monday = today - timedelta(days=today.weekday())
    samples = {sample.name: sample for sample in SAMPLE_PORTFOLIO}
    thresholds = thresholds_for(session, team_id=team_id)
    shown = []
    for snapshot in load_snapshots(session, team_id=team_id):
        sample = samples[snapshot.account.name]
        now = assess(snapshot, today=today, thresholds=thresholds)
        kinds = {k.value for k in now.weighing_kinds} - {k.value for k in sample.new_this_week}
        kinds |= {k.value for k in sample.cleared_this_week}
        band = sample.last_week or now.rules_band
        shown.append(ShownNow(snapshot.account.id, band, tuple(sorted(kinds))))
    record_bands(session, team_id=team_id, week=monday - timedelta(days=7), shown=shown)


RENEWAL_MOVED_DAYS_AGO = 6
"""When the sample's renewals moved to their stage (a signed one: the day it was signed)."""
CONTACT_SUMMARIES = {
    Role.CHAMPION: "Weekly sync: rollout on track, wants the new reports for their team",
    Role.ECONOMIC_BUYER: "Budget review: renewal timing and what they need to see first",
    Role.EXECUTIVE_SPONSOR: "Exec check-in on next year's goals",
    Role.DECISION_MAKER: "Roadmap fit: integration questions answered",
    Role.INFLUENCER: "Feedback on the dashboards",
    Role.END_USER: "Office hours: questions on exports",
    Role.DETRACTOR: "Heard their security concerns out",
}
"""What the sample's last contact with each person was about (a summary says what was said,
never only who was met)."""


REVENUE_MOVES = {
    "Acme Logistics": (540_000, 150),
    "Northwind Health": (600_000, 95),
    "Hooli": (20_000, 240),
}
"""Sample accounts whose ARR moved in the last year: (ARR before, how many days ago it moved to
the sample's ARR), so the revenue report has expansion and contraction to show."""
CUSTOMER_FOR = timedelta(days=730)
"""How long the sample's accounts have been customers (their ledger's new entry)."""


def _seed_account(
    session: Session,
    *,
    team_id: str,
    today: date,
    sample: SampleAccount,
    index: int,
    catalogue: dict[str, int],
) -> None:
    renewal = today + timedelta(days=sample.renewal_in_days)
    signed = None if sample.signed_days_ago is None else today - timedelta(sample.signed_days_ago)
    notice = None if sample.notice_in_days is None else today + timedelta(sample.notice_in_days)
    before, moved_days_ago = REVENUE_MOVES.get(sample.name, (sample.arr, None))
    account = create_account(
        session,
        team_id=team_id,
        name=sample.name,
        owner_user_id=sample.owner,
        channel_id=f"C0DEMO{index:03d}",
        arr=Decimal(before),
        arr_since=today - CUSTOMER_FOR,
        revenue_source=RevenueSource.IMPORT,
        renewal_date=renewal,
        contract_start=renewal - timedelta(days=365),
        segment=sample.segment,
        seats_licensed=sample.seats[0],
        seats_active=sample.seats[1],
        external_crm_id=f"0015g00000DEMO{index:03d}",
    )
    account_id = saved_id(account.id)
    session.add_all(
        AccountProduct(account_id=account_id, entry_id=catalogue[name], team_id=team_id)
        for name in sample.products
    )
    if moved_days_ago is not None:
        update_account(  # the move, in the revenue ledger
            session,
            team_id=team_id,
            account_id=account_id,
            by_user_id=sample.owner,
            arr=Decimal(sample.arr),
            arr_kind=RevenueKind.EXPANSION if sample.arr > before else RevenueKind.CONTRACTION,
            arr_on=today - timedelta(days=moved_days_ago),
            revenue_source=RevenueSource.IMPORT,
        )
    if sample.stage is not RenewalStage.NOT_STARTED or notice is not None:
        update_account(  # as the owner would, through the renewal form: a line of history
            session,
            team_id=team_id,
            account_id=account_id,
            by_user_id=sample.owner,
            renewal_stage=sample.stage,
            renewal_signed_on=signed,
            notice_date=notice,
        )
    by_name: dict[str, int] = {}
    for person in sample.people:
        stakeholder = add_stakeholder(
            session,
            team_id=team_id,
            account_id=account_id,
            name=person.name,
            title=person.title,
            role=person.role,
            influence=person.influence,
            sentiment=person.was or person.sentiment,
            relationship_owner_user_id=sample.owner,
            by_user_id=sample.owner,
        )
        stakeholder_id = by_name[person.name] = saved_id(stakeholder.id)
        if person.was is not None:
            update_stakeholder(
                session,
                team_id=team_id,
                stakeholder_id=stakeholder_id,
                by_user_id=sample.owner,
                sentiment=person.sentiment,
            )
        if person.contacted_days_ago is not None:
            log_contact(
                session,
                team_id=team_id,
                account_id=account_id,
                stakeholder_ids=[stakeholder_id],
                contacted_on=today - timedelta(days=person.contacted_days_ago),
                channel=ContactChannel.MEETING,
                summary=CONTACT_SUMMARIES[person.role],
                by_user_id=sample.owner,
            )
        if person.departed_days_ago is not None:
            mark_departed(
                session,
                team_id=team_id,
                stakeholder_id=stakeholder_id,
                on=today - timedelta(days=person.departed_days_ago),
                by_user_id=sample.owner,
                left_for_company=person.left_for[0] if person.left_for else None,
                left_for_title=person.left_for[1] if person.left_for else None,
            )
    for commitment in sample.plan:
        item = add_action_item(
            session,
            team_id=team_id,
            account_id=account_id,
            title=commitment.title,
            due_on=today + timedelta(days=commitment.due_in_days),
            our_owner_user_id=sample.owner,
            customer_owner_stakeholder_id=by_name.get(commitment.customer_owner),
            customer_owner_name=commitment.customer_owner,
            by_user_id=sample.owner,
        )
        if commitment.done:
            complete_action_item(
                session,
                team_id=team_id,
                item_id=saved_id(item.id),
                by_user_id=sample.owner,
            )
    _backdate(session, account_id=account_id, today=today, sample=sample, people=by_name)
    if sample.override is not None:
        band, reason, days = sample.override
        set_band_override(
            session,
            team_id=team_id,
            account_id=account_id,
            band=band,
            reason=reason,
            expires_on=today + timedelta(days=days),
            by_user_id=sample.owner,
            today=today,
        )


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _backdate(
    session: Session, *, account_id: int, today: date, sample: SampleAccount, people: dict[str, int]
) -> None:
    """Lay the sample's history out on the days it describes rather than the moment it was
    seeded: people added long ago, moves on the day they happened, contacts logged the day they
    were held, items closed on their due day. (The store stamps its rows with the time of the
    write; only the sample portfolio is written after the fact.)"""
    long_ago = _at(today - timedelta(days=300))
    moved = today - timedelta(days=sample.signed_days_ago or RENEWAL_MOVED_DAYS_AGO)
    session.execute(
        update(AccountChange)
        .where(col(AccountChange.account_id) == account_id)
        .values(changed_at=_at(moved))
    )
    session.execute(
        update(StakeholderChange)
        .where(
            col(StakeholderChange.account_id) == account_id,
            col(StakeholderChange.field) == CREATED,
        )
        .values(changed_at=long_ago)
    )
    session.execute(  # a lead from a champion move: they championed us since they were added
        update(ChampionLead)
        .where(col(ChampionLead.account_id) == account_id)
        .values(championed_from=long_ago.date())
    )
    for person in sample.people:
        moves = {}
        if person.was is not None:
            moves["sentiment"] = today - timedelta(days=person.changed_days_ago)
        if person.departed_days_ago is not None:
            moves["status"] = today - timedelta(days=person.departed_days_ago)
            moves["departed_on"] = moves["status"]
        for field_name, day in moves.items():
            session.execute(
                update(StakeholderChange)
                .where(
                    col(StakeholderChange.stakeholder_id) == people[person.name],
                    col(StakeholderChange.field) == field_name,
                )
                .values(changed_at=_at(day))
            )
    logs = session.execute(
        select(ContactLog.id, col(ContactLog.contacted_on)).where(
            ContactLog.account_id == account_id
        )
    ).all()
    for log_id, contacted_on in logs:
        session.execute(
            update(ContactLog)
            .where(ContactLog.id == log_id)
            .values(created_at=_at(contacted_on, 17))
        )
    done = session.execute(
        select(ActionItem.id, col(ActionItem.due_on)).where(
            col(ActionItem.account_id) == account_id,
            col(ActionItem.completed_at).is_not(None),
        )
    ).all()
    for item_id, due_on in done:
        session.execute(
            update(ActionItem).where(ActionItem.id == item_id).values(completed_at=_at(due_on, 15))
        )
        session.execute(
            update(ActionItemChange)
            .where(
                ActionItemChange.action_item_id == item_id, col(ActionItemChange.field) != CREATED
            )
            .values(changed_at=_at(due_on, 15))
        )
