"""Attacks on the PostgreSQL work queue for digests (`digests.queue`, `store.work`): processes
whose clocks disagree, holders that are slow rather than dead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from store.db import Database
from store.deliveries import SENDING
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.test_faults import digest_process, ledger, posted
from tests.test_work_queue import MONDAY, on_postgres


@on_postgres
def test_two_processes_whose_clocks_are_two_minutes_apart_post_each_digest_once(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """The second process's clock is two minutes ahead: every claim the first takes looks
    expired to it at once (45 s), so it takes the team over while the first is alive and
    posting. The ledger still lets each digest be posted once, and none is left unsettled."""
    channels = [f"C0SKEW{index}" for index in range(8)]
    for channel in channels:
        make_account(database, f"Account {channel}", channel_id=channel)
    slack.delay("chat.postMessage", 1.5)
    with digest_process(slack, database, tmp_path, at=MONDAY) as behind:
        slack.wait_for_start("chat.postMessage", count=1, timeout=30)
        with digest_process(slack, database, tmp_path, at=MONDAY + timedelta(minutes=2)) as ahead:
            taker = ahead.communicate(timeout=120)[0]
        assert ahead.returncode == 0, taker
        first = behind.communicate(timeout=120)[0]
        assert behind.returncode == 0, first
    assert "taken over from" in taker, taker  # the skew did make it take a live holder's team
    assert posted(slack) == dict.fromkeys(channels, 1)
    assert sorted(ledger(database)) == sorted(channels)
    assert SENDING not in {status for status, _ in ledger(database).values()}
