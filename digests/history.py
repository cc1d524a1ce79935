"""The daily history check: each team's accounts whose state moved with the days get a record.

A change made through the bot is recorded with it (`store.history`); what moves on its own (an
item falling overdue, an override expiring, a renewal entering its window) is caught here, once
per team and day. It runs from the scheduler every few minutes and does each team's day once:
the day's ledger row (`store.history.check_team_day`) is claimed in the transaction that writes
the records, so a second run, or a second process, finds it and writes nothing; a day missed
while the bot was down is caught up by the next run. On PostgreSQL the teams are shared out
through the work queue (`store.work`), like the digests, so several processes split them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from store.db import Database
from store.history import check_team_day
from store.settings import teams_with_accounts
from store.work import HISTORY, each_team

logger = logging.getLogger("accountbot.history")


@dataclass
class HistoryCheck:
    """What one run did: records written per team checked by it, and teams that failed."""

    day: date
    recorded: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def check_history(db: Database, *, now: datetime, holder: str | None = None) -> HistoryCheck:
    """Check every team with accounts for `now`'s (UTC) day, each once; one team's failure is
    logged and leaves its day to the next run. With a `holder` (PostgreSQL) teams are claimed
    one at a time through the work queue."""
    day = now.date()
    run = HistoryCheck(day=day)
    with db.transaction() as session:
        teams = teams_with_accounts(session)
    if holder is None:
        for team_id in teams:
            _check(db, run, team_id=team_id, holder=None)
        return run
    each_team(
        db,
        kind=HISTORY,
        periods=dict.fromkeys(teams, day),
        holder=holder,
        now=now,
        work=lambda claimed: (
            day if _check(db, run, team_id=claimed.team_id, holder=holder) else None
        ),
    )
    return run


def _check(db: Database, run: HistoryCheck, *, team_id: str, holder: str | None) -> bool:
    """One team's day; True once it is checked (by this run or an earlier one)."""
    try:
        with db.transaction() as session:
            written = check_team_day(session, team_id=team_id, day=run.day, holder=holder)
    except Exception as error:  # one team's failure must not stop the others
        logger.exception("history check of team %s for %s failed", team_id, run.day)
        run.failed[team_id] = type(error).__name__
        return False
    if written is not None:
        run.recorded[team_id] = written
    return True
