"""Account history: a dated record of band, signals and key figures, appended only when the state
differs from the last record, with a change made through the bot (same transaction) and by the
daily check (once per team and day, a missed day caught up, once across processes)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import monotonic, sleep
from typing import Any

import pytest
import time_machine
from sqlalchemy import event, func, select, text

from digests.history import check_history
from digests.scheduler import build_scheduler
from store.accounts import create_account, update_account
from store.db import Database
from store.enums import Band, Role
from store.history import (
    CHANGE,
    DAILY,
    check_team_day,
    checked_days,
    last_records,
    normalised,
    records_of,
    state_on,
    states_on,
)
from store.models import Account, AccountHistory, BandOverride, HistoryRun, Stakeholder
from store.settings import DigestSettings
from store.stakeholders import add_stakeholder, mark_departed
from store.types import utcnow
from store.usage import Reading, record_readings
from tests.conftest import POSTGRES_URL
from tests.factories import add_item, add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload
from tests.test_band_override import open_form, submit, values

DAY = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # a Monday


def history_count(database: Database) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(AccountHistory)).scalar_one()


def healthy(database: Database, name: str = "Acme", **fields: object) -> Account:
    """A green account: champion, buyer and sponsor, all contacted lately."""
    account = make_account(database, name, **fields)
    for person, role in (
        ("Ana", Role.CHAMPION),
        ("Ben", Role.ECONOMIC_BUYER),
        ("Cy", Role.EXECUTIVE_SPONSOR),
    ):
        add_person(database, account, person, role, contacted_days_ago=1)
    return account


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        ("last contact 61 days ago, with Ana", "last contact 62 days ago, with Ana", True),
        ("Kickoff (1 day overdue)", "Kickoff (2 days overdue)", True),
        ("renewal in 9 days", "renewal tomorrow", True),
        ("renews 9 Nov; proposal sent", "renews 10 Nov; proposal sent", True),
        ("last contact 61 days ago, with Ana", "last contact 61 days ago, with Ben", False),
        ("Kickoff (1 day overdue)", "Order form (1 day overdue)", False),
    ],
)
def test_a_changed_day_count_alone_is_no_change(before: str, after: str, same: bool) -> None:
    assert (normalised(before) == normalised(after)) is same


def test_a_change_through_the_bot_is_recorded_with_it_and_an_unchanged_state_is_not(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Umbrella")  # nobody on the map: red
    with database.transaction() as session:
        [created] = records_of(session, team_id=TEAM_ID, account_id=account.id)
    assert (created.source, created.band, created.override_band) == (CHANGE, Band.RED, None)
    assert created.signals == sorted(created.evidence) and "no_stakeholders" in created.signals
    assert (created.arr, created.seats_licensed, created.seats_active) == (120000, 100, 80)
    form = open_form(bot, slack, account.id)
    assert submit(bot, form, values(band="yellow")) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    with database.transaction() as session:
        records = records_of(session, team_id=TEAM_ID, account_id=account.id)
    assert [(r.band, r.rules_band, r.override_band) for r in records] == [
        (Band.RED, Band.RED, None),
        (Band.YELLOW, Band.RED, Band.YELLOW),
    ]
    assert records[1].day == records[0].day and records[1].source == CHANGE
    # the override's reason changed, nothing the history keeps did: no record
    click = block_actions_payload(
        "account.override", str(account.id), response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200  # the form opened again, over the override
    again = slack.opened_view(nth=2)
    assert submit(bot, again, values(band="yellow", reason="Another reason")) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card", count=2)
    with database.transaction() as session:
        reasons = session.execute(select(BandOverride.reason).order_by(BandOverride.id)).all()
    assert [r for (r,) in reasons] == ["Lab move: back on the 7th", "Another reason"]
    assert history_count(database) == 2


def test_a_change_that_fails_writes_no_history(database: Database) -> None:
    account_id = healthy(database).id
    before = history_count(database)
    with pytest.raises(RuntimeError), database.transaction() as session:
        row = session.get(Account, account_id)
        assert row is not None
        row.seats_active = 3
        session.flush()
        raise RuntimeError("the change fails after its flush")
    assert history_count(database) == before


def test_the_daily_check_records_what_moved_with_the_days_once_per_team_and_day(
    database: Database,
) -> None:
    with time_machine.travel(DAY, tick=False):
        account = healthy(database)
        account_id = account.id
        add_item(database, account, "Kickoff", DAY.date() + timedelta(days=1))
        first = history_count(database)
    with database.transaction() as session:
        assert check_team_day(session, team_id=TEAM_ID, day=DAY.date()) == 0  # nothing moved
    with database.transaction() as session:
        assert check_team_day(session, team_id=TEAM_ID, day=DAY.date()) is None  # done already
    later = DAY.date() + timedelta(days=3)  # the item fell overdue on day 2: yellow from then
    with database.transaction() as session:
        assert check_team_day(session, team_id=TEAM_ID, day=later) == 1
        records = records_of(session, team_id=TEAM_ID, account_id=account_id)
        days = checked_days(session, team_id=TEAM_ID)
    assert days == [DAY.date(), later]
    [moved] = records[first:]
    assert (moved.day, moved.source, moved.band) == (
        DAY.date() + timedelta(days=2),
        DAILY,
        "yellow",
    )
    assert "actions_overdue" in moved.signals
    assert "Kickoff (1 day overdue)" in moved.evidence["actions_overdue"]
    with database.transaction() as session:  # a day later the item is 2 days late: no change
        assert check_team_day(session, team_id=TEAM_ID, day=later + timedelta(days=1)) == 0
        assert state_on(session, team_id=TEAM_ID, account_id=account_id, day=later).band == "yellow"
        on_day_one = state_on(
            session, team_id=TEAM_ID, account_id=account_id, day=DAY.date() + timedelta(days=1)
        )
        assert on_day_one is not None and on_day_one.band == Band.GREEN
        assert (
            state_on(
                session, team_id=TEAM_ID, account_id=account_id, day=DAY.date() - timedelta(days=1)
            )
            is None
        )


def test_a_day_missed_is_caught_up_by_the_next_run_of_the_scheduler_job(
    database: Database, slack: FakeSlack
) -> None:
    with time_machine.travel(DAY, tick=False):
        account = healthy(database)
        account_id = account.id
        add_item(database, account, "Kickoff", DAY.date())
    clock = [DAY]
    scheduler = build_scheduler(
        database, lambda _team: None, clock=lambda: clock[0], digest_defaults=DigestSettings()
    )
    job = scheduler.get_job("daily-history").func
    job()
    job()  # the same day again: nothing more
    clock[0] = DAY + timedelta(days=4)  # the bot was down three days
    job()
    with database.transaction() as session:
        records = records_of(session, team_id=TEAM_ID, account_id=account_id)
        days = checked_days(session, team_id=TEAM_ID)
    assert days == [DAY.date(), DAY.date() + timedelta(days=4)]
    assert [(r.day, r.band) for r in records][-1] == (DAY.date() + timedelta(days=1), "yellow")


def test_the_daily_check_is_a_fixed_number_of_statements_whatever_the_accounts(
    database: Database,
) -> None:
    counts = []
    for size, team in ((3, "T0SMALL"), (30, "T0LARGE")):
        for index in range(size):
            make_account(database, f"Account {index}", team_id=team, channel_id=f"C{index}")
        statements: list[str] = []

        def count(*args: object, statements: list[str] = statements) -> None:
            statements.append(str(args[2]))

        event.listen(database.engine, "before_cursor_execute", count)
        with database.transaction() as session:
            check_team_day(session, team_id=team, day=date(2026, 11, 2))
        event.remove(database.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]


on_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="two processes share PostgreSQL")


@on_postgres
def test_two_processes_check_each_team_day_exactly_once(database: Database) -> None:
    teams = [f"T0H{n:02d}" for n in range(6)]
    for team in teams:
        for index in range(3):
            make_account(database, f"Account {index}", team_id=team, channel_id=f"C{index}")
    engines = [Database(database.url) for _ in range(2)]
    start = threading.Barrier(2, timeout=30)
    runs = []

    def process(db: Database, holder: str) -> None:
        start.wait()
        runs.append(check_history(db, now=DAY + timedelta(days=1), holder=holder))

    threads = [
        threading.Thread(target=process, args=(db, f"process-{n}")) for n, db in enumerate(engines)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for db in engines:
        db.dispose()
    assert sorted(team for run in runs for team in run.recorded) == teams
    with database.transaction() as session:
        ledger = session.execute(select(HistoryRun.team_id, HistoryRun.day)).all()
    assert sorted(ledger) == [(team, (DAY + timedelta(days=1)).date()) for team in teams]


def pg_advisory_waiters(database: Database) -> int:
    """Transactions of this test's database waiting for an advisory lock another one holds."""
    with database.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).scalar_one()


