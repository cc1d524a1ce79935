"""`accountbot run` as a real process in HTTP mode: serves signed Slack requests, stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_serves_http_and_stops_on_sigterm(tmp_path: Path, slack: FakeSlack) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sender = SlackSender(
        f"http://127.0.0.1:{port}", SIGNING_SECRET, response_url=slack.response_url()
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if sender.get("/healthz").status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the bot did not start serving"
            time.sleep(0.1)
        assert sender.command("help").status == 200
        [answer] = slack.wait_for("response_url")
        assert "How to use /account" in str(answer.params["blocks"])
        assert (
            sender.post(
                sender.command_body("help"),
                content_type="application/x-www-form-urlencoded",
                signed=False,
            ).status
            == 401
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "HTTP server stopped" in output
    assert (tmp_path / "run.db").exists()
