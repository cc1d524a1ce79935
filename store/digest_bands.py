"""The band each account had at its latest weekly digest run, and at the one before: what a
digest's "since last week" compares with.

Why a table of its own rather than the delivery ledger: the ledger has a row only for what was
posted, and only where there is a channel; an all-clear is not posted when nothing improved, a
forced re-send deletes the week's rows, and a transient failure gives its claim back. "New reds
this week" in the portfolio needs every account's band, posted or not. One row per account is
rewritten by each week's delivery run; a second run in the same week (a restart, a catch-up,
`--force`) keeps the week before, so it says the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from store.enums import Band
from store.models import DigestBand
from store.unique import dialect_insert


@dataclass(frozen=True, slots=True)
class ShownBefore:
    """What an account's previous weekly digest showed: its band and the signals behind it."""

    week: date
    band: Band
    signals: frozenset[str]


@dataclass(frozen=True, slots=True)
class ShownNow:
    account_id: int
    band: Band
    signals: tuple[str, ...]


def bands_before(session: Session, *, team_id: str, week: date) -> dict[int, ShownBefore]:
    """Per account, what the latest digest run before `week` showed; one query for the team."""
    found: dict[int, ShownBefore] = {}
    rows = session.execute(
        select(
            col(DigestBand.account_id),
            col(DigestBand.week),
            col(DigestBand.band),
            col(DigestBand.signals),
            col(DigestBand.previous_week),
            col(DigestBand.previous_band),
            col(DigestBand.previous_signals),
        ).where(col(DigestBand.team_id) == team_id)
    )
    for account_id, at, band, signals, previous_at, previous, previous_signals in rows:
        if at < week:
            found[account_id] = ShownBefore(at, band, frozenset(signals))
        elif previous_at is not None and previous_at < week and previous is not None:
            found[account_id] = ShownBefore(previous_at, previous, frozenset(previous_signals))
    return found


def record_bands(session: Session, *, team_id: str, week: date, shown: Iterable[ShownNow]) -> None:
    """Remember this week's bands: a row of an earlier week moves to `previous`; a row already
    of this week is rewritten and keeps its `previous` (so a second run compares the same)."""
    stored = {
        account_id: (at, band, signals)
        for account_id, at, band, signals in session.execute(
            select(
                col(DigestBand.account_id),
                col(DigestBand.week),
                col(DigestBand.band),
                col(DigestBand.signals),
            ).where(col(DigestBand.team_id) == team_id)
        )
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for one in shown:
        values = {"account_id": one.account_id, "band": one.band, "signals": list(one.signals)}
        before = stored.get(one.account_id)
        if before is None:
            new.append(values | {"team_id": team_id, "week": week, "previous_signals": []})
        elif before[0] < week:
            changed.append(
                values
                | {
                    "week": week,
                    "previous_week": before[0],
                    "previous_band": before[1],
                    "previous_signals": before[2],
                }
            )
        elif before[0] == week:
            changed.append(values)
    if new:
        session.execute(dialect_insert(session)(DigestBand).on_conflict_do_nothing(), new)
    if changed:
        session.execute(update(DigestBand), changed)
