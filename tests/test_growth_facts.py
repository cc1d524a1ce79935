"""The engine's facts read from the record, and the hypotheses kept as a record
(`store/growth.py`): what each fact comes from, what is never guessed, that a refresh keeps one
row per hypothesis with its status, and that neither grows in statements with the accounts."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bench.stats import count_statements
from bot.app import make_client
from bot.settings import Settings
from digests.deliver import Pacer, deliver_team_digests
from store.accounts import update_account
from store.catalogue import set_products
from store.db import Database
from store.departments import DepartmentRow, list_departments, set_departments
from store.enums import (
    Band,
    CatalogueKind,
    EventKind,
    HypothesisStatus,
    PriceBasis,
    Role,
    Sentiment,
)
from store.events import log_event
from store.expansion import HypothesisKind, expansion
from store.growth import growth_inputs, refresh_accounts, refresh_hypotheses, stored_hypotheses
from store.models import Account, CatalogueEntry, ExpansionHypothesis
from store.settings import DigestSettings
from store.usage import Reading, record_readings
from tests.conftest import POSTGRES_URL
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack


def catalogue(database: Database) -> tuple[int, int]:
    """Core (per seat, 100 USD) and its SSO module (flat, 4,000 USD): their ids."""
    with database.transaction() as session:
        core = CatalogueEntry(
            team_id=TEAM_ID,
            name="Core",
            name_key="core",
            kind=CatalogueKind.PRODUCT,
            list_price=Decimal("100"),
            price_basis=PriceBasis.PER_SEAT,
            currency="USD",
        )
        session.add(core)
        session.flush()
        sso = CatalogueEntry(
            team_id=TEAM_ID,
            name="SSO",
            name_key="sso",
            kind=CatalogueKind.MODULE,
            list_price=Decimal("4000"),
            price_basis=PriceBasis.FLAT,
            currency="USD",
            requires_id=core.id,
        )
        session.add(sso)
        session.flush()
        return core.id, sso.id  # type: ignore[return-value]  # flushed: ids are set


def grown(database: Database, name: str = "Acme", *, seats_active: int = 95) -> Account:
    """A green account on Core using 95 of 100 seats, a positive champion in touch who wrote
    about SSO, two departments (one without the product), a funding round ten days ago."""
    account = make_account(database, name, seats_active=seats_active)
    add_person(
        database,
        account,
        "Ana Diaz",
        Role.CHAMPION,
        contacted_days_ago=3,
        sentiment=Sentiment.POSITIVE,
        notes="Asked about SSO for the new teams",
    )
    add_person(database, account, "Bo Li", Role.ECONOMIC_BUYER, contacted_days_ago=5)
    add_person(database, account, "Cy Ng", Role.DECISION_MAKER, contacted_days_ago=5)
    with database.transaction() as session:
        core_id = session.execute(
            select(CatalogueEntry.id).where(CatalogueEntry.name_key == "core")
        ).scalar_one()
        set_products(
            session, team_id=TEAM_ID, account_id=account.id, entry_ids=[core_id], by_user_id=None
        )
        set_departments(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            rows=[DepartmentRow(None, "Sales", True), DepartmentRow(None, "Finance", False)],
            field_of={},
        )
        log_event(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            kind=EventKind.FUNDING,
            happened_on=app_today() - timedelta(10),
            note="Series C to grow the sales team",
            by_user_id=None,
        )
        log_event(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            kind=EventKind.REGULATORY,
            happened_on=app_today() - timedelta(20),
            by_user_id=None,
        )
    return account


def weekly_run(
    database: Database, settings: Settings, *, account_ids: list[int] | None = None
) -> None:
    """The team's digest run of today, 9:30 UTC, as the scheduler (or `digest --now`) makes it."""
    deliver_team_digests(
        database,
        make_client(settings),
        team_id=TEAM_ID,
        settings=DigestSettings(),
        now=datetime.combine(app_today(), time(9, 30), UTC),
        pacer=Pacer(per_channel=0, between=0),
        account_ids=account_ids,
    )


def current_hypotheses(database: Database) -> list[ExpansionHypothesis]:
    """The stored hypotheses seen on their account's latest refresh, observations left out."""
    with database.reading() as session:
        return list(
            session.scalars(
                select(ExpansionHypothesis).where(
                    col(ExpansionHypothesis.current).is_(True),
                    col(ExpansionHypothesis.observation).is_(False),
                )
            )
        )


