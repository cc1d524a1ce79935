"""Faults, through the real app and real processes: the database away for a while, Slack's Web API
answering after the client gave up, a digest process killed mid-run, an oversized chunked body.

Each time the outcome is a clear message or a recorded failure, never a crash or a hung thread,
and the same process works again once the fault is gone.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from commands.ui.errors import SLACK_SLOW, STORE_DOWN
from store.actions import add_action_item
from store.db import Database
from store.deliveries import FAILED, INTERRUPTED, SENT, TIMED_OUT
from store.enums import ActionStatus
from store.models import ActionItem, DigestDelivery, Stakeholder
from tests.conftest import BOT_TOKEN, POSTGRES_URL, bot_settings, serving
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, Call, FakeSlack
from tests.slack_sender import FORM, SlackSender, block_actions_payload, view_submission_payload
from tests.test_stakeholder_map import stakeholder_values

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
"""A digest day (Monday 09:00 UTC by default) just after the digest time."""


# -- helpers ---------------------------------------------------------------------------------------


def reply_to(slack: FakeSlack, token: str) -> Call:
    """The one answer the bot sent to the response URL `token`."""
    [reply] = slack.wait_for("response_url", where=lambda call: call.path == f"/response/{token}")
    return reply


def account_command(bot: SlackSender, slack: FakeSlack, text: str, *, token: str) -> Call:
    """`/account <text>` with its own response URL; what the bot answered there."""
    assert bot.command(text, response_url=slack.response_url(token)).status == 200
    return reply_to(slack, token)


def click_done(bot: SlackSender, slack: FakeSlack, item_id: int, *, token: str) -> Call:
    """A click on an item's "Done" on the card; what the bot answered through the response URL."""
    click = block_actions_payload(
        "action.done", str(item_id), response_url=slack.response_url(token), block_id="card:0"
    )
    assert bot.interaction(click).status == 200
    return reply_to(slack, token)


def is_store_down(reply: Call) -> bool:
    return reply.params == {
        "text": f":warning: {STORE_DOWN}",
        "response_type": "ephemeral",
        "replace_original": False,
    }


def card_title(reply: Call) -> str:
    return reply.params["blocks"][0]["text"]["text"]


def open_item(database: Database, account_id: int) -> int:
    with database.transaction() as session:
        return add_action_item(
            session,
            team_id=TEAM_ID,
            account_id=account_id,
            title="Send the security questionnaire",
            due_on=app_today() + timedelta(days=7),
            by_user_id="U0ALICE",
            our_owner_user_id="U0ALICE",
            customer_owner_name="Olga",
        ).id  # type: ignore[return-value]


def item_status(database: Database, item_id: int) -> ActionStatus:
    with database.transaction() as session:
        item = session.get(ActionItem, item_id)
        assert item is not None
        return item.status


def people(database: Database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(Stakeholder.name)))


