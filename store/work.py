"""Work claims: PostgreSQL as the queue of scheduled work, one row per (kind, team).

Every process enqueues the teams whose work is due (`INSERT … ON CONFLICT DO NOTHING`), then
claims one at a time with `SELECT … FOR UPDATE SKIP LOCKED`: a row another process is claiming
right now is passed over, not waited for. The claim itself is the row's holder and expiry, kept
after the claiming transaction commits and renewed while the holder works; once it has expired
(the holder died or hung), any process takes the team over, and is told whose it was.
`each_team` is the loop every job shared out per team runs (reminders, renewal questions, the
daily history; the digests have their own, with threads, in `digests.queue`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col, select

from store.db import Database
from store.models import WorkClaim
from store.unique import dialect_insert

DIGESTS, REMINDERS, HISTORY, RENEWALS = "digests", "reminders", "history", "renewals"
CLAIM_TTL = timedelta(seconds=45)
"""A team's claim lasts this long unless renewed; a dead holder's is taken over after it."""


@dataclass(frozen=True)
class Claimed:
    team_id: str
    taken_from: str | None
    """The holder whose claim had expired when this one took the team over (None: it was free)."""


def enqueue(session: Session, *, kind: str, team_ids: Collection[str]) -> None:
    """Make sure each team has its claimable row (one statement; safe from several processes)."""
    if not team_ids:
        return
    rows = [{"kind": kind, "team_id": team} for team in sorted(team_ids)]
    session.execute(dialect_insert(session)(WorkClaim).values(rows).on_conflict_do_nothing())


def _unfinished(periods: Mapping[str, date | None]) -> ColumnElement[bool]:
    """Teams of `periods` whose work for their own period is not finished (None: never is)."""
    by_period: dict[date | None, list[str]] = {}
    for team, period in periods.items():
        by_period.setdefault(period, []).append(team)
    return or_(
        *(
            col(WorkClaim.team_id).in_(sorted(teams))
            if period is None
            else and_(
                col(WorkClaim.team_id).in_(sorted(teams)),
                or_(col(WorkClaim.done_for).is_(None), col(WorkClaim.done_for) != period),
            )
            for period, teams in by_period.items()
        )
    )


def claim_team(
    session: Session,
    *,
    kind: str,
    periods: Mapping[str, date | None],
    holder: str,
    now: datetime,
    ttl: timedelta,
) -> Claimed | None:
    """Claim one team of `periods` that nobody holds (or whose holder's claim has expired) and
    whose work for its period (a digest week; None for reminders) is not finished; None when
    there is none right now."""
    if not periods:
        return None
    query = (
        select(WorkClaim)
        .where(
            WorkClaim.kind == kind,
            _unfinished(periods),
            or_(col(WorkClaim.holder).is_(None), col(WorkClaim.expires_at) <= now),
        )
        .order_by(col(WorkClaim.team_id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = session.exec(query).one_or_none()
    if row is None:
        return None
    taken_from = row.holder if row.holder not in (None, holder) else None
    row.holder, row.expires_at = holder, now + ttl
    return Claimed(team_id=row.team_id, taken_from=taken_from)


def renew_claim(
    session: Session, *, kind: str, team_id: str, holder: str, now: datetime, ttl: timedelta
) -> bool:
    """Push the claim's expiry on; False when this holder no longer has it (taken over)."""
    result = session.execute(
        update(WorkClaim)
        .where(
            col(WorkClaim.kind) == kind,
            col(WorkClaim.team_id) == team_id,
            col(WorkClaim.holder) == holder,
        )
        .values(expires_at=now + ttl)
    )
    return bool(getattr(result, "rowcount", 0))


def release_claim(
    session: Session, *, kind: str, team_id: str, holder: str, done_for: date | None = None
) -> None:
    """Let the team go (if this holder still has it); `done_for` marks that period finished."""
    values: dict[str, object] = {"holder": None, "expires_at": None}
    if done_for is not None:
        values["done_for"] = done_for
    session.execute(
        update(WorkClaim)
        .where(
            col(WorkClaim.kind) == kind,
            col(WorkClaim.team_id) == team_id,
            col(WorkClaim.holder) == holder,
        )
        .values(**values)
    )


def work_left(
    session: Session, *, kind: str, periods: Mapping[str, date | None]
) -> dict[str, datetime | None]:
    """Teams of `periods` whose work for their period is not finished: when their holder's
    claim expires (None: nobody holds it)."""
    if not periods:
        return {}
    rows = session.exec(
        select(WorkClaim.team_id, WorkClaim.expires_at).where(
            WorkClaim.kind == kind, _unfinished(periods)
        )
    ).all()
    return {team: expires for team, expires in rows}


def each_team(
    db: Database,
    *,
    kind: str,
    periods: Mapping[str, date | None],
    holder: str,
    now: datetime,
    work: Callable[[Claimed], date | None],
) -> None:
    """One process's share of a job done team by team (reminders, renewal questions, the daily
    history): the teams
    of `periods` enqueued, then claimed one at a time and worked on in this thread, each claim
    let go after its `work`, with the period `work` returns marked finished (None: not). Returns
    when no team is left to claim: the rest are being done by other processes right now."""
    with db.transaction() as session:
        enqueue(session, kind=kind, team_ids=periods)
    left = dict(periods)
    while left:
        with db.transaction() as session:
            claimed = claim_team(
                session, kind=kind, periods=left, holder=holder, now=now, ttl=CLAIM_TTL
            )
        if claimed is None:
            return
        del left[claimed.team_id]
        done_for: date | None = None
        try:
            done_for = work(claimed)
        finally:
            with db.transaction() as session:
                release_claim(
                    session, kind=kind, team_id=claimed.team_id, holder=holder, done_for=done_for
                )
