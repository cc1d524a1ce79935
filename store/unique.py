"""Writes that a unique index may refuse because someone saved the same thing a moment ago."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session


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
