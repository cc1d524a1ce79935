"""Buttons on account messages, clicked through the signed endpoint as `block_actions`."""

from __future__ import annotations

import json

from store.db import Database
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload


def click(bot: SlackSender, slack: FakeSlack, action_id: str, value: str, **fields: object) -> int:
    payload = block_actions_payload(
        action_id, value, response_url=slack.response_url("click"), **fields
    )
    return bot.interaction(payload).status


def test_share_posts_the_card_in_channel_and_removes_the_private_copy(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    assert click(bot, slack, "account.share", str(account.id), user_id="U0BOB") == 200
    shared, deleted = slack.wait_for("response_url", count=2)
    assert shared.params["response_type"] == "in_channel"
    assert shared.params["blocks"][0]["text"]["text"] == "Acme"
    text = json.dumps(shared.params["blocks"])
    assert "shared by <@U0BOB>" in text
    assert not [
        b for b in shared.params["blocks"] if b["type"] == "actions"
    ]  # no buttons for everyone
    assert deleted.params["delete_original"] is True


def test_edit_button_opens_the_filled_modal(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    click(bot, slack, "account.edit", str(account.id))
    view = slack.opened_view()
    assert json.loads(view["private_metadata"]) == {
        "account_id": account.id,
        "response_url": slack.response_url("click"),
        "replace_card": True,
        "version": 1,
    }
    assert view["blocks"][0]["element"]["initial_value"] == "Acme"


def test_create_button_opens_the_new_account_modal_with_the_typed_name(
    bot: SlackSender, slack: FakeSlack
) -> None:
    click(bot, slack, "account.create", "Zebra Corp", channel_id="C0ZEBRA", user_id="U0BOB")
    view = slack.wait_for("views.open")[0].json_param("view")  # no database work: opened directly
    by_block = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert by_block["name"]["initial_value"] == "Zebra Corp"
    assert by_block["channel_id"]["initial_conversation"] == "C0ZEBRA"
    assert by_block["owner_user_id"]["initial_user"] == "U0BOB"
    assert "pick them with *Edit account* once it is created" in json.dumps(view)  # no store read


def test_a_button_for_another_teams_account_shows_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = make_account(database, "Theirs", team_id="T0OTHER")
    for action in ("account.show", "account.share", "account.edit"):
        assert click(bot, slack, action, str(theirs.id)) == 200
    replies = slack.wait_for("response_url", count=2)
    assert all("That account no longer exists." in r.params["text"] for r in replies)
    assert all("Theirs" not in json.dumps(r.params) for r in replies)
    notice = slack.opened_view()
    assert "That account no longer exists." in json.dumps(notice)
    assert "Theirs" not in json.dumps(notice)


def test_a_forged_button_value_gets_a_clear_refusal(bot: SlackSender, slack: FakeSlack) -> None:
    assert click(bot, slack, "account.show", "1 OR 1=1") == 200
    [reply] = slack.wait_for("response_url")
    assert reply.params["text"] == ":warning: That button no longer points at an account."
    assert reply.params["response_type"] == "ephemeral"


def test_an_unsigned_click_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    from urllib.parse import urlencode

    account = make_account(database, "Acme")
    payload = block_actions_payload(
        "account.share", str(account.id), response_url=slack.response_url()
    )
    body = urlencode({"payload": json.dumps(payload)})
    assert (
        bot.post(body, content_type="application/x-www-form-urlencoded", signed=False).status == 401
    )
    assert slack.calls_to("response_url") == []
