"""Crafted payloads Slack would not send are refused at the door (400) before any listener runs,
rather than giving the user an error id: what each listener reads is part of the door's shapes
(`bot.inbound.ACTION_SHAPES`, `EVENT_SHAPES`)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from commands.contract import Answer, Modal
from commands.routes import ROUTES
from commands.ui.ids import Action
from store.db import Database
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import (
    JSON,
    SlackSender,
    block_actions_payload,
    message_shortcut_payload,
    view_block_action_payload,
)


def assert_refused_and_nothing_ran(bot: SlackSender, slack: FakeSlack, payload: Any) -> None:
    reply = bot.interaction(payload)
    assert reply.status == 400, (payload, reply)
    time.sleep(0.2)  # a listener would have called Slack by now
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []


def modal_action(action_id: str, **action: Any) -> dict[str, Any]:
    """An element inside the account (or contact) modal, as Slack sends its change."""
    return view_block_action_payload(
        {"type": "modal", "callback_id": "account.form", "blocks": []},
        {"type": "conversations_select", "action_id": action_id, "block_id": "b1"} | action,
    )


@pytest.mark.parametrize("action_id", [Action.ACCOUNT_CHANNEL, Action.CONTACT_ACCOUNT])
@pytest.mark.parametrize("view", ["missing", "without id"])
def test_a_modal_element_without_its_modal_is_refused(
    bot: SlackSender, slack: FakeSlack, action_id: str, view: str
) -> None:
    payload = modal_action(action_id, selected_conversation="C0ACME")
    if view == "missing":
        del payload["view"]
    else:
        del payload["view"]["id"]
    assert_refused_and_nothing_ran(bot, slack, payload)


def test_a_picked_conversation_that_is_not_an_id_is_refused(
    bot: SlackSender, slack: FakeSlack
) -> None:
    payload = modal_action(Action.ACCOUNT_CHANNEL, selected_conversation={"id": "C0ACME"})
    assert_refused_and_nothing_ran(bot, slack, payload)


def test_the_same_modal_element_as_slack_sends_it_still_works(
    bot: SlackSender, slack: FakeSlack
) -> None:
    reply = bot.interaction(modal_action(Action.ACCOUNT_CHANNEL, selected_conversation="C0ACME"))
    assert reply.status == 200
    slack.wait_for("views.update")


ANSWERED = sorted(
    {
        str(route.id)
        for route in ROUTES
        if isinstance(route, Answer) or (isinstance(route, Modal) and route.id in Action)
        if not getattr(route, "over", False)
    }
)
"""Every button or menu on a message, answered through its response URL (Bolt's `respond`):
the buttons that open a form answer there when the form cannot open."""


@pytest.mark.parametrize("action_id", ANSWERED)
def test_a_click_its_listener_cannot_answer_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database, action_id: str
) -> None:
    """Without a response URL, the listener's answer failed (an error id), and so did the
    error handler's (a second one)."""
    account = make_account(database, "Acme")
    payload = block_actions_payload(action_id, str(account.id), response_url="")
    del payload["response_url"]
    assert_refused_and_nothing_ran(bot, slack, payload)


def test_a_click_that_opens_a_form_needs_its_trigger(bot: SlackSender, slack: FakeSlack) -> None:
    payload = block_actions_payload("account.create", "Acme", response_url=slack.response_url())
    del payload["trigger_id"]
    assert_refused_and_nothing_ran(bot, slack, payload)


def home_opened(**event: Any) -> dict[str, Any]:
    return {"type": "app_home_opened", "channel": "D0HOME", "tab": "home"} | event


@pytest.mark.parametrize(
    "event",
    [
        home_opened(user={"id": "U0ALICE"}),
        home_opened(),
        home_opened(user=None),
        {"type": "channel_shared", "channel": {"id": "C0ACME"}},
    ],
)
def test_an_event_its_listener_cannot_read_is_refused(
    bot: SlackSender, slack: FakeSlack, event: dict[str, Any]
) -> None:
    envelope = {"type": "event_callback", "team_id": TEAM_ID, "event": event}
    assert bot.post(json.dumps(envelope), content_type=JSON).status == 400
    time.sleep(0.2)
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []


def test_the_home_tab_as_slack_sends_it_is_published(bot: SlackSender, slack: FakeSlack) -> None:
    assert bot.event(home_opened(user="U0ALICE")).status == 200
    slack.wait_for("views.publish")


def shortcut_without(what: str, slack: FakeSlack) -> dict[str, Any]:
    payload = message_shortcut_payload(text="Notes", response_url=slack.response_url())
    if what == "channel id":
        payload["channel"] = {}
    elif what == "null channel id":
        payload["channel"]["id"] = None
    else:
        del payload["message_ts"], payload["message"]["ts"]
    return payload


@pytest.mark.parametrize("what", ["channel id", "null channel id", "timestamp"])
def test_a_message_shortcut_without_its_message_is_refused(
    bot: SlackSender, slack: FakeSlack, what: str
) -> None:
    assert_refused_and_nothing_ran(bot, slack, shortcut_without(what, slack))


def test_a_message_shortcut_with_only_the_messages_own_timestamp_opens_the_form(
    bot: SlackSender, slack: FakeSlack
) -> None:
    payload = message_shortcut_payload(text="Notes", response_url=slack.response_url())
    del payload["message_ts"]
    assert bot.interaction(payload).status == 200
    slack.opened_view()
