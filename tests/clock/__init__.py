"""One date for a whole test run, however long it lasts and whenever it starts.

The tests compare what the bot did with dates they compute themselves, often once per module
(`TODAY = app_today()` at import). A run that crosses midnight UTC would compare yesterday's date
with the bot's today (CI once started 15 minutes before midnight and 7 tests failed). So a run
that starts in the last hours of a UTC day runs on a clock held behind the real one, starting at
`LAST_START` of that day and ticking from there: its date cannot change for hours. A run that
starts earlier uses the real clock.

`ACCOUNTBOT_TESTS_DAYS_BEHIND=N` adds N whole days (same hour, so the far-time-zone run still
chooses its zone by the real hour): `make test-far-tz` sets it, so the held clock is exercised in
every CI run, subprocesses included.

The clock reaches every Python process the tests start: the offset is passed in the environment
and `tests/clock/sitecustomize.py` applies it at start-up.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import time_machine

LAST_START = time(20)
"""The latest hour (UTC) at which a run starts on the real clock: four hours before midnight."""

BEHIND = "ACCOUNTBOT_TESTS_CLOCK_BEHIND"
DAYS_BEHIND = "ACCOUNTBOT_TESTS_DAYS_BEHIND"


def behind(now: datetime) -> timedelta:
    """How far the run's clock is held behind the real one, for a run started at `now`."""
    latest = datetime.combine(now.date(), LAST_START, UTC)
    return max(timedelta(0), now - latest) + timedelta(days=int(os.environ.get(DAYS_BEHIND, "0")))


def hold() -> time_machine.travel | None:
    """Hold this process's clock (and, through the environment, its children's), when needed."""
    offset = behind(datetime.now(UTC))
    if not offset:
        return None
    os.environ[BEHIND] = str(offset.total_seconds())
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (here, os.environ.get("PYTHONPATH", "")) if p
    )
    traveller = time_machine.travel(datetime.now(UTC) - offset, tick=True)
    traveller.start()
    return traveller