def test_facts_come_from_the_record_and_nothing_is_guessed(database: Database) -> None:
    catalogue(database)
    account = grown(database)
    with database.transaction() as session:
        (found,) = growth_inputs(session, team_id=TEAM_ID, today=app_today())
    facts = found.facts
    assert facts.account_id == account.id
    assert facts.band is Band.GREEN
    assert (facts.seats_licensed, facts.seats_active) == (100, 95)
    assert [e.name for e in facts.products_in_use] == ["Core"]
    assert [(w.entry.name, w.estimate) for w in facts.whitespace] == [("SSO", Decimal("4000"))]
    assert [(d.name, d.uses_product, d.headcount) for d in facts.departments or ()] == [
        ("Finance", False, None),
        ("Sales", True, None),
    ]
    assert facts.usage_by_department is None  # no department has a reading: never guessed
    assert {e.kind for e in facts.events} == {
        EventKind.FUNDING,
        EventKind.REGULATORY,  # the record's own kinds: one vocabulary
    }
    regulatory = f"event:regulatory:{(app_today() - timedelta(20)).isoformat()}"
    found_keys = {h.key: h for h in expansion(facts, found.setting).hypotheses}
    assert regulatory in found_keys  # the key 0023 rewrote stored ones to
    assert found_keys[regulatory].evidence.startswith("regulatory change ")
    assert facts.notes == ("Asked about SSO for the new teams",)
    assert {p.name for p in facts.people} == {"Ana Diaz", "Bo Li", "Cy Ng"}
    assert facts.fiscal_year_start_month is None  # not known: no budget-cycle timing
    assert found.setting.rates.currency == "USD"


def test_a_refresh_keeps_one_row_per_hypothesis_with_its_status(database: Database) -> None:
    catalogue(database)
    account = grown(database)
    today = app_today()
    with database.transaction() as session:
        inputs = growth_inputs(session, team_id=TEAM_ID, today=today)
        result = refresh_hypotheses(session, team_id=TEAM_ID, inputs=inputs, today=today)
    kinds = {h.kind for h in result[account.id].hypotheses}
    assert {HypothesisKind.SEATS, HypothesisKind.WHITESPACE_MODULE} <= kinds
    with database.transaction() as session:
        stored = stored_hypotheses(session, team_id=TEAM_ID, account_ids=[account.id])[account.id]
        seats = next(h for h in stored if h.kind is HypothesisKind.SEATS)
        assert (seats.measure, seats.status, seats.first_seen_on) == (
            95,
            HypothesisStatus.OPEN,
            today,
        )
        assert seats.estimate == Decimal("3600.00")  # 36 more seats x 100 USD
        departments = next(h for h in stored if h.kind is HypothesisKind.DEPARTMENTS_NOT_USING)
        assert departments.estimate is None  # no headcount known: no invented number
        session.execute(
            update(ExpansionHypothesis)
            .where(ExpansionHypothesis.id == seats.id)
            .values(status=HypothesisStatus.DISMISSED)
        )
    later = today + timedelta(7)
    with database.transaction() as session:
        session.execute(update(Account).where(Account.id == account.id).values(seats_active=97))
        refresh_hypotheses(
            session,
            team_id=TEAM_ID,
            inputs=growth_inputs(session, team_id=TEAM_ID, today=later),
            today=later,
        )
    with database.transaction() as session:
        rows = session.execute(select(ExpansionHypothesis)).scalars().all()
        assert len(rows) == len({(r.account_id, r.kind, r.key) for r in rows})
        again = next(r for r in rows if r.kind == HypothesisKind.SEATS)
        assert (again.id, again.status, again.measure) == (seats.id, HypothesisStatus.DISMISSED, 97)
        assert (again.first_seen_on, again.last_seen_on) == (today, later)
        session.execute(update(Account).where(Account.id == account.id).values(seats_active=50))
        refresh_hypotheses(
            session,
            team_id=TEAM_ID,
            inputs=growth_inputs(session, team_id=TEAM_ID, today=later),
            today=later,
        )
    with database.transaction() as session:
        current = stored_hypotheses(session, team_id=TEAM_ID, account_ids=[account.id])
        assert HypothesisKind.SEATS not in {h.kind for h in current[account.id]}


def test_a_red_account_is_held_and_none_of_its_hypotheses_stays_current(
    database: Database,
) -> None:
    catalogue(database)
    account = grown(database)
    today = app_today()
    with database.transaction() as session:
        refresh_hypotheses(
            session,
            team_id=TEAM_ID,
            inputs=growth_inputs(session, team_id=TEAM_ID, today=today),
            today=today,
        )
    with database.transaction() as session:
        (found,) = growth_inputs(session, team_id=TEAM_ID, today=today)
        red = replace(found, facts=replace(found.facts, band=Band.RED))
        result = refresh_hypotheses(session, team_id=TEAM_ID, inputs=[red], today=today)
    assert result[account.id].held is not None
    with database.transaction() as session:
        assert stored_hypotheses(session, team_id=TEAM_ID, account_ids=[account.id]) == {}


