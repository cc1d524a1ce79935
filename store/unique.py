"""Writes that a unique index may refuse because someone saved the same thing a moment ago."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel


def inserted_once(session: Session, row: SQLModel) -> bool:
    """Add `row` and flush it in a savepoint: True when it went in, False when a unique index
    says it is there already (claimed, used or saved before, perhaps a moment ago by another
    process); the caller's transaction goes on either way."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def saved_once(session: Session, *, write: Callable[[], None], check: Callable[[], None]) -> None:
    """Make the change (`write`) and flush it in a savepoint. The caller's `check` (which raises
    the user-facing refusal of a duplicate) ran before; if a unique index refuses the change
    anyway, someone saved the same thing since (two people at the same moment): the savepoint
    is undone and `check` runs again, now seeing their row, so the loser gets the refusal a
    sequential duplicate gets. Any other refusal is raised as it is."""
    try:
        with session.begin_nested():
            write()
            session.flush()
    except IntegrityError:
        with session.no_autoflush:
            check()
        raise


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT (PostgreSQL's or SQLite's), which can skip a row a unique index
    already holds (`on_conflict_do_nothing`)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def dialect_insert(session: Session) -> Any:
    """`insert_for` the dialect of the session's database."""
    return insert_for(session.get_bind().dialect.name)


def skipping_insert(session: Session, table: Any) -> Any:
    """An INSERT into `table` that skips a row a unique index already holds (`ON CONFLICT DO
    NOTHING`, PostgreSQL's or SQLite's): another process may have written it a moment ago (on
    PostgreSQL it waits for that process's transaction, then skips its rows)."""
    return dialect_insert(session)(table).on_conflict_do_nothing()
