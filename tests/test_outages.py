"""Faults: the database away for a while, Slack's Web API too slow, a process killed while it
posts digests. Each time: a clear message or a recorded failure, never a crash or a hang, and
the process recovers by itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.app import make_client
from bot.errors import SLACK_SLOW, STORE_DOWN
from bot.settings import Settings, load_settings
from digests.deliver import Pacer, deliver_team_digests
from store.db import Database
from store.deliveries import INTERRUPTED, TIMED_OUT
from store.models import Stakeholder
from store.settings import DigestSettings
from tests.conftest import BOT_TOKEN, POSTGRES_URL, SIGNING_SECRET, serving
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_stakeholder_map import stakeholder_values

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def card_or_warning(bot: SlackSender, slack: FakeSlack, token: str) -> str:
    bot.command("Acme", response_url=slack.response_url(token))
    [reply] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return str(reply.params.get("text"))


def submit_person(bot: SlackSender, account_id: int, view_id: str) -> dict:
    view = {
        "type": "modal",
        "id": view_id,
        "callback_id": "stakeholder.form",
        "title": {"type": "plain_text", "text": "Add stakeholder"},
        "private_metadata": json.dumps({"account_id": account_id}),
    }
    body = bot.interaction(view_submission_payload(view, stakeholder_values())).body
    return json.loads(body) if body else {}


def people(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Stakeholder)) or 0


# -- the database away ------------------------------------------------------------------------


@pytest.mark.skipif(POSTGRES_URL is not None, reason="SQLite's lock; PostgreSQL has its own test")
def test_a_locked_sqlite_store_gets_a_clear_try_again_then_works_again(
    settings: Settings, database: Database, slack: FakeSlack
) -> None:
    acme = make_account(database, "Acme")
    impatient = Database(database.url, busy_seconds=0.3)  # the same file, a short busy wait
    with serving(settings, impatient, slack) as bot:
        locker = sqlite3.connect(make_url(database.url).database, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another program holds the file
        try:
            assert card_or_warning(bot, slack, "down") == f":warning: {STORE_DOWN}"
            refused = submit_person(bot, acme.id, "V0DOWN")  # type: ignore[arg-type]
            assert refused["response_action"] == "errors"  # the modal stays open …
            assert refused["errors"] == {"name": STORE_DOWN}  # … saying why
        finally:
            locker.rollback()
            locker.close()
        assert card_or_warning(bot, slack, "back").startswith("Acme")  # the card, as before
        assert submit_person(bot, acme.id, "V0DOWN") == {}  # submitted again: saved
    assert people(database) == 1
    impatient.dispose()


class TcpProxy:
    """127.0.0.1:port forwarding to the database server; `cut()` drops every connection and
    refuses new ones, `restore()` accepts again on the same port."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = _free_port()
        self._connections: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        assert self._listener is not None
        _close(self._listener)  # shutdown first: it wakes the accepting thread
        for connection in self._connections:
            _close(connection)
        self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(connection: socket.socket) -> None:
    with suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_postgresql_away_for_a_while_gets_a_clear_try_again_and_the_process_recovers(
    settings: Settings, database: Database, slack: FakeSlack
) -> None:
    acme = make_account(database, "Acme")
    url = make_url(database.url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    through = Database(url.set(port=proxy.port).render_as_string(hide_password=False))
    with serving(settings, through, slack) as bot:
        assert card_or_warning(bot, slack, "before").startswith("Acme")  # pool connections open
        proxy.cut()
        assert card_or_warning(bot, slack, "down") == f":warning: {STORE_DOWN}"
        refused = submit_person(bot, acme.id, "V0DOWN")  # type: ignore[arg-type]
        assert refused == {"response_action": "errors", "errors": {"name": STORE_DOWN}}
        proxy.restore()  # the same process, no restart: broken connections are replaced
        assert card_or_warning(bot, slack, "back").startswith("Acme")
        assert submit_person(bot, acme.id, "V0DOWN") == {}
    assert people(database) == 1
    through.dispose()


# -- Slack too slow -----------------------------------------------------------------------------


@pytest.fixture
def impatient_settings(database: Database, slack: FakeSlack) -> Settings:
    return load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        slack_api_timeout=0.5,
        database_url=database.url,
    )