def test_usage_by_department_is_each_departments_latest_reading(database: Database) -> None:
    """The engine reads each department's latest reading (an older one, or one older than 180
    days, or the whole account's, not): Sales with 80 of 90 active users is concentrated usage,
    Ops with active seats uses the product though not marked, Finance without either does not."""
    catalogue(database)
    account = grown(database)
    today = app_today()
    with database.transaction() as session:
        set_departments(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            rows=[
                DepartmentRow(d.id, d.name, d.uses_product)
                for d in list_departments(session, team_id=TEAM_ID, account_id=account.id)
            ]
            + [DepartmentRow(None, "Ops", False)],
            field_of={},
        )
        ids = {
            d.name: d.id for d in list_departments(session, team_id=TEAM_ID, account_id=account.id)
        }
        readings = [
            Reading(account.id, today - timedelta(days=200), 90, department_id=ids["Finance"]),
            Reading(account.id, today - timedelta(days=30), 20, department_id=ids["Sales"]),
            Reading(account.id, today - timedelta(days=3), 80, department_id=ids["Sales"]),
            Reading(account.id, today - timedelta(days=9), 10, department_id=ids["Ops"]),
            Reading(account.id, today - timedelta(days=3), 95),
        ]
        record_readings(
            session, team_id=TEAM_ID, readings=readings, by_user_id=None, source="import"
        )
    with database.transaction() as session:
        (found,) = growth_inputs(session, team_id=TEAM_ID, today=today)
    facts = found.facts
    assert [(u.department, u.active_users) for u in facts.usage_by_department or ()] == [
        ("Ops", 10),
        ("Sales", 80),
    ]
    assert [(d.name, d.uses_product) for d in facts.departments or ()] == [
        ("Finance", False),
        ("Ops", True),
        ("Sales", True),
    ]
    result = expansion(facts, found.setting)
    keys = {h.key for h in (*result.hypotheses, *result.observations)}
    assert "concentrated:sales" in keys
    assert "departments:finance" in keys


def test_the_customers_fiscal_year_times_expansion_by_their_budget_cycle(
    database: Database,
) -> None:
    """An account whose fiscal year starts within 90 days has its hypotheses timed by it;
    another account's fiscal year says nothing of this one."""
    catalogue(database)
    today = app_today()
    soon = (today.replace(day=1) + timedelta(days=45)).replace(day=1)  # next month's first
    account = grown(database, "Acme")
    other = grown(database, "Globex")
    with database.transaction() as session:
        update_account(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            fiscal_year_start_month=soon.month,
        )
        inputs = {
            i.facts.account_id: i for i in growth_inputs(session, team_id=TEAM_ID, today=today)
        }
    assert inputs[account.id].facts.fiscal_year_start_month == soon.month
    assert inputs[other.id].facts.fiscal_year_start_month is None
    timed = expansion(inputs[account.id].facts, inputs[account.id].setting)
    assert all("budget cycle: the fiscal year starts" in (h.timing or "") for h in timed.hypotheses)
    untimed = expansion(inputs[other.id].facts, inputs[other.id].setting)
    assert not any("budget cycle" in (h.timing or "") for h in untimed.hypotheses)


def test_statements_do_not_grow_with_the_accounts(database: Database) -> None:
    catalogue(database)

    def counted() -> int:
        today = app_today()
        with count_statements(database.engine) as count, database.transaction() as session:
            inputs = growth_inputs(session, team_id=TEAM_ID, today=today)
            refresh_hypotheses(session, team_id=TEAM_ID, inputs=inputs, today=today)
        return count.queries

    grown(database, "Acme")
    grown(database, "Globex")
    counted()  # the first refresh inserts; compare refreshes that insert and update alike
    grown(database, "Initech")
    few = counted()
    for name in ("Umbrella", "Hooli", "Stark", "Wayne"):
        grown(database, name)
    assert counted() == few
    with count_statements(database.engine) as count, database.transaction() as session:
        growth_inputs(session, team_id=TEAM_ID, today=app_today())
    assert count.queries == 13  # five for the snapshots, eight for the rest (README)


def test_the_weekly_digest_run_refreshes_the_teams_hypotheses(
    database: Database, settings: Settings, slack: FakeSlack
) -> None:
    """Through the run the scheduler makes: the team's digests delivered, its accounts'
    hypotheses stored (first seen on the run's day)."""
    catalogue(database)
    account = grown(database)
    weekly_run(database, settings)
    with database.transaction() as session:
        stored = stored_hypotheses(session, team_id=TEAM_ID, account_ids=[account.id])
    assert HypothesisKind.SEATS in {h.kind for h in stored[account.id]}
    assert {h.first_seen_on for h in stored[account.id]} == {app_today()}


