"""Engine, one-transaction sessions and schema migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

import store.installations  # registers the Slack installation tables too
import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

MIGRATIONS = Path(__file__).parent / "migrations"


UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
"""What the database raises when it cannot be reached or is locked past the wait."""
CONNECT_SECONDS = 5


def is_unavailable(error: BaseException) -> bool:
    """The database did not answer (down, unreachable, locked too long): try again later."""
    return isinstance(error, UNAVAILABLE)


def make_engine(url: str, *, busy_seconds: float = 30) -> Engine:
    """An engine tuned for the backend. A server database is pinged before each checkout, so
    connections broken by a restart or an outage are replaced by themselves, and connecting
    gives up after a few seconds; SQLite gets WAL, foreign keys and a busy timeout."""
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

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        # IMMEDIATE: take the write lock up front, so two concurrent actions queue (busy
        # timeout) instead of one failing when it upgrades a read snapshot to a write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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

    def upgrade(self) -> None:
        """Bring the schema to the latest migration."""
        upgrade(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
