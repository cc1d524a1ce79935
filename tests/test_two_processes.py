"""Two `accountbot run` processes sharing one database: both serve, scheduled work runs once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from store.db import Database
from store.settings import WEEKDAYS
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.factories import add_person, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_run_process import free_port, running_bot


def test_two_processes_serve_one_database_and_post_each_digest_once(
    tmp_path: Path, slack: FakeSlack, database: Database
) -> None:
    for index in range(6):
        account = make_account(database, f"Account {index}", channel_id=f"C0SHARED{index}")
        add_person(database, account, f"Person {index}", contacted_days_ago=100)
    now = datetime.now(UTC)
    ports = [free_port(), free_port()]
    common = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database.url,
        "DIGEST_DAY": WEEKDAYS[now.weekday()],
        "DIGEST_TIME": "00:00",
        "DIGEST_TIMEZONE": "UTC",
    }
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    with (
        running_bot(first_dir, PORT=str(ports[0]), **common) as first,
        running_bot(second_dir, PORT=str(ports[1]), **common) as second,
    ):
        senders = [
            SlackSender(f"http://127.0.0.1:{p}", SIGNING_SECRET, response_url=slack.response_url())
            for p in ports
        ]
        deadline = time.monotonic() + 60
        while not all(_healthy(s) for s in senders):
            assert time.monotonic() < deadline, "the processes did not start serving"
            time.sleep(0.2)
        for sender in senders:  # each process answers from the shared database
            assert sender.command("account 3").status == 200
        slack.wait_for("response_url", count=2, timeout=20)
        slack.wait_for("chat.postMessage", count=6, timeout=60)
        outputs = [first, second]
        if database.engine.dialect.name == "postgresql":
            # Both share the work through the database: both first digest runs are over (one
            # claimed the team and posted, the other found it held, then finished).
            for output in outputs:
                output.wait_for_line("scheduled work is shared through the database")
                output.wait_for_line('Job "weekly digests.*executed successfully', timeout=60)
            assert sum(any("digests of T0TEST" in ln.text for ln in o.lines) for o in outputs) == 1
        else:
            # Both processes' first scheduled run is over: one posted (and said so), the other
            # found the lease taken. Only then is "each digest once" a verdict.
            for output in outputs:
                output.wait_for_line("scheduler lease")
            poster = next(o for o in outputs if any("lease taken" in ln.text for ln in o.lines))
            poster.wait_for_line("digests of T0TEST")
            assert sum(any("stands by" in ln.text for ln in o.lines) for o in outputs) == 1
    posted = Counter(c.params["channel"] for c in slack.calls_to("chat.postMessage"))
    assert posted == {f"C0SHARED{i}": 1 for i in range(6)}
    answers = [c.params["blocks"][0]["text"]["text"] for c in slack.calls_to("response_url")]
    assert answers == ["Account 3", "Account 3"]


def _healthy(sender: SlackSender) -> bool:
    try:
        return sender.get("/healthz").status == 200
    except OSError:
        return False
