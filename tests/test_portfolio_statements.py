"""The owner's portfolio (bare `/account` outside an account's channel) and the App Home read
an owner's accounts in a fixed number of statements: one more account, person or item must
never cost one more query (issue 18: 200 accounts answered within 50 ms)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import select, text

from bench.stats import count_statements
from store.db import Database
from store.enums import Level, Role, SavePhase
from store.models import Account
from store.save_plans import PlanStep, RiskAssessment, save_save_plan
from store.usage import Reading, record_readings
from tests.factories import add_item, add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender

TODAY = app_today()
_tokens = count(1)


def add_accounts(database: Database, *, start: int, stop: int) -> None:
    """Accounts of U0ALICE, each with people (one contacted), an open item of hers and a save
    plan of two steps (internal tasks)."""
    for n in range(start, stop):
        account = make_account(
            database,
            f"Account {n:02d}",
            channel_id=f"C0ACC{n:02d}",
            renewal_date=TODAY + timedelta(days=20 + n),
        )
        add_person(database, account, f"Champion {n}", Role.CHAMPION, contacted_days_ago=5)
        add_person(database, account, f"Buyer {n}", Role.ECONOMIC_BUYER)
        add_item(database, account, f"Item {n}", TODAY + timedelta(days=n))
        with database.transaction() as session:  # a save plan with its steps (internal tasks)
            save_save_plan(
                session,
                team_id=account.team_id,
                account_id=account.id,
                currency="USD",
                assessment=RiskAssessment(
                    churn_probability=Level.HIGH,
                    rationale="champion departed",
                    arr_at_risk=Decimal("1000"),
                    difficulty=Level.MEDIUM,
                    investment_hours=6,
                    investment_people=2,
                ),
                steps=[
                    PlanStep(SavePhase.THIS_WEEK, f"Meet {n}", "U0ALICE", TODAY),
                    PlanStep(SavePhase.DAYS_90, f"EBR {n}", "U0ALICE", TODAY + timedelta(days=9)),
                ],
                by_user_id="U0ALICE",
            )


def portfolio_statements(bot: SlackSender, slack: FakeSlack, database: Database) -> int:
    """Statements the app sends for U0ALICE's bare `/account` in her DM, answer received."""
    token = f"p{next(_tokens)}"
    with count_statements(database.engine) as counted:
        reply = bot.command(
            "", user_id="U0ALICE", channel_id="D0ALICE", response_url=slack.response_url(token)
        )
        assert reply.status == 200
        [answer] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    assert "Your accounts (" in json.dumps(answer.params)
    return counted.queries


def home_statements(bot: SlackSender, slack: FakeSlack, database: Database, *, nth: int) -> int:
    """Statements the app sends for U0ALICE opening her App Home, the view published."""
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"}
    with count_statements(database.engine) as counted:
        assert bot.event(event | {"event_ts": f"17000000{nth:02d}.1"}).status == 200
        calls = slack.wait_for("views.publish", count=nth)
    assert "Account 00" in json.dumps(calls[-1].json_param("view"))
    return counted.queries


def test_portfolio_and_home_statements_do_not_grow_with_accounts(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    add_accounts(database, start=0, stop=2)
    few = (portfolio_statements(bot, slack, database), home_statements(bot, slack, database, nth=1))
    add_accounts(database, start=2, stop=8)
    many = (
        portfolio_statements(bot, slack, database),
        home_statements(bot, slack, database, nth=2),
    )
    assert few == many, f"statements (portfolio, home) at 2 accounts {few}, at 8 {many}"
    assert few[0] > 0 and few[1] > 0


def test_portfolio_reads_no_account_whole_usage_history(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The portfolio reads each account's latest usage reading and those a month and a quarter
    back by their day (account, day), never every reading the account has: over two years of
    weekly readings, an owner's 200 accounts were 20,000 readings read to find 600."""
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL's depends on its statistics)")
    add_accounts(database, start=0, stop=2)
    with database.transaction() as session:
        ids = session.execute(select(Account.id).where(Account.team_id == TEAM_ID)).scalars().all()
        record_readings(
            session,
            team_id=TEAM_ID,
            readings=[
                Reading(
                    account_id=account_id, read_on=TODAY - timedelta(weeks=week), seats_active=40
                )
                for account_id in ids
                for week in range(60)
            ],
            by_user_id=None,
            source="import",
        )
    token = f"p{next(_tokens)}"
    with count_statements(database.engine, keep=True) as counted:
        bot.command(
            "", user_id="U0ALICE", channel_id="D0ALICE", response_url=slack.response_url(token)
        )
        slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    with database.engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        steps = [
            detail
            for statement, parameters in counted.statements
            if "usage_reading" in statement
            for *_, detail in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            if "usage_reading" in detail
        ]
    assert steps, "the portfolio read no usage"
    unbounded = [step for step in steps if "read_on" not in step]
    assert not unbounded, f"reads an account's every usage reading: {unbounded}"


def test_postgres_sessions_plan_for_short_reads(database: Database) -> None:
    """Each PostgreSQL connection of the bot runs without JIT compilation and with a random
    page read costed near a sequential one: an owner's open items were found by a sequential
    scan of every item, and a list's usage read paid some 20 ms of compiling."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    with database.reading() as session:
        jit = session.execute(text("SHOW jit")).scalar_one()
        cost = session.execute(text("SHOW random_page_cost")).scalar_one()
    assert (jit, float(cost)) == ("off", 1.1)
