"""Engine, one-transaction sessions and schema migrations."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

import store.installations  # registers the Slack installation tables too
import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

MIGRATIONS = Path(__file__).parent / "migrations"
logger = logging.getLogger("accountbot.db")


class DatabaseFileMissing(Exception):
    """The SQLite file is not where DATABASE_URL says (never there, deleted or replaced while
    the bot ran). The bot never creates an empty one in its place behind anyone's back."""


class StoreNotWritable(Exception):
    """The store answers but refuses to be written (read-only file, read-only database)."""


UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
    DatabaseFileMissing,
)
"""What the database raises when it cannot be reached, is locked past the wait, or is gone."""
CONNECT_SECONDS = 5
READING = "accountbot_reading"
"""Execution option of `Database.reading()` sessions: SQLite begins them without the write lock."""


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (absolute), or None for other databases, `:memory:` and URIs."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or database.startswith("file:"):  # type: ignore[union-attr]
        return None
    return Path(os.path.abspath(database))  # type: ignore[arg-type]


def is_unavailable(error: BaseException) -> bool:
    """The database did not answer (down, unreachable, locked too long): try again later."""
    return isinstance(error, UNAVAILABLE)


def make_engine(url: str, *, busy_seconds: float = 30) -> Engine:
    """An engine tuned for the backend. A server database is pinged before each checkout, so
    connections broken by a restart or an outage are replaced by themselves, and connecting
    gives up after a few seconds; SQLite gets WAL, foreign keys and a busy timeout, opens its
    file only if it exists, and checks at every transaction that the file is still there."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            pool_timeout=CONNECT_SECONDS,
            connect_args={"connect_timeout": CONNECT_SECONDS},
        )
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_seconds})
    path = sqlite_file(parsed)
    opened: list[tuple[int, int]] = []
    """The file's identity (device, inode) when this engine first opened it (then a marker once
    its loss has been logged)."""

    @event.listens_for(engine, "do_connect")
    def _open_existing(_dialect, _record, cargs, cparams):  # type: ignore[no-untyped-def]
        # Open the file read-write but never create it (SQLite's default would make an empty
        # database wherever the URL points): creating is `Database.upgrade(create=True)`'s job.
        if path is not None:
            if not path.exists():
                raise DatabaseFileMissing(_missing(path))
            cargs[0] = f"file:{quote(str(path))}?mode=rw"
            cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs and
        # rollbacks behave (see SQLAlchemy's "Serializable isolation / Savepoints" notes).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if path is not None and not opened:
            opened.append(_identity(path) or (0, 0))

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        if path is not None and opened and _identity(path) != opened[0]:
            # The file was deleted (or another put in its place) while we ran: our open
            # connections would go on writing into the orphaned copy, lost at the next start.
            if len(opened) == 1:  # said once, not on every request
                opened.append((-1, -1))
                logger.error(
                    "the database file %s was deleted or replaced while the bot was running: "
                    "nothing more is read or written; restore it and restart the bot",
                    path,
                )
            raise DatabaseFileMissing(f"the database file {path} was deleted or replaced")
        # IMMEDIATE: take the write lock up front, so two concurrent actions queue (busy
        # timeout) instead of one failing when it upgrades a read snapshot to a write. A
        # `Database.reading()` session takes no lock until it would write (it never does).
        reading = connection.get_execution_options().get(READING)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _missing(path: Path) -> str:
    return (
        f"there is no database at {path}: `accountbot db upgrade` creates one (so does the "
        "first `accountbot run`); if it was there before, restore it"
    )


class Database:
    """The store's entry point: hands out one transaction per user action."""

    def __init__(self, url: str, *, busy_seconds: float = 30) -> None:
        self.url = url
        self.engine = make_engine(url, busy_seconds=busy_seconds)
        self._busy_seconds = busy_seconds
        # SQLite has one writer at a time and every transaction takes its lock up front. This
        # process's threads queue for it here, each woken as soon as it is free, rather than in
        # SQLite's busy wait, which polls with sleeps of up to 100 ms and lets late comers
        # overtake: with 50 requests in flight some waited seconds (bench/load.py).
        self._sqlite_turn = (
            threading.RLock() if make_url(url).get_backend_name() == "sqlite" else None
        )
        self._reader = self.engine.execution_options(**{READING: True})
        self.path = sqlite_file(url)
        """The SQLite file, when the store is one."""

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        with (
            self._turn(),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (the rows it loads stay usable after it). On SQLite it does
        not queue for
        the write lock (WAL lets it read beside a writer), so a quick look-up made before
        opening a modal stays quick even while a long write holds the store."""
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    def check_writable(self) -> None:
        """Read, then make a write and undo it: raises when the store cannot be reached (or its
        file is gone), and `StoreNotWritable` when it answers but refuses writes (a read-only
        file or database), which reading alone would not show."""
        with self._turn(), self.engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(text("SELECT 1"))
                try:
                    connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
                except DBAPIError as refused:
                    raise StoreNotWritable(str(refused.orig)) from refused
            finally:
                transaction.rollback()

    @contextmanager
    def _turn(self) -> Iterator[None]:
        """On SQLite, this process's turn at the write lock, given up after `busy_seconds`."""
        if self._sqlite_turn is None:
            yield
            return
        if not self._sqlite_turn.acquire(timeout=self._busy_seconds):
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked)
        try:
            yield
        finally:
            self._sqlite_turn.release()

    def upgrade(self, *, revision: str = "head", create: bool = True) -> list[str]:
        """Bring the schema to `revision` (the latest by default); return what the migrations
        report (duplicates they resolved), for the caller to show. A SQLite file that does not
        exist is created only with `create` (and that is reported too); without it, it is
        `DatabaseFileMissing`."""
        notes = []
        if self.path is not None and not self.path.exists():
            if not create:
                raise DatabaseFileMissing(_missing(self.path))
            self.path.touch(exist_ok=False)
            notes.append(f"created a new, empty database at {self.path}")
        return notes + upgrade(self.engine, revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> list[str]:
    """Migrate; the lines the migrations reported (`notes`), in order."""
    config = alembic_config(engine)
    command.upgrade(config, revision)
    return list(config.attributes.get("notes", []))


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
