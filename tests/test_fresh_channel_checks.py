"""Every post of internal content asks Slack about its channel just before posting: once per
post, never from what a process remembers. A channel shared with another organisation since
(an event that reached another process, or an invitation that sends no event at all) gets
nothing, whichever process posts.
"""

from __future__ import annotations

from pathlib import Path

from store.db import Database
from store.enums import Role
from tests.conftest import bot_settings, serving
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_delivery_faults import digests
from tests.test_shared_channels import (
    CUSTOMER,
    EXTERNAL,
    channel_event,
    handled,
    replies,
    share,
)
from tests.test_stakeholder_map import departed_values, open_form, person, submit

PENDING = {"is_pending_ext_shared": True, "pending_shared": [CUSTOMER]}
"""An invitation to the customer's organisation, not yet accepted: Slack sends no event."""


def shared_in_channel(slack: FakeSlack, token: str) -> bool:
    """Whether the share answered through `token`'s response URL put the card in the channel."""
    return any(c.params.get("response_type") == "in_channel" for c in replies(slack, token))


def info_calls(slack: FakeSlack, channel: str) -> int:
    return len([c for c in slack.calls_to("conversations.info") if c.params["channel"] == channel])


def test_a_channel_shared_is_refused_by_the_app_that_missed_the_event(
    database: Database, slack: FakeSlack
) -> None:
    """Two app instances on one database, as two `accountbot run` processes are: Slack's
    `channel_shared` event reaches one; Share in channel on the other is refused too."""
    acme = make_account(database, "Acme")
    settings = bot_settings(database, slack)
    with serving(settings, database, slack) as first, serving(settings, database, slack) as second:
        share(second, slack, acme.id, channel="C0GEN", token="before")  # type: ignore[arg-type]
        assert shared_in_channel(slack, "before")

        slack.channels["C0GEN"] = EXTERNAL
        with handled("accountbot.workspace", "channel_shared: C0GEN") as forgotten:
            assert first.event(channel_event("channel_shared", "C0GEN")).status == 200
            assert forgotten.wait(10)
        for sender, token in ((second, "missed"), (first, "told")):
            share(sender, slack, acme.id, channel="C0GEN", token=token)  # type: ignore[arg-type]
            [refused] = replies(slack, token)
            assert refused.params["response_type"] == "ephemeral"
            assert "<#C0GEN> is shared with another organisation" in refused.params["text"]
    assert info_calls(slack, "C0GEN") == 3  # one per share, none remembered


def test_an_invitation_pending_with_no_event_is_caught_at_the_next_share(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    share(bot, slack, acme.id, channel="C0GEN", token="before")  # type: ignore[arg-type]
    assert shared_in_channel(slack, "before")
    slack.channels["C0GEN"] = PENDING  # seconds later; Slack tells no one
    share(bot, slack, acme.id, channel="C0GEN", token="pending")  # type: ignore[arg-type]
    [refused] = replies(slack, "pending")
    assert "<#C0GEN> is shared with another organisation" in refused.params["text"]
    assert info_calls(slack, "C0GEN") == 2


def test_a_departure_alert_asks_again_what_a_card_just_asked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Bob's card asked Slack about the account's channel a moment ago (internal then); the
    channel is shared since, with no event: the alert is not posted there."""
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
