"""`accountbot usage import FILE.csv` through the real CLI, with real files as people save them:
UTF-8 with a byte-order mark, Windows-1252 with semicolons and decimal commas, quoted newlines;
bad rows rejected with their physical line while the good ones go in; a day already recorded
replaced and said so; an interrupted import run again without a double; readings of the
account's departments, matched by name."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.imports import run_import
from bot.usage_import import UsageImport
from store.db import Database
from store.departments import DepartmentRow, list_departments, set_departments
from store.models import Account, UsageReading
from store.types import utcnow
from tests.cli_import import rejects_file, run_cli, stored_rows, use_database
from tests.factories import make_account
from tests.slack_fake import TEAM_ID

TODAY = utcnow().date()
D1, D2 = (TODAY - timedelta(days=14)).isoformat(), (TODAY - timedelta(days=7)).isoformat()


@pytest.fixture
def accounts(database: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    use_database(database, monkeypatch)
    return {
        "Acme": make_account(database, "Acme").id,
        "Société Générale": make_account(
            database, "Société Générale", channel_id="C0SG", seats_licensed=5000
        ).id,
        "Initech": make_account(
            database, "Initech", channel_id="C0INI", external_crm_id="CRM-42"
        ).id,
    }


def stored(database: Database) -> list[tuple[Any, ...]]:
    return stored_rows(
        database,
        UsageReading.account_id,
        UsageReading.read_on,
        UsageReading.seats_active,
        UsageReading.monthly_active_users,
        UsageReading.adoption_percent,
        UsageReading.satisfaction,
        UsageReading.escalations,
        order_by=(UsageReading.account_id, UsageReading.read_on),
    )


def run(*args: str) -> Any:
    return run_cli("usage", *args)


def test_a_utf8_file_with_a_byte_order_mark_goes_in_and_again_changes_nothing(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "usage.csv"
    text = (
        "Account,Date,Seats Active,MAU,Adoption %,CSAT,Escalations\r\n"
        f"Acme,{D1},80,120,64,4.1,0\r\n"
        f"Société Générale,{D1},30,,45,3.2,1\r\n"
        f"CRM-42,{D2},12,,,,\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    first = run(str(path))
    assert first.exit_code == 0, first.output
    assert "3 row(s): 3 created, 0 replaced, 0 unchanged, 0 rejected" in first.output
    assert "utf-8-sig" in first.output
    acme, sg, initech = accounts["Acme"], accounts["Société Générale"], accounts["Initech"]
    d1, d2 = TODAY - timedelta(days=14), TODAY - timedelta(days=7)
    assert stored(database) == [
        (acme, d1, 80, 120, 64, Decimal("4.1"), 0),
        (sg, d1, 30, None, 45, Decimal("3.2"), 1),
        (initech, d2, 12, None, None, None, None),
    ]
    again = run(str(path))
    assert again.exit_code == 0, again.output
    assert "3 row(s): 0 created, 0 replaced, 3 unchanged, 0 rejected" in again.output
    assert len(stored(database)) == 3
    with database.transaction() as session:
        assert session.get(Account, initech).seats_active == 12  # type: ignore[union-attr]


def test_a_windows_1252_file_with_semicolons_decimal_commas_and_a_quoted_newline(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "export.csv"
    text = (
        "account;date;seats;mau;adoption;satisfaction;escalations;note\r\n"
        f'Société Générale;{D2};1.200;2 500;55%;4,5;0;"renouvellement\r\nà préparer"\r\n'
        f"Acme;{D2};90;;;3,9;2;ok\r\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "2 row(s): 2 created" in result.output
    assert "separated by ';'" in result.output
    d2 = TODAY - timedelta(days=7)
    assert stored(database) == [
        (accounts["Acme"], d2, 90, None, None, Decimal("3.9"), 2),
        (accounts["Société Générale"], d2, 1200, 2500, 55, Decimal("4.5"), 0),
    ]


def test_bad_rows_are_rejected_with_their_physical_line_while_the_good_ones_go_in(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "usage.csv"
    future = (TODAY + timedelta(days=3)).isoformat()
    path.write_text(
        "account,date,seats_active,adoption_percent,notes\n"
        f'Acme,{D1},80,50,"two\nlines"\n'  # lines 2-3
        f"Nobody Inc,{D1},10,,\n"  # line 4: unknown account
        f"Acme,{future},10,,\n"  # line 5: in the future
        f"Initech,{D1},-3,120,\n"  # line 6: negative seats and adoption over 100
        "\n"  # line 7: blank, skipped
        f'Initech,{D1},5,,"also\r\ntwo lines"\n'  # line 8
        f"acme,{D1},81,,\n",  # line 10 (after the two lines of 8-9): Acme's day again
        encoding="utf-8",
    )
    result = run(str(path), "--rejects", str(tmp_path / "bad.csv"))
    assert result.exit_code == 1, result.output
    assert "6 row(s): 2 created, 0 replaced, 0 unchanged, 4 rejected" in result.output
    rows = rejects_file(tmp_path / "bad.csv")
    assert rows[0] == [
        "line",
        "reasons",
        "account",
        "date",
        "seats_active",
        "adoption_percent",
        "notes",
    ]
    reasons = {int(row[0]): row[1] for row in rows[1:]}
    assert sorted(reasons) == [4, 5, 6, 10]
    assert reasons[4] == "unknown account: Nobody Inc"
    assert "read_on: A reading cannot be dated in the future." in reasons[5]
    assert "seats_active: A count cannot be negative." in reasons[6]
    assert "adoption_percent: Adoption is a percentage: from 0 to 100." in reasons[6]
    assert reasons[10] == "the same as line 2: only the first is imported"
    assert rows[1][2:] == ["Nobody Inc", D1, "10", "", ""]  # the row as it was
    assert "  line 4: unknown account: Nobody Inc" in result.output
    assert [(a, s) for a, _d, s, *_ in stored(database)] == [
        (accounts["Acme"], 80),
        (accounts["Initech"], 5),
    ]


def test_a_day_already_recorded_is_replaced_and_said_so(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(f"account,date,seats_active\nAcme,{D1},80\nAcme,{D2},82\n", encoding="utf-8")
    assert run(str(path)).exit_code == 0
    path.write_text(f"account,date,seats_active\nAcme,{D1},80\nAcme,{D2},70\n", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "2 row(s): 0 created, 1 replaced, 1 unchanged, 0 rejected" in result.output
    day = (TODAY - timedelta(days=7)).strftime("%-d %b %Y")
    assert f"  line 3: Acme, {day}: the reading recorded before was replaced" in result.output
    with database.transaction() as session:
        assert session.get(Account, accounts["Acme"]).seats_active == 70  # type: ignore[union-attr]


def departments(database: Database, account_id: int, *names: str) -> dict[str, int]:
    """Give the account these departments (none using the product yet): their ids by name."""
    rows = [DepartmentRow(id=None, name=name, uses_product=False) for name in names]
    with database.transaction() as session:
        set_departments(session, team_id=TEAM_ID, account_id=account_id, rows=rows, field_of={})
        return {
            d.name: d.id  # type: ignore[misc]  # stored: ids are set
            for d in list_departments(session, team_id=TEAM_ID, account_id=account_id)
        }


def by_department(database: Database) -> list[tuple[Any, ...]]:
    return stored_rows(
        database,
        UsageReading.account_id,
        UsageReading.department_id,
        UsageReading.read_on,
        UsageReading.seats_active,
        order_by=(
            UsageReading.account_id,
            UsageReading.read_on,
            UsageReading.department_id.is_not(None),  # type: ignore[union-attr]  # a column
            UsageReading.department_id,
        ),
    )


def test_readings_by_department_go_in_matched_by_name_and_again_change_nothing(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    """One reading per account, day and department: the whole account's and each department's
    of the same day all go in; the department is matched by name whatever its case; an unknown
    one, or one of another account, is rejected with its line while the good rows go in; only
    the whole account's reading sets the account's active seats; run again, nothing changes."""
    acme = accounts["Acme"]
    known = departments(database, acme, "Sales", "Operations")
    departments(database, accounts["Initech"], "Legal")
    path = tmp_path / "usage.csv"
    path.write_text(
        "account,date,department,seats_active\n"
        f"Acme,{D2},,60\n"  # line 2: the whole account
        f"Acme,{D2},sales,45\n"  # line 3: Sales, by name whatever the case
        f"Acme,{D2},OPERATIONS,5\n"  # line 4
        f"Acme,{D2},Marketing,9\n"  # line 5: no such department
        f"Acme,{D2},Legal,3\n"  # line 6: Initech's, not Acme's
        f"Acme,{D1},Sales,40\n",  # line 7: an older day of Sales
        encoding="utf-8",
    )
    first = run(str(path))
    assert first.exit_code == 1, first.output
    assert "6 row(s): 4 created, 0 replaced, 0 unchanged, 2 rejected" in first.output
    reasons = {int(row[0]): row[1] for row in rejects_file(tmp_path / "usage.rejects.csv")[1:]}
    assert reasons == {
        5: "unknown department: Marketing is not one of Acme's departments (Operations, Sales)",
        6: "unknown department: Legal is not one of Acme's departments (Operations, Sales)",
    }
    d1, d2 = TODAY - timedelta(days=14), TODAY - timedelta(days=7)
    sales, ops = known["Sales"], known["Operations"]
    assert by_department(database) == [
        (acme, sales, d1, 40),
        (acme, None, d2, 60),
        (acme, sales, d2, 45) if sales < ops else (acme, ops, d2, 5),
        (acme, ops, d2, 5) if sales < ops else (acme, sales, d2, 45),
    ]
    with database.transaction() as session:
        assert session.get(Account, acme).seats_active == 60  # type: ignore[union-attr]
    again = run(str(path))
    assert "6 row(s): 0 created, 0 replaced, 4 unchanged, 2 rejected" in again.output
    assert len(by_department(database)) == 4
    path.write_text(
        f"account,date,department,seats_active\nAcme,{D2},Sales,50\nAcme,{D2},Sales,51\n",
        encoding="utf-8",
    )
    changed = run(str(path))
    assert "2 row(s): 0 created, 1 replaced, 0 unchanged, 1 rejected" in changed.output
    day = d2.strftime("%-d %b %Y")
    assert f"line 2: Acme (Sales), {day}: the reading recorded before was replaced" in (
        changed.output
    )
    assert "line 3: the same as line 2: only the first is imported" in changed.output
    assert (acme, sales, d2, 50) in by_department(database)
    with database.transaction() as session:
        assert session.get(Account, acme).seats_active == 60  # type: ignore[union-attr]


def test_an_interrupted_import_simply_runs_again(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    """The import stops in its third batch (the store fails a write); the first two batches
    are in; the same file run again adds the rest and doubles nothing."""
    path = tmp_path / "usage.csv"
    lines = ["account,date,seats_active"]
    for days in range(1, 11):
        lines.append(f"Acme,{(TODAY - timedelta(days=days)).isoformat()},{50 + days}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    class Interrupted(UsageImport):
        batches = 0

        def write(self, session: Any, rows: Any) -> Any:
            Interrupted.batches += 1
            if Interrupted.batches == 3:
                raise KeyboardInterrupt
            return super().write(session, rows)

    with pytest.raises(KeyboardInterrupt):
        run_import(
            database,
            path,
            Interrupted(team_id=TEAM_ID),
            context={"today": TODAY},
            batch_size=3,
            console=None,
        )
    assert len(stored(database)) == 6
    result = run(str(path), "--batch-size", "3")
    assert result.exit_code == 0, result.output
    assert "10 row(s): 4 created, 0 replaced, 6 unchanged, 0 rejected" in result.output
    assert len(stored(database)) == 10


def test_a_file_without_the_needed_columns_or_unreadable_is_refused_whole(
    tmp_path: Path, database: Database, accounts: dict[str, int]
) -> None:
    path = tmp_path / "usage.csv"
    path.write_text("account,when\nAcme,yesterday\n", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert "has no column read_on, seats_active" in result.output
    missing = run(str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 2 and "cannot read" in missing.output
    assert stored(database) == []
