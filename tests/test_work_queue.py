"""Scheduled work split between processes through the database (PostgreSQL as the queue):
teams claimed with SKIP LOCKED, claims that expire, a dead process's work taken over."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.app import make_client
from bot.settings import Settings
from digests.scheduler import build_scheduler
from store.db import Database
from store.deliveries import FAILED, INTERRUPTED, SENT, claim_reminder
from store.models import ActionReminder, DigestDelivery, WorkClaim
from store.settings import DigestSettings
from store.work import (
    CLAIM_TTL,
    DIGESTS,
    REMINDERS,
    Claimed,
    claim_team,
    enqueue,
    release_claim,
    renew_claim,
)
from tests.conftest import POSTGRES_URL
from tests.factories import add_item, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.test_faults import digest_process, ledger, posted

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday, after the default 09:00 UTC
WEEK = MONDAY.date()
on_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="the work queue is PostgreSQL's (SQLite keeps the scheduler lease)"
)


def claims(database: Database) -> dict[tuple[str, str], tuple[str | None, date | None]]:
    with database.transaction() as session:
        rows = session.scalars(select(WorkClaim)).all()
        return {(r.kind, r.team_id): (r.holder, r.done_for) for r in rows}


def test_a_claim_is_taken_over_only_once_it_has_expired_and_says_whose_it_was(
    database: Database,
) -> None:
    periods: dict[str, date | None] = {"T0ONE": WEEK}
    with database.transaction() as session:
        enqueue(session, kind=DIGESTS, team_ids=periods)

    def claim(holder: str, at: datetime) -> Claimed | None:
        with database.transaction() as session:
            return claim_team(
                session, kind=DIGESTS, periods=periods, holder=holder, now=at, ttl=CLAIM_TTL
            )

    assert claim("one", MONDAY) == Claimed("T0ONE", taken_from=None)
    assert claim("two", MONDAY + CLAIM_TTL - timedelta(seconds=1)) is None  # still one's
    with database.transaction() as session:  # one renews while it works …
        assert renew_claim(
            session,
            kind=DIGESTS,
            team_id="T0ONE",
            holder="one",
            now=MONDAY + CLAIM_TTL / 2,
            ttl=CLAIM_TTL,
        )
    assert claim("two", MONDAY + CLAIM_TTL) is None
    late = MONDAY + CLAIM_TTL * 2  # … then stops renewing (it died): two takes the team over
    assert claim("two", late) == Claimed("T0ONE", taken_from="one")
    with database.transaction() as session:
        assert not renew_claim(
            session, kind=DIGESTS, team_id="T0ONE", holder="one", now=late, ttl=CLAIM_TTL
        )
        release_claim(session, kind=DIGESTS, team_id="T0ONE", holder="two", done_for=WEEK)
    assert claim("three", late) is None  # the week is finished
    assert claims(database) == {(DIGESTS, "T0ONE"): (None, WEEK)}
    next_week = {"T0ONE": WEEK + timedelta(days=7)}
    with database.transaction() as session:
        again = claim_team(
            session, kind=DIGESTS, periods=next_week, holder="three", now=late, ttl=CLAIM_TTL
        )
    assert again == Claimed("T0ONE", taken_from=None)


@on_postgres
def test_two_schedulers_split_a_weeks_digests_with_no_double_and_no_gap(
    database: Database, slack: FakeSlack
) -> None:
    """Each scheduler has its own engine and its own token (to tell who posted what); neither
    may post until both have claimed a team, so both take part whatever the timing."""
    teams = [f"T0Q{n:02d}" for n in range(10)]
    channels = {f"C0{team}{i}": team for team in teams for i in range(3)}
    for channel, team in channels.items():
        make_account(database, f"Account {channel}", team_id=team, channel_id=channel)
    both_claimed = threading.Barrier(2, timeout=30)
    engines = [Database(database.url) for _ in range(2)]

    def job(db: Database, token: str) -> threading.Thread:
        client = WebClient(token=token, base_url=slack.api_url)
        first = threading.Lock()

        def clients(_team: str) -> WebClient:
            if first.acquire(blocking=False):  # this process's first team: wait for the other's
                both_claimed.wait()
            return client

        scheduler = build_scheduler(
            db, clients, clock=lambda: MONDAY, digest_defaults=DigestSettings()
        )
        return threading.Thread(target=scheduler.get_job("weekly-digests").func)

    threads = [job(db, f"xoxb-process-{n}") for n, db in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for db in engines:
        db.dispose()
    calls = slack.calls_to("chat.postMessage")
    assert Counter(c.params["channel"] for c in calls) == dict.fromkeys(channels, 1)
    by_process: dict[str, set[str]] = {}
    for call in calls:
        by_process.setdefault(call.headers["Authorization"], set()).add(
            channels[call.params["channel"]]
        )
    assert len(by_process) == 2  # both processes posted …
    first, second = by_process.values()
    assert not first & second  # … each team's digests from one of them only
    assert set(ledger(database).values()) == {(SENT, None)}
    assert claims(database) == {(DIGESTS, team): (None, WEEK) for team in teams}


@on_postgres
def test_a_digest_process_killed_holding_a_team_is_taken_over_within_a_minute(
    database: Database,
    slack: FakeSlack,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The killed process claimed the team and had its third post in flight. A minute later
    (its claim expired, long before the ledger's ten-minute staleness) another process's
    scheduler takes the team over: it posts what was never tried and reports the post in
    flight as interrupted, never posting it again."""
    channels = [f"C0KILL{index}" for index in range(6)]
    for channel in channels:
        make_account(database, f"Account {channel}", channel_id=channel)
    slack.delay("chat.postMessage", 0.3)
    with digest_process(slack, database, tmp_path, at=MONDAY) as first:
        slack.wait_for_start("chat.postMessage", count=3, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    in_flight = slack.wait_for("chat.postMessage", count=3)[2].params["channel"]
    [(holder, _)] = claims(database).values()
    assert holder is not None  # the dead process still holds the team
    slack.delay("chat.postMessage", 0)
    client = make_client(settings)
    scheduler = build_scheduler(
        database,
        lambda _team: client,
        clock=lambda: MONDAY + timedelta(minutes=1),
        digest_defaults=DigestSettings(),
    )
    with caplog.at_level(logging.INFO):
        scheduler.get_job("weekly-digests").func()
    assert posted(slack) == dict.fromkeys(channels, 1)  # every channel exactly once
    assert ledger(database)[in_flight] == (FAILED, INTERRUPTED)
    assert [c for c, (status, _) in ledger(database).items() if status == SENT] == [
        c for c in channels if c != in_flight
    ]
    assert f"taken over from {holder}" in caplog.text
    assert f"digests of {TEAM_ID} for week {WEEK}: 3 sent, 1 failed, 2 already done" in (
        caplog.text
    )
    with database.transaction() as session:
        holders = {r.holder for r in session.scalars(select(DigestDelivery)).all()}
    assert len(holders) == 2  # each post names the process that claimed it


@on_postgres
def test_reminders_of_a_team_another_process_holds_wait_for_its_claim_to_expire(
    database: Database, slack: FakeSlack, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    account = make_account(database, "Acme")
    item = add_item(database, account, "Send proposal", WEEK, our_owner_user_id="U0ALICE")
    in_flight = add_item(database, account, "Send DPA", WEEK, our_owner_user_id="U0ALICE")
    with database.transaction() as session:  # a process that then died was sending them
        enqueue(session, kind=REMINDERS, team_ids=[TEAM_ID])
        claim_team(
            session,
            kind=REMINDERS,
            periods={TEAM_ID: None},
            holder="dead",
            now=MONDAY,
            ttl=CLAIM_TTL,
        )
        claim_reminder(  # … and had this one's DM on its way to Slack
            session,
            team_id=TEAM_ID,
            item_id=in_flight,
            local_day=WEEK,
            user_id="U0ALICE",
            now=MONDAY,
            holder="dead",
        )
    client = make_client(settings)
    moment = [MONDAY + timedelta(seconds=5)]
    scheduler = build_scheduler(
        database,
        lambda _team: client,
        clock=lambda: moment[0],
        digest_defaults=DigestSettings(),
    )
    reminders = scheduler.get_job("due-reminders").func
    reminders()
    assert slack.calls_to("chat.postMessage") == []  # the team is the other process's
    moment[0] = MONDAY + timedelta(minutes=1)  # its claim has expired
    with caplog.at_level(logging.INFO):
        reminders()
    [sent] = slack.calls_to("chat.postMessage")  # the one it never tried; not the one in flight
    assert sent.params["channel"] == "U0ALICE"
    assert f"reminder:{item}" in json.dumps(sent.json_param("blocks"))
    assert claims(database) == {(REMINDERS, TEAM_ID): (None, None)}
    with database.transaction() as session:
        fates = {
            r.action_item_id: (r.status, r.error) for r in session.scalars(select(ActionReminder))
        }
    assert fates == {item: (SENT, None), in_flight: (FAILED, INTERRUPTED)}
    assert f"reminder for item {in_flight} was in flight when dead stopped" in caplog.text
    assert "due-day reminders: 1 sent, 0 failed, 1 interrupted" in caplog.text


def test_on_sqlite_one_process_keeps_the_lease_and_writes_no_claims(
    database: Database, slack: FakeSlack, settings: Settings
) -> None:
    if POSTGRES_URL:
        pytest.skip("SQLite's path")
    make_account(database, "Acme", channel_id="C0ACME")
    client = make_client(settings)
    scheduler = build_scheduler(
        database, lambda _team: client, clock=lambda: MONDAY, digest_defaults=DigestSettings()
    )
    scheduler.get_job("weekly-digests").func()
    assert posted(slack) == {"C0ACME": 1}
    assert claims(database) == {}
    with database.transaction() as session:
        [row] = session.scalars(select(DigestDelivery)).all()
    assert row.holder is None


@on_postgres
def test_a_team_that_uninstalled_the_bot_is_given_back_unfinished(
    database: Database, slack: FakeSlack
) -> None:
    """As the single-process run skips it (and posts its digests if it reinstalls that day)."""
    make_account(database, "Acme", channel_id="C0ACME")
    scheduler = build_scheduler(
        database, lambda _team: None, clock=lambda: MONDAY, digest_defaults=DigestSettings()
    )
    scheduler.get_job("weekly-digests").func()
    assert slack.calls_to("chat.postMessage") == []
    assert claims(database) == {(DIGESTS, TEAM_ID): (None, None)}