Writer = Callable[[Database], None]
"""One writer's transaction, on its own `Database` (its own connections: another process)."""


def at_once(database: Database, writers: Sequence[Writer]) -> None:
    """Run two writers at once, each in its thread, each pausing just after appending a history
    record, before it commits, until both have appended (no lock between them: the race) or one
    has and the other is seen waiting for the team's history lock (on SQLite: has begun, its
    writers being one at a time already). Any writer's failure fails the test."""
    processes = [Database(database.url) for _ in writers]
    start = threading.Barrier(len(writers), timeout=30)
    entered: list[str] = []
    wrote: list[str] = []
    go = threading.Event()
    failures: list[BaseException] = []

    def pause_after_history_insert(*args: Any) -> None:
        if str(args[2]).lstrip().upper().startswith("INSERT INTO ACCOUNT_HISTORY"):
            wrote.append(threading.current_thread().name)
            go.wait(timeout=60)

    def run(writer: Writer, process: Database) -> None:
        try:
            start.wait()
            entered.append(threading.current_thread().name)
            writer(process)
        except BaseException as error:  # reported by the test, not lost in its thread
            failures.append(error)

    def met() -> bool:
        if failures or len(wrote) == 2:
            return True  # both appended before either committed: the race
        if len(wrote) == 1 and len(entered) == 2:
            return not POSTGRES_URL or pg_advisory_waiters(database) == 1
        return False

    for process in processes:
        event.listen(process.engine, "after_cursor_execute", pause_after_history_insert)
    threads = [
        threading.Thread(target=run, args=(writer, process), name=writer.__name__)
        for writer, process in zip(writers, processes, strict=True)
    ]
    for thread in threads:
        thread.start()
    deadline = monotonic() + 60
    while not met():
        assert monotonic() < deadline, f"the writers never met: wrote {wrote}"
        sleep(0.01)
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    for process in processes:
        process.dispose()
    assert not failures


