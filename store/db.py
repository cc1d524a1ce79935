"""Engine, one-transaction sessions and schema migrations."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

import store.history
import store.installations  # registers the Slack installation tables too
import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.sessions import StoreSession

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
GLANCE_SECONDS = 0.5
"""How long `Database.glance()` waits on the database at each step (SQLite's busy wait; on
PostgreSQL the pool and each statement) before giving up."""
GLANCE_CONNECT_SECONDS = 2
"""Connecting to PostgreSQL for a glance: libpq's (and psycopg's) least connect timeout."""
READING = "accountbot_reading"
"""Execution option of read-only sessions: SQLite begins them without the write lock."""


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (absolute), or None for other databases, `:memory:` and URIs."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or database.startswith("file:"):
        return None
    return Path(os.path.abspath(database))


def is_unavailable(error: BaseException) -> bool:
    """The database did not answer (down, unreachable, locked too long): try again later."""
    return isinstance(error, UNAVAILABLE)


class FileWatch:
    """The SQLite file as this process first opened it. Every transaction checks it is still
    that file and not emptied: deleted, replaced by another file or truncated to nothing while
    the bot runs, it is lost for good (until a restart), and nothing more is read or written,
    rather than writes going on into an orphaned copy or a file SQLite no longer reads back.
    (A file copied over the live one keeps its identity and size: that cannot be told apart
    from the bot's own writes; the README says how to restore safely.)"""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._opened: tuple[int, int] | None = None
        self._lost: str | None = None
        self._lock = threading.Lock()

    def opened(self) -> None:
        """A connection opened the file: the first one fixes which file it is."""
        with self._lock:
            if self._opened is None:
                found = _stat(self.path)
                self._opened = (found.st_dev, found.st_ino) if found else (0, 0)

    def check(self) -> None:
        """Raise `DatabaseFileMissing` if the file is gone, another or empty (said once)."""
        found = _stat(self.path)
        with self._lock:
            if self._lost is None and self._opened is not None:
                if found is None or (found.st_dev, found.st_ino) != self._opened:
                    self._lost = "deleted or replaced"
                elif found.st_size == 0:
                    self._lost = "emptied (truncated to 0 bytes)"
                if self._lost is not None:
                    logger.error(
                        "the database file %s was %s while the bot was running: nothing more "
                        "is read or written; restore it and restart the bot",
                        self.path,
                        self._lost,
                    )
            lost = self._lost
        if lost is not None:
            raise DatabaseFileMissing(f"the database file {self.path} was {lost}")


GLANCE_MILLISECONDS = int(GLANCE_SECONDS * 1000)
SERVER_OPTIONS = "-c jit=off -c random_page_cost=1.1"
"""Planner settings for each PostgreSQL connection of the bot. JIT compilation is for long
analytical queries: the bot's are short, and a list's usage read crossed `jit_above_cost` on a
large team, adding some 20 ms of compiling to a 7 ms read. A random page read costs about a
sequential one once the bot's rows are cached (or on an SSD): at the default 4 the planner read
all 50,000 items by a sequential scan to find an owner's 454 open ones (12 ms, not 4)."""


POOL_OVERFLOW = 10
"""Connections a PostgreSQL pool may open beyond its size when more threads than counted want
one at once; each is closed as it is given back, so they are for a burst, not the steady state."""


def make_engine(
    url: str,
    *,
    busy_seconds: float = 30,
    glance: bool = False,
    watch: FileWatch | None = None,
    connections: int = 10,
) -> Engine:
    """An engine tuned for the backend. A server database is pinged before each checkout, so
    connections broken by a restart or an outage are replaced by themselves, and connecting
    gives up after a few seconds; SQLite gets WAL, foreign keys and a busy timeout, opens its
    file only if it exists, and checks at every transaction that the file is still there
    (`watch`, shared by the engines of one database).

    A `glance` engine is for quick reads that must not hold anyone up: read-only, its own small
    pool, and every wait cut to `GLANCE_SECONDS` (connecting to PostgreSQL to
    `GLANCE_CONNECT_SECONDS`).

    A server pool keeps `connections` open: as many as the process has threads that may hold
    one at once. A smaller pool would close each connection beyond its size as it is given
    back, and open a new one (a new server process) for the next transaction: 32 digest
    workers on a pool of 10 opened some 130 connections a second."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if glance:
            return create_engine(
                url,
                pool_pre_ping=True,
                pool_size=2,
                max_overflow=8,
                pool_timeout=GLANCE_SECONDS,
                connect_args={
                    "connect_timeout": GLANCE_CONNECT_SECONDS,
                    "options": f"{SERVER_OPTIONS} -c statement_timeout={GLANCE_MILLISECONDS}",
                },
                execution_options={"postgresql_readonly": True},
            )
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=connections,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=CONNECT_SECONDS,
            connect_args={"connect_timeout": CONNECT_SECONDS, "options": SERVER_OPTIONS},
        )
    busy = min(busy_seconds, GLANCE_SECONDS) if glance else busy_seconds
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": busy}}
    if glance:
        options |= {"pool_timeout": GLANCE_SECONDS, "execution_options": {READING: True}}
    engine = create_engine(url, **options)
    path = sqlite_file(parsed)
    if path is not None and watch is None:
        watch = FileWatch(path)

    @event.listens_for(engine, "do_connect")
    def _open_existing(
        _dialect: Dialect, _record: ConnectionPoolEntry, cargs: list[Any], cparams: dict[str, Any]
    ) -> None:
        # Open the file read-write but never create it (SQLite's default would make an empty
        # database wherever the URL points): creating is `Database.upgrade(create=True)`'s job.
        if path is not None:
            if not path.exists():
                raise DatabaseFileMissing(_missing(path))
            if watch is not None:
                watch.check()
            cargs[0] = f"file:{quote(str(path))}?mode=rw"
            cparams["uri"] = True

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs and
        # rollbacks behave (see SQLAlchemy's "Serializable isolation / Savepoints" notes).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if glance:
            cursor.execute("PRAGMA query_only=ON")  # it only ever reads
        cursor.close()
        if watch is not None:
            watch.opened()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if watch is not None:
            watch.check()
        # IMMEDIATE: take the write lock up front, so two concurrent actions queue (busy
        # timeout) instead of one failing when it upgrades a read snapshot to a write. A
        # read-only session (`Database.reading()`) takes no lock until it would write: its
        # reads see the last commit beside a writer (WAL).
        reading = connection.get_execution_options().get(READING)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _missing(path: Path) -> str:
    return (
        f"there is no database at {path}: `accountbot db upgrade` creates one (so does the "
        "first `accountbot run`); if it was there before, restore it"
    )


class Database:
    """The store's entry point: hands out one transaction per user action."""

    def __init__(self, url: str, *, busy_seconds: float = 30, connections: int = 10) -> None:
        self.url = url
        self.path = sqlite_file(url)
        """The SQLite file, when the store is one."""
        watch = FileWatch(self.path) if self.path is not None else None
        self.engine = make_engine(
            url, busy_seconds=busy_seconds, watch=watch, connections=connections
        )
        self._busy_seconds = busy_seconds
        # SQLite has one writer at a time and every transaction takes its lock up front. This
        # process's threads queue for it here, each woken as soon as it is free, rather than in
        # SQLite's busy wait, which polls with sleeps of up to 100 ms and lets late comers
        # overtake: with 50 requests in flight some waited seconds (bench/load.py).
        sqlite = make_url(url).get_backend_name() == "sqlite"
        self._sqlite_turn = threading.RLock() if sqlite else None
        read_only = {READING: True} if sqlite else {"postgresql_readonly": True}
        self._reader = self.engine.execution_options(**read_only)
        self._glancer: Engine | None = None
        self._glancer_lock = threading.Lock()
        self._watch = watch

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        with (
            self._turn(),
            StoreSession(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only (the rows it loads stay usable after it): on SQLite it takes
        no write lock (it neither queues for this process's turn nor begins IMMEDIATE; WAL lets
        it read beside a writer); on PostgreSQL it is a READ ONLY transaction."""
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def glance(self) -> Iterator[Session]:
        """`reading()` for a look-up that must not hold up what follows it (the names in a
        command's text, read before its modal opens inside Slack's 3-second window): on its own
        small pool, each wait cut to `GLANCE_SECONDS`; past it, the store counts as not
        answering (UNAVAILABLE)."""
        with Session(self.glance_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @property
    def glance_engine(self) -> Engine:
        """The engine of `glance()` sessions (made on first use)."""
        with self._glancer_lock:
            if self._glancer is None:
                self._glancer = make_engine(
                    self.url, busy_seconds=self._busy_seconds, glance=True, watch=self._watch
                )
            return self._glancer

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
        with self._glancer_lock:
            if self._glancer is not None:
                self._glancer.dispose()
                self._glancer = None


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
