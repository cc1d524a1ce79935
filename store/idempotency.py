"""Once-only user actions: claim a request's key in the same transaction as its write."""

from __future__ import annotations

from sqlmodel import Session

from store.models import ProcessedRequest
from store.unique import inserted_once


def claim(session: Session, *, team_id: str, key: str) -> bool:
    """True the first time a key is claimed; False when the action was already carried out.

    The claim commits or rolls back with the caller's transaction, so a failed write leaves the
    key free to try again.
    """
    return inserted_once(session, ProcessedRequest(team_id=team_id, key=key[:200]))
