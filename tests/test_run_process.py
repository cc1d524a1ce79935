"""`accountbot run` as a real process, in HTTP mode and in Socket Mode; both stop on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
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


@dataclass
class Line:
    text: str
    at: float = field(default_factory=time.monotonic)


class RunningBot:
    """`python -m bot run` whose output (stdout and stderr) is read line by line as it is
    written, so a test can wait for a line, and tell which came first."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[Line] = []
        self._condition = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def output(self) -> str:
        with self._condition:
            return "\n".join(line.text for line in self.lines)

    def wait_for_line(self, pattern: str, *, count: int = 1, timeout: float = 30) -> Line:
        """The `count`-th line matching `pattern` (a regular expression), once written."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [line for line in self.lines if re.search(pattern, line.text)]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    raise AssertionError(f"no line matching {pattern!r} in:\n{self.output}")
                self._condition.wait(min(left, 0.5))

    def first(self, pattern: str) -> Line:
        with self._condition:
            return next(line for line in self.lines if re.search(pattern, line.text))

    def stop(self) -> int:
        """SIGTERM (if it still runs); its exit status once it has ended."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        self._reader.join(timeout=5)
        return code

    def _read(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            with self._condition:
                self.lines.append(Line(text.rstrip("\n")))
                self._condition.notify_all()
        with self._condition:
            self._condition.notify_all()


def start_bot(tmp_path: Path, *, args: tuple[str, ...] = (), **env: str) -> RunningBot:
    """`python -m bot run [args]` in `tmp_path` with this environment (no SLACK_* of the test
    run's own; the database `run.db` there unless DATABASE_URL says otherwise)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=tmp_path,
        env=base | {"DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}"} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return RunningBot(process)


@contextmanager
def running_bot(tmp_path: Path, *, args: tuple[str, ...] = (), **env: str) -> Iterator[RunningBot]:
    """`start_bot`; SIGTERM on leaving must end it cleanly (exit status 0)."""
    bot = start_bot(tmp_path, args=args, **env)
    try:
        yield bot
    finally:
        code = bot.stop()
    assert code == 0, bot.output


@contextmanager
def http_bot(
    tmp_path: Path, slack: FakeSlack, *, args: tuple[str, ...] = (), **env: str
) -> Iterator[tuple[RunningBot, SlackSender]]:
    """`running_bot` in HTTP mode on a free port, talking to the fake Slack, once it serves
    (`/healthz` answers 200); and a sender signing requests for it. One workspace (the test bot
    token) unless `env` says otherwise."""
    port = free_port()
    sender = SlackSender(
        f"http://127.0.0.1:{port}", SIGNING_SECRET, response_url=slack.response_url()
    )
    workspace = {} if "SLACK_CLIENT_ID" in env else {"SLACK_BOT_TOKEN": BOT_TOKEN}
    settings = {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url}
    env = workspace | settings | {"PORT": str(port)} | env
    with running_bot(tmp_path, args=args, **env) as bot:
        wait_until_serving(sender, bot)
        yield bot, sender


def test_http_mode_serves_signed_requests_and_stops_on_sigterm(
    tmp_path: Path, slack: FakeSlack
) -> None:
    with http_bot(tmp_path, slack) as (bot, sender):
        assert sender.command("help").status == 200
        [answer] = slack.wait_for("response_url")
        assert "How to use /account" in str(answer.params["blocks"])
        assert (
            sender.post(sender.command_body("help"), content_type=FORM, signed=False).status == 401
        )
    assert "HTTP server stopped" in bot.output
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


def wait_until_serving(sender: SlackSender, bot: RunningBot) -> None:
    deadline = time.monotonic() + 30
    while not _healthy(sender):
        assert bot.process.poll() is None, bot.output
        assert time.monotonic() < deadline, "the bot did not start serving"
        time.sleep(0.1)


def test_oauth_mode_installs_a_workspace_and_serves_it_as_a_real_process(
    tmp_path: Path, slack: FakeSlack
) -> None:
    from tests.conftest import CLIENT_ID, TOKEN_KEY
    from tests.test_oauth import TEAM_A, TOKEN_A, install

    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "test-client-secret",
        "SLACK_STATE_SECRET": "test-state-secret-0123456789",
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
    }
    with http_bot(tmp_path, slack, **env) as (bot, sender):
        assert "Thank you" in install(sender, slack, team_id=TEAM_A, token=TOKEN_A)
        assert sender.command("new Initech", team_id=TEAM_A).status == 200
        slack.wait_for("views.update")
        assert [c.headers["Authorization"] for c in slack.calls_to("views.open")] == [
            f"Bearer {TOKEN_A}"
        ]
    assert TOKEN_A not in bot.output
