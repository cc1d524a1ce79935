"""Slack, or the network before it, failing after a request was sent: through the real CLI
processes (`accountbot digest --now`, `accountbot remind --now`) and the signed HTTP endpoint.

The rule: what was written to the socket is never sent again by the bot (Slack may have carried it
out); such a post is recorded as failed ("uncertain: …"), reported, and left alone by later runs.
Only a refused connection, or a 429, is tried again. Slack's own failures are said to be Slack's.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from store.db import Database
from store.deliveries import INTERRUPTED
from store.enums import Role
from store.models import ActionReminder, DigestDelivery, WorkClaim
from store.work import REMINDERS
from tests.conftest import BOT_TOKEN, bot_settings, serving
from tests.factories import add_item, make_account
from tests.slack_fake import FAULTED, TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload
from tests.test_stakeholder_map import departed_values, open_form, person, submit

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
"""A digest day (Monday 09:00 UTC by default) just after the digest time."""
DUE = date(2026, 11, 24)
MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
"""The due day of the reminders below, after 09:00 in their owners' zone (UTC)."""
SLACK_TROUBLE = ":warning: Slack is having trouble right now ("


def accountbot(slack: FakeSlack, database: Database, cwd: Path, *args: str, **settings: str) -> str:
    """`python -m bot <args>` as a process on the test's database, posting to the fake, with
    these further `settings` in its environment; its output (it must exit cleanly)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))}
    env = base | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database.url,
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def digests(slack: FakeSlack, database: Database, cwd: Path, *args: str, **settings: str) -> str:
    at = MONDAY.isoformat()
    return accountbot(slack, database, cwd, "digest", "--now", "--at", at, *args, **settings)


def remind(slack: FakeSlack, database: Database, cwd: Path, at: datetime = MORNING) -> str:
    return accountbot(slack, database, cwd, "remind", "--now", at.isoformat())


def arrived(slack: FakeSlack, method: str = "chat.postMessage") -> Counter[str]:
    """Requests that reached Slack (answered or not), per channel; 429s are refusals, not posts."""
    return Counter(c.params["channel"] for c in slack.calls_to(method) if c.status != 429)


def ledger(database: Database) -> dict[str, tuple[str, str | None]]:
    with database.transaction() as session:
        rows = session.scalars(select(DigestDelivery)).all()
        return {row.channel_id or row.target: (row.status, row.error) for row in rows}


def reminder_claims(database: Database) -> int:
    with database.transaction() as session:
        return len(session.scalars(select(ActionReminder)).all())


def reminder_fates(database: Database) -> dict[int, tuple[str, str | None]]:
    """The reminder ledger: each item's (status, error)."""
    with database.transaction() as session:
        rows = session.scalars(select(ActionReminder)).all()
        return {row.action_item_id: (row.status, row.error) for row in rows}


# -- 1. a post that may have reached Slack is never sent again -----------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("reset", "uncertain: connection reset after sending"),
        ("close", "uncertain: connection closed after sending, before Slack answered"),
    ],
)
def test_a_digest_whose_connection_dies_after_sending_is_posted_once_and_reported(
    database: Database, slack: FakeSlack, tmp_path: Path, fault: str, reason: str
) -> None:
    """Slack got the post, then the connection went: it is not sent again, not by the client's
    retries nor by a later run; it is reported, and only `--force` sends it deliberately."""
    for index in range(3):
        make_account(database, f"Account {index}", channel_id=f"C0CHAN{index}")
    slack.fault("chat.postMessage", fault, channel="C0CHAN1")
    output = digests(slack, database, tmp_path)
    assert f"{TEAM_ID} week of 2026-11-23: 2 sent, 1 failed, 0 already sent" in output
    assert arrived(slack) == {"C0CHAN0": 1, "C0CHAN1": 1, "C0CHAN2": 1}
    status, error = ledger(database)["C0CHAN1"]
    assert status == "failed" and error is not None and error.startswith(reason)
    assert f"account:2: {error}" in output
    later = digests(slack, database, tmp_path)
    assert "0 sent, 0 failed, 3 already sent" in later
    assert arrived(slack) == {"C0CHAN0": 1, "C0CHAN1": 1, "C0CHAN2": 1}
    forced = digests(slack, database, tmp_path, "--force", "--account", "Account 1")
    assert "1 sent, 0 failed" in forced
    assert arrived(slack)["C0CHAN1"] == 2


