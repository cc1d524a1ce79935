"""`accountbot events import FILE.csv` through the real CLI: good rows in, bad ones (another
team's account, an unknown one, a day in the future, an unknown kind, a bad link) in the rejects
file with their line and reason; run again, nothing twice; `--dry-run` writes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from store.db import Database
from store.enums import EventKind, EventSource
from store.models import BusinessEvent
from tests.cli_import import rejects_file, run_cli, stored_rows, use_database
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID

TODAY = app_today()
D1, D2 = (TODAY - timedelta(days=30)).isoformat(), (TODAY - timedelta(days=2)).isoformat()
FUTURE = (TODAY + timedelta(days=1)).isoformat()


@pytest.fixture
def accounts(database: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    use_database(database, monkeypatch)
    return {
        "Acme": make_account(database, "Acme").id,
        "Initech": make_account(
            database, "Initech", channel_id="C0INI", external_crm_id="CRM-42"
        ).id,
        "Hooli": make_account(database, "Hooli", team_id="T0OTHER", channel_id="C0HOOLI").id,
    }


def stored(database: Database) -> list[tuple[Any, ...]]:
    return stored_rows(
        database,
        BusinessEvent.account_id,
        BusinessEvent.kind,
        BusinessEvent.happened_on,
        BusinessEvent.note,
        BusinessEvent.link,
        BusinessEvent.source,
        order_by=(BusinessEvent.account_id, BusinessEvent.happened_on),
    )


def run(*args: str) -> Any:
    return run_cli("events", *args)


def test_good_rows_go_in_bad_ones_are_rejected_with_their_line_and_again_changes_nothing(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "Account,Event type,Date,Note,URL\n"
        f"Acme,Funding round,{D1},Series C,https://news.example.com/acme-c\n"
        f'CRM-42,reorg,{D2},"Two units\nmerged",\n'
        f"Hooli,funding,{D1},another team's account,\n"
        f"Nobody Inc,funding,{D1},unknown account,\n"
        f"Acme,new leader,{FUTURE},a day ahead,\n"
        f"Acme,ipo,{D1},an unknown kind,\n"
        f"Acme,regulatory,{D1},a bad link,javascript:alert(1)\n"
        f"Acme,regulatory,30/11/2025,a day written otherwise,\n",
        encoding="utf-8",
    )
    first = run(str(path), "--team", TEAM_ID)
    assert first.exit_code == 1, first.output
    assert "9 row(s)" not in first.output and "8 row(s): 2 created" in first.output
    assert "line 5: unknown account: Hooli" in first.output
    assert "line 6: unknown account: Nobody Inc" in first.output
    assert "line 7: happened_on: an event cannot be dated in the future" in first.output
    assert "line 8: kind: unknown kind of event: ipo" in first.output
    assert "line 9: link: write a web address starting with http:// or https://" in first.output
    assert "line 10: happened_on: write the day as YYYY-MM-DD" in first.output
    acme, initech = accounts["Acme"], accounts["Initech"]
    assert stored(database) == [
        (
            acme,
            EventKind.FUNDING,
            TODAY - timedelta(days=30),
            "Series C",
            "https://news.example.com/acme-c",
            EventSource.IMPORT,
        ),
        (
            initech,
            EventKind.REORGANISATION,
            TODAY - timedelta(days=2),
            "Two units\nmerged",
            None,
            EventSource.IMPORT,
        ),
    ]
    lines = [row[0] for row in rejects_file(tmp_path / "events.rejects.csv")][1:]
    assert lines == ["5", "6", "7", "8", "9", "10"]
    again = run(str(path), "--team", TEAM_ID)
    assert "8 row(s): 0 created, 0 replaced, 2 unchanged, 6 rejected" in again.output
    assert len(stored(database)) == 2


def test_a_changed_note_replaces_the_one_recorded_and_says_so(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(f"account,kind,date,note\nAcme,funding,{D1},Series C\n", encoding="utf-8")
    assert run(str(path), "--team", TEAM_ID).exit_code == 0
    path.write_text(
        f'account,kind,date,note\nAcme,funding,{D1},"Series C, $40M"\n', encoding="utf-8"
    )
    second = run(str(path), "--team", TEAM_ID)
    assert second.exit_code == 0, second.output
    assert "1 replaced" in second.output and "the note and link recorded before" in second.output
    assert [row[3] for row in stored(database)] == ["Series C, $40M"]


def test_a_dry_run_counts_what_would_go_in_and_writes_nothing(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        f"account,kind,date\nAcme,funding,{D1}\nInitech,headcount growth,{D2}\n", encoding="utf-8"
    )
    dry = run(str(path), "--team", TEAM_ID, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written: 2 row(s): 2 created" in dry.output
    assert stored(database) == []


def test_the_same_event_twice_in_a_file_goes_in_once(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    """The same account, kind and day twice (the kind written two ways): the second is
    rejected, the first in, even with each row its own transaction."""
    path = tmp_path / "events.csv"
    path.write_text(
        f"account,kind,date,note\nAcme,funding,{D1},one\nAcme,Funding Round,{D1},two\n",
        encoding="utf-8",
    )
    result = run(str(path), "--team", TEAM_ID, "--batch-size", "1")
    assert result.exit_code == 1
    assert "line 3: the same as line 2: only the first is imported" in result.output
    assert [row[3] for row in stored(database)] == ["one"]


def test_without_team_in_a_store_of_two_teams_it_asks_which(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(f"account,kind,date\nAcme,funding,{D1}\n", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert "say which team with --team" in result.output
    assert stored(database) == []


def test_a_windows_1252_semicolon_file_with_a_bom_less_excel_export_goes_in_once(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    """What Excel on a French Windows writes: Windows-1252, `;`, a decimal comma world; a note
    with `é` and `€`, a row twice, then the run again after an interruption: nothing twice."""
    make_account(database, "Société Générale", channel_id="C0SG")
    path = tmp_path / "events.csv"
    path.write_bytes(
        (
            "Account;Kind;Date;Note\r\n"
            f"Société Générale;M&A;{D1};Rachat à 12,5 M€\r\n"
            f"Société Générale;M&A;{D1};Rachat à 12,5 M€\r\n"
            f"SOCIÉTÉ GÉNÉRALE;hiring;{D2};+40 postes\r\n"
        ).encode("cp1252")
    )
    first = run(str(path), "--team", TEAM_ID)
    assert "3 row(s): 2 created" in first.output, first.output
    again = run(str(path), "--team", TEAM_ID)
    assert "0 created, 0 replaced, 2 unchanged" in again.output, again.output
    notes = sorted(row[3] for row in stored(database))
    assert notes == ["+40 postes", "Rachat à 12,5 M€"]
