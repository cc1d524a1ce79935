"""The HTTP front door: signature checks, health probe, concurrency, unknown routes."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from store.db import Database, make_engine
from store.models import Account
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import FORM, SlackSender


def test_signed_slash_command_is_acknowledged_and_answered(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    reply = bot.command("acme")
    assert reply.status == 200
    [answer] = slack.wait_for("response_url")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["blocks"][0]["text"]["text"] == "Acme"


def test_unsigned_request_is_refused_and_changes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    reply = bot.post(bot.command_body("help"), content_type=FORM, signed=False)
    assert reply.status == 401
    _assert_nothing_happened(bot, slack, database)


def test_mis_signed_request_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    body = bot.command_body("help")
    headers = bot.sign(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    reply = bot.post(body, content_type=FORM, signed=False, headers=headers)
    assert reply.status == 401
    _assert_nothing_happened(bot, slack, database)


def test_body_tampered_after_signing_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    headers = bot.sign(bot.command_body("help"))
    reply = bot.post(bot.command_body("acme"), content_type=FORM, signed=False, headers=headers)
    assert reply.status == 401
    _assert_nothing_happened(bot, slack, database)


def test_stale_request_older_than_five_minutes_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    reply = bot.post(
        bot.command_body("help"), content_type=FORM, timestamp=int(time.time()) - 6 * 60
    )
    assert reply.status == 401
    _assert_nothing_happened(bot, slack, database)


def test_request_signed_four_minutes_ago_is_accepted(bot: SlackSender, slack: FakeSlack) -> None:
    reply = bot.post(
        bot.command_body("help"), content_type=FORM, timestamp=int(time.time()) - 4 * 60
    )
    assert reply.status == 200
    slack.wait_for("response_url")


def test_healthz_reports_database_ok(bot: SlackSender) -> None:
    reply = bot.get("/healthz")
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(bot: SlackSender, database: Database) -> None:
    database.engine.dispose()
    database.engine = make_engine("sqlite:////nonexistent-dir/accountbot.db")
    reply = bot.get("/healthz")
    assert reply.status == 503
    assert reply.json()["database"] == "missing"


def test_unknown_path_is_404(bot: SlackSender) -> None:
    assert bot.get("/slack/nowhere").status == 404


def test_url_verification_challenge_is_answered(bot: SlackSender) -> None:
    import json

    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"})
    reply = bot.post(body, content_type="application/json")
    assert reply.status == 200
    assert "c-123" in reply.body


def test_a_stalled_client_does_not_block_other_requests(bot: SlackSender) -> None:
    """A single-threaded development server would hang here; waitress keeps serving."""
    host, port = bot.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as stalled:
        stalled.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert bot.get("/healthz").status == 200  # served while the other waits for its body


def test_concurrent_commands_are_all_answered(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda i: bot.command("acme", user_id=f"U{i:04d}"), range(24)))
    assert [r.status for r in replies] == [200] * 24
    slack.wait_for("response_url", count=24)


def _assert_nothing_happened(bot: SlackSender, slack: FakeSlack, database: Database) -> None:
    """A refused request started no listener: a valid one sent after it is the first (and only)
    thing the bot answers, its listener queued behind any the refused request had started."""
    assert bot.command("help", response_url=slack.response_url("fence")).status == 200
    slack.wait_for("response_url")
    assert [c.method for c in slack.calls if c.method != "auth.test"] == ["response_url"]
    assert slack.replies_to("fence") == slack.calls_to("response_url")
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(Account)).scalar_one() == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot+json", FORM),
        ("payload=%5B%5D", FORM),
        ("{not json", "application/json"),
        ("[1, 2, 3]", "application/json"),
    ],
)
def test_malformed_bodies_get_a_4xx_and_change_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database, body: str, content_type: str
) -> None:
    reply = bot.post(body, content_type=content_type)
    assert 400 <= reply.status < 500
    _assert_nothing_happened(bot, slack, database)
    assert bot.get("/healthz").status == 200  # and the server carries on


def test_an_oversized_body_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Waitress answers 413 and closes; a client still sending may see the reset instead."""
    try:
        status = bot.post("text=" + "x" * 1_100_000, content_type=FORM).status
    except OSError:  # urllib's URLError and ConnectionResetError are OSErrors
        status = 413
    assert status == 413
    _assert_nothing_happened(bot, slack, database)
    assert bot.get("/healthz").status == 200
