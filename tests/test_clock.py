"""The run's clock: held so its UTC date cannot change mid-run, and the same in every process."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests import clock


def test_a_run_started_before_the_last_hour_uses_the_real_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(clock.DAYS_BEHIND, raising=False)
    assert clock.behind(datetime(2026, 11, 30, 19, 59, tzinfo=UTC)) == timedelta(0)


def test_a_run_started_late_is_held_at_the_last_hour_of_its_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(clock.DAYS_BEHIND, raising=False)
    assert clock.behind(datetime(2026, 11, 30, 23, 45, tzinfo=UTC)) == timedelta(
        hours=3, minutes=45
    )
    monkeypatch.setenv(clock.DAYS_BEHIND, "1")
    assert clock.behind(datetime(2026, 11, 30, 23, 45, tzinfo=UTC)) == timedelta(
        days=1, hours=3, minutes=45
    )


def test_a_process_the_tests_start_keeps_the_runs_clock() -> None:
    before = datetime.now(UTC)
    child = subprocess.run(
        [sys.executable, "-c", "import datetime as d; print(d.datetime.now(d.UTC).isoformat())"],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = datetime.fromisoformat(child.stdout.strip())
    assert before <= seen <= datetime.now(UTC) + timedelta(seconds=1)
