"""A near match never tells someone what they may not see: typing part of a private account's
name (or a small typo of it) answers "No account matches" to a non-member, in a reply and in
the modal `/account edit <partial>` opens, never its name or owner. Typing its exact name keeps
the refusal that names its owner; its members get the card as before."""

from __future__ import annotations

import json

import pytest

from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender

OWNER, STRANGER = "U0ALICE", "U0MALLORY"
SECRET = "Zebulon Other Secret"


@pytest.fixture(autouse=True)
def secret_account(database, slack: FakeSlack) -> None:  # type: ignore[no-untyped-def]
    slack.channels["C0SECRET"] = {"is_private": True, "members": [OWNER]}
    make_account(database, SECRET, channel_id="C0SECRET", owner_user_id=OWNER)
    make_account(database, "Acme", channel_id="C0ACME")


def answer(bot: SlackSender, slack: FakeSlack, text: str, *, user: str, token: str) -> str:
    assert bot.command(text, user_id=user, response_url=slack.response_url(token)).status == 200
    [reply] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return json.dumps(reply.params, ensure_ascii=False)


@pytest.mark.parametrize("typed", ["zebulon other", "zebulon othr secrt", "other secret"])
def test_a_near_match_to_a_private_account_is_no_match_for_a_non_member(
    bot: SlackSender, slack: FakeSlack, typed: str
) -> None:
    said = answer(bot, slack, typed, user=STRANGER, token="near")
    assert f"No account matches *{typed}*." in said
    assert "Zebulon Other Secret" not in said and OWNER not in said and ":lock:" not in said
    # its owner (a member of its channel) still finds it by the same words
    assert '"text": "Zebulon Other Secret"' in answer(bot, slack, typed, user=OWNER, token="own")


def test_the_exact_name_of_a_private_account_keeps_the_refusal_that_names_its_owner(
    bot: SlackSender, slack: FakeSlack
) -> None:
    said = answer(bot, slack, "zebulon other secret", user=STRANGER, token="exact")
    assert f":lock: *{SECRET}* is linked to a private channel you are not in" in said
    assert f"<@{OWNER}>" in said


def test_edit_with_part_of_a_private_accounts_name_opens_no_account_for_a_non_member(
    bot: SlackSender, slack: FakeSlack
) -> None:
    assert bot.command("edit zebulon other", user_id=STRANGER).status == 200
    shown = json.dumps(slack.opened_view(), ensure_ascii=False)
    assert "No account matches *zebulon other*." in shown
    assert "Zebulon Other Secret" not in shown and OWNER not in shown


def test_edit_with_the_exact_name_keeps_the_refusal(bot: SlackSender, slack: FakeSlack) -> None:
    assert bot.command(f"edit {SECRET}", user_id=STRANGER).status == 200
    shown = json.dumps(slack.opened_view(), ensure_ascii=False)
    assert f"*{SECRET}* is linked to a private channel you are not in" in shown


def test_edit_with_part_of_a_name_opens_its_form_for_whoever_may_see_it(
    bot: SlackSender, slack: FakeSlack
) -> None:
    assert bot.command("edit zebulon other", user_id=OWNER).status == 200
    view = slack.opened_view()
    assert view["callback_id"] == "account.form"
    name = next(b for b in view["blocks"] if b.get("block_id") == "name")["element"]
    assert name["initial_value"] == SECRET
