"""Socket Mode under Slack's refreshes and the network's faults: how long envelopes wait.

python -m bench.socket_mode [--rounds 5]

Starts one real `accountbot run` in Socket Mode against the stand-in Socket Mode server of the
tests (`tests/socket_mode_fake.py`) and a fake Slack Web API, then, `--rounds` times:

- sends Slack's `disconnect` notice (`refresh_requested`, then `warning`) on the current
  connection, and right after it a slash command on that old connection; once the bot has opened
  a new connection, a slash command on the new one; the old connection is then closed by the
  server, as Slack does. Timed: notice to new connection; each envelope from sent to acked.
- breaks the current connection (TCP reset; FIN without a close frame; silence, where nothing
  passes either way) and times the fault to the bot's next connection.

Targets: after a notice no envelope waits more than 0.5 s for its ack; a dead or silent
connection is replaced within 10 s. The exit status is 3 (`TARGET_MISSED`) when one was missed,
1 (`BROKEN`) when a wait gave up altogether.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from bench.stats import BROKEN, TARGET_MISSED
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.socket_mode_fake import FakeSocketMode

ACK_TARGET = 0.5
REPLACE_TARGET = 10.0
BOT_TOKEN = "xoxb-0000-bench-token"
APP_TOKEN = "xapp-1-A0BENCH-bench"


def envelope(envelope_id: str, slack: FakeSlack) -> dict[str, Any]:
    sender = SlackSender("http://unused", "unused-secret", response_url=slack.response_url())
    body = sender.command_body("help")
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": dict(parse_qsl(body)),
    }


class Bench:
    def __init__(self, fake: FakeSocketMode, slack: FakeSlack) -> None:
        self.fake = fake
        self.slack = slack
        self.connections = 1
        self.sent = 0
        self.figures: dict[str, list[float]] = {}

    def record(self, name: str, seconds: float) -> None:
        self.figures.setdefault(name, []).append(seconds)

    def acked_in(self, connection: int) -> float:
        """Send a slash command on a connection; seconds until its ack arrived."""
        self.sent += 1
        envelope_id = f"env-{self.sent}"
        sent = time.monotonic()
        self.fake.send(envelope(envelope_id, self.slack), connection=connection)
        self.fake.wait_for_ack(envelope_id, timeout=30)
        return self.fake.acks(envelope_id)[0].at - sent

    def new_connection(self, since: float) -> float:
        self.connections += 1
        self.fake.wait_for_connections(self.connections, timeout=60)
        return self.fake.first("open", self.connections - 1).at - since

    def notice(self, reason: str) -> None:
        old = self.connections - 1
        self.record("steady: envelope acked", self.acked_in(old))
        noticed = time.monotonic()
        self.fake.disconnect(reason, connection=old)
        self.sent += 1
        on_old, sent_on_old = f"env-{self.sent}", time.monotonic()
        self.fake.send(envelope(on_old, self.slack), connection=old)
        self.record(f"{reason}: new connection open", self.new_connection(noticed))
        self.record(f"{reason}: envelope on the new one acked", self.acked_in(old + 1))
        self.fake.wait_for_ack(on_old, timeout=30)
        self.record(
            f"{reason}: envelope on the old one acked",
            self.fake.acks(on_old)[0].at - sent_on_old,
        )
        if not self.fake.is_closed(old):
            self.fake.close(connection=old)

    def fault(self, kind: str) -> None:
        current = self.connections - 1
        self.acked_in(current)  # the bot holds the connection before it breaks
        broken = time.monotonic()
        getattr(self.fake, kind)(connection=current)
        self.record(f"{kind}: replaced after", self.new_connection(broken))


def run(rounds: int) -> int:
    slack = FakeSlack().start()
    fake = FakeSocketMode().start()
    slack.socket_mode_url = fake.url
    workdir = Path(tempfile.mkdtemp(prefix="accountbot-socket-bench-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    log = (workdir / "bot.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=workdir,
        env=base
        | {
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.api_url,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    bench = Bench(fake, slack)
    try:
        fake.wait_for_connections(1, timeout=60)
        deadline = time.monotonic() + 60
        while "connected to Slack in Socket Mode" not in (workdir / "bot.log").read_text():
            assert time.monotonic() < deadline and process.poll() is None, "the bot did not start"
            time.sleep(0.05)
        for _ in range(rounds):
            for reason in ("refresh_requested", "warning"):
                bench.notice(reason)
            for kind in ("reset", "fin", "silence"):
                bench.fault(kind)
    except AssertionError as error:  # a wait gave up: report it with what was measured
        stopped = str(error).split("; events:")[0]
    else:
        stopped = None
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        fake.stop()
        slack.stop()
        log.close()
    print(f"{rounds} round(s); bot log: {workdir / 'bot.log'}")
    missed = False
    if stopped:
        print(f"STOPPED: {stopped}")
    for name, samples in bench.figures.items():
        target = REPLACE_TARGET if "replaced" in name else ACK_TARGET
        if "new connection open" in name:
            target = None
        worst = max(samples)
        verdict = "" if target is None else ("ok" if worst <= target else "MISSED")
        missed |= verdict == "MISSED"
        print(
            f"{name:50} median {statistics.median(samples) * 1000:8.1f} ms"
            f"   max {worst * 1000:8.1f} ms   {verdict}"
        )
    return BROKEN if stopped else TARGET_MISSED if missed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    sys.exit(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
