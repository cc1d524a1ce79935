"""Posts of internal content read what Slack last said of their channel from the database, for
every process: while that is younger than CHANNEL_FACTS_MAX_AGE a post costs no Web API call.
Slack's channel events rewrite it at once, whichever process they reach; a fact too old, or
left in doubt by an event, is asked again; Slack failing to answer is never taken for one.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from store.db import Database
from store.enums import Role
from store.models import ChannelFact
from store.types import utcnow
from tests.conftest import bot_settings, serving
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender
from tests.test_delivery_faults import digests
from tests.test_shared_channels import (
    CUSTOMER,
    EXTERNAL,
    channel_event,
    handled,
    posts,
    replies,
    share,
)
from tests.test_stakeholder_map import departed_values, open_form, person, submit

PENDING = {"is_pending_ext_shared": True, "pending_shared": [CUSTOMER]}
"""An invitation to the customer's organisation, not yet accepted: Slack sends no event."""


def shared_in_channel(slack: FakeSlack, token: str) -> bool:
    """Whether the share answered through `token`'s response URL put the card in the channel."""
    return any(c.params.get("response_type") == "in_channel" for c in replies(slack, token))


def refusal(slack: FakeSlack, token: str) -> str:
    [told] = replies(slack, token)
    assert told.params["response_type"] == "ephemeral"
    return str(told.params["text"])


def info_calls(slack: FakeSlack, channel: str) -> int:
    return len([c for c in slack.calls_to("conversations.info") if c.params["channel"] == channel])


def said_long_ago(database: Database, channel: str, *, hours: float = 2) -> None:
    """What Slack said of the channel was said `hours` ago (older than the default bound)."""
    with database.transaction() as session:
        session.execute(
            update(ChannelFact)
            .where(ChannelFact.channel_id == channel)  # type: ignore[arg-type]  # sqlmodel's column
            .values(said_at=utcnow() - timedelta(hours=hours))
        )


def sent_to(sender: SlackSender, event: dict[str, Any], *, timeout: float = 10) -> None:
    """Send Slack's event and wait for its listener (it runs after the ack) to log it. A 503
    (every worker busy) is sent again, as Slack retries it: a worker that has just delivered
    its answer gives its thread back a moment later."""
    deadline = time.monotonic() + timeout
    with handled("accountbot.workspace", f"{event['type']}: ") as done:
        while (status := sender.event(event).status) == 503:
            assert time.monotonic() < deadline, "the pool stayed full"
            time.sleep(0.05)
        assert status == 200
        assert done.wait(timeout)


def test_a_channel_shared_is_refused_by_the_app_that_missed_the_event_with_no_web_api_call(
    database: Database, slack: FakeSlack
) -> None:
    """Two app instances on one database, as two `accountbot run` processes are: Slack's
    `channel_shared` event reaches one; Share in channel on either is refused, from the
    database, without asking Slack."""
    acme = make_account(database, "Acme")
    settings = bot_settings(database, slack)
    with serving(settings, database, slack) as first, serving(settings, database, slack) as second:
        share(second, slack, acme.id, channel="C0GEN", token="before")  # type: ignore[arg-type]
        assert shared_in_channel(slack, "before")

        slack.channels["C0GEN"] = EXTERNAL
        sent_to(first, channel_event("channel_shared", "C0GEN"))
        for sender, token in ((second, "missed"), (first, "told")):
            share(sender, slack, acme.id, channel="C0GEN", token=token)  # type: ignore[arg-type]
            assert "<#C0GEN> is shared with another organisation" in refusal(slack, token)
    assert info_calls(slack, "C0GEN") == 1  # the first share's: the refusals read the database


def test_an_answer_asked_before_an_event_never_undoes_it(
    database: Database, slack: FakeSlack
) -> None:
    """One app asks Slack (not shared yet) while the other is told `channel_shared`; the older
    answer arrives after the event: it is not stored over it, and the next share is refused."""
    acme = make_account(database, "Acme")
    settings = bot_settings(database, slack)
    with serving(settings, database, slack) as first, serving(settings, database, slack) as second:
        held = slack.hold_answer("conversations.info", "C0GEN")
        share(second, slack, acme.id, channel="C0GEN", token="racing")  # type: ignore[arg-type]
        assert held.reached.wait(10)
        slack.channels["C0GEN"] = EXTERNAL
        sent_to(first, channel_event("channel_shared", "C0GEN"))
        held.release.set()
        replies(slack, "racing")  # asked before the share, it was posted: the race Slack allows
        share(second, slack, acme.id, channel="C0GEN", token="after")  # type: ignore[arg-type]
        assert "<#C0GEN> is shared with another organisation" in refusal(slack, "after")
    assert info_calls(slack, "C0GEN") == 1


