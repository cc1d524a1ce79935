"""The delivery ledgers: claim a digest (team, week, target) or a due-day reminder (item, local
day) before sending it, and record how it went. The claim is what prevents a second send; its
fate (sent, failed with why, interrupted) is what the runs report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, and_, bindparam, delete, update
from sqlmodel import Session, col, select

from store.models import ActionReminder, DigestDelivery, RenewalAsk
from store.types import utcnow
from store.unique import insert_for, inserted_once

SENDING, SENT, FAILED = "sending", "sent", "failed"
TO_OWNER = "sent_to_owner"
"""Sent to the account's owner by DM instead: its channel is shared with another organisation."""
DONE = (SENT, TO_OWNER, FAILED)
"""Settled for the week: never posted again by a later run (`--force` re-sends)."""
ERROR_LENGTH = 200
STALE_AFTER = timedelta(minutes=10)
"""A claim still `sending` this long after it was taken belongs to a process that died."""
INTERRUPTED = "interrupted: the bot stopped while posting it, so Slack may or may not have it"
TIMED_OUT = "timed out: Slack did not answer, so it may or may not have been posted"


@dataclass(frozen=True)
class Claim:
    """A digest claimed for posting (`SENDING`), or found interrupted (`FAILED`, with why)."""

    id: int
    status: str
    error: str | None = None


@dataclass(frozen=True)
class Settle:
    """How a claimed digest went, to be written later, with the next claim (`claim_delivery`):
    its status, or None for a claim given back (nothing sent: the next run posts it)."""

    delivery_id: int
    status: str | None
    at: datetime
    error: str | None = None
    message_ts: str | None = None


def claim_delivery(
    session: Session,
    *,
    team_id: str,
    week: date,
    target: str,
    channel_id: str | None,
    account_id: int | None = None,
    now: datetime | None = None,
    holder: str | None = None,
) -> Claim | None:
    """Take the right to post one digest this week (claims are taken just before posting): one
    `INSERT … ON CONFLICT DO NOTHING` on the ledger's unique (team, week, target).

    None when it is sent, failed or in flight. A claim left `sending` by a process that died is
    a post that may have reached Slack: it is marked failed (`INTERRUPTED`) and returned so, to
    be reported rather than posted a second time (`accountbot digest --now --force` re-sends).
    """
    now = now or utcnow()
    connection = session.connection()
    claimed = connection.execute(
        _statements(connection.dialect.name).claim,
        {
            "team_id": team_id,
            "week": week,
            "target": target,
            "channel_id": channel_id,
            "account_id": account_id,
            "claimed_at": now,
            "holder": holder,
        },
    ).scalar()
    if claimed is not None:
        return Claim(id=claimed, status=SENDING)
    stale = session.execute(
        update(DigestDelivery)
        .where(
            col(DigestDelivery.team_id) == team_id,
            col(DigestDelivery.week) == week,
            col(DigestDelivery.target) == target,
            col(DigestDelivery.status) == SENDING,
            col(DigestDelivery.claimed_at) < now - STALE_AFTER,
        )
        .values(status=FAILED, error=INTERRUPTED, finished_at=now)
        .returning(col(DigestDelivery.id))
    ).scalar()
    return None if stale is None else Claim(id=stale, status=FAILED, error=INTERRUPTED)


def settle_delivery(session: Session, settle: Settle) -> None:
    """Write how a claimed digest went (one statement): its status, or the claim given back."""
    if settle.status is None:
        release_delivery(session, delivery_id=settle.delivery_id)
        return
    connection = session.connection()
    connection.execute(
        _statements(connection.dialect.name).settle,
        {
            "delivery_id": settle.delivery_id,
            "new_status": settle.status,
            "new_ts": settle.message_ts,
            "new_finished_at": settle.at,
            "new_error": settle.error[:ERROR_LENGTH] if settle.error else None,
        },
    )


@dataclass(frozen=True)
class _Statements:
    claim: Any
    settle: Any


@cache
def _statements(dialect: str) -> _Statements:
    """The claim and the settling of every post, built once per dialect and run on the
    session's connection: at a thousand workspaces, building them per post (and the ORM's
    handling of each) was most of the ledger's cost."""
    ledger: Table = DigestDelivery.__table__  # type: ignore[attr-defined]  # SQLModel tables are Tables
    insert = insert_for(dialect)
    columns = ("team_id", "week", "target", "channel_id", "account_id", "claimed_at", "holder")
    claim = (
        insert(ledger)
        .values(status=SENDING, **{name: bindparam(name) for name in columns})
        .on_conflict_do_nothing(index_elements=["team_id", "week", "target"])
        .returning(ledger.c.id)
    )
    settle = (
        update(ledger)
        .where(ledger.c.id == bindparam("delivery_id"))
        .values(
            status=bindparam("new_status"),
            message_ts=bindparam("new_ts"),
            finished_at=bindparam("new_finished_at"),
            error=bindparam("new_error"),
        )
    )
    return _Statements(claim=claim, settle=settle)