def test_the_daily_check_and_a_change_at_once_record_a_moved_state_exactly_once(
    database: Database,
) -> None:
    """The daily check and a change to the same account, when the account's state has moved
    since its last record: without the team's history lock the second reads the same last record
    as the first and appends the same state again; with it, it waits for the first to commit and
    finds its record."""
    with time_machine.travel(DAY, tick=False):
        account = healthy(database)
        add_item(database, account, "Kickoff", DAY.date() + timedelta(days=1))
    before = history_count(database)
    later = DAY.date() + timedelta(days=3)  # the item fell overdue: a state not recorded yet

    def daily_check(process: Database) -> None:
        with process.transaction() as session:
            check_team_day(session, team_id=TEAM_ID, day=later)

    def change(process: Database) -> None:
        with process.transaction() as session:  # a change history does not keep
            row = session.get(Account, account.id)
            assert row is not None
            row.external_crm_id = "0061A00000Acme"

    with time_machine.travel(datetime.combine(later, time(9), UTC), tick=False):
        at_once(database, [daily_check, change])
    with database.transaction() as session:
        records = records_of(session, team_id=TEAM_ID, account_id=account.id)
    [moved] = records[before:]
    assert moved.day == later and "actions_overdue" in moved.signals


def test_two_changes_to_one_account_at_once_leave_its_state_with_both_as_its_last_record(
    database: Database,
) -> None:
    """Two people change one account at once (its seats; its champion leaves): without the lock
    each records its own half, and the account's last record is a state it never had; with it,
    the second records the state with both."""
    with time_machine.travel(DAY, tick=False):
        account = healthy(database)
    with database.transaction() as session:
        champion = session.execute(
            select(Stakeholder.id).where(Stakeholder.role == Role.CHAMPION)
        ).scalar_one()
    before = history_count(database)

    def seats(process: Database) -> None:
        with process.transaction() as session:
            row = session.get(Account, account.id)
            assert row is not None
            row.seats_active = 12

    def departure(process: Database) -> None:
        with process.transaction() as session:
            mark_departed(
                session,
                team_id=TEAM_ID,
                stakeholder_id=champion,
                on=DAY.date(),
                by_user_id="U0BOB",
            )

    with time_machine.travel(DAY, tick=False):
        at_once(database, [seats, departure])
    with database.transaction() as session:
        [now] = states_on(session, team_id=TEAM_ID, account_ids=[account.id], day=DAY.date())
        last = last_records(session, team_id=TEAM_ID, account_ids=[account.id])[account.id]
    assert now.seats_active == 12 and "champion_departed" in now.signals
    assert last.fingerprint == now.fingerprint
    assert history_count(database) == before + 2


def pg_lock_waits(database: Database) -> int:
    """Transactions of this test's database waiting for a lock another one holds."""
    with database.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()