def test_a_reminder_whose_connection_is_reset_after_sending_is_sent_once_and_reported(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    account = make_account(database, "Acme")
    add_item(database, account, "Send the security questionnaire", DUE)
    slack.fault("chat.postMessage", "reset", channel="U0ALICE")
    output = remind(slack, database, tmp_path)
    assert "0 reminder(s) sent, 1 failed" in output
    assert "item 1: uncertain: connection reset after sending" in output
    assert arrived(slack) == {"U0ALICE": 1}
    assert reminder_claims(database) == 1  # kept: Slack may have delivered it
    [(status, error)] = reminder_fates(database).values()  # its fate, in the ledger that
    assert status == "failed"  # keeps it from going twice
    assert error is not None and error.startswith("uncertain: connection reset after sending")
    assert "0 reminder(s) sent, 0 failed" in remind(slack, database, tmp_path)
    assert arrived(slack) == {"U0ALICE": 1}


def test_a_reminder_in_flight_when_its_process_is_killed_is_reported_interrupted_never_resent(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """`accountbot remind` killed while Slack had its DM: the claim stays `sending`. A run soon
    after leaves it (its process might still be at it); once it is older than any send can
    take, a run records it as interrupted and reports it; no run sends it again."""
    account = make_account(database, "Acme")
    add_item(database, account, "Send the security questionnaire", DUE)
    slack.hold("chat.postMessage")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "remind", "--now", MORNING.isoformat()],
        cwd=tmp_path,
        env=base
        | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
        | {"DATABASE_URL": database.url, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        slack.wait_for_start("chat.postMessage", timeout=60)
    finally:
        process.kill()
        process.wait(timeout=30)
    slack.release("chat.postMessage")
    assert reminder_fates(database) == {1: ("sending", None)}
    soon = remind(slack, database, tmp_path, MORNING + timedelta(seconds=10))
    assert "0 reminder(s) sent, 0 failed, 0 interrupted" in soon
    later = remind(slack, database, tmp_path, MORNING + timedelta(minutes=11))
    assert "0 reminder(s) sent, 0 failed, 1 interrupted" in later
    assert "item 1: interrupted: the bot stopped while posting it" in later
    assert reminder_fates(database) == {1: ("failed", INTERRUPTED)}
    assert "0 interrupted" in remind(slack, database, tmp_path, MORNING + timedelta(minutes=12))
    assert slack.started("chat.postMessage") == 1  # the killed process's one try, never again


def test_a_departure_alert_whose_connection_is_reset_is_posted_once_and_explained(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    slack.fault("chat.postMessage", "reset", channel="C0ACME")
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values()).body == ""
    notices = slack.wait_for("response_url", count=2)
    warning = next(n for n in notices if "departure alert" in n.params.get("text", ""))
    assert "may or may not be in <#C0ACME>" in warning.params["text"]
    assert arrived(slack) == {"C0ACME": 1}


def test_share_in_channel_whose_connection_is_reset_is_posted_once_and_explained(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The response URL takes the shared card; a reset after it was sent is not retried (Bolt's
    own `respond` retries it once) and the user is told to look before sharing again."""
    account = make_account(database, "Acme")
    slack.fault("response_url", "reset")
    click = block_actions_payload(
        "account.share", str(account.id), response_url=slack.response_url("share")
    )
    assert bot.interaction(click).status == 200
    shared, told = slack.wait_for("response_url", count=2)
    assert shared.params["response_type"] == "in_channel" and shared.status == FAULTED
    assert told.params["response_type"] == "ephemeral"
    assert (
        "The card may or may not be in <#C0GENERAL>: Slack did not confirm it"
        in (told.params["text"])
    )
    in_channel = [c for c in slack.replies_to("share") if c.params.get("response_type")]
    assert [c.params["response_type"] for c in in_channel] == ["in_channel", "ephemeral"]


# -- 9. malformed answers: each delivery fails alone, recorded, and the run goes on --------------


def test_malformed_answers_fail_one_digest_each_and_the_run_goes_on(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    channels = ["C0FIRST", "C0JSON", "C0CUT", "C0HTML", "C0EMPTY", "C0FINE"]
    for channel in channels:
        make_account(database, f"Account {channel}", channel_id=channel)
    slack.rate_limit("chat.postMessage", times=1, retry_after=1.5)  # one post waits 1.5 s
    slack.fault("chat.postMessage", "broken_json", channel="C0JSON")
    slack.fault("chat.postMessage", "cut_off", channel="C0CUT")
    slack.fault("chat.postMessage", "html", channel="C0HTML")
    slack.fault("chat.postMessage", "empty", channel="C0EMPTY")
    output = digests(slack, database, tmp_path)
    assert f"{TEAM_ID} week of 2026-11-23: 2 sent, 4 failed, 0 already sent" in output
    rows = ledger(database)
    assert rows["C0FIRST"] == ("sent", None) and rows["C0FINE"] == ("sent", None)
    assert {channel: rows[channel][0] for channel in channels} == {
        "C0FIRST": "sent",
        "C0JSON": "failed",
        "C0CUT": "failed",
        "C0HTML": "failed",
        "C0EMPTY": "failed",
        "C0FINE": "sent",
    }  # none left "sending"
    assert rows["C0JSON"][1].startswith("uncertain: Slack's answer was not valid JSON")  # type: ignore[union-attr]
    assert rows["C0CUT"][1].startswith("uncertain: Slack's answer was cut off")  # type: ignore[union-attr]
    assert rows["C0HTML"][1].startswith("uncertain: Slack answered HTTP 502")  # type: ignore[union-attr]
    assert rows["C0EMPTY"][1].startswith("uncertain: Slack's answer was not JSON (HTTP 200)")  # type: ignore[union-attr]
    for channel in ("C0JSON", "C0CUT", "C0HTML", "C0EMPTY"):
        assert rows[channel][1] in output  # type: ignore[operator]
    assert arrived(slack) == dict.fromkeys(channels, 1)
    rate_limited = [
        c.params["channel"] for c in slack.calls_to("chat.postMessage") if c.status == 429
    ]
    assert len(rate_limited) == 1 and rows[rate_limited[0]] == ("sent", None)  # after 1.5 s
    assert "0 sent, 0 failed, 6 already sent" in digests(slack, database, tmp_path)


def test_malformed_answers_fail_one_reminder_each_and_the_run_goes_on(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    account = make_account(database, "Acme")
    owners = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAN"]
    for owner in owners:
        add_item(database, account, f"Item of {owner}", DUE, our_owner_user_id=owner)
    slack.rate_limit("chat.postMessage", times=1, retry_after=1.5)  # Alice's: waits 1.5 s
    slack.fault("chat.postMessage", "broken_json", channel="U0BOB")
    slack.fault("chat.postMessage", "cut_off", channel="U0CAROL")
    output = remind(slack, database, tmp_path)
    assert "2 reminder(s) sent, 2 failed" in output
    assert "item 2: uncertain: Slack's answer was not valid JSON" in output
    assert "item 3: uncertain: Slack's answer was cut off" in output
    assert arrived(slack) == dict.fromkeys(owners, 1)
    assert reminder_claims(database) == 4  # the uncertain ones keep their claim: never twice
    assert "0 reminder(s) sent, 0 failed" in remind(slack, database, tmp_path)
    assert arrived(slack) == dict.fromkeys(owners, 1)


def test_a_digest_slack_refused_before_doing_anything_is_posted_by_the_next_run(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """The opposite case: Slack answered `service_unavailable` with a 200 (not done; with a
    5xx it would be uncertain), or could not say whether the channel is shared (nothing was
    posted): the claim is given back."""
    make_account(database, "Down", channel_id="C0DOWN")
    make_account(database, "Unchecked", channel_id="C0UNCHECKED")
    down = b'{"ok": false, "error": "service_unavailable"}'
    slack.fault("chat.postMessage", "body", body=down, channel="C0DOWN")
    slack.fault("conversations.info", "html", channel="C0UNCHECKED")
    output = digests(slack, database, tmp_path)
    assert "0 sent, 2 failed" in output
    assert "service_unavailable" in output
    assert "not checked whether the channel is shared with another organisation" in output
    assert ledger(database) == {}  # nothing settled: both go out with the next run
    assert arrived(slack) == {"C0DOWN": 1}
    assert "2 sent, 0 failed" in digests(slack, database, tmp_path)
    assert arrived(slack) == {"C0DOWN": 2, "C0UNCHECKED": 1}


# -- 11. Slack's own failures are Slack's -------------------------------------------------------


FAULTS = [("status", 503), ("html", 502), ("broken_json", None), ("empty", None)]
FAULTS += [("cut_off", None), ("reset", None)]


@pytest.mark.parametrize(("fault", "status"), FAULTS)
def test_a_modal_slack_fails_to_open_is_explained_as_slacks_failure(
    database: Database,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    status: int | None,
) -> None:
    caplog.set_level(logging.WARNING)
    slack.fault("views.open", fault, status=status)
    with serving(bot_settings(database, slack), database, slack) as bot:
        assert bot.command("new Initech", response_url=slack.response_url("new")).status == 200
        [told] = slack.wait_for("response_url")
    assert told.params["text"].startswith(SLACK_TROUBLE)
    assert told.params["response_type"] == "ephemeral"
    assert slack.started("views.open") == 1  # sent once: a retry could open it twice
    assert "Something went wrong on our side" not in told.params["text"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any(r.getMessage().startswith("unavailable: ") for r in caplog.records)


def test_a_rate_limit_that_outlasts_the_retries_is_explained_as_slacks(
    bot: SlackSender, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    slack.rate_limit("views.open", times=4, retry_after=0.1)
    assert bot.command("new Initech").status == 200
    [told] = slack.wait_for("response_url")
    assert told.params["text"] == (
        f"{SLACK_TROUBLE}it keeps rate-limiting the bot), so this could not be finished. "
        "Please try again in a minute."
    )
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_form_slack_fails_to_fill_in_says_why_in_the_modal(
    bot: SlackSender, slack: FakeSlack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """views.update answered a 502 page: the modal is not left on "Loading…"."""
    caplog.set_level(logging.WARNING)
    make_account(database, "Acme")
    slack.fault("views.update", "html")
    assert bot.command("edit Acme").status == 200
    failed, notice = slack.wait_for("views.update", count=2)
    assert failed.status == 502
    assert notice.params["hash"] == failed.params["hash"]  # unless the form got there after all
    text = json.dumps(notice.json_param("view"))
    assert "Slack is having trouble right now (it answered HTTP 502)" in text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_digest_run_does_not_wait_for_a_retry_after_slack_did_not_mean(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """A 429 asking for more than a minute is not waited for: that digest waits for the next
    run (the claim is given back), the others go out now."""
    make_account(database, "Acme", channel_id="C0ACME")
    slack.rate_limit("chat.postMessage", times=1, retry_after=3600)
    output = digests(slack, database, tmp_path)
    assert "0 sent, 1 failed" in output and "account:1: ratelimited" in output
    assert ledger(database) == {}
    assert "1 sent, 0 failed" in digests(slack, database, tmp_path)


def test_the_scheduler_reports_reminders_it_could_not_send(
    database: Database, slack: FakeSlack
) -> None:
    """`accountbot run` sends reminders from its scheduler: an uncertain one is logged with why."""
    from bot.app import make_client
    from digests.reminders import send_due_reminders

    account = make_account(database, "Acme")
    add_item(database, account, "Item", DUE)
    slack.fault("chat.postMessage", "close", channel="U0ALICE")
    client = make_client(bot_settings(database, slack))
    run = send_due_reminders(database, lambda _team: client, now=MORNING + timedelta(hours=1))
    assert run.failed == {
        1: "uncertain: connection closed after sending, before Slack answered, "
        "so it may or may not have been posted"
    }
    assert arrived(slack) == {"U0ALICE": 1}


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="the work queue is PostgreSQL's"
)
def test_remind_shares_its_teams_through_the_work_queue_on_postgresql(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """Several `accountbot remind` processes split the teams as the scheduler's do: each team
    is claimed in the queue by the process that sends its reminders."""
    account = make_account(database, "Acme")
    add_item(database, account, "Send the security questionnaire", DUE)
    assert "1 reminder(s) sent" in remind(slack, database, tmp_path)
    with database.transaction() as session:
        claims = session.execute(select(WorkClaim.team_id, WorkClaim.kind)).all()
    assert (TEAM_ID, REMINDERS) in claims