def test_a_web_api_call_that_times_out_is_explained_and_the_bot_carries_on(
    impatient_settings: Settings, database: Database, slack: FakeSlack
) -> None:
    acme = make_account(database, "Acme")
    slack.delay("views.open", 1.5)
    with serving(impatient_settings, database, slack) as bot:
        click = block_actions_payload(
            "stakeholder.add", str(acme.id), response_url=slack.response_url("slow")
        )
        started = time.monotonic()
        assert bot.interaction(click).status == 200  # acked at once, whatever Slack does
        assert time.monotonic() - started < 0.5
        [told] = slack.wait_for("response_url")
        assert told.params["text"] == f":warning: {SLACK_SLOW}"
        assert card_or_warning(bot, slack, "next").startswith("Acme")  # no thread left hanging
    slack.wait_for("views.open")
    time.sleep(0.6)  # a retry would have started by now
    assert slack.started("views.open") == 1  # not retried: a timed-out call may have worked


def test_a_digest_post_that_times_out_is_recorded_and_never_posted_twice(
    impatient_settings: Settings, database: Database, slack: FakeSlack
) -> None:
    for index in range(3):
        make_account(database, f"Account {index}", channel_id=f"C{index}")
    slack.delay_channel("chat.postMessage", "C1", 1.5)
    client = make_client(impatient_settings)

    def deliver(at: datetime):  # type: ignore[no-untyped-def]
        return deliver_team_digests(
            database,
            client,
            team_id=TEAM_ID,
            settings=DigestSettings(),
            now=at,
            pacer=Pacer(per_channel=0, between=0),
        )

    first = deliver(MONDAY)
    assert first.sent == ["account:1", "account:3"]  # the others went out regardless
    assert first.failed == {"account:2": TIMED_OUT}
    assert deliver(MONDAY + timedelta(minutes=5)).sent == []  # not posted a second time
    slack.wait_for("chat.postMessage", count=3)
    channels = sorted(c.params["channel"] for c in slack.calls_to("chat.postMessage"))
    assert channels == ["C0", "C1", "C2"]  # Slack did get the slow one, once


# -- a process killed mid-run -------------------------------------------------------------------


@contextmanager
def digest_process(
    database: Database, slack: FakeSlack, at: datetime
) -> Iterator[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database.url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "digest", "--now", "--at", at.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_a_process_killed_mid_run_leaves_the_rest_to_the_restart_and_posts_nothing_twice(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    for index in range(6):
        make_account(database, f"Account {index}", channel_id=f"C{index}")
    slack.delay("chat.postMessage", 0.4)
    with digest_process(database, slack, MONDAY) as first:
        slack.wait_for_start("chat.postMessage", count=3, timeout=30)
        first.send_signal(signal.SIGKILL)  # two digests posted, the third in flight
        first.wait(timeout=10)
    time.sleep(0.6)  # Slack finishes the request the dead process sent
    slack.delay("chat.postMessage", 0)
    with digest_process(database, slack, MONDAY + timedelta(minutes=1)) as restart:
        output, _ = restart.communicate(timeout=60)
    assert restart.returncode == 0, output
    assert f"{TEAM_ID} week of 2026-11-23: 3 sent, 0 failed, 3 already sent" in output
    with digest_process(database, slack, MONDAY + timedelta(minutes=15)) as later:
        output, _ = later.communicate(timeout=60)
    assert "0 sent, 1 failed, 5 already sent" in output and INTERRUPTED in output
    channels = sorted(c.params["channel"] for c in slack.calls_to("chat.postMessage"))
    assert channels == [f"C{i}" for i in range(6)]  # every channel exactly once
