"""Tenant isolation: two workspaces installed over OAuth on one database. Workspace B can
neither see nor change workspace A's accounts, by name, by id or by a crafted payload."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import make_client
from bot.settings import Settings
from bot.workspaces import team_clients
from commands.ui.ids import View
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from digests.deliver import run_due_digests
from store.db import Database
from store.enums import ActionStatus, Role
from store.models import Account, ActionItem, ContactLog, Stakeholder
from store.settings import DigestSettings
from tests.factories import add_item, add_person, app_today, make_account
from tests.slack_fake import Call, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    block_suggestion_payload,
    overflow_payload,
    view_submission_payload,
)
from tests.test_account_form import values as account_values
from tests.test_contacts_and_history import contact_values
from tests.test_oauth import TEAM_A, TEAM_B, TOKEN_A, TOKEN_B, install
from tests.test_stakeholder_map import stakeholder_values

TODAY = app_today()


@pytest.fixture
def a_and_b(oauth_bot: SlackSender, slack: FakeSlack, database: Database) -> dict[str, Any]:
    """Both workspaces installed; A has Initech (with a person and an item), both have an Acme."""
    install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    install(oauth_bot, slack, team_id=TEAM_B, token=TOKEN_B)
    initech = make_account(database, "Initech", team_id=TEAM_A, channel_id="C0AINITECH")
    acme_a = make_account(database, "Acme", team_id=TEAM_A, channel_id="C0AACME")
    make_account(database, "Acme", team_id=TEAM_B, channel_id="C0BACME", arr=Decimal("5000"))
    person = add_person(database, initech, "Dana Lee", Role.CHAMPION, contacted_days_ago=3)
    item = add_item(database, initech, "Send the security review", TODAY + timedelta(days=2))
    slack.calls.clear()
    return {"initech": initech, "acme_a": acme_a, "person": person, "item": item}


def said(call: Call) -> str:
    return str(call.params.get("text", "")) + json.dumps(call.params.get("blocks") or [])


def reply(slack: FakeSlack) -> str:
    [call] = slack.wait_for("response_url")
    slack.calls.clear()
    return said(call)


def rows(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_by_name_each_workspace_sees_only_its_own(
    oauth_bot: SlackSender, slack: FakeSlack, a_and_b: dict[str, Any]
) -> None:
    oauth_bot.command("Acme", team_id=TEAM_B)
    mine = reply(slack)
    assert "$5k" in mine and "$120k" not in mine
    for typed in ("Initech", "Init", "initech plan", "initech history"):
        oauth_bot.command(typed, team_id=TEAM_B)
        answer = reply(slack)
        assert "No account matches" in answer, typed
        assert "Dana" not in answer and "$120k" not in answer, typed
    oauth_bot.command("Initech", team_id=TEAM_A)
    assert "Dana Lee" in reply(slack)  # A sees its own


def test_by_id_buttons_of_the_other_workspace_point_at_nothing(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database, a_and_b: dict[str, Any]
) -> None:
    initech = a_and_b["initech"].id
    for action, value in [
        ("account.show", str(initech)),
        ("account.share", str(initech)),
        ("history.page", f"{initech}:0"),
        ("action.done", str(a_and_b["item"])),
    ]:
        payload = block_actions_payload(
            action, value, team_id=TEAM_B, response_url=slack.response_url(action)
        )
        assert oauth_bot.interaction(payload).status == 200
        answer = reply(slack)
        assert "no longer exists" in answer, action
        assert "Dana" not in answer and "Initech" not in answer
    assert slack.calls_to("chat.postMessage") == []
    with database.transaction() as session:
        assert session.get(ActionItem, a_and_b["item"]).status is ActionStatus.OPEN  # type: ignore[union-attr]


def test_modals_for_the_other_workspaces_rows_open_empty_handed(
    oauth_bot: SlackSender, slack: FakeSlack, a_and_b: dict[str, Any]
) -> None:
    for payload in [
        block_actions_payload(
            "account.edit", str(a_and_b["initech"].id), team_id=TEAM_B, response_url="x"
        ),
        overflow_payload(
            "stakeholder.menu", f"edit:{a_and_b['person']}", team_id=TEAM_B, response_url="x"
        ),
        overflow_payload(
            "action.menu", f"edit:{a_and_b['item']}", team_id=TEAM_B, response_url="x"
        ),
    ]:
        oauth_bot.interaction(payload)
        view = slack.opened_view()
        text = json.dumps(view)
        assert "Initech" not in text and "Dana" not in text and "security review" not in text
        assert view["type"] == "modal" and "submit" not in view  # a notice, nothing to submit
        slack.calls.clear()


def test_crafted_submissions_naming_the_other_workspaces_rows_write_nothing(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database, a_and_b: dict[str, Any]
) -> None:
    initech, person = a_and_b["initech"], a_and_b["person"]
    before = (rows(database, Stakeholder), rows(database, ContactLog), rows(database, ActionItem))
    crafted = [
        (account_form(meta=ModalMeta(account_id=initech.id, version=1)), account_values()),
        (
            {"type": "modal", "callback_id": View.STAKEHOLDER_FORM.value}
            | {"private_metadata": ModalMeta(account_id=initech.id).model_dump_json()},
            stakeholder_values(name="Mole"),
        ),
        (
            {"type": "modal", "callback_id": View.SENTIMENT_FORM.value}
            | {"private_metadata": ModalMeta(stakeholder_id=person, version=1).model_dump_json()},
            {"sentiment": {"type": "static_select", "selected_option": {"value": "negative"}}},
        ),
        (
            {"type": "modal", "callback_id": View.CONTACT_FORM.value}
            | {"private_metadata": ModalMeta(account_id=initech.id).model_dump_json()},
            contact_values([person]),
        ),
    ]
    for number, (view, state) in enumerate(crafted):
        view = {**view, "id": f"V0CRAFT{number}"}
        answer = oauth_bot.interaction(view_submission_payload(view, state, team_id=TEAM_B)).body
        assert answer and json.loads(answer).get("response_action") in {"errors", "update"}, answer
    after = (rows(database, Stakeholder), rows(database, ContactLog), rows(database, ActionItem))
    assert after == before
    with database.transaction() as session:
        a_initech = session.get(Account, initech.id)
        b_accounts = session.scalars(select(Account).where(Account.team_id == TEAM_B)).all()
        dana = session.get(Stakeholder, person)
    assert (a_initech.name, a_initech.arr) == ("Initech", Decimal("120000"))  # type: ignore[union-attr]
    assert [a.name for a in b_accounts] == ["Acme"]  # nothing created in B either
    assert dana.sentiment.value != "negative"  # type: ignore[union-attr]


def test_type_ahead_offers_only_the_workspaces_own_accounts(
    oauth_bot: SlackSender, slack: FakeSlack, a_and_b: dict[str, Any]
) -> None:
    view = {"type": "modal", "callback_id": "contact.form", "private_metadata": "{}"}
    for team, expected in [(TEAM_B, ["Acme"]), (TEAM_A, ["Initech"])]:
        typed = "ac" if team == TEAM_B else "ini"
        suggestion = block_suggestion_payload(
            view, action_id="contact.account", block_id="account_id", value=typed, team_id=team
        )
        options = oauth_bot.interaction(suggestion).json()["options"]
        assert [o["text"]["text"] for o in options] == expected
    suggestion = block_suggestion_payload(
        view, action_id="contact.account", block_id="account_id", value="ini", team_id=TEAM_B
    )
    assert oauth_bot.interaction(suggestion).json()["options"] == []


def test_each_workspaces_digests_go_out_with_its_own_token_to_its_own_channels(
    oauth_bot: SlackSender,
    oauth_settings: Settings,
    slack: FakeSlack,
    database: Database,
    a_and_b: dict[str, Any],
) -> None:
    monday = datetime.combine(TODAY - timedelta(days=TODAY.weekday()), datetime.min.time(), UTC)
    clients = team_clients(oauth_settings, database, make_client(oauth_settings))
    runs = run_due_digests(
        database, clients, now=monday + timedelta(hours=10), defaults=DigestSettings()
    )
    assert set(runs) == {TEAM_A, TEAM_B}
    posted = {
        (c.params["channel"], c.headers.get("Authorization"))
        for c in slack.calls_to("chat.postMessage")
    }
    assert posted == {
        ("C0AINITECH", f"Bearer {TOKEN_A}"),
        ("C0AACME", f"Bearer {TOKEN_A}"),
        ("C0BACME", f"Bearer {TOKEN_B}"),
    }
