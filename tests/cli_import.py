"""What the import tests share (`tests/test_usage_import.py`, `tests/test_events_import.py`):
the real CLI pointed at the test's database, a table's rows as stored, the rejects file read
back."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import cli
from store.db import Database

runner = CliRunner()


def use_database(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the test's database, and prints wide enough for its lines to be read."""
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("COLUMNS", "200")


def run_cli(command: str, *args: str) -> Result:
    """`accountbot COMMAND import ARGS...` as a person types it."""
    return runner.invoke(cli, [command, "import", *args])


def stored_rows(database: Database, *columns: Any, order_by: Any) -> list[tuple[Any, ...]]:
    """The chosen columns of every stored row, in order."""
    with database.transaction() as session:
        return [tuple(row) for row in session.execute(select(*columns).order_by(*order_by))]


def rejects_file(path: Path) -> list[list[str]]:
    """The rejects file as written: its header, then one row per rejected line."""
    with path.open(encoding="utf-8", newline="") as rejects:
        return list(csv.reader(rejects))
