"""The benchmark generator writes a coherent portfolio and will not silently write a second one."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date
from enum import StrEnum
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bench.digests import band_distribution, build_all, digest_moment
from bench.generate import (
    CRITICAL_ISSUES,
    RISK_ISSUES,
    Health,
    PortfolioExists,
    draw_issues,
    generate_portfolio,
)
from store.db import Database
from store.enums import (
    ActionStatus,
    ContactChannel,
    Influence,
    RevenueKind,
    Role,
    Segment,
    Sentiment,
    StakeholderStatus,
)
from store.models import (
    Account,
    AccountProduct,
    ActionItem,
    CatalogueEntry,
    ContactLog,
    RevenueEntry,
    Stakeholder,
    StakeholderChange,
    UsageReading,
)
from store.names import name_key

TEAM = "T0TESTBENCH"
ACCOUNTS = 20
TODAY = date(2026, 11, 23)
MODELS = {
    "account": Account,
    "stakeholder": Stakeholder,
    "stakeholder_change": StakeholderChange,
    "contact_log": ContactLog,
    "action_item": ActionItem,
    "revenue_entry": RevenueEntry,
    "catalogue_entry": CatalogueEntry,
    "account_product": AccountProduct,
}


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    database = Database(f"sqlite:///{tmp_path / 'bench.db'}")
    database.upgrade()
    yield database.engine
    database.dispose()


@pytest.fixture
def counts(engine: Engine) -> dict[str, int]:
    return generate_portfolio(engine, team_id=TEAM, accounts=ACCOUNTS, seed=7, today=TODAY)


def rows_per_table(engine: Engine, *, team_id: str = TEAM) -> dict[str, int]:
    with Session(engine) as session:
        return {
            name: session.execute(
                select(func.count()).select_from(model).where(model.team_id == team_id)
            ).scalar_one()
            for name, model in MODELS.items()
        }


def test_row_counts_per_table(engine: Engine, counts: dict[str, int]) -> None:
    assert rows_per_table(engine) == counts
    assert counts["account"] == ACCOUNTS
    assert 12 * ACCOUNTS <= counts["stakeholder"] <= 18 * ACCOUNTS
    assert counts["stakeholder_change"] == counts["stakeholder"]
    assert counts["contact_log"] == 30 * ACCOUNTS
    assert counts["action_item"] == 5 * ACCOUNTS
    assert ACCOUNTS < counts["revenue_entry"] < 2 * ACCOUNTS  # each its new entry, some a move
    with Session(engine) as session:
        new = session.execute(
            select(func.count()).where(RevenueEntry.kind == RevenueKind.NEW)
        ).scalar_one()
        assert new == ACCOUNTS
        created = session.execute(
            select(StakeholderChange.stakeholder_id, StakeholderChange.field)
        ).all()
        departed = session.execute(
            select(func.count()).where(Stakeholder.status == StakeholderStatus.DEPARTED)
        ).scalar_one()
    assert {field for _, field in created} == {"created"}
    assert len({stakeholder_id for stakeholder_id, _ in created}) == counts["stakeholder"]
    assert 0 < departed < counts["stakeholder"] * 0.15


def test_names_are_unique_by_name_key(engine: Engine, counts: dict[str, int]) -> None:
    with Session(engine) as session:
        rows = session.execute(select(Account.name, Account.name_key)).all()
    assert len(rows) == ACCOUNTS
    assert all(key == name_key(name) for name, key in rows)
    assert len({key for _, key in rows}) == ACCOUNTS


def test_last_contact_is_the_latest_log(engine: Engine, counts: dict[str, int]) -> None:
    latest = (
        select(ContactLog.stakeholder_id, func.max(ContactLog.contacted_on).label("latest"))
        .group_by(ContactLog.stakeholder_id)
        .subquery()
    )
    with Session(engine) as session:
        rows = session.execute(
            select(
                Stakeholder.id,
                Stakeholder.last_contacted_on,
                Stakeholder.departed_on,
                latest.c.latest,
            ).outerjoin(latest, latest.c.stakeholder_id == Stakeholder.id)
        ).all()
        foreign_logs = session.execute(
            select(func.count())
            .select_from(ContactLog)
            .join(Stakeholder, Stakeholder.id == ContactLog.stakeholder_id)
            .where(Stakeholder.account_id != ContactLog.account_id)
        ).scalar_one()
    assert len(rows) == counts["stakeholder"]
    mismatched = [(id_, last, log) for id_, last, _, log in rows if last != log]
    assert mismatched == []
    assert any(last is not None for _, last, _, _ in rows)
    assert all(last <= TODAY for _, last, _, _ in rows if last is not None)
    assert all(last <= gone for _, last, gone, _ in rows if last is not None and gone is not None)
    assert foreign_logs == 0


@pytest.mark.parametrize(
    ("column", "enum"),
    [
        (Account.segment, Segment),
        (Stakeholder.role, Role),
        (Stakeholder.influence, Influence),
        (Stakeholder.sentiment, Sentiment),
        (Stakeholder.status, StakeholderStatus),
        (ContactLog.channel, ContactChannel),
        (ActionItem.status, ActionStatus),
    ],
)
def test_enum_columns_hold_valid_values(
    engine: Engine, counts: dict[str, int], column: object, enum: type[StrEnum]
) -> None:
    with engine.connect() as connection:  # raw strings, before the ORM converts them
        stored = set(connection.execute(select(column).distinct()).scalars())  # type: ignore[call-overload]
    assert stored <= {member.value for member in enum}
    assert len(stored) > 1, f"{enum.__name__} should be mixed"


def test_rows_load_through_the_orm_with_aware_timestamps(
    engine: Engine, counts: dict[str, int]
) -> None:
    with Session(engine) as session:
        items = session.execute(select(ActionItem)).scalars().all()
    assert {item.status for item in items} == set(ActionStatus)
    assert all(item.created_at.tzinfo is UTC for item in items)
    assert all(
        (item.completed_at is not None) == (item.status is ActionStatus.DONE) for item in items
    )
    assert any(item.due_on < TODAY for item in items)
    assert any(item.due_on > TODAY for item in items)


def test_second_portfolio_is_refused_unless_replaced(
    engine: Engine, counts: dict[str, int]
) -> None:
    other = generate_portfolio(engine, team_id="T0OTHER", accounts=3, seed=1, today=TODAY)
    with pytest.raises(PortfolioExists, match=f"{TEAM} already has {ACCOUNTS} accounts"):
        generate_portfolio(engine, team_id=TEAM, accounts=5, seed=8, today=TODAY)
    assert rows_per_table(engine) == counts

    replaced = generate_portfolio(
        engine, team_id=TEAM, accounts=5, seed=8, today=TODAY, replace=True
    )
    assert rows_per_table(engine) == replaced
    assert replaced["account"] == 5
    assert rows_per_table(engine, team_id="T0OTHER") == other


def test_the_digest_bench_prints_the_band_distribution_of_the_synthetic_portfolio(
    tmp_path: Path,
) -> None:
    """The line the benchmark prints for the 10,000-account portfolio, here on 20: every account
    counted once, in one of the three bands."""
    database = Database(f"sqlite:///{tmp_path / 'bands.db'}")
    database.upgrade()
    generate_portfolio(database.engine, team_id=TEAM, accounts=ACCOUNTS, seed=7, today=TODAY)
    built, _, shape = build_all(database, team_id=TEAM, now=digest_moment(TODAY))
    database.dispose()
    line = band_distribution(shape, accounts=built, scale=ACCOUNTS)
    assert line.startswith(f"Bands of the synthetic {ACCOUNTS}-account portfolio ({built} live): ")
    counts = [int(part.split()[1]) for part in line.split(": ", 1)[1].split(" · ")]
    assert sum(counts) == built and 0 < built <= ACCOUNTS
    assert [part.split()[0] for part in line.split(": ", 1)[1].split(" · ")] == [
        "red",
        "yellow",
        "green",
    ]


def test_health_profiles_are_drawn_about_60_25_15_with_their_issues() -> None:
    rng = random.Random(7)
    drawn = [draw_issues(rng) for _ in range(10_000)]
    shares = Counter(health for health, _ in drawn)
    assert 5_700 <= shares[Health.HEALTHY] <= 6_300
    assert 2_200 <= shares[Health.WATCH] <= 2_800
    assert 1_200 <= shares[Health.TROUBLED] <= 1_800
    for health, issues in drawn:
        if health is Health.HEALTHY:
            assert not issues
        elif health is Health.WATCH:
            assert len(issues) == 1 and set(issues) <= set(RISK_ISSUES)
        else:
            assert issues & set(CRITICAL_ISSUES) or len(issues) == 3


def test_the_same_seed_and_day_write_the_same_rows(tmp_path: Path) -> None:
    dumps = []
    for copy in ("a", "b"):
        database = Database(f"sqlite:///{tmp_path / f'{copy}.db'}")
        database.upgrade()
        generate_portfolio(database.engine, team_id=TEAM, accounts=5, seed=3, today=TODAY)
        with database.engine.connect() as connection:
            dumps.append(
                {
                    name: connection.execute(
                        select(model.__table__).order_by(*model.__table__.primary_key)  # type: ignore[attr-defined]
                    ).all()
                    for name, model in MODELS.items()
                }
            )
        database.dispose()
    assert dumps[0] == dumps[1]


def test_the_synthetic_portfolio_has_a_believable_band_spread(tmp_path: Path) -> None:
    """Issue 19: when half the book is red, red means nothing. Mostly healthy accounts, a
    quarter to watch, a minority in trouble: green the largest band, red the smallest."""
    database = Database(f"sqlite:///{tmp_path / 'spread.db'}")
    database.upgrade()
    generate_portfolio(database.engine, team_id=TEAM, accounts=300, seed=7, today=TODAY)
    built, _, shape = build_all(database, team_id=TEAM, now=digest_moment(TODAY))
    database.dispose()
    red, yellow, green = (shape.get(band, 0) / built for band in ("red", "yellow", "green"))
    assert 0.45 <= green <= 0.75, shape
    assert 0.15 <= yellow <= 0.40, shape
    assert 0.05 <= red <= 0.25, shape


def test_history_weeks_add_weekly_readings_ending_at_the_active_seats_and_a_history(
    engine: Engine,
) -> None:
    counts = generate_portfolio(
        engine, team_id=TEAM, accounts=ACCOUNTS, seed=7, today=TODAY, history_weeks=10
    )
    assert counts["usage_reading"] == ACCOUNTS * 10
    assert counts["account_history"] == ACCOUNTS * 3  # weeks 0, 4 and 8
    with Session(engine) as session:
        latest = session.execute(
            select(UsageReading.account_id, func.max(UsageReading.read_on)).group_by(
                UsageReading.account_id
            )
        ).all()
        assert {on for _, on in latest} == {TODAY}
        last = dict(
            session.execute(
                select(UsageReading.account_id, UsageReading.seats_active).where(
                    UsageReading.read_on == TODAY
                )
            ).all()
        )
        seats = dict(session.execute(select(Account.id, Account.seats_active)).all())
    assert last == seats
