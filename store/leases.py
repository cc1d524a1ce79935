"""A lease in the database, so that of several bot processes one runs the scheduled jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from store.models import SchedulerLease


def hold_lease(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease: True for its holder, or for anyone once it has expired."""
    lease = session.exec(
        select(SchedulerLease).where(SchedulerLease.name == name).with_for_update()
    ).one_or_none()
    if lease is None:
        try:
            with session.begin_nested():
                session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
                session.flush()
        except IntegrityError:  # someone took it at the same moment: was it us (another job)?
            taken = session.exec(
                select(SchedulerLease.holder).where(SchedulerLease.name == name)
            ).one_or_none()
            return taken == holder
        return True
    if lease.holder != holder and lease.expires_at > now:
        return False
    lease.holder, lease.expires_at = holder, now + ttl
    return True
