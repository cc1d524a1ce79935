"""`accountbot run` starting while Slack is down or answering badly: a real process against the
fake Slack. Only a token Slack really refuses stops it (one line, exit 2, see
`tests/test_socket_mode.py`); anything else is retried with a back-off, one line an attempt,
until Slack answers (then the bot serves) or SIGTERM (then it stops cleanly).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.db import Database
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.socket_mode_fake import FakeSocketMode
from tests.test_run_process import free_port
from tests.test_socket_mode import APP_TOKEN, RunningBot, command_envelope, start_bot

RETRYING = r"retrying in [\d.]+ s"
NOT_AN_OBJECT = b"[1]"


def http_bot(tmp_path: Path, api_url: str, port: int) -> RunningBot:
    existing = Database(f"sqlite:///{tmp_path / 'run.db'}")  # not a first run: fewer lines
    existing.upgrade()
    existing.dispose()
    return start_bot(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        PORT=str(port),
    )


def serves(bot: RunningBot, port: int, slack: FakeSlack) -> None:
    """The bot answers a signed `/account help` once it says it serves."""
    bot.wait_for_line("serving HTTP on port", timeout=30)
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, response_url="")
    reply = sender.command("help", response_url=slack.response_url("help"))
    assert reply.status == 200
    slack.wait_for("response_url", where=lambda c: c.path == "/response/help")


def attempts(bot: RunningBot, text: str) -> list[str]:
    return [line.text for line in bot.lines if text in line.text]


def test_http_mode_retries_auth_test_while_slack_fails_then_serves(
    tmp_path: Path, slack: FakeSlack
) -> None:
    slack.fault("auth.test", "reset")
    slack.fault("auth.test", "status", status=503)
    slack.fault("auth.test", "html")
    slack.fault("auth.test", "body", body=NOT_AN_OBJECT)
    port = free_port()
    bot = http_bot(tmp_path, slack.api_url, port)
    try:
        serves(bot, port, slack)
    finally:
        code = bot.stop()
    assert code == 0, bot.output
    retried = attempts(bot, "could not check SLACK_BOT_TOKEN")
    assert len(retried) == 4, bot.output
    assert "it answered HTTP 503" in retried[1] and "it answered HTTP 502" in retried[2]
    assert "Traceback" not in bot.output and "refused" not in bot.output


def test_http_mode_waits_for_a_slack_that_cannot_be_reached_then_serves(
    tmp_path: Path,
) -> None:
    """Nothing listens at SLACK_API_URL at first (connection refused); then Slack comes up and
    rate-limits the bot past its retries once, then answers."""
    api_port, port = free_port(), free_port()
    bot = http_bot(tmp_path, f"http://127.0.0.1:{api_port}/api/", port)
    try:
        bot.wait_for_line(RETRYING, count=2, timeout=30)
    except AssertionError:
        bot.stop()
        raise
    slack = FakeSlack(port=api_port)
    slack.rate_limit("auth.test", times=4, retry_after=0.01)
    slack.start()
    try:
        serves(bot, port, slack)
    finally:
        code = bot.stop()
        slack.stop()
    assert code == 0, bot.output
    retried = attempts(bot, "could not check SLACK_BOT_TOKEN")
    assert "could not be reached" in retried[0]
    assert any("rate-limiting" in line for line in retried), bot.output
    assert "Traceback" not in bot.output


def test_http_mode_stops_cleanly_on_sigterm_while_slack_has_no_address(tmp_path: Path) -> None:
    bot = http_bot(tmp_path, "http://accountbot-test.invalid/api/", free_port())
    bot.wait_for_line(RETRYING, count=2, timeout=60)
    assert bot.stop() == 0, bot.output
    assert "Traceback" not in bot.output
    assert "stopped before Slack answered" in bot.output


@pytest.fixture
def socket_mode() -> FakeSocketMode:
    server = FakeSocketMode().start()
    yield server  # type: ignore[misc]
    server.stop()


def socket_bot(tmp_path: Path, slack: FakeSlack) -> RunningBot:
    return start_bot(
        tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=slack.api_url
    )


def test_socket_mode_retries_opening_a_connection_while_slack_fails_then_serves(
    tmp_path: Path, slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    slack.socket_mode_url = socket_mode.url
    slack.fault("apps.connections.open", "status", status=503)
    slack.fault("apps.connections.open", "html")
    slack.fault("apps.connections.open", "body", body=NOT_AN_OBJECT)
    slack.fault("apps.connections.open", "reset")
    slack.fault("apps.connections.open", "body", body=json.dumps({"ok": True}).encode())
    bot = socket_bot(tmp_path, slack)
    try:
        socket_mode.wait_for_connections(1, timeout=40)
        socket_mode.send(command_envelope("env-1", response_url=slack.response_url()))
        socket_mode.wait_for_ack("env-1")
        slack.wait_for("response_url")
    finally:
        code = bot.stop()
    assert code == 0, bot.output
    retried = attempts(bot, "could not connect to Slack in Socket Mode")
    assert len(retried) == 5, bot.output
    assert "it answered HTTP 503" in retried[0]
    assert "SLACK_APP_TOKEN was refused" not in bot.output and "Traceback" not in bot.output


def test_socket_mode_outlasts_rate_limits_and_stops_on_sigterm_while_retrying(
    tmp_path: Path, slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    slack.socket_mode_url = socket_mode.url
    slack.rate_limit("apps.connections.open", times=100, retry_after=0.01)
    bot = socket_bot(tmp_path, slack)
    bot.wait_for_line("rate-limiting", count=2, timeout=30)
    assert bot.stop() == 0, bot.output
    assert "SLACK_APP_TOKEN was refused" not in bot.output and "Traceback" not in bot.output
    assert socket_mode.events == []