# -- the database away for a while -----------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file (also in the PostgreSQL pass: this lock is SQLite's own) whose busy wait is
    short, so a lock held by another program is reported in a fraction of a second."""
    db = Database(f"sqlite:///{tmp_path / 'locked.db'}", busy_seconds=0.2)
    db.upgrade()
    yield db
    db.dispose()


@contextmanager
def write_locked(database: Database) -> Iterator[None]:
    """Another program holds SQLite's write lock (a long write, a migration): readers may go on
    beside it (WAL), writers wait `busy_seconds` and give up."""
    with closing(sqlite3.connect(make_url(database.url).database, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


@contextmanager
def taken_exclusively(database: Database) -> Iterator[None]:
    """Another program opened the file in exclusive locking mode while the bot held no
    connection to it (the pool opens new ones on demand): nobody else may even read it until
    that program closes it."""
    database.dispose()
    with closing(sqlite3.connect(make_url(database.url).database, isolation_level=None)) as other:
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


def test_a_locked_sqlite_store_says_try_again_and_the_same_process_works_once_it_is_free(
    sqlite_store: Database, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    acme = make_account(sqlite_store, "Acme Zanzibar")
    item_id = open_item(sqlite_store, acme.id)  # type: ignore[arg-type]
    with serving(bot_settings(sqlite_store, slack), sqlite_store, slack) as bot:
        opened = block_actions_payload(
            "stakeholder.add", str(acme.id), response_url=slack.response_url("form")
        )
        assert bot.interaction(opened).status == 200
        form = slack.opened_view()  # opened before the lock: the user is typing meanwhile
        with write_locked(sqlite_store):
            assert is_store_down(click_done(bot, slack, item_id, token="done"))
            refused = bot.interaction(view_submission_payload(form, stakeholder_values())).json()
            assert refused == {"response_action": "errors", "errors": {"name": STORE_DOWN}}
        with taken_exclusively(sqlite_store):
            assert is_store_down(account_command(bot, slack, "acme zanzibar", token="read"))
            assert bot.get("/healthz").status == 503
        # nothing was written while the store was away
        assert (item_status(sqlite_store, item_id), people(sqlite_store)) == (ActionStatus.OPEN, [])
        # the same running app, no restart: everything works again
        assert card_title(account_command(bot, slack, "acme zanzibar", token="again")) == (
            "Acme Zanzibar"
        )
        assert "Acme Zanzibar" in json.dumps(click_done(bot, slack, item_id, token="redo").params)
        assert bot.interaction(view_submission_payload(form, stakeholder_values())).body == ""
        assert bot.get("/healthz").status == 200
    assert (item_status(sqlite_store, item_id), people(sqlite_store)) == (
        ActionStatus.DONE,
        ["Dana Lee"],
    )
    warned = [r.getMessage() for r in caplog.records if r.name == "accountbot.errors"]
    assert warned and all(m == "unavailable: OperationalError (OperationalError)" for m in warned)
    assert "unhandled error" not in caplog.text  # no error id: not mistaken for a bug
    assert "Zanzibar" not in caplog.text and "Dana" not in caplog.text  # no user text logged


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 in front of the database server, run by threads of the test.

    `cut()` closes every proxied connection and stops listening, so connecting is refused;
    `restore()` listens on the same port again. The database server itself is untouched.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        assert self._listener is not None and self._acceptor is not None
        _shut(self._listener)  # wakes the blocked accept(), which then returns an error
        self._acceptor.join(timeout=5)
        assert not self._acceptor.is_alive()
        with self._lock:
            for open_socket in self._sockets:
                _shut(open_socket)
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                listener.close()
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    _shut(sink)


def _shut(open_socket: socket.socket) -> None:
    with suppress(OSError):
        open_socket.shutdown(socket.SHUT_RDWR)
    open_socket.close()


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL (set TEST_DATABASE_URL)")
def test_postgresql_out_of_reach_says_try_again_and_the_same_process_recovers_by_itself(
    database: Database, slack: FakeSlack
) -> None:
    acme = make_account(database, "Acme")
    item_id = open_item(database, acme.id)  # type: ignore[arg-type]
    server = make_url(database.url)
    proxy = CuttableProxy((server.host or "127.0.0.1", server.port or 5432))
    through = Database(server.set(port=proxy.port).render_as_string(hide_password=False))
    try:
        with serving(bot_settings(database, slack), through, slack) as bot:
            # connections are open in the pool before the outage
            assert card_title(account_command(bot, slack, "acme", token="before")) == "Acme"
            proxy.cut()  # pooled connections are dead, new ones are refused
            assert is_store_down(account_command(bot, slack, "acme", token="down"))
            assert is_store_down(click_done(bot, slack, item_id, token="done"))
            assert bot.get("/healthz").status == 503
            proxy.restore()  # no restart: stale connections are replaced on checkout
            assert card_title(account_command(bot, slack, "acme", token="back")) == "Acme"
            assert item_status(database, item_id) is ActionStatus.OPEN  # the click wrote nothing
            proxy.cut()  # a server restart while the bot is idle: every pooled connection dies,
            proxy.restore()  # and the first request after it does not pay for that
            assert card_title(account_command(bot, slack, "acme", token="after")) == "Acme"
            assert card_title(click_done(bot, slack, item_id, token="redo")) == "Acme"
        assert item_status(database, item_id) is ActionStatus.DONE
    finally:
        through.dispose()
        proxy.cut()


# -- Slack answering after the client gave up ------------------------------------------------------


def test_a_modal_slack_does_not_open_in_time_is_explained_and_the_bot_carries_on(
    database: Database, slack: FakeSlack
) -> None:
    """`views.open` answers after SLACK_API_TIMEOUT: the user is told, the call is not retried
    (a read timeout is not a connection error to slack_sdk's retry handler, and the trigger
    would have expired anyway) and the listener thread is free for the next request."""
    make_account(database, "Acme")
    slack.delay("views.open", 3)
    settings = bot_settings(database, slack, slack_api_timeout=1, http_threads=1)
    with serving(settings, database, slack) as bot:
        for attempt in range(2):  # one listener thread: a hung one would block the second
            told = account_command(bot, slack, "new Initech", token=f"slow{attempt}")
            assert told.params["text"] == f":warning: {SLACK_SLOW}"
            assert told.params["response_type"] == "ephemeral"
            slack.wait_for_start("views.open", count=attempt + 1)
        assert card_title(account_command(bot, slack, "acme", token="after")) == "Acme"
    assert slack.started("views.open") == 2  # each attempt reached Slack once, and only once
    assert slack.calls_to("views.update") == []


def test_a_form_submitted_while_slack_is_too_slow_stays_open_and_saves_when_sent_again(
    database: Database, slack: FakeSlack
) -> None:
    """Bob (not the owner) may change an account if he is in its channel, which only Slack
    knows: if it does not answer, the form stays open with what he typed, saying why."""
    acme = make_account(database, "Acme")
    settings = bot_settings(database, slack, slack_api_timeout=1)
    with serving(settings, database, slack) as bot:  # Bob opens the form on one process …
        click = block_actions_payload(
            "stakeholder.add", str(acme.id), user_id="U0BOB", response_url=slack.response_url()
        )
        assert bot.interaction(click).status == 200
        form = slack.opened_view()
    for method in ("conversations.info", "conversations.members"):
        slack.delay(method, 3)
    submitted = view_submission_payload(form, stakeholder_values(), user_id="U0BOB")
    with serving(settings, database, slack) as bot:  # … and submits it to another one
        refused = bot.interaction(submitted).json()
        assert refused == {"response_action": "errors", "errors": {"name": SLACK_SLOW}}
        assert people(database) == []
        for method in ("conversations.info", "conversations.members"):
            slack.delay(method, 0)
        assert bot.interaction(submitted).body == ""  # sent again: saved
    assert people(database) == ["Dana Lee"]


# -- digests as real processes ---------------------------------------------------------------------


@contextmanager
def digest_process(
    slack: FakeSlack, database: Database, cwd: Path, *, at: datetime, **env: str
) -> Iterator[subprocess.Popen[str]]:
    """`python -m bot digest --now --at <at>` on the test's database, posting to the fake."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "digest", "--now", "--at", at.isoformat()],
        cwd=cwd,
        env=base
        | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}
        | {"DATABASE_URL": database.url, "LOG_LEVEL": "WARNING"}
        | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def run_digests(
    slack: FakeSlack, database: Database, cwd: Path, *, at: datetime, **env: str
) -> str:
    with digest_process(slack, database, cwd, at=at, **env) as process:
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


