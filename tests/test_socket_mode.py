"""Socket Mode as a real `accountbot run` process against a stand-in Socket Mode server: the
connection survives Slack's refreshes and the network's faults, and bad input is answered."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from store.db import Database
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.socket_mode_fake import FakeSocketMode
from tests.test_run_process import APP_TOKEN, RunningBot, running_bot, start_bot

REPLACED_WITHIN = 15
"""Seconds a test waits for a dead connection to be replaced (the target is 10 s; the old
client took 19 to 50 s)."""


@contextmanager
def socket_mode_bot(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode | None = None, **env: str
) -> Iterator[RunningBot]:
    """The bot in Socket Mode; SIGTERM at the end must stop it cleanly."""
    if fake is not None:
        slack.socket_mode_url = fake.url
    socket_mode = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    with running_bot(tmp_path, **(socket_mode | {"SLACK_API_URL": slack.api_url} | env)) as bot:
        yield bot


@pytest.fixture
def fake() -> Iterator[FakeSocketMode]:
    server = FakeSocketMode().start()
    yield server
    server.stop()


def command_envelope(envelope_id: str, text: str = "help", **fields: Any) -> dict[str, Any]:
    sender = SlackSender("http://unused", SIGNING_SECRET, response_url=fields.pop("response_url"))
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": dict(parse_qsl(sender.command_body(text, **fields))),
    }


@pytest.mark.parametrize("reason", ["refresh_requested", "warning"])
def test_after_a_disconnect_notice_the_new_connection_is_served_while_the_old_one_drains(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode, reason: str
) -> None:
    url = slack.response_url
    with socket_mode_bot(tmp_path, slack, fake):
        fake.wait_for_connections(1, timeout=30)
        fake.disconnect(reason, connection=0)
        fake.send(command_envelope("in-flight", response_url=url("old")), connection=0)
        fake.wait_for_connections(2)
        fake.send(command_envelope("on-new", response_url=url("new")), connection=1)
        fake.wait_for_ack("on-new")
        fake.wait_for_ack("in-flight")
        # Slack closes the old connection when it is done with it: until then the bot keeps
        # reading it, and it reads the new one at once (not after the old read times out).
        assert not fake.is_closed(0), fake.events
        fake.close(connection=0)
        fake.wait_until_closed(0)
        fake.send(command_envelope("after", response_url=url("after")), connection=1)
        fake.wait_for_ack("after")
        slack.wait_for("response_url", count=3)
    assert [len(fake.acks(e)) for e in ("in-flight", "on-new", "after")] == [1, 1, 1]
    assert {c.path for c in slack.calls_to("response_url")} == {
        "/response/old",
        "/response/new",
        "/response/after",
    }
    assert len(fake.links) == 2  # one new connection, not one per notice or per close


def test_a_notice_with_the_close_right_behind_it_opens_one_new_connection(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode
) -> None:
    url = slack.response_url
    with socket_mode_bot(tmp_path, slack, fake):
        fake.wait_for_connections(1, timeout=30)
        fake.send(command_envelope("env-1", response_url=url("1")))
        fake.wait_for_ack("env-1")
        fake.disconnect("refresh_requested", connection=0)
        fake.close(connection=0)  # two reasons to reconnect, for one connection
        fake.wait_for_connections(2)
        for envelope_id in ("env-2", "env-3"):
            fake.send(command_envelope(envelope_id, response_url=url(envelope_id)), connection=1)
            fake.wait_for_ack(envelope_id)
        slack.wait_for("response_url", count=3)
    assert len(fake.links) == 2, fake.events


@pytest.mark.parametrize("fault", ["reset", "fin", "silence"])
def test_a_dead_or_silent_connection_is_replaced(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode, fault: str
) -> None:
    with socket_mode_bot(tmp_path, slack, fake) as bot:
        fake.wait_for_connections(1, timeout=30)
        fake.send(command_envelope("env-1", response_url=slack.response_url()), connection=0)
        fake.wait_for_ack("env-1")  # the bot has the connection; now it breaks
        getattr(fake, fault)(connection=0)
        fake.wait_for_connections(2, timeout=REPLACED_WITHIN)
        fake.send(command_envelope("env-2", response_url=slack.response_url()), connection=1)
        fake.wait_for_ack("env-2")
        slack.wait_for("response_url", count=2)
    assert "BrokenPipeError" not in bot.output
    assert "Traceback" not in bot.output


def test_connected_is_logged_only_once_a_connection_is_open(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode
) -> None:
    with socket.socket() as closed_port:  # nothing listens here once it is closed
        closed_port.bind(("127.0.0.1", 0))
        refused_url = f"ws://127.0.0.1:{closed_port.getsockname()[1]}/link/?ticket=refused"
    slack.socket_mode_url = refused_url
    with socket_mode_bot(tmp_path, slack) as bot:
        # Three lines about refusals: at least two attempts (slack_sdk's client wrote two lines
        # for each, and "connected" right after the first).
        later_refusal = bot.wait_for_line("Connection refused", count=3)
        lines = [line.text for line in bot.lines]
        refused = lines.index(later_refusal.text)
        assert not any("connected to Slack" in text for text in lines[:refused]), bot.output
        slack.socket_mode_url = fake.url
        fake.wait_for_connections(1, timeout=30)
        fake.send(command_envelope("env-1", response_url=slack.response_url()))
        fake.wait_for_ack("env-1")
        connected = bot.wait_for_line("connected to Slack in Socket Mode")
    assert bot.lines.index(connected) > refused
    assert "Traceback" not in bot.output


@pytest.mark.parametrize(
    ("refused", "says"),
    [
        (APP_TOKEN, "SLACK_APP_TOKEN was refused by Slack (invalid_auth)"),
        (BOT_TOKEN, "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"),
    ],
)
def test_a_token_slack_refuses_ends_the_run_with_one_clear_line(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode, refused: str, says: str
) -> None:
    slack.refused_tokens[refused] = "invalid_auth"
    slack.socket_mode_url = fake.url
    existing = Database(f"sqlite:///{tmp_path / 'run.db'}")  # not a first run: no "created" line
    existing.upgrade()
    existing.dispose()
    bot = start_bot(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=slack.api_url,
        LOG_LEVEL="WARNING",
    )
    assert bot.process.wait(timeout=30) == 2
    bot.stop()
    assert bot.output.startswith(f"accountbot: {says}: expected"), bot.output
    assert len(bot.output.splitlines()) == 1, bot.output
    assert fake.events == []


def test_a_start_logs_no_warning_about_the_token(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode
) -> None:
    with socket_mode_bot(tmp_path, slack, fake) as bot:
        fake.wait_for_connections(1, timeout=30)
        bot.wait_for_line("connected to Slack in Socket Mode")
    assert "`token` will be unused" not in bot.output  # the client holds that same token


def test_an_envelopes_log_lines_never_carry_an_earlier_request_id(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode
) -> None:
    url = slack.response_url
    envelopes = ["env-1", "env-2", "env-3"]  # by the third, every worker thread ran one before
    with socket_mode_bot(tmp_path, slack, fake, LOG_LEVEL="DEBUG") as bot:
        fake.wait_for_connections(1, timeout=30)
        for envelope_id in envelopes:
            fake.send(command_envelope(envelope_id, response_url=url(envelope_id)))
            fake.wait_for_ack(envelope_id)
            slack.wait_for("response_url", where=lambda c, e=envelope_id: c.path.endswith(e))
    listener_ids = [
        re.search(r"\[(\w+) ", line).group(1)  # type: ignore[union-attr]
        for line in bot.output.splitlines()
        if "Running listener: handle_account_command" in line
    ]
    assert len(listener_ids) == len(envelopes)
    for index, envelope_id in enumerate(envelopes):
        started = bot.first(rf"Message processing started \(type: slash_commands, .*{envelope_id}")
        for earlier in listener_ids[:index]:
            assert f"[{earlier} " not in started.text, bot.output


def test_malformed_envelopes_are_acknowledged_and_dropped_with_one_line_each(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode
) -> None:
    no_view = {"type": "view_submission", "team": {"id": "T0TEST"}, "user": {"id": "U0ALICE"}}
    view_without_type = no_view | {"view": {"callback_id": "account_form"}}  # Bolt: KeyError
    malformed = [
        {"envelope_id": "bad-type", "type": "mystery", "payload": {"a": 1}},
        {"envelope_id": "bad-empty", "type": "slash_commands", "payload": {}},
        {"envelope_id": "bad-missing", "type": "events_api"},
        {"envelope_id": "bad-text", "type": "interactive", "payload": "text"},
        {"envelope_id": "bad-view", "type": "interactive", "payload": no_view},
        {"envelope_id": "bad-shape", "type": "interactive", "payload": view_without_type},
    ]
    with socket_mode_bot(tmp_path, slack, fake) as bot:
        fake.wait_for_connections(1, timeout=30)
        for envelope in malformed:
            fake.send(envelope)
        for envelope in malformed:
            assert fake.wait_for_ack(envelope["envelope_id"]) == {
                "envelope_id": envelope["envelope_id"]
            }
        fake.send(command_envelope("good", response_url=slack.response_url()))
        fake.wait_for_ack("good")
        slack.wait_for("response_url")
    assert "Traceback" not in bot.output
    assert "Unhandled request" not in bot.output
    for envelope in malformed:
        said = [line for line in bot.output.splitlines() if envelope["envelope_id"] in line]
        assert len(said) == 1 and "acknowledged and dropped" in said[0], bot.output
