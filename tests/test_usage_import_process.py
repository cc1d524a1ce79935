"""`accountbot usage import` as a real process on a large file: its memory does not grow with
the file, and killed (SIGKILL) half-way it simply runs again, exactly once, honestly reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from store.db import Database
from store.models import UsageReading
from store.types import utcnow
from tests.factories import make_account

ACCOUNTS, DAYS = 12, 2000
ROWS = ACCOUNTS * DAYS


def write_file(path: Path, rows: int) -> None:
    today = utcnow().date()
    with path.open("w", encoding="utf-8") as out:
        out.write("account,date,seats_active,mau,adoption,csat\n")
        for n in range(rows):
            day = today - timedelta(days=1 + n // ACCOUNTS)
            out.write(f"Account {n % ACCOUNTS},{day},{n % 90},{n % 900},{n % 100},4.{n % 10}\n")


def start(database: Database, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "usage", "import", str(path), "--batch-size", "500"],
        env={**os.environ, "DATABASE_URL": database.url, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, int]:
    """Exit status, output and peak resident memory (KiB) of an import run to its end."""
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, output, usage.ru_maxrss


def readings(database: Database) -> int:
    # a read-only session: one that takes the write lock (SQLite) can lose it to the import
    # until the import ends, and the count arrives too late to kill it half-way
    with database.reading() as session:
        return session.execute(select(func.count()).select_from(UsageReading)).scalar_one()


def test_a_large_import_killed_half_way_runs_again_exactly_once_in_bounded_memory(
    tmp_path: Path, database: Database
) -> None:
    for n in range(ACCOUNTS):
        make_account(database, f"Account {n}", channel_id=f"C0ACC{n}")
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    write_file(small, 1_000)
    write_file(large, ROWS)

    killed = start(database, large)
    deadline = time.monotonic() + 300
    while readings(database) < 2_000:  # a few batches in
        assert killed.poll() is None, "the import ended before it was killed"
        assert time.monotonic() < deadline, "no batch went in"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    if killed.stdout is not None:
        killed.stdout.close()
    before = readings(database)
    assert 0 < before < ROWS

    status, output, peak_large = finish(start(database, large))
    assert status == 0, output
    created = ROWS - before
    assert f"{ROWS} row(s): {created} created, 0 replaced, {before} unchanged, 0 rejected" in (
        output
    )
    assert readings(database) == ROWS

    status, output, peak_small = finish(start(database, small))
    assert status == 0, output
    assert "1000 row(s): 0 created, 0 replaced, 1000 unchanged" in output
    # the file is read a batch at a time: 24 times the rows, about the same memory (the whole
    # file held as rows took ~2.5 KiB a row: 60 MiB more here)
    assert peak_large - peak_small < 25 * 1024, (peak_small, peak_large)
