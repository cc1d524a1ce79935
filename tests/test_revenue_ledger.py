"""The revenue ledger, through the account form as Slack submits it: a new account's ARR is a new
entry; a change of ARR says its kind, checked against the change, or nothing is written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.db import Database
from store.enums import RevenueKind, RevenueSource
from store.models import Account, RevenueEntry
from store.revenue import account_entries
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload


def state(account: Account | None = None, **overrides: Any) -> dict[str, dict[str, Any]]:
    """The account modal's element states as Slack reports them (`None` leaves a field empty)."""
    fields: dict[str, Any] = {
        "name": account.name if account else "Zebra",
        "arr": f"{account.arr:f}" if account else "1000",
        "currency": account.currency if account else "USD",
        "segment": "mid_market",
        "contract_months": "12",
        "arr_kind": None,
    } | overrides
    kinds = {"currency": "static_select", "segment": "static_select", "arr_kind": "static_select"}
    values: dict[str, dict[str, Any]] = {}
    for block, value in fields.items():
        kind = kinds.get(block, "plain_text_input")
        if kind == "static_select":
            values[block] = {"type": kind, "selected_option": value and {"value": value}}
        else:
            values[block] = {"type": kind, "value": value}
    return values


def submit(
    bot: SlackSender, slack: FakeSlack, account: Account | None = None, **overrides: Any
) -> dict[str, Any] | str:
    meta = ModalMeta(
        account_id=account.id if account else None,
        version=account.version if account else None,
        response_url=slack.response_url("form"),
    )
    reply = bot.interaction(
        view_submission_payload(
            account_form(meta=meta, account=account), state(account, **overrides)
        )
    )
    assert reply.status == 200
    return reply.json() if reply.body else ""


def entries(database: Database, account_id: int) -> list[RevenueEntry]:
    with database.transaction() as session:
        return list(account_entries(session, team_id=TEAM_ID, account_id=account_id))


def arr_of(database: Database, account_id: int) -> Decimal:
    with database.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account.arr


