"""OAuth `state`s that work once: each one that finished an install is remembered until it
expires, in the database, so every process refuses its replay."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from store.models import UsedOAuthState
from store.unique import inserted_once


def use_state(session: Session, *, state: str, expires_at: datetime, now: datetime) -> bool:
    """True the first time `state` is used; False when it was used before. States past their
    expiry are forgotten on the way (they are refused for being expired anyway)."""
    session.execute(delete(UsedOAuthState).where(col(UsedOAuthState.expires_at) <= now))
    state_hash = hashlib.sha256(state.encode()).hexdigest()
    return inserted_once(session, UsedOAuthState(state_hash=state_hash, expires_at=expires_at))