def test_posts_within_the_bound_ask_slack_once_whichever_process_posts(
    bot: SlackSender, slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """Two shares from the running app and the digest from `accountbot digest --now`, another
    process: one conversations.info among them."""
    acme = make_account(database, "Acme", channel_id="C0ACME", owner_user_id="U0ALICE")
    for token in ("one", "two"):
        share(bot, slack, acme.id, channel="C0ACME", token=token)  # type: ignore[arg-type]
        assert shared_in_channel(slack, token)
    assert "1 sent, 0 failed" in digests(slack, database, tmp_path)
    assert list(posts(slack)) == ["C0ACME"]
    assert info_calls(slack, "C0ACME") == 1


def test_a_fact_older_than_the_bound_is_asked_again(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """An invitation pending sends no event: it is seen once what Slack said is older than
    CHANNEL_FACTS_MAX_AGE (the window the README gives for it)."""
    acme = make_account(database, "Acme")
    for token in ("one", "two"):
        share(bot, slack, acme.id, channel="C0GEN", token=token)  # type: ignore[arg-type]
        assert shared_in_channel(slack, token)
    assert info_calls(slack, "C0GEN") == 1
    slack.channels["C0GEN"] = PENDING
    said_long_ago(database, "C0GEN")
    share(bot, slack, acme.id, channel="C0GEN", token="pending")  # type: ignore[arg-type]
    assert "<#C0GEN> is shared with another organisation" in refusal(slack, "pending")
    assert info_calls(slack, "C0GEN") == 2


def test_with_no_bound_every_post_asks_slack(
    slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """CHANNEL_FACTS_MAX_AGE=0: what Slack said is never believed; each post asks."""
    make_account(database, "Acme", channel_id="C0ACME", owner_user_id="U0ALICE")
    assert "1 sent, 0 failed" in digests(slack, database, tmp_path, CHANNEL_FACTS_MAX_AGE="0")
    slack.channels["C0ACME"] = PENDING  # seconds later; Slack tells no one
    output = digests(
        slack, database, tmp_path, "--force", "--account", "Acme", CHANNEL_FACTS_MAX_AGE="0"
    )
    assert "account:1: sent to U0ALICE by DM instead" in output
    assert info_calls(slack, "C0ACME") == 2


def test_slack_failing_when_asked_is_not_taken_for_an_answer(
    bot: SlackSender, slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """What Slack said is too old and Slack cannot be asked: nothing is posted (the share says
    so, the digest run reports it), and the old fact is not refreshed by the failure."""
    acme = make_account(database, "Acme", channel_id="C0ACME", owner_user_id="U0ALICE")
    share(bot, slack, acme.id, channel="C0ACME", token="before")  # type: ignore[arg-type]
    assert shared_in_channel(slack, "before")
    said_long_ago(database, "C0ACME")
    slack.fault("conversations.info", "status", status=503, times=2, channel="C0ACME")
    share(bot, slack, acme.id, channel="C0ACME", token="down")  # type: ignore[arg-type]
    told = refusal(slack, "down")
    assert "not posted in <#C0ACME>: not checked whether the channel is shared" in told
    output = digests(slack, database, tmp_path)
    assert "0 sent, 1 failed" in output
    assert "account:1: not checked whether the channel is shared" in output
    assert slack.calls_to("chat.postMessage") == []

    share(bot, slack, acme.id, channel="C0ACME", token="back")  # type: ignore[arg-type]
    assert shared_in_channel(slack, "back")
    assert info_calls(slack, "C0ACME") == 4  # the first, the two failed, and Slack back


def invitation(kind: str, channel: str) -> dict[str, Any]:
    """A Slack Connect invitation's event as Slack sends it: the channel is an object."""
    return {
        "type": kind,
        "approval_required": True,
        "invite": {"id": "I0INVITE", "date_created": 1, "date_invalid": 2},
        "channel": {"id": channel, "is_private": False, "is_im": False, "name": "general"},
        "teams_in_channel": [{"id": TEAM_ID}, {"id": CUSTOMER}],
        "event_ts": "1626876010.000100",
    }


@pytest.mark.parametrize(
    "event",
    [
        invitation("shared_channel_invite_accepted", "C0GEN"),
        invitation("shared_channel_invite_approved", "C0GEN"),
        channel_event("channel_unshared", "C0GEN") | {"is_ext_shared": True},
    ],
    ids=["invite accepted", "invite approved", "unshared but still shared"],
)
def test_an_event_saying_the_channel_is_shared_is_believed_at_once(
    bot: SlackSender, slack: FakeSlack, database: Database, event: dict[str, Any]
) -> None:
    acme = make_account(database, "Acme")
    share(bot, slack, acme.id, channel="C0GEN", token="before")  # type: ignore[arg-type]
    assert shared_in_channel(slack, "before")
    sent_to(bot, event)
    share(bot, slack, acme.id, channel="C0GEN", token="after")  # type: ignore[arg-type]
    assert "<#C0GEN> is shared with another organisation" in refusal(slack, "after")
    assert info_calls(slack, "C0GEN") == 1


@pytest.mark.parametrize(
    "event",
    [
        channel_event("channel_unshared", "C0GEN"),
        invitation("shared_channel_invite_declined", "C0GEN"),
        {"type": "channel_archive", "channel": "C0GEN", "user": "U0ALICE"},
        {"type": "channel_unarchive", "channel": "C0GEN", "user": "U0ALICE"},
        {"type": "group_archive", "channel": "C0GEN"},
        {"type": "group_unarchive", "channel": "C0GEN"},
        {"type": "channel_deleted", "channel": "C0GEN"},
        {"type": "group_deleted", "channel": "C0GEN"},
    ],
    ids=lambda event: str(event["type"]),
)
def test_an_event_that_does_not_say_how_the_channel_changed_makes_the_next_post_ask(
    bot: SlackSender, slack: FakeSlack, database: Database, event: dict[str, Any]
) -> None:
    """Slack now says the channel is shared (an invitation it sent no event for): the post
    after the event asks, and is refused."""
    acme = make_account(database, "Acme")
    share(bot, slack, acme.id, channel="C0GEN", token="before")  # type: ignore[arg-type]
    assert shared_in_channel(slack, "before")
    slack.channels["C0GEN"] = PENDING
    sent_to(bot, event)
    share(bot, slack, acme.id, channel="C0GEN", token="after")  # type: ignore[arg-type]
    assert "<#C0GEN> is shared with another organisation" in refusal(slack, "after")
    assert info_calls(slack, "C0GEN") == 2


def test_a_departure_alert_asks_slack_what_only_a_card_asked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Bob's card asked Slack about the account's channel a moment ago (internal then), for
    reading only: the alert does not take the card's answer, it asks, and the channel is
    shared since (with no event): the alert is not posted there."""
    account = make_account(database, "Acme", channel_id="C0ACME")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    assert (
        bot.command("Acme", user_id="U0BOB", response_url=slack.response_url("bob")).status == 200
    )
    replies(slack, "bob")
    assert info_calls(slack, "C0ACME") == 1
    slack.channels["C0ACME"] = PENDING
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values()).body == ""
    notices = replies(slack, "card", count=2)  # the card redrawn, and why there is no alert
    [warning] = [n for n in notices if "departure alert" in n.params.get("text", "")]
    assert "<#C0ACME> is shared with another organisation" in warning.params["text"]
    assert slack.calls_to("chat.postMessage") == []
    assert info_calls(slack, "C0ACME") == 2


def test_a_channel_slack_will_not_describe_is_asked_about_once_per_post(
    bot: SlackSender, slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """A refusal (`channel_not_found`: a private channel the bot was not invited to) is not
    stored: once the bot is invited, the next post goes through."""
    acme = make_account(database, "Acme", channel_id="C0HIDDEN")
    slack.channels["C0HIDDEN"] = {"error": "channel_not_found"}
    share(bot, slack, acme.id, channel="C0HIDDEN", token="hidden")  # type: ignore[arg-type]
    [told] = replies(slack, "hidden")
    assert (
        "Slack would not say who can read <#C0HIDDEN> (`channel_not_found`)"
        in (told.params["text"])
    )
    assert info_calls(slack, "C0HIDDEN") == 1
    output = digests(slack, database, tmp_path)
    assert "account:1: channel_not_found" in output
    assert info_calls(slack, "C0HIDDEN") == 2


def many_accounts(database: Database, slack: FakeSlack, count: int = 12) -> list[str]:
    """`count` accounts of Alice's, each in its own public channel, which Slack lists."""
    channels = [f"C0MANY{n:02d}" for n in range(count)]
    for n, channel in enumerate(channels):
        make_account(database, f"Account {n:02d}", channel_id=channel, owner_user_id="U0ALICE")
    slack.workspace_channels = channels
    return channels


def test_a_teams_digests_list_its_channels_once_instead_of_asking_one_by_one(
    slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """Twelve digests into channels Slack said nothing of lately: conversations.list, read a
    page of five at a time, says what each is (one shared with the customer); no post asks."""
    channels = many_accounts(database, slack)
    slack.list_page = 5
    slack.channels[channels[3]] = EXTERNAL
    output = digests(slack, database, tmp_path)
    assert "12 sent, 0 failed" in output
    assert "account:4: sent to U0ALICE by DM instead" in output
    assert sorted(posts(slack)) == sorted({*channels} - {channels[3]} | {"U0ALICE"})
    assert len(slack.calls_to("conversations.list")) == 3
    assert slack.calls_to("conversations.info") == []


def test_a_channel_the_list_leaves_out_is_asked_about_by_its_post(
    slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """A private channel the bot was not invited to is not listed: its post asks, and Slack
    will not describe it."""
    channels = many_accounts(database, slack)
    slack.channels[channels[0]] = {"error": "channel_not_found"}
    output = digests(slack, database, tmp_path)
    assert "11 sent, 1 failed" in output
    assert "account:1: channel_not_found" in output
    assert [c.params["channel"] for c in slack.calls_to("conversations.info")] == [channels[0]]


def test_a_list_slack_fails_to_give_leaves_each_post_to_ask(
    slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    channels = many_accounts(database, slack)
    slack.fault("conversations.list", "status", status=503)
    assert "12 sent, 0 failed" in digests(slack, database, tmp_path)
    assert sorted(c.params["channel"] for c in slack.calls_to("conversations.info")) == channels
