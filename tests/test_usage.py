"""Usage readings: the rules they feed (a table), the "Record usage" form through the signed
endpoint (saved, replaced, refused inline with nothing written), and the rules' one query."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select

from store.db import Database
from store.departments import DepartmentRow, list_departments, set_departments
from store.enums import Role
from store.models import Account, AccountHistory, UsageReading
from store.settings import Thresholds
from store.signals import Band, Severity, SignalKind, UsagePoint, UsageTrend, assess, next_steps
from store.snapshots import load_snapshots
from store.types import utcnow
from store.usage import Outcome, Reading, record_readings
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_signals import TODAY, healthy_people, person, snapshot


def point(days_ago: int, seats: int, **figures: Any) -> UsagePoint:
    return UsagePoint(TODAY - timedelta(days=days_ago), seats, **figures)


USAGE_RULES = [
    # (story, usage, thresholds, kinds that fire, the first reason's start)
    ("no readings: nothing", None, {}, set(), ""),
    (
        "seats down 20% over 30 days",
        UsageTrend(point(2, 80), month_ago=point(33, 100)),
        {},
        {SignalKind.DECLINING_USAGE},
        "declining usage: active seats down 20% in 30 days",
    ),
    (
        "seats down 10%: under the default 15%",
        UsageTrend(point(2, 90), month_ago=point(33, 100)),
        {},
        set(),
        "",
    ),
    (
        "seats down 10% with the team's threshold at 10%",
        UsageTrend(point(2, 90), month_ago=point(33, 100)),
        {"usage_decline_percent": 10},
        {SignalKind.DECLINING_USAGE},
        "declining usage: active seats down 10% in 30 days",
    ),
    (
        "monthly active users down 40%, seats flat",
        UsageTrend(
            point(2, 100, monthly_active_users=300),
            month_ago=point(31, 100, monthly_active_users=500),
        ),
        {},
        {SignalKind.DECLINING_USAGE},
        "declining usage: monthly active users down 40% in 30 days",
    ),
    (
        "a base reading older than 60 days says nothing of the last 30",
        UsageTrend(point(2, 50), month_ago=point(75, 100)),
        {},
        set(),
        "",
    ),
    (
        "core-feature adoption 42%",
        UsageTrend(point(5, 100, adoption_percent=42)),
        {},
        {SignalKind.LOW_FEATURE_ADOPTION},
        "core-feature adoption 42%",
    ),
    (
        "adoption 50% is not under 50%",
        UsageTrend(point(5, 100, adoption_percent=50)),
        {},
        set(),
        "",
    ),
    (
        "satisfaction 3.4 of 5",
        UsageTrend(point(5, 100, satisfaction=Decimal("3.4"))),
        {},
        {SignalKind.LOW_SATISFACTION},
        "support satisfaction 3.4 of 5",
    ),
    ("satisfaction 3.5", UsageTrend(point(5, 100, satisfaction=Decimal("3.5"))), {}, set(), ""),
    (
        "an escalation in the last 30 days",
        UsageTrend(point(5, 100, escalations=1), escalations_30_days=1),
        {},
        {SignalKind.ESCALATION},
        "1 support escalation in the last 30 days",
    ),
    (
        "a reading older than 90 days says nothing now",
        UsageTrend(point(95, 100, adoption_percent=10, satisfaction=Decimal("1.0"))),
        {},
        set(),
        "",
    ),
]


@pytest.mark.parametrize(
    ("usage", "settings", "fired", "leads"),
    [case[1:] for case in USAGE_RULES],
    ids=[case[0] for case in USAGE_RULES],
)
def test_the_usage_rules(
    usage: UsageTrend | None, settings: dict[str, int], fired: set[SignalKind], leads: str
) -> None:
    thresholds = Thresholds(**settings)
    verdict = assess(replace(snapshot(), usage=usage), today=TODAY, thresholds=thresholds)
    usage_kinds = {
        SignalKind.DECLINING_USAGE,
        SignalKind.LOW_FEATURE_ADOPTION,
        SignalKind.LOW_SATISFACTION,
        SignalKind.ESCALATION,
    }
    found = [s for s in verdict.signals if s.kind in usage_kinds]
    assert {s.kind for s in found} == fired
    assert all(s.severity is Severity.RISK for s in found)
    if leads:
        assert found[0].reason.startswith(leads)
    # each is a risk: one makes a green account yellow
    assert verdict.band is (Band.YELLOW if fired else Band.GREEN)


def test_an_executive_sponsor_who_departed_moves_the_band_like_a_departed_champion() -> None:
    people = [p for p in healthy_people() if p.role is not Role.EXECUTIVE_SPONSOR]
    for role, kind in (
        (Role.CHAMPION, SignalKind.CHAMPION_DEPARTED),
        (Role.EXECUTIVE_SPONSOR, SignalKind.SPONSOR_DEPARTED),
    ):
        kept = [p for p in people if p.role is not role]
        verdict = assess(
            snapshot([*kept, person("Gone", role, departed=True)]),
            today=TODAY,
            thresholds=Thresholds(),
        )
        gone = next(s for s in verdict.signals if s.kind is kind)
        assert (gone.severity, verdict.band) == (Severity.CRITICAL, Band.RED)


# -- the rules read usage in one more statement ---------------------------------------------------


def test_the_snapshots_read_usage_in_one_statement_whatever_the_accounts(
    database: Database,
) -> None:
    today = utcnow().date()
    counts = []
    for size, team in ((2, "T0SMALL"), (12, "T0LARGE")):
        ids = [
            make_account(database, f"Account {i}", team_id=team, channel_id=f"C{i}").id
            for i in range(size)
        ]
        with database.transaction() as session:
            record_readings(
                session,
                team_id=team,
                readings=[
                    Reading(account_id, today - timedelta(days=days), seats, adoption_percent=40)
                    for account_id in ids
                    for days, seats in ((100, 90), (40, 80), (1, 60))
                ],
                by_user_id=None,
                source="import",
            )
            # a department's readings, newer and as old as the whole account's: the rules
            # read the whole account's only
            rows = [DepartmentRow(id=None, name="Sales", uses_product=True)]
            set_departments(session, team_id=team, account_id=ids[0], rows=rows, field_of={})
            [sales] = list_departments(session, team_id=team, account_id=ids[0])
            record_readings(
                session,
                team_id=team,
                readings=[
                    Reading(ids[0], today - timedelta(days=days), 5, department_id=sales.id)
                    for days in (40, 1, 0)
                ],
                by_user_id=None,
                source="import",
            )
        statements: list[str] = []

        def count(*args: object, statements: list[str] = statements) -> None:
            statements.append(str(args[2]))

        event.listen(database.engine, "before_cursor_execute", count)
        with database.reading() as session:
            snapshots = load_snapshots(session, team_id=team, today=today)
        event.remove(database.engine, "before_cursor_execute", count)
        counts.append(len(statements))
        for snap in snapshots:
            assert snap.usage is not None
            assert (snap.usage.latest.seats_active, snap.account.seats_active) == (60, 60)
            assert snap.usage.month_ago is not None and snap.usage.month_ago.seats_active == 80
            assert snap.usage.quarter_ago is not None and snap.usage.quarter_ago.seats_active == 90
    assert counts[0] == counts[1]


def test_the_snapshots_usage_marks_at_their_edges(database: Database) -> None:
    """As of a day (`asked`): a reading after it or older than half a year is not read; with
    no reading in the last month the latest is also the month-old one; escalations are the
    whole account's over the last 30 days, a department's apart; an account whose readings are
    all too old has no usage."""
    asked = utcnow().date() - timedelta(days=5)

    def on(days_before: int) -> Any:
        return asked - timedelta(days=days_before)

    stale = make_account(database, "Stale", channel_id="C1").id
    busy = make_account(database, "Busy", channel_id="C2").id
    silent = make_account(database, "Silent", channel_id="C3").id
    with database.transaction() as session:
        rows = [DepartmentRow(id=None, name="Sales", uses_product=True)]
        set_departments(session, team_id=TEAM_ID, account_id=busy, rows=rows, field_of={})
        [sales] = list_departments(session, team_id=TEAM_ID, account_id=busy)
        record_readings(
            session,
            team_id=TEAM_ID,
            readings=[
                Reading(stale, on(195), 10),
                Reading(stale, on(40), 20),
                Reading(stale, on(-5), 30),  # after the day asked
                Reading(busy, on(100), 45, escalations=8),
                Reading(busy, on(40), 50, escalations=7),  # more than 30 days before
                Reading(busy, on(20), 55, escalations=2),
                Reading(busy, on(1), 60, escalations=3),
                Reading(busy, on(-3), 65, escalations=9),  # after the day asked
                Reading(busy, on(2), 5, escalations=4, department_id=sales.id),
                Reading(silent, on(181), 70),
            ],
            by_user_id=None,
            source="import",
        )
    with database.reading() as session:
        found = {
            s.account.name: s.usage for s in load_snapshots(session, team_id=TEAM_ID, today=asked)
        }
    assert found["Stale"] == UsageTrend(
        latest=UsagePoint(on(40), 20),
        month_ago=UsagePoint(on(40), 20),
        quarter_ago=None,
        escalations_30_days=0,
    )
    assert found["Busy"] == UsageTrend(
        latest=UsagePoint(on(1), 60, escalations=3),
        month_ago=UsagePoint(on(40), 50, escalations=7),
        quarter_ago=UsagePoint(on(100), 45, escalations=8),
        escalations_30_days=5,
    )
    assert found["Silent"] is None


# -- the form, through the signed endpoint --------------------------------------------------------


def open_usage_form(
    bot: SlackSender, slack: FakeSlack, account_id: int, *, nth: int = 1
) -> dict[str, Any]:
    click = block_actions_payload(
        "account.usage", str(account_id), response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view(nth=nth)


def typed(day: str, seats: str, **optional: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "read_on": {"type": "datepicker", "selected_date": day},
        "seats_active": {"type": "number_input", "value": seats},
    }
    for block, value in optional.items():
        values[block] = {"type": "number_input", "value": value}
    return values


def submit(bot: SlackSender, view: dict[str, Any], values: dict[str, Any]) -> Any:
    reply = bot.interaction(view_submission_payload(view, values))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def readings(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    UsageReading.read_on,
                    UsageReading.seats_active,
                    UsageReading.adoption_percent,
                    UsageReading.satisfaction,
                    UsageReading.escalations,
                ).order_by(UsageReading.read_on)
            )
        ]


def test_a_reading_recorded_on_the_card_sets_active_seats_and_a_second_one_replaces_it(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", seats_licensed=100, seats_active=80)
    today = utcnow().date()
    form = open_usage_form(bot, slack, account.id)
    assert form["callback_id"] == "account.usage"
    assert "none yet" in json.dumps(form)
    values = typed(today.isoformat(), "64", adoption_percent="45", satisfaction="3.2")
    assert submit(bot, form, values) is None
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    shown = json.dumps(card.params)
    assert "64 of 100" in shown
    assert "core-feature adoption 45%" in shown and "support satisfaction 3.2 of 5" in shown
    assert readings(database) == [(today, 64, 45, Decimal("3.2"), None)]
    with database.transaction() as session:
        assert session.get(Account, account.id).seats_active == 64  # type: ignore[union-attr]
        seats = session.execute(
            select(AccountHistory.seats_active).order_by(AccountHistory.id)
        ).all()
    assert [s for (s,) in seats] == [80, 64]  # the change is in the history, with it
    again = {**form, "hash": "2.again"}  # the form saved once more, for the same day
    assert submit(bot, again, typed(today.isoformat(), "70", adoption_percent="55")) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card", count=2)
    assert readings(database) == [(today, 70, 55, None, None)]  # replaced, not added


def test_an_older_reading_does_not_move_the_accounts_active_seats(
    database: Database,
) -> None:
    account = make_account(database, "Acme", seats_active=80)
    today = utcnow().date()
    with database.transaction() as session:
        outcomes = record_readings(
            session,
            team_id=TEAM_ID,
            readings=[
                Reading(account.id, today, 75),
                Reading(account.id, today - timedelta(7), 70),
            ],
            by_user_id=None,
            source="import",
        )
    assert outcomes == [Outcome.CREATED, Outcome.CREATED]
    with database.transaction() as session:
        older = [Reading(account.id, today - timedelta(days=14), 10)]
        same = [Reading(account.id, today, 75)]
        assert record_readings(
            session, team_id=TEAM_ID, readings=older, by_user_id=None, source="import"
        ) == [Outcome.CREATED]
        assert record_readings(
            session, team_id=TEAM_ID, readings=same, by_user_id=None, source="import"
        ) == [Outcome.UNCHANGED]
    with database.transaction() as session:
        assert session.get(Account, account.id).seats_active == 75  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("days_ahead", "seats", "optional", "field", "message"),
    [
        (1, "50", {}, "read_on", "A reading cannot be dated in the future."),
        (0, "50", {"adoption_percent": "101"}, "adoption_percent", "from 0 to 100"),
        (0, "-1", {}, "seats_active", "A count cannot be negative."),
        (0, "50", {"escalations": "-2"}, "escalations", "A count cannot be negative."),
        (0, "50", {"monthly_active_users": "-5"}, "monthly_active_users", "cannot be negative"),
        (0, "50", {"satisfaction": "5.5"}, "satisfaction", "from 0 to 5"),
        (0, "50", {"satisfaction": "4.25"}, "satisfaction", "one decimal at most"),
        (0, "lots", {}, "seats_active", "Enter a whole number."),
    ],
)
def test_a_bad_reading_is_refused_beside_its_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    days_ahead: int,
    seats: str,
    optional: dict[str, str],
    field: str,
    message: str,
) -> None:
    account = make_account(database, "Acme")
    form = open_usage_form(bot, slack, account.id)
    day = (utcnow().date() + timedelta(days=days_ahead)).isoformat()
    reply = submit(bot, form, typed(day, seats, **optional))
    assert reply["response_action"] == "errors"
    assert message in reply["errors"][field]
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(UsageReading)).scalar_one() == 0
        assert session.get(Account, account.id).seats_active == 80  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("usage", "step"),
    [
        (UsageTrend(point(2, 80), month_ago=point(33, 100)), "why usage fell"),
        (UsageTrend(point(5, 100, adoption_percent=42)), "enablement session"),
        (UsageTrend(point(5, 100, satisfaction=Decimal("3.1"))), "support history"),
        (UsageTrend(point(5, 100, escalations=2), escalations_30_days=2), "escalation"),
    ],
)
def test_each_usage_signal_comes_with_a_next_step_naming_who_to_see(
    usage: UsageTrend, step: str
) -> None:
    snap = replace(snapshot(), usage=usage)
    verdict = assess(snap, today=TODAY, thresholds=Thresholds())
    [found] = [s for s in next_steps(snap, verdict, today=TODAY) if step in s.text]
    assert "with Cara" in found.text  # the champion


def department_select_of(form: dict[str, Any]) -> list[str] | None:
    """The names the form's department select offers (None: the form has no select)."""
    for block in form["blocks"]:
        if block.get("block_id") == "department_id":
            return [o["text"]["text"] for o in block["element"]["options"]]
    return None


