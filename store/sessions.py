"""The session of every store transaction, and the accounts it changed.

`StoreSession` notes, at each flush, the accounts whose rows changed (accounts, people, contacts,
items, overrides, usage readings); a set-based write the session cannot see says so itself
(`mark_touched`). Before the transaction commits, `store.history` records those accounts whose
state changed, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from store.models import Account, ActionItem, BandOverride, ContactLog, Stakeholder, UsageReading

TOUCHED = "accountbot_touched_accounts"
WATCHED = (Stakeholder, ActionItem, BandOverride, ContactLog, UsageReading)
"""Rows whose change may change their account's state (besides the account's own)."""


class StoreSession(Session):
    """What `Database.transaction()` hands out: a session that knows which accounts it changed."""


def mark_touched(session: Session, *, team_id: str, account_ids: Iterable[int]) -> None:
    """Note accounts changed by a statement the session cannot see (a set-based write)."""
    touched: set[tuple[str, int]] = session.info.setdefault(TOUCHED, set())
    touched.update((team_id, account_id) for account_id in account_ids)


def take_touched(session: Session) -> set[tuple[str, int]]:
    """The (team, account) pairs changed since last asked, forgotten once taken."""
    taken: set[tuple[str, int]] = session.info.pop(TOUCHED, set())
    return taken


@event.listens_for(StoreSession, "after_flush")
def _note_flushed(session: Session, _context: Any) -> None:
    touched: set[tuple[str, int]] = session.info.setdefault(TOUCHED, set())
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Account) and row.id is not None:
            touched.add((row.team_id, row.id))
        elif isinstance(row, WATCHED):
            touched.add((row.team_id, row.account_id))
