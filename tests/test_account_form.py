"""The account modal's submission: valid input writes once; refused input writes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.accounts import find_account_by_name
from store.catalogue import EntryRow
from store.db import Database
from store.enums import CatalogueKind, RevenueKind
from store.models import Account
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload


def values(**overrides: Any) -> dict[str, dict[str, Any]]:
    """Element states as Slack reports them for each block of the account modal."""
    state: dict[str, dict[str, Any]] = {
        "arr_kind": {"type": "static_select", "selected_option": None},
        "name": {"type": "plain_text_input", "value": "Zebra Corp"},
        "channel_id": {"type": "conversations_select", "selected_conversation": "C0ZEBRA"},
        "owner_user_id": {"type": "users_select", "selected_user": "U0ALICE"},
        "arr": {"type": "number_input", "value": "125000.50"},
        "currency": {"type": "static_select", "selected_option": {"value": "EUR"}},
        "contract_start": {"type": "datepicker", "selected_date": "2026-01-01"},
        "renewal_date": {"type": "datepicker", "selected_date": "2027-01-01"},
        "seats_licensed": {"type": "number_input", "value": "100"},
        "seats_active": {"type": "number_input", "value": "85"},
        "segment": {"type": "static_select", "selected_option": {"value": "enterprise"}},
        "fiscal_year_start_month": {"type": "static_select", "selected_option": None},
    }
    for block, value in overrides.items():
        key = next(k for k in state[block] if k != "type")
        state[block] = {**state[block], key: value}
    return state


def submit(bot: SlackSender, slack: FakeSlack, *, account_id: int | None = None, **overrides: Any):
    meta = ModalMeta(account_id=account_id, response_url=slack.response_url("form"))
    view = account_form(meta=meta)
    return bot.interaction(view_submission_payload(view, values(**overrides)))


def submit_view(bot: SlackSender, view: dict[str, Any], state: dict[str, dict[str, Any]]):
    return bot.interaction(view_submission_payload(view, state))


def count_accounts(database: Database) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(Account)).scalar_one()


def test_valid_submission_creates_the_account_and_shows_its_card(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    reply = submit(bot, slack)
    assert reply.status == 200
    assert reply.body == ""  # an empty ack closes the modal
    with database.transaction() as session:
        account = find_account_by_name(session, team_id=TEAM_ID, name="zebra corp")
    assert account is not None
    assert (account.arr, account.currency, account.segment.value) == (
        Decimal("125000.50"),
        "EUR",
        "enterprise",
    )
    assert (account.channel_id, account.owner_user_id) == ("C0ZEBRA", "U0ALICE")
    assert (account.contract_start, account.renewal_date) == (date(2026, 1, 1), date(2027, 1, 1))
    assert (account.seats_licensed, account.seats_active) == (100, 85)
    [card] = slack.wait_for("response_url")
    assert card.params["blocks"][0]["text"]["text"] == "Zebra Corp"
    assert card.params["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    ("overrides", "block", "message"),
    [
        ({"name": "   "}, "name", "Give the account a name."),
        ({"name": "x" * 151}, "name", "Too long: at most 150 characters."),
        ({"arr": "-5"}, "arr", "ARR cannot be negative."),
        ({"arr": "lots"}, "arr", "Enter a number, like 120000 or 120000.50."),
        (
            {"renewal_date": "2025-12-31"},
            "renewal_date",
            "The renewal must come after the contract start (1 Jan 2026).",
        ),
        (
            {"seats_active": "101"},
            "seats_active",
            "Active seats (101) cannot exceed licensed seats (100).",
        ),
        ({"seats_licensed": "-1"}, "seats_licensed", "Seats cannot be negative."),
        ({"seats_active": "2.5"}, "seats_active", "Enter a whole number."),
        ({"currency": {"value": "XXX"}}, "currency", "Pick one of USD"),
        ({"segment": {"value": "galactic"}}, "segment", "Pick one of the options."),
        ({"segment": "not-an-option-object"}, "segment", "Pick one of the options."),
        ({"channel_id": "<!channel>"}, "channel_id", "That is not a Slack channel."),
        (
            {"fiscal_year_start_month": {"value": "13"}},
            "fiscal_year_start_month",
            "Pick one of the months.",
        ),
    ],
)
def test_refused_input_keeps_the_modal_open_with_the_error_and_writes_nothing(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    overrides: dict[str, Any],
    block: str,
    message: str,
) -> None:
    reply = submit(bot, slack, **overrides)
    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors"
    assert body["errors"][block].startswith(message)
    assert count_accounts(database) == 0
    assert slack.calls_to("response_url") == []


def test_duplicate_name_is_refused_naming_the_existing_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Zebra Corp")
    body = submit(bot, slack, name="  zebra   CORP ").json()
    assert body == {
        "response_action": "errors",
        "errors": {"name": "An account named Zebra Corp already exists."},
    }
    assert count_accounts(database) == 1


def test_several_errors_are_reported_at_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    body = submit(bot, slack, name="", arr="-1", seats_active="500").json()
    assert set(body["errors"]) == {"name", "arr", "seats_active"}
    assert count_accounts(database) == 0


def test_edit_changes_the_account(bot: SlackSender, slack: FakeSlack, database: Database) -> None:
    account = make_account(database, "Zebra", arr=Decimal("1"))
    changed = submit(
        bot,
        slack,
        account_id=account.id,
        name="Zebra Holdings",
        arr="99",
        arr_kind={"value": "expansion"},
    )
    assert changed.body == ""
    with database.transaction() as session:
        changed = session.get(Account, account.id)
    assert (changed.name, changed.name_key, changed.arr) == (
        "Zebra Holdings",
        "zebra holdings",
        Decimal("99.00"),
    )
    assert changed.updated_at > changed.created_at
    assert count_accounts(database) == 1


def test_edit_to_another_accounts_name_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", channel_id="C1")
    zebra = make_account(database, "Zebra", channel_id="C2")
    body = submit(bot, slack, account_id=zebra.id, name="ACME").json()
    assert body["errors"] == {"name": "An account named Acme already exists."}
    with database.transaction() as session:
        assert session.get(Account, zebra.id).name == "Zebra"


def test_edit_of_another_teams_account_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = make_account(database, "Theirs", team_id="T0OTHER")
    body = submit(bot, slack, account_id=theirs.id, name="Hijacked").json()
    assert body["errors"] == {"name": "That account no longer exists."}
    with database.transaction() as session:
        assert session.get(Account, theirs.id).name == "Theirs"


def test_the_modal_respects_slacks_limits() -> None:
    full = [  # a full catalogue: one option each
        EntryRow(i, "P" * 150, CatalogueKind.PRODUCT, None, None, "USD", None) for i in range(100)
    ]
    view = account_form(meta=ModalMeta(response_url="https://hooks.slack.com/x"), catalogue=full)
    assert len(view["blocks"]) <= 100
    assert len(view["title"]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    assert all(b["type"] == "input" for b in view["blocks"])
    assert {b["block_id"]: b["element"]["action_id"] for b in view["blocks"]} == dict.fromkeys(
        [b["block_id"] for b in view["blocks"]], "value"
    ) | {"channel_id": "account.channel"}  # the channel warns as soon as it is picked
    assert json.loads(view["private_metadata"]) == {"response_url": "https://hooks.slack.com/x"}


def test_renewal_can_be_left_empty(bot: SlackSender, slack: FakeSlack, database: Database) -> None:
    state = values()
    for optional in (
        "renewal_date",
        "contract_start",
        "seats_licensed",
        "seats_active",
        "channel_id",
    ):
        state[optional] = {"type": state[optional]["type"]}
    view = account_form(meta=ModalMeta())
    assert bot.interaction(view_submission_payload(view, state)).body == ""
    with database.transaction() as session:
        account = find_account_by_name(session, team_id=TEAM_ID, name="Zebra Corp")
    assert account.renewal_date is None and account.channel_id is None
    assert app_today() - timedelta(days=1) <= account.created_at.date()


def test_an_edit_on_an_account_changed_meanwhile_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    from store.accounts import update_account

    account = make_account(database, "Zebra", arr=Decimal("1"))
    view = account_form(meta=ModalMeta(account_id=account.id, version=1))
    with database.transaction() as session:
        update_account(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            arr=Decimal("500"),
            arr_kind=RevenueKind.EXPANSION,
        )
    body = submit_view(bot, view, values(name="Zebra", arr="2")).json()
    assert "changed by someone else" in body["errors"]["name"]
    with database.transaction() as session:
        assert session.get(Account, account.id).arr == Decimal("500.00")


def test_a_renewal_date_moved_before_the_notice_date_is_refused_beside_it_and_nothing_written(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Issue 19's bad input from the other side: the notice date stays, the renewal date moves
    before it in the account form; refused beside the renewal date, nothing written."""
    renews, notice = date(2027, 1, 1), date(2026, 12, 20)
    account = make_account(
        database, "Zebra Corp", channel_id="C0ZEBRA", renewal_date=renews, notice_date=notice
    )
    body = submit(bot, slack, account_id=account.id, renewal_date="2026-12-15").json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"renewal_date"}
    assert body["errors"]["renewal_date"].startswith("The notice date (20 Dec 2026) must be on or")
    with database.transaction() as session:
        kept = session.get(Account, account.id)
        assert kept is not None and (kept.renewal_date, kept.notice_date) == (renews, notice)
    assert slack.calls_to("response_url") == []


def test_the_customers_fiscal_year_is_picked_shown_again_and_cleared(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The fiscal year's first month is optional: picked it is kept, the edit form shows it
    picked, emptied it is forgotten."""
    assert submit(bot, slack, fiscal_year_start_month={"value": "4"}).body == ""
    with database.transaction() as session:
        account = find_account_by_name(session, team_id=TEAM_ID, name="Zebra Corp")
        assert account is not None and account.fiscal_year_start_month == 4
        meta = ModalMeta(
            account_id=account.id, response_url=slack.response_url("edit"), version=account.version
        )
        form = account_form(meta=meta, account=account)
    [block] = [b for b in form["blocks"] if b.get("block_id") == "fiscal_year_start_month"]
    assert block["optional"] is True
    assert block["element"]["initial_option"]["text"]["text"] == "April"
    assert [o["value"] for o in block["element"]["options"]] == [str(n) for n in range(1, 13)]
    edit = {**form, "id": "V0EDIT", "hash": "2.edit"}  # another modal than the first
    state = values(arr="125000.50")
    assert submit_view(bot, edit, state).body == ""
    with database.transaction() as session:
        assert session.get(Account, account.id).fiscal_year_start_month is None  # type: ignore[union-attr]