def test_a_new_account_writes_its_new_entry(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    assert submit(bot, slack, arr="2500.50", currency="EUR") == ""
    with database.transaction() as session:
        account = session.exec(select(Account)).one()
    [entry] = entries(database, account.id)  # type: ignore[arg-type]
    assert (entry.kind, entry.change, entry.arr_after, entry.currency) == (
        RevenueKind.NEW,
        Decimal("2500.50"),
        Decimal("2500.50"),
        "EUR",
    )
    assert (entry.source, entry.by_user_id, entry.effective_on) == (
        RevenueSource.FORM,
        "U0ALICE",
        app_today(),
    )
    assert account.contract_months == 12


def test_the_edit_form_asks_the_kind_beside_arr_and_the_new_form_does_not() -> None:
    account = Account(team_id=TEAM_ID, name="Acme", name_key="acme", id=1)
    edit = [
        b["block_id"]
        for b in account_form(meta=ModalMeta(account_id=1), account=account)["blocks"]
        if b["type"] == "input"
    ]
    assert edit[edit.index("arr") + 1] == "arr_kind"
    new = [b["block_id"] for b in account_form(meta=ModalMeta())["blocks"] if b["type"] == "input"]
    assert "arr_kind" not in new and "contract_months" in new


@pytest.mark.parametrize(
    ("arr", "kind", "says"),
    [
        ("150000", None, "expansion, contraction or a correction"),
        ("150000", "contraction", "a contraction lowers ARR"),
        ("90000", "expansion", "an expansion raises ARR"),
        ("0", "contraction", "to nothing is churn"),
        ("150000", "churn", "Pick one of the options"),
    ],
)
def test_a_change_of_arr_without_its_kind_or_against_it_is_refused_inline(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    arr: str,
    kind: str | None,
    says: str,
) -> None:
    account = make_account(database, "Acme", arr=Decimal("120000"))
    body = submit(bot, slack, account, arr=arr, arr_kind=kind, name="Acme Renamed")
    assert isinstance(body, dict) and body["response_action"] == "errors"
    message = body["errors"]["arr_kind"]
    assert says in message
    if kind != "churn":  # not a choice of the form at all
        assert message.startswith("Say what kind of change this is")
    assert arr_of(database, account.id) == Decimal("120000")  # type: ignore[arg-type]
    assert [e.kind for e in entries(database, account.id)] == [RevenueKind.NEW]  # type: ignore[arg-type]
    with database.transaction() as session:
        assert session.get(Account, account.id).name == "Acme"  # nothing half-written


@pytest.mark.parametrize(
    ("arr", "kind", "change"),
    [
        ("150000", "expansion", Decimal("30000")),
        ("100000", "contraction", Decimal("-20000")),
        ("12000", "correction", Decimal("-108000")),
    ],
)
def test_a_change_of_arr_with_its_kind_is_an_entry(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    arr: str,
    kind: str,
    change: Decimal,
) -> None:
    account = make_account(database, "Acme", arr=Decimal("120000"))
    assert submit(bot, slack, account, arr=arr, arr_kind=kind) == ""
    _new, entry = entries(database, account.id)  # type: ignore[arg-type]
    assert (entry.kind, entry.change, entry.arr_after) == (RevenueKind(kind), change, Decimal(arr))
    assert (entry.by_user_id, entry.source) == ("U0ALICE", RevenueSource.FORM)
    assert arr_of(database, account.id) == Decimal(arr)  # type: ignore[arg-type]


def test_an_edit_that_leaves_arr_alone_needs_no_kind_and_writes_no_entry(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", arr=Decimal("120000"))
    assert submit(bot, slack, account, name="Acme Corp", arr_kind="expansion") == ""
    assert [e.kind for e in entries(database, account.id)] == [RevenueKind.NEW]  # type: ignore[arg-type]


def test_a_currency_restated_is_a_correction_not_movement(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", arr=Decimal("120000"))
    assert submit(bot, slack, account, arr="110000", currency="EUR") == ""
    _, entry = entries(database, account.id)  # type: ignore[arg-type]
    assert (entry.kind, entry.change, entry.currency) == (RevenueKind.CORRECTION, 0, "EUR")
    assert entry.note == "restated from 120000.00 USD"


@pytest.mark.parametrize(
    ("months", "error"), [("0", "Too small"), ("61", "Too large"), ("x", "whole number")]
)
def test_the_contract_term_is_1_to_60_months(
    bot: SlackSender, slack: FakeSlack, database: Database, months: str, error: str
) -> None:
    account = make_account(database, "Acme")
    body = submit(bot, slack, account, contract_months=months)
    assert isinstance(body, dict) and error in body["errors"]["contract_months"]
    assert submit(bot, slack, account, contract_months="36") == ""
    with database.transaction() as session:
        assert session.get(Account, account.id).contract_months == 36


def test_the_migration_backfills_a_new_entry_for_every_account(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade(revision="0014")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (team_id, name, name_key, arr, currency, segment, products, "
                "renewal_stage, archived, version, created_at, updated_at) VALUES "
                "('T1', 'Old', 'old', 5000, 'GBP', 'smb', '[]', 'not_started', 0, 1, "
                "'2025-03-04 10:00:00.000000', '2025-03-04 10:00:00.000000')"
            )
        )
    db.upgrade(revision="0015")
    with db.transaction() as session:
        [entry] = session.exec(select(RevenueEntry)).all()
        # the account as 0015 left it, by its columns then (the model has columns added since)
        contract_months = session.execute(text("SELECT contract_months FROM account")).scalar_one()
    assert (entry.kind, entry.arr_after, entry.change, entry.currency) == (
        RevenueKind.NEW,
        Decimal("5000"),
        Decimal("5000"),
        "GBP",
    )
    assert (entry.effective_on.isoformat(), entry.source) == ("2025-03-04", RevenueSource.MIGRATION)
    assert contract_months == 12
    db.dispose()