def ledger(database: Database) -> dict[str, tuple[str, str | None]]:
    with database.transaction() as session:
        rows = session.scalars(select(DigestDelivery)).all()
        return {row.channel_id or row.target: (row.status, row.error) for row in rows}


def posted(slack: FakeSlack) -> Counter[str]:
    return Counter(call.params["channel"] for call in slack.calls_to("chat.postMessage"))


def test_a_digest_post_slack_answers_too_late_is_recorded_and_the_run_carries_on(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """Decision: a post that timed out was sent in full, and Slack usually carries it out, so it
    is recorded as failed ("may or may not have been posted", listed in the portfolio digest)
    and never posted again by a later run: a week's digest twice in a channel is worse than a
    reported gap that `accountbot digest --now --force --account …` fills."""
    for index in range(3):
        make_account(database, f"Account {index}", channel_id=f"C0CHAN{index}")
    slack.delay_channel("chat.postMessage", "C0CHAN1", 2.5)
    output = run_digests(slack, database, tmp_path, at=MONDAY, SLACK_API_TIMEOUT="1")
    assert f"{TEAM_ID} week of 2026-11-23: 2 sent, 1 failed, 0 already sent" in output
    assert TIMED_OUT in output
    assert ledger(database) == {
        "C0CHAN0": (SENT, None),
        "C0CHAN1": (FAILED, TIMED_OUT),
        "C0CHAN2": (SENT, None),  # the run went on after the slow channel
    }
    slack.wait_for("chat.postMessage", count=3, timeout=10)  # Slack did post the slow one
    later = run_digests(slack, database, tmp_path, at=MONDAY + timedelta(hours=1))
    assert "0 sent, 0 failed, 3 already sent" in later
    assert posted(slack) == {"C0CHAN0": 1, "C0CHAN1": 1, "C0CHAN2": 1}


def test_a_digest_process_killed_mid_run_is_finished_by_a_restart_posting_each_channel_once(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    channels = [f"C0KILL{index}" for index in range(6)]
    accounts = {make_account(database, f"Account {c}", channel_id=c).id: c for c in channels}
    slack.delay("chat.postMessage", 0.3)
    with digest_process(slack, database, tmp_path, at=MONDAY) as first:
        slack.wait_for_start("chat.postMessage", count=3, timeout=30)
        first.send_signal(signal.SIGKILL)  # with its third post sent, its answer not yet back
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    # Slack carries out the request the dead process sent: that channel has its digest. The
    # ledger holds that claim as `sending`; a restart more than ten minutes on (STALE_AFTER)
    # finds it stale and, unable to know whether Slack got it, reports it as interrupted
    # rather than posting it again.
    in_flight = slack.wait_for("chat.postMessage", count=3)[2].params["channel"]
    slack.delay("chat.postMessage", 0)
    output = run_digests(slack, database, tmp_path, at=MONDAY + timedelta(minutes=15))
    assert f"{TEAM_ID} week of 2026-11-23: 3 sent, 1 failed, 2 already sent" in output
    [interrupted] = [a for a, c in accounts.items() if c == in_flight]
    assert f"account:{interrupted}: {INTERRUPTED}" in output
    assert posted(slack) == dict.fromkeys(channels, 1)  # every channel exactly once
    assert ledger(database)[in_flight] == (FAILED, INTERRUPTED)


# -- the front door --------------------------------------------------------------------------------


def test_an_oversized_chunked_body_is_refused_before_the_app_sees_it(
    bot: SlackSender, slack: FakeSlack
) -> None:
    """Without a Content-Length the size is only known while reading: still refused at 1 MB,
    although this body is correctly signed and would otherwise be a valid `/account help`."""
    huge = bot.command_body("help", response_url=slack.response_url("huge"))
    huge += "&padding=" + "x" * 1_100_000
    data = huge.encode()
    host, port = bot.base_url.removeprefix("http://").split(":")
    with closing(http.client.HTTPConnection(host, int(port), timeout=10)) as connection:
        try:
            connection.request(
                "POST",
                "/slack/events",
                body=(data[i : i + 65536] for i in range(0, len(data), 65536)),
                headers={"Content-Type": FORM, **bot.sign(huge)},
                encode_chunked=True,
            )
            status = connection.getresponse().status
        except ConnectionError:  # waitress answered 413 and closed while we were still sending
            status = 413
    assert status == 413
    answer = account_command(bot, slack, "help", token="next")  # the server carries on …
    assert "How to use /account" in json.dumps(answer.params["blocks"])
    assert slack.replies_to("huge") == []  # … and never ran the oversized request