def interrupt_holder(
    session: Session, *, team_id: str, week: date, holder: str, now: datetime
) -> list[str]:
    """A team taken over from `holder`, whose claim expired: the posts it left `sending` may have
    reached Slack. Marked failed (`INTERRUPTED`), to be reported, never posted again; returns
    their targets."""
    rows = session.exec(
        select(DigestDelivery)
        .where(
            DigestDelivery.team_id == team_id,
            DigestDelivery.week == week,
            DigestDelivery.status == SENDING,
            DigestDelivery.holder == holder,
        )
        .with_for_update()
    ).all()
    for row in rows:
        row.status, row.error, row.finished_at = FAILED, INTERRUPTED, now
    return [row.target for row in rows]


def release_delivery(session: Session, *, delivery_id: int) -> None:
    """Give the claim back (a transient failure): the next run tries again."""
    session.execute(delete(DigestDelivery).where(col(DigestDelivery.id) == delivery_id))


def week_deliveries(session: Session, *, team_id: str, week: date) -> Sequence[DigestDelivery]:
    return session.exec(
        select(DigestDelivery)
        .where(DigestDelivery.team_id == team_id, DigestDelivery.week == week)
        .order_by(col(DigestDelivery.id))
    ).all()


def forget_week(
    session: Session, *, team_id: str, week: date, targets: Sequence[str] | None = None
) -> None:
    """For a forced re-send: drop this week's ledger rows (all, or for some targets)."""
    query = delete(DigestDelivery).where(
        col(DigestDelivery.team_id) == team_id, col(DigestDelivery.week) == week
    )
    if targets is not None:
        query = query.where(col(DigestDelivery.target).in_(targets))
    session.execute(query)


def claim_reminder(
    session: Session,
    *,
    team_id: str,
    item_id: int,
    local_day: date,
    user_id: str,
    now: datetime,
    holder: str | None = None,
) -> bool:
    """Take the right to send an item's reminder on its owner's local day: True for the first
    claim, False when it was sent, failed or is in flight."""
    return inserted_once(
        session,
        ActionReminder(
            team_id=team_id,
            action_item_id=item_id,
            local_day=local_day,
            user_id=user_id,
            claimed_at=now,
            holder=holder,
        ),
    )


def _reminder(team_id: str, item_id: int, local_day: date) -> ColumnElement[bool]:
    return and_(
        col(ActionReminder.team_id) == team_id,
        col(ActionReminder.action_item_id) == item_id,
        col(ActionReminder.local_day) == local_day,
    )


def finish_reminder(
    session: Session,
    *,
    team_id: str,
    item_id: int,
    local_day: date,
    status: str,
    now: datetime,
    error: str | None = None,
) -> None:
    session.execute(
        update(ActionReminder)
        .where(_reminder(team_id, item_id, local_day))
        .values(status=status, finished_at=now, error=error[:ERROR_LENGTH] if error else None)
    )


def release_reminder(session: Session, *, team_id: str, item_id: int, local_day: date) -> None:
    """Give a claim back when Slack surely has nothing (a refused connection): the next run
    tries again."""
    session.execute(delete(ActionReminder).where(_reminder(team_id, item_id, local_day)))


Ledger = TypeVar("Ledger", ActionReminder, RenewalAsk)


def interrupt_left_sending(
    session: Session,
    ledger: type[Ledger],
    *,
    now: datetime,
    team_id: str | None = None,
    holder: str | None = None,
) -> Sequence[Ledger]:
    """Claims of a DM ledger (reminders, renewal questions) left `sending` by a process that
    stopped: those of `holder` in `team_id` (taken over from it), or else any claimed more than
    `STALE_AFTER` ago. Slack may have them: marked failed (`INTERRUPTED`), to be reported,
    never sent again (their claim stays)."""
    query = select(ledger).where(col(ledger.status) == SENDING)
    if holder is not None and team_id is not None:
        query = query.where(col(ledger.team_id) == team_id, col(ledger.holder) == holder)
    else:
        query = query.where(col(ledger.claimed_at) < now - STALE_AFTER)
    rows = session.exec(query.with_for_update()).all()
    for row in rows:
        row.status, row.error, row.finished_at = FAILED, INTERRUPTED, now
    return rows


def interrupt_reminders(
    session: Session, *, now: datetime, team_id: str | None = None, holder: str | None = None
) -> list[int]:
    """Reminders left `sending` (`interrupt_left_sending`): returns their items."""
    rows = interrupt_left_sending(session, ActionReminder, now=now, team_id=team_id, holder=holder)
    return sorted(row.action_item_id for row in rows)
