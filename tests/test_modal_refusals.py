"""Slack turning down a modal call (a trigger that expired, a modal the user closed meanwhile)
or failing it: the user is told in plain words, the log says WARNING, and no error id appears.
The settings menu's "Change" button has no response URL: what went wrong is shown in the menu.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from store.db import Database
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, view_block_action_payload
from tests.test_team_settings import ADMIN, open_menu

NO_ERROR_ID = "Something went wrong on our side"


def refusal(code: str) -> bytes:
    return json.dumps({"ok": False, "error": code}).encode()


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def warned(caplog: pytest.LogCaptureFixture, text: str) -> bool:
    return any(r.levelno == logging.WARNING and text in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("code", ["expired_trigger_id", "invalid_trigger_id"])
def test_a_form_slack_would_not_open_in_time_asks_to_try_again(
    bot: SlackSender, slack: FakeSlack, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    caplog.set_level(logging.INFO)
    slack.fault("views.open", "body", body=refusal(code))
    assert bot.command("new Initech", response_url=slack.response_url("new")).status == 200
    [told] = slack.replies_to("new") or slack.wait_for("response_url")
    assert told.params["response_type"] == "ephemeral"
    assert told.params["text"] == (
        ":warning: Slack took too long to open the form, so it did not open. Please try again."
    )
    assert problems(caplog) == []
    assert warned(caplog, code)


def test_a_loading_form_closed_before_it_was_filled_in_is_said_without_an_error_id(
    bot: SlackSender, slack: FakeSlack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    make_account(database, "Acme")
    slack.fault("views.update", "body", body=refusal("not_found"))
    assert bot.command("edit Acme", response_url=slack.response_url("edit")).status == 200
    [told] = slack.wait_for("response_url")
    assert told.params["text"].startswith(":warning: The form was closed before it was ready")
    assert NO_ERROR_ID not in told.params["text"]
    assert len(slack.calls_to("views.update")) == 1  # nothing more to fill in
    assert problems(caplog) == []
    assert warned(caplog, "not_found")


def click_change(bot: SlackSender, menu: dict[str, Any], section: str) -> None:
    action = {"type": "button", "action_id": "settings.section", "value": section}
    assert bot.interaction(view_block_action_payload(menu, action, user_id=ADMIN)).status == 200


def menu_notice(slack: FakeSlack) -> str:
    """What the settings menu (the view the button is in) was replaced with."""
    [updated] = slack.wait_for("views.update", count=2)[1:]
    assert updated.params["view_id"] == "V0MODAL"
    return json.dumps(updated.json_param("view"))


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (
            {"kind": "status", "status": 503},
            "Slack is having trouble right now (it answered HTTP 503)",
        ),
        (
            {"kind": "body", "body": refusal("expired_trigger_id")},
            "Slack took too long to open the form, so it did not open. Please try again.",
        ),
    ],
)
def test_a_settings_form_slack_did_not_push_is_said_in_the_menu(
    bot: SlackSender,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    says: str,
) -> None:
    caplog.set_level(logging.INFO)
    slack.users[ADMIN] = {"is_admin": True}
    menu = open_menu(bot, slack)
    slack.fault("views.push", **fault)
    click_change(bot, menu, "digests")
    assert says in menu_notice(slack)
    assert len(slack.calls_to("views.push")) == 1  # never pushed twice
    assert problems(caplog) == []


def test_a_settings_button_refused_says_why_in_a_pushed_notice(
    bot: SlackSender, slack: FakeSlack
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    menu = open_menu(bot, slack)
    click_change(bot, menu, "billing")
    [pushed] = slack.wait_for("views.push")
    assert "That button no longer points at a setting." in json.dumps(pushed.json_param("view"))