@on_postgres
def test_the_daily_check_beside_an_account_form_saved_at_once_never_deadlocks(
    database: Database,
) -> None:
    """An account form's save locks the account's row (`SELECT … FOR UPDATE`) and takes the
    team's history lock as it commits; the daily check, meanwhile, records the same account
    (its history row's foreign key needs a share of that row). Whoever waits for the other must
    not hold the history lock while it waits, or each waits for the other (PostgreSQL then
    aborts one): the check takes its accounts' rows before the lock. Both go in; the account's
    last record is its state with both."""
    with time_machine.travel(DAY, tick=False):
        account = healthy(database)
        add_item(database, account, "Kickoff", DAY.date() + timedelta(days=1))
    later = DAY.date() + timedelta(days=3)  # the item fell overdue: the check records it
    processes = [Database(database.url) for _ in range(2)]
    locked, go = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def save_form() -> None:
        with processes[0].transaction() as session:
            update_account(session, team_id=TEAM_ID, account_id=account.id, seats_active=55)
            session.flush()
            locked.set()
            go.wait(timeout=60)  # the form's save still going on when the check comes

    def daily_check() -> None:
        locked.wait(timeout=60)
        with processes[1].transaction() as session:
            check_team_day(session, team_id=TEAM_ID, day=later)

    def run(writer: Callable[[], None]) -> None:
        try:
            writer()
        except BaseException as error:  # reported by the test, not lost in its thread
            failures.append(error)

    with time_machine.travel(datetime.combine(later, time(9), UTC), tick=False):
        threads = [threading.Thread(target=run, args=(w,)) for w in (save_form, daily_check)]
        for thread in threads:
            thread.start()
        deadline = monotonic() + 60
        while not failures and pg_lock_waits(database) == 0:  # the check waits for the form
            assert monotonic() < deadline, "the daily check never met the form's lock"
            sleep(0.01)
        go.set()
        for thread in threads:
            thread.join(timeout=60)
    for process in processes:
        process.dispose()
    assert not failures
    with database.transaction() as session:
        [now] = states_on(session, team_id=TEAM_ID, account_ids=[account.id], day=later)
        last = last_records(session, team_id=TEAM_ID, account_ids=[account.id])[account.id]
    assert (now.seats_active, "actions_overdue" in now.signals) == (55, True)
    assert (last.day, last.fingerprint) == (later, now.fingerprint)


# -- the card shows the trend ---------------------------------------------------------------------


def test_the_card_says_how_long_the_band_has_held_and_where_usage_went_in_90_days(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    today = utcnow().date()
    with time_machine.travel(datetime.combine(today - timedelta(days=40), time(9), UTC)):
        account = healthy(database)
    with database.transaction() as session:
        champion = session.execute(
            select(Stakeholder.id).where(Stakeholder.role == Role.CHAMPION)
        ).scalar_one()
    red_from = today - timedelta(days=21)
    with (
        time_machine.travel(datetime.combine(red_from, time(9), UTC)),
        database.transaction() as session,
    ):
        mark_departed(
            session, team_id=TEAM_ID, stakeholder_id=champion, on=red_from, by_user_id="U0ALICE"
        )
    with database.transaction() as session:  # today: readings, still red
        record_readings(
            session,
            team_id=TEAM_ID,
            readings=[
                Reading(account.id, today - timedelta(days=95), 80, adoption_percent=30),
                Reading(account.id, today - timedelta(days=2), 64, adoption_percent=45),
            ],
            by_user_id=None,
            source="import",
        )
    assert bot.command("acme", response_url=slack.response_url("card")).status == 200
    [reply] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    [trend] = [
        b["elements"][0]["text"]
        for b in reply.params["blocks"]
        if b["type"] == "context" and "chart_with" in b["elements"][0]["text"]
    ]
    green_until = f"{red_from - timedelta(days=1):%-d %b}"
    before = f"{today - timedelta(days=95):%-d %b}"
    assert trend == (
        f":chart_with_upwards_trend: Red for 3 weeks (green until {green_until}) · "
        f"seats active 64 ↓ (80 on {before}) · adoption 45% ↑ (30% on {before})"
    )


def test_one_transaction_writes_one_record_per_account_whatever_its_savepoints(
    database: Database,
) -> None:
    """Adding people releases savepoints inside the transaction: the history is written once,
    at the outer commit, with the state the transaction leaves (not one record per step)."""
    with database.transaction() as session:
        account = create_account(session, team_id=TEAM_ID, name="Acme", arr=Decimal(1000))
        for name, role in (("Ana", Role.CHAMPION), ("Ben", Role.ECONOMIC_BUYER)):
            add_stakeholder(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                name=name,
                role=role,
                by_user_id="U0ALICE",
            )
    with database.transaction() as session:
        [record] = records_of(session, team_id=TEAM_ID, account_id=account.id)
    assert "no_stakeholders" not in record.signals
