"""Attacks on the bounded pool (`commands.work`): whatever finds it full is answered, or given
back to Slack to send again; nothing a user or Slack sent is silently lost."""

from __future__ import annotations

import json
import time

from commands.ui.errors import BUSY
from store.db import Database
from tests.conftest import bot_settings, serving
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_block_action_payload
from tests.test_channel_facts import refusal, sent_to, shared_in_channel
from tests.test_shared_channels import EXTERNAL, channel_event, share
from tests.test_work_pool import once_free

HELD = "conversations.info"


def hold_the_only_worker(bot: SlackSender, slack: FakeSlack) -> None:
    """`/account Initech` from Bob (not its owner): its card asks Slack whether Initech's channel
    is private, and that answer is held, so the pool's one worker is busy."""
    slack.hold(HELD)
    url = slack.response_url("held")
    reply = once_free(lambda: bot.command("Initech", user_id="U0BOB", response_url=url))
    assert reply.status == 200 and reply.body == "", reply.body
    slack.wait_for_start(HELD)


def test_a_channel_shared_event_that_finds_the_pool_full_is_given_back_to_slack(
    database: Database, slack: FakeSlack
) -> None:
    """`channel_shared` while every worker is busy: acknowledged 200 it would be lost (Slack
    never sends an acknowledged event again), and the stored "not shared" would let the next
    Share in channel put the internal card in front of the customer. It is answered 503, so
    Slack sends it again, and once it is handled the share is refused."""
    acme = make_account(database, "Acme", channel_id="C0ACME")
    make_account(database, "Initech", channel_id="C0HELD")
    settings = bot_settings(database, slack, work_threads=1, work_queue=0)
    with serving(settings, database, slack) as bot:
        share(bot, slack, acme.id, channel="C0ACME", token="before")  # type: ignore[arg-type]
        assert shared_in_channel(slack, "before")  # Slack said: not shared (stored, fresh)
        slack.channels["C0ACME"] = EXTERNAL
        try:
            hold_the_only_worker(bot, slack)
            busy = bot.event(channel_event("channel_shared", "C0ACME"))
            assert busy.status == 503, (busy.status, busy.body)  # Slack will send it again
        finally:
            slack.release(HELD)
        slack.wait_for("response_url", where=lambda c: c.path == "/response/held")
        sent_to(bot, channel_event("channel_shared", "C0ACME"))  # Slack's retry, now handled
        assert "<#C0ACME> is shared with another organisation" in shared_once_free(
            bot, slack, acme.id
        )  # type: ignore[arg-type]


def shared_once_free(bot: SlackSender, slack: FakeSlack, account_id: int) -> str:
    """Share in channel, clicked again while the answer is "busy": the worker that handled the
    event logs its line a moment before it gives its thread back."""
    for attempt in range(100):
        share(bot, slack, account_id, channel="C0ACME", token=f"after-{attempt}")
        if BUSY not in (told := refusal(slack, f"after-{attempt}")):  # it says ":hourglass: " first
            return told
        time.sleep(0.05)
    raise AssertionError("the pool stayed full")


def test_slack_failing_while_a_form_is_filled_in_is_said_in_the_modal_not_left_loading(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Bob (not the owner) clicks Edit on Acme's card: the loading view opens, then the check
    of his rights asks Slack whether Acme's channel is private, and Slack answers 503. The
    modal he is looking at says Slack is having trouble, rather than stay on "Loading…"."""
    acme = make_account(database, "Acme", channel_id="C0ACME")
    slack.fault("conversations.members", "status", status=503)
    click = block_actions_payload(
        "account.edit", str(acme.id), user_id="U0BOB", response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    [opened] = slack.wait_for("views.open")
    assert opened.json_param("view")["callback_id"] == "loading"
    [updated] = slack.wait_for("views.update")
    assert updated.params["view_id"] == opened.answer["view"]["id"]
    assert "Slack is having trouble" in json.dumps(updated.json_param("view"))


def test_a_choice_inside_a_modal_that_finds_the_pool_full_is_told_in_a_pushed_notice(
    database: Database, slack: FakeSlack
) -> None:
    """The account form's channel select (no response URL: the user looks at the modal)."""
    make_account(database, "Initech", channel_id="C0HELD")
    settings = bot_settings(database, slack, work_threads=1, work_queue=0)
    with serving(settings, database, slack) as bot:
        try:
            hold_the_only_worker(bot, slack)
            form = {"type": "modal", "callback_id": "account.form", "private_metadata": "{}"}
            channel = {
                "type": "conversations_select",
                "action_id": "account.channel",
                "block_id": "channel_id",
                "selected_conversation": "C0OTHER",
            }
            assert bot.interaction(view_block_action_payload(form, channel)).status == 200
            [pushed] = slack.wait_for("views.push")
            assert BUSY in json.dumps(pushed.json_param("view"))
        finally:
            slack.release(HELD)