def test_thirty_long_idle_department_names_keep_one_bounded_key_and_the_refresh_whole(
    database: Database,
) -> None:
    """The departments-not-using key lists the idle departments' names: thirty of 80 characters
    would overflow the stored key (200), which PostgreSQL refuses, stopping the team's whole
    refresh. The stored key is bounded, and the same facts give the same key again."""
    catalogue(database)
    account = grown(database)
    today = app_today()
    with database.transaction() as session:
        set_departments(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            rows=[  # beside Sales and Finance: 30 departments, 28 of 75 characters, all idle
                DepartmentRow(None, f"{n:02d} " + "Regional ops unit " * 4, False)
                for n in range(28)
            ],
            field_of={},
        )
    for _ in range(2):
        with database.transaction() as session:
            inputs = growth_inputs(session, team_id=TEAM_ID, today=today)
            refresh_hypotheses(session, team_id=TEAM_ID, inputs=inputs, today=today)
    with database.transaction() as session:
        keys = session.scalars(
            select(ExpansionHypothesis.key).where(
                ExpansionHypothesis.kind == HypothesisKind.DEPARTMENTS_NOT_USING
            )
        ).all()
    assert len(keys) == 1 and len(keys[0]) <= 200


def test_a_digest_of_one_account_leaves_the_teams_weekly_refresh_to_the_full_run(
    database: Database, settings: Settings, slack: FakeSlack
) -> None:
    """`accountbot digest --now --account Acme` refreshes Acme alone; the team's run later that
    week still refreshes every account (the partial run's posts do not count as the week's
    refresh), and a second full run does not refresh again."""
    catalogue(database)
    acme = grown(database, "Acme")
    globex = grown(database, "Globex")

    def stored() -> dict[int, list[object]]:
        with database.reading() as session:
            found = stored_hypotheses(session, team_id=TEAM_ID, account_ids=[acme.id, globex.id])
        return {account_id: list(rows) for account_id, rows in found.items()}

    weekly_run(database, settings, account_ids=[acme.id])
    assert set(stored()) == {acme.id}
    weekly_run(database, settings)
    assert set(stored()) == {acme.id, globex.id}
    initech = grown(database, "Initech")
    with database.reading() as session:
        before = stored_hypotheses(session, team_id=TEAM_ID, account_ids=[initech.id])
    weekly_run(database, settings)  # the week's refresh is done: not again
    with database.reading() as session:
        assert stored_hypotheses(session, team_id=TEAM_ID, account_ids=[initech.id]) == before == {}


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL (set TEST_DATABASE_URL)")
def test_two_refreshes_inserting_the_same_hypotheses_at_once_both_commit(
    database: Database,
) -> None:
    """Two processes refresh the same new account at once (the weekly run and a growth view):
    the second's insert waits for the first's rows and skips them, instead of failing on the
    unique (account, kind, key)."""
    catalogue(database)
    account = grown(database)
    today = app_today()
    other = Database(database.url)
    errors: list[BaseException] = []
    with database.transaction() as first:
        inputs = growth_inputs(first, team_id=TEAM_ID, today=today, account_ids=[account.id])
        refresh_hypotheses(first, team_id=TEAM_ID, inputs=inputs, today=today)

        def second() -> None:
            try:
                with other.transaction() as session:
                    refresh_accounts(session, team_id=TEAM_ID, today=today)
            except BaseException as failed:  # the test reports it below
                errors.append(failed)

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(timeout=1)  # it waits on the first's uncommitted rows
        assert racer.is_alive()
    racer.join(timeout=30)
    other.engine.dispose()
    assert not racer.is_alive() and errors == []
    with database.reading() as session:
        rows = session.execute(select(ExpansionHypothesis.kind, ExpansionHypothesis.key)).all()
    assert rows and len(set(rows)) == len(rows)


def widths(statements: list[tuple[str, object]]) -> list[int]:
    """The values bound to each statement (one row's, for a statement run over many rows)."""

    def width(parameters: object) -> int:
        if isinstance(parameters, list):  # executemany: each row's
            return max((width(p) for p in parameters), default=0)
        return len(parameters) if isinstance(parameters, tuple | dict) else 0

    return [width(parameters) for _, parameters in statements]


def test_a_whole_teams_refresh_binds_no_list_of_its_account_ids(database: Database) -> None:
    """The team's accounts are chosen by a subquery, never bound one value per account (`IN
    (:id1, …, :idN)` would pass SQLite's and PostgreSQL's limits at a large portfolio): the
    values a statement binds do not grow with the accounts."""
    catalogue(database)

    def bound() -> list[int]:
        with (
            count_statements(database.engine, keep=True) as count,
            database.transaction() as session,
        ):
            refresh_accounts(session, team_id=TEAM_ID, today=app_today())
        return widths(count.statements)

    for name in ("Acme", "Globex"):
        grown(database, name)
    bound()  # the first refresh inserts; compare refreshes that update
    few = bound()
    for name in ("Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Wonka"):
        grown(database, name)
    bound()
    assert bound() == few
