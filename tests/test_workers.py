"""`accountbot run --workers N`: N real processes sharing one port, each serving requests, the
scheduler's jobs run by one of them, all stopped cleanly by one SIGTERM."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from bot.server import PROCESS_HEADER
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_run_process import APP_TOKEN, free_port, http_bot, start_bot
from tests.test_work_pool import not_today

TRIES = 200
"""Health checks sent, each on a new connection, until both workers have answered one: the
kernel spreads connections between the two sockets by their addresses, so 200 all going to
one worker would be a fault, not luck (a chance of 2^-199)."""


def test_two_workers_share_the_port_serve_requests_and_stop_together_on_sigterm(
    tmp_path: Path, slack: FakeSlack
) -> None:
    with http_bot(tmp_path, slack, args=("--workers", "2"), DIGEST_DAY=not_today()) as (
        bot,
        sender,
    ):
        bot.wait_for_line(r"serving HTTP on port", count=2, timeout=60)
        answered: set[str] = set()
        for _ in range(TRIES):
            reply = sender.get("/healthz")
            assert reply.status == 200, reply.body
            answered.add(reply.headers[PROCESS_HEADER])
            if len(answered) == 2:
                break
        assert len(answered) == 2, answered
        assert str(bot.process.pid) not in answered  # the parent only supervises
        for n in range(6):
            reply = sender.command("help", response_url=slack.response_url(f"help{n}"))
            assert reply.status == 200 and reply.body == "", reply.body
        for n in range(6):
            [answer] = slack.wait_for(
                "response_url", where=lambda c, n=n: c.path == f"/response/help{n}"
            )
            assert "How to use /account" in str(answer.params["blocks"])
        bot.wait_for_line(r"scheduler lease taken")  # one worker runs the scheduled jobs …
        bot.wait_for_line(r"scheduler lease held by another process")  # … the other stands by
    # http_bot sent SIGTERM to the parent and checked its exit status (0)
    assert len(re.findall(r"scheduler lease taken", bot.output)) == 1, bot.output
    assert len(re.findall(r"HTTP server stopped", bot.output)) == 2, bot.output
    assert "every worker process stopped" in bot.output


def test_a_worker_that_dies_stops_the_others_and_run_exits_1(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """The orchestrator then restarts the whole, as it would a single process that died."""
    port = free_port()
    sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET, response_url="unused")
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "DIGEST_DAY": not_today(),
    }
    bot = start_bot(tmp_path, args=("--workers", "2"), **env)
    try:
        bot.wait_for_line(r"serving HTTP on port", count=2, timeout=60)
        victim = int(sender.get("/healthz").headers[PROCESS_HEADER])
        os.kill(victim, signal.SIGKILL)
        assert bot.process.wait(timeout=60) == 1
    finally:
        bot.stop()
    bot.wait_for_line(rf"worker \d \(pid {victim}\) exited with status -9: stopping the others")
    assert len(re.findall(r"HTTP server stopped", bot.output)) == 1, bot.output  # the other


def test_workers_are_for_http_mode(tmp_path: Path, slack: FakeSlack) -> None:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN}
    bot = start_bot(tmp_path, args=("--workers", "2"), SLACK_API_URL=slack.api_url, **env)
    assert bot.process.wait(timeout=60) == 2
    bot.stop()  # the output read to the end
    assert "--workers is for HTTP mode" in bot.output


def test_a_port_another_accountbot_serves_is_refused_whether_one_process_or_several(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Every socket of `run --workers` has SO_REUSEPORT, so a second `run --workers 2` on the
    same port joined the first's and the kernel shared Slack's requests between two unrelated
    bots; a single `run` on it failed at its bind with a traceback, after its scheduler had
    started, and did not exit. Each is now refused at once: one line, exit status 2."""
    port = free_port()
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "DIGEST_DAY": not_today(),
    }
    for name in ("first", "second", "single"):
        (tmp_path / name).mkdir()
    first = start_bot(tmp_path / "first", args=("--workers", "2"), **env)
    try:
        first.wait_for_line(r"serving HTTP on port", count=2, timeout=60)
        for name, args in (("second", ("--workers", "2")), ("single", ())):
            late = start_bot(tmp_path / name, args=args, **env)
            try:
                assert late.process.wait(timeout=60) == 2, (name, late.output)
            finally:
                late.stop()
            assert f"accountbot: port {port} is in use by another process" in late.output, name
            assert "Traceback" not in late.output and "Scheduler started" not in late.output
    finally:
        assert first.stop() == 0, first.output
