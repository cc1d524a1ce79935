"""Who may see and change an account, through the signed endpoint.

Seeing: anyone, unless the account is linked to a private channel (then its members, the owner
and admins). Changing: the owner, the linked channel's members and workspace admins. Anyone else
is told why, and nothing is written.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import make_client
from bot.settings import Settings
from commands.access import Access, Directory
from store.db import Database
from store.enums import ActionStatus
from store.models import ActionItem, ContactLog, Stakeholder
from tests.factories import add_item, add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, Call, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    block_suggestion_payload,
    message_shortcut_payload,
    view_submission_payload,
)
from tests.test_stakeholder_map import stakeholder_values

TODAY = app_today()
OWNER, MEMBER, STRANGER, ADMIN = "U0ALICE", "U0CAROL", "U0MALLORY", "U0ADMIN"
REFUSED = "You can't change *Acme*: only its owner (<@U0ALICE>), members of <#C0ACME>"


@pytest.fixture(autouse=True)
def workspace(slack: FakeSlack) -> None:
    slack.channels["C0ACME"] = {"is_private": False, "members": [OWNER, MEMBER]}
    slack.channels["C0SECRET"] = {"is_private": True, "members": [OWNER, MEMBER]}
    slack.users[ADMIN] = {"is_admin": True}


def said(call: Call) -> str:
    return str(call.params.get("text", "")) + json.dumps(call.params.get("blocks") or [])


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def ask(bot: SlackSender, slack: FakeSlack, text: str, *users: str) -> dict[str, str]:
    """`/account <text>` from each user; what each was answered."""
    for user in users:
        bot.command(text, user_id=user, response_url=slack.response_url(user))
    slack.wait_for("response_url", count=len(users))
    return {user: said(slack.replies_to(user)[0]) for user in users}


# -- seeing -------------------------------------------------------------------------------------


def test_a_private_channel_account_shows_only_to_members_owner_and_admins(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Secret Deal", channel_id="C0SECRET", owner_user_id="U0OWNER2")
    answers = ask(bot, slack, "Secret Deal", MEMBER, ADMIN, "U0OWNER2", STRANGER)
    for user in (MEMBER, ADMIN, "U0OWNER2"):
        assert "$120k" in answers[user], user  # the card, with its ARR
    assert ":lock: *Secret Deal* is linked to a private channel you are not in" in answers[STRANGER]
    assert "$120k" not in answers[STRANGER]


def test_near_matches_leave_out_private_accounts_the_user_cannot_see(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Secret Deal", channel_id="C0SECRET")
    make_account(database, "Secret Garden", channel_id="C0ACME")
    answers = ask(bot, slack, "secret", STRANGER, MEMBER)
    assert "Secret Garden" in answers[STRANGER] and "Secret Deal" not in answers[STRANGER]
    assert "Secret Garden" in answers[MEMBER] and "Secret Deal" in answers[MEMBER]


def test_a_channel_the_bot_cannot_see_is_closed_not_open(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.channels["C0HIDDEN"] = {"error": "channel_not_found"}
    make_account(database, "Hidden", channel_id="C0HIDDEN")
    answers = ask(bot, slack, "Hidden", STRANGER, OWNER)
    assert "private channel you are not in" in answers[STRANGER]
    assert "$120k" in answers[OWNER]


def test_cards_buttons_and_history_of_a_private_account_are_refused_too(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    secret = make_account(database, "Secret Deal", channel_id="C0SECRET")
    for action, value in [
        ("account.show", str(secret.id)),
        ("account.share", str(secret.id)),
        ("history.page", f"{secret.id}:0"),
    ]:
        payload = block_actions_payload(
            action, value, user_id=STRANGER, response_url=slack.response_url(action)
        )
        assert bot.interaction(payload).status == 200
        [reply] = slack.wait_for("response_url")
        assert "private channel you are not in" in said(reply), action
        slack.calls.clear()
    assert slack.calls_to("chat.postMessage") == []


# -- changing -----------------------------------------------------------------------------------


def add_stakeholder_as(bot: SlackSender, slack: FakeSlack, account_id: int, user: str) -> str:
    """Submit the add-stakeholder modal of an account as `user`; the raw HTTP answer."""
    view = {
        "type": "modal",
        "callback_id": "stakeholder.form",
        "title": {"type": "plain_text", "text": "Add stakeholder"},
        "private_metadata": json.dumps({"account_id": account_id}),
    }
    return bot.interaction(view_submission_payload(view, stakeholder_values(), user_id=user)).body


def test_only_the_owner_channel_members_and_admins_may_change_an_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0ACME")
    answer = json.loads(add_stakeholder_as(bot, slack, acme.id, STRANGER))
    assert answer["response_action"] == "update"
    assert REFUSED in json.dumps(answer["view"]) and "Nothing was saved" in json.dumps(answer)
    assert count(database, Stakeholder) == 0

    for user, name in [(OWNER, "Dana Lee"), (MEMBER, "Eli Moss"), (ADMIN, "Fay Ng")]:
        view = {
            "type": "modal",
            "callback_id": "stakeholder.form",
            "private_metadata": json.dumps({"account_id": acme.id}),
        }
        values = stakeholder_values(name=name, email=None)
        submitted = view_submission_payload(view | {"id": f"V{user}"}, values, user_id=user)
        assert bot.interaction(submitted).body == "", user
    assert count(database, Stakeholder) == 3


def test_an_account_without_a_channel_is_changed_by_its_owner_and_admins_only(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    solo = make_account(database, "Acme", channel_id=None)
    assert "response_action" in add_stakeholder_as(bot, slack, solo.id, MEMBER)
    assert add_stakeholder_as(bot, slack, solo.id, ADMIN) == ""
    assert count(database, Stakeholder) == 1


def test_a_button_that_changes_something_refuses_a_stranger_and_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0ACME")
    item_id = add_item(database, acme, "Send proposal", TODAY + timedelta(days=3))
    for action, value in [("action.done", str(item_id)), ("action.menu", f"cancel:{item_id}")]:
        payload = block_actions_payload(
            action, value, user_id=STRANGER, response_url=slack.response_url(action)
        )
        if action == "action.menu":
            payload["actions"][0] |= {"type": "overflow", "selected_option": {"value": value}}
        bot.interaction(payload)
        [reply] = slack.wait_for("response_url")
        assert REFUSED in said(reply), action
        slack.calls.clear()
    with database.transaction() as session:
        assert session.get(ActionItem, item_id).status is ActionStatus.OPEN  # type: ignore[union-attr]


def test_a_modal_for_a_change_the_user_may_not_make_opens_as_a_notice(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0ACME")
    payload = block_actions_payload(
        "stakeholder.add", str(acme.id), user_id=STRANGER, response_url=slack.response_url()
    )
    bot.interaction(payload)
    view = slack.opened_view()
    assert view["callback_id"] != "stakeholder.form"
    assert REFUSED in json.dumps(view["blocks"])


def test_a_contact_for_an_account_picked_in_the_form_is_checked_against_that_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0ACME")
    make_account(database, "Acme Open", channel_id="C0OPEN")
    slack.channels["C0OPEN"] = {"is_private": False, "members": [STRANGER]}
    dana = add_person(database, acme, "Dana")
    bot.interaction(
        message_shortcut_payload(
            text="hello", channel_id="C0RANDOM", user_id=STRANGER, response_url=slack.response_url()
        )
    )
    view = slack.opened_view()
    suggestion = block_suggestion_payload(
        view, action_id="contact.account", block_id="account_id", value="acme", user_id=STRANGER
    )
    options = bot.interaction(suggestion).json()["options"]
    assert [o["text"]["text"] for o in options] == ["Acme Open"]  # only what they may change

    state = {  # a crafted pick of the account they may not change
        "account_id": {"type": "external_select", "selected_option": {"value": str(acme.id)}},
        "stakeholder_ids": {
            "type": "multi_static_select",
            "selected_options": [{"value": str(dana)}],
        },
        "contacted_on": {"type": "datepicker", "selected_date": TODAY.isoformat()},
        "channel": {"type": "static_select", "selected_option": {"value": "call"}},
        "summary": {"type": "plain_text_input", "value": "Talked pricing"},
    }
    answer = json.loads(
        bot.interaction(view_submission_payload(view, state, user_id=STRANGER)).body
    )
    assert answer["response_action"] == "update" and REFUSED in json.dumps(answer["view"])
    assert count(database, ContactLog) == 0


@pytest.mark.parametrize(
    ("callback_id", "forged", "state"),
    [
        pytest.param(  # an item they own beside the account they may not change
            "stakeholder.form",
            lambda acme, item, person: {"account_id": acme, "item_id": item},
            stakeholder_values(),
            id="a person added to the account named beside their own item",
        ),
        pytest.param(  # their own person beside an item they may not change
            "action.block",
            lambda acme, item, person: {"item_id": item, "stakeholder_id": person, "version": 1},
            {"blocked_reason": {"type": "plain_text_input", "value": "pwned"}},
            id="an item blocked beside their own person",
        ),
    ],
)
def test_a_form_naming_ids_of_two_accounts_is_refused_whichever_is_checked(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    callback_id: str,
    forged: Any,
    state: dict[str, Any],
) -> None:
    """A hand-crafted submission whose metadata mixes an id the user may change with one of an
    account they may not: the write would land on the second, so the form is refused whole."""
    secret = make_account(database, "Acme", channel_id="C0SECRET")
    theirs = make_account(database, "Mallory Co", channel_id=None, owner_user_id=STRANGER)
    secret_item = add_item(database, secret, "Order form", TODAY + timedelta(days=3))
    own_item = add_item(database, theirs, "Their step", TODAY + timedelta(days=3))
    own_person = add_person(database, theirs, "Pat")
    target = {
        "stakeholder.form": (secret.id, own_item, None),
        "action.block": (None, secret_item, own_person),
    }[callback_id]
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": "Form"},
        "blocks": [{"type": "input", "block_id": next(iter(state))}],
        "private_metadata": json.dumps(forged(*target)),
    }
    answer = bot.interaction(view_submission_payload(view, state, user_id=STRANGER)).body
    assert "no longer matches what the bot knows" in answer
    with database.transaction() as session:
        on_secret = session.scalar(
            select(func.count()).select_from(Stakeholder).where(Stakeholder.account_id == secret.id)
        )
        item = session.get(ActionItem, secret_item)
        assert on_secret == 0
        assert item is not None and item.status is ActionStatus.OPEN and not item.blocked_reason


# -- what Slack is asked --------------------------------------------------------------------------


def test_channel_rights_are_remembered_briefly_not_asked_on_every_request(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0SECRET")
    clock = [0.0]
    directory = Directory(ttl=60, timer=lambda: clock[0])
    access = Access(make_client(settings), directory, TEAM_ID, MEMBER)
    assert all(access.can_view(acme) for _ in range(5))
    assert len(slack.calls_to("conversations.info")) == 1
    slack.channels["C0SECRET"]["members"] = [OWNER]  # Carol leaves the channel
    assert access.can_view(acme)  # remembered …
    clock[0] = 61
    assert not access.can_view(acme)  # … for a minute, then asked again
    assert len(slack.calls_to("conversations.info")) == 2