def test_a_reading_of_a_department_is_its_own_and_sets_nothing_on_the_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The form offers the account's departments (none: no select); a department's reading of
    a day stands beside the whole account's of that day, replaced only by its own department's,
    and leaves the account's active seats alone; another account's department, named by a
    crafted form, is refused beside the select with nothing written."""
    bare = make_account(database, "Initech", channel_id="C0INI")
    assert department_select_of(open_usage_form(bot, slack, bare.id)) is None
    with database.transaction() as session:
        rows = [DepartmentRow(id=None, name="Legal", uses_product=False)]
        set_departments(session, team_id=TEAM_ID, account_id=bare.id, rows=rows, field_of={})
        [legal] = list_departments(session, team_id=TEAM_ID, account_id=bare.id)
    account = make_account(database, "Acme", seats_licensed=100, seats_active=80)
    with database.transaction() as session:
        rows = [DepartmentRow(id=None, name=name, uses_product=True) for name in ("Sales", "Ops")]
        set_departments(session, team_id=TEAM_ID, account_id=account.id, rows=rows, field_of={})
        ids = {
            d.name: d.id for d in list_departments(session, team_id=TEAM_ID, account_id=account.id)
        }
    form = open_usage_form(bot, slack, account.id, nth=2)
    assert department_select_of(form) == ["Ops", "Sales"]
    today = utcnow().date().isoformat()

    def of(department_id: object, seats: str) -> dict[str, Any]:
        chosen = {"text": {"type": "plain_text", "text": "x"}, "value": str(department_id)}
        return typed(today, seats) | {
            "department_id": {"type": "static_select", "selected_option": chosen}
        }

    assert submit(bot, form, typed(today, "70")) is None
    assert submit(bot, {**form, "hash": "2"}, of(ids["Sales"], "55")) is None
    assert submit(bot, {**form, "hash": "3"}, of(ids["Sales"], "50")) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card", count=3)
    crafted = submit(bot, {**form, "hash": "4"}, of(legal.id, "5"))
    assert crafted["response_action"] == "errors"
    assert "this account's departments" in crafted["errors"]["department_id"]
    with database.transaction() as session:
        stored = session.execute(
            select(UsageReading.department_id, UsageReading.seats_active).order_by(UsageReading.id)
        ).all()
        assert session.get(Account, account.id).seats_active == 70  # type: ignore[union-attr]
    assert [tuple(r) for r in stored] == [(None, 70), (ids["Sales"], 50)]
