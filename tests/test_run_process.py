"""`accountbot run` as a real process, in HTTP mode and in Socket Mode; both stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack_fake import FakeSlack
from tests.slack_sender import FORM, SlackSender
from tests.socket_mode_fake import FakeSocketMode

APP_TOKEN = "xapp-1-A0ACCOUNTBOT-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Output:
    """What a process prints, read as it comes, so a test can wait for a line."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._condition = threading.Condition()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._condition:
                self.lines.append(line)
                self._condition.notify_all()

    def wait_for(self, text: str, *, count: int = 1, timeout: float = 30) -> None:
        """Block until `count` lines containing `text` have been printed."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while sum(text in line for line in self.lines) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no line with {text!r} in:\n{''.join(self.lines)}"
                self._condition.wait(left)

    def text(self, *, timeout: float = 20) -> str:
        """Everything printed, once the process has closed its output."""
        self._reader.join(timeout)
        with self._condition:
            return "".join(self.lines)


@contextmanager
def running_bot(tmp_path: Path, **env: str) -> Iterator[subprocess.Popen[str]]:
    """`python -m bot run` with this environment; SIGTERM on exit must end it cleanly. What it
    prints is in `process.printed` (an Output) while it runs and `process.output` after."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=base | {"DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    process.printed = printed = Output(process.stdout)  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        process.output = output = printed.text()  # type: ignore[attr-defined]
    assert process.returncode == 0, output


def test_http_mode_serves_signed_requests_and_stops_on_sigterm(
    tmp_path: Path, slack: FakeSlack
) -> None:
    port = free_port()
    sender = SlackSender(
        f"http://127.0.0.1:{port}", SIGNING_SECRET, response_url=slack.response_url()
    )
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
    }
    with running_bot(tmp_path, **env) as process:
        wait_until_serving(sender, process)
        assert sender.command("help").status == 200
        [answer] = slack.wait_for("response_url")
        assert "How to use /account" in str(answer.params["blocks"])
        assert (
            sender.post(sender.command_body("help"), content_type=FORM, signed=False).status == 401
        )
    assert "HTTP server stopped" in process.output  # type: ignore[attr-defined]
    assert (tmp_path / "run.db").exists()


def test_socket_mode_answers_a_slash_command_and_stops_on_sigterm(
    tmp_path: Path, slack: FakeSlack
) -> None:
    sender = SlackSender("http://unused", SIGNING_SECRET, response_url=slack.response_url())
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": dict(parse_qsl(sender.command_body("help"))),
    }
    socket_mode = FakeSocketMode([envelope]).start()
    slack.socket_mode_url = socket_mode.url
    try:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.api_url,
        }
        with running_bot(tmp_path, **env):
            ack = socket_mode.wait_for_ack("env-1", timeout=30)
            [answer] = slack.wait_for("response_url", timeout=10)
        assert ack == {"envelope_id": "env-1"}
        assert "How to use /account" in str(answer.params["blocks"])
        [opened] = slack.calls_to("apps.connections.open")
        assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    finally:
        socket_mode.stop()


def _healthy(sender: SlackSender) -> bool:
    try:
        return sender.get("/healthz").status == 200
    except OSError:
        return False


def wait_until_serving(sender: SlackSender, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while not _healthy(sender):
        assert process.poll() is None, process.printed.text()  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the bot did not start serving"
        time.sleep(0.1)


def test_oauth_mode_installs_a_workspace_and_serves_it_as_a_real_process(
    tmp_path: Path, slack: FakeSlack
) -> None:
    from tests.conftest import CLIENT_ID, TOKEN_KEY
    from tests.test_oauth import TEAM_A, TOKEN_A, install

    port = free_port()
    sender = SlackSender(
        f"http://127.0.0.1:{port}", SIGNING_SECRET, response_url=slack.response_url()
    )
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "test-client-secret",
        "SLACK_STATE_SECRET": "test-state-secret-0123456789",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
    }
    with running_bot(tmp_path, **env) as process:
        wait_until_serving(sender, process)
        assert "Thank you" in install(sender, slack, team_id=TEAM_A, token=TOKEN_A)
        assert sender.command("new Initech", team_id=TEAM_A).status == 200
        slack.wait_for("views.update")
        assert [c.headers["Authorization"] for c in slack.calls_to("views.open")] == [
            f"Bearer {TOKEN_A}"
        ]
    assert TOKEN_A not in process.output  # type: ignore[attr-defined]
