"""`/healthz` says whether the store can be written, and a SQLite file that vanishes is an error:
never writes into a deleted file, never an empty database silently put in its place."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from commands.ui.errors import STORE_DOWN
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.db import Database
from store.models import Account
from tests.conftest import BOT_TOKEN, POSTGRES_URL, bot_settings, serving
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_account_form import submit as submit_account
from tests.test_account_form import values
from tests.test_run_process import http_bot


def health(bot: SlackSender) -> tuple[int, dict[str, str]]:
    reply = bot.get("/healthz")
    return reply.status, reply.json()


def accounts_in(path: Path) -> int:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Account)).scalar_one()
    finally:
        engine.dispose()


def sqlite_file(tmp_path: Path, name: str = "store.db") -> Database:
    db = Database(f"sqlite:///{tmp_path / name}")
    db.upgrade()
    return db


def test_health_is_ok_when_the_store_can_be_written(bot: SlackSender) -> None:
    assert health(bot) == (200, {"status": "ok", "database": "ok"})


def test_a_sqlite_file_deleted_while_the_bot_runs_is_noticed_and_nothing_is_written_into_it(
    tmp_path: Path, slack: FakeSlack
) -> None:
    db = sqlite_file(tmp_path)
    path = Path(make_url(db.url).database or "")
    make_account(db, "Acme")
    try:
        with serving(bot_settings(db, slack), db, slack) as bot:
            assert health(bot)[0] == 200
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink()  # `rm store.db*` while the bot runs
            assert health(bot) == (503, {"status": "error", "database": "missing"})
            refused = submit_account(bot, slack, name="Globex").json()
            assert refused == {"response_action": "errors", "errors": {"name": STORE_DOWN}}
            assert bot.command("acme", response_url=slack.response_url("card")).status == 200
            [told] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
            assert told.params["text"] == f":warning: {STORE_DOWN}"
        assert not path.exists()  # nothing recreated it behind the operator's back
    finally:
        db.dispose()


def test_a_sqlite_file_emptied_while_the_bot_runs_is_reported_missing_and_nothing_is_saved(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """`: > store.db` (or a copy that failed half-way) while the bot runs: the file is still
    there, with the same inode, but SQLite no longer reads back what was in it."""
    db = sqlite_file(tmp_path)
    path = Path(make_url(db.url).database or "")
    make_account(db, "Acme")
    try:
        with serving(bot_settings(db, slack), db, slack) as bot:
            assert submit_account(bot, slack, name="Globex").body == ""  # saved before
            with path.open("r+b") as emptied:
                emptied.truncate(0)
            assert health(bot) == (503, {"status": "error", "database": "missing"})
            another = {**account_form(meta=ModalMeta()), "id": "V0OTHER"}  # not a retry
            reply = bot.interaction(view_submission_payload(another, values(name="Initech")))
            refused = reply.json()
            assert refused == {"response_action": "errors", "errors": {"name": STORE_DOWN}}
            assert bot.command("acme", response_url=slack.response_url("card")).status == 200
            [told] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
            assert told.params["text"] == f":warning: {STORE_DOWN}"
            assert health(bot)[1]["database"] == "missing"  # for good, until a restart
    finally:
        db.dispose()
    assert "unhandled error" not in caplog.text  # no error id anywhere


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file may be read but not written (root ignores permission bits: make it immutable)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o644)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root where files cannot be made immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_sqlite_file_is_unhealthy(tmp_path: Path, slack: FakeSlack) -> None:
    prepared = sqlite_file(tmp_path)
    prepared.dispose()
    path = tmp_path / "store.db"
    with read_only(path):
        db = Database(prepared.url)
        try:
            with serving(bot_settings(db, slack), db, slack) as bot:
                assert health(bot) == (503, {"status": "error", "database": "read-only"})
        finally:
            db.dispose()


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL (set TEST_DATABASE_URL)")
def test_a_read_only_postgresql_database_is_unhealthy(database: Database, slack: FakeSlack) -> None:
    name = make_url(database.url).database
    admin = create_engine(POSTGRES_URL or "", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(
                text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            )
        database.dispose()  # new connections start read-only
        with serving(bot_settings(database, slack), database, slack) as bot:
            assert health(bot) == (503, {"status": "error", "database": "read-only"})
    finally:
        admin.dispose()


def cli(tmp_path: Path, *args: str, url: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=base | {"DATABASE_URL": url, "SLACK_BOT_TOKEN": BOT_TOKEN},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_commands_that_read_the_store_refuse_a_missing_sqlite_file_rather_than_create_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gone.db"
    url = f"sqlite:///{path}"
    for args in (["digest", "--dry-run"], ["remind"], ["db", "current"]):
        done = cli(tmp_path, *args, url=url)
        assert (done.returncode, done.stderr.strip()) == (
            2,
            f"accountbot: there is no database at {path}: `accountbot db upgrade` creates one "
            "(so does the first `accountbot run`); if it was there before, restore it",
        ), args
        assert not path.exists()
    created = cli(tmp_path, "db", "upgrade", url=url)
    assert created.returncode == 0, created.stderr
    assert f"created a new, empty database at {path}" in created.stdout
    assert accounts_in(path) == 0


def test_the_first_run_creates_the_sqlite_file_and_says_so(
    tmp_path: Path, slack: FakeSlack
) -> None:
    with http_bot(tmp_path, slack) as (bot, _sender):
        pass
    assert f"created a new, empty database at {tmp_path / 'run.db'}" in bot.output
