"""The portfolio digest in its channel leaves out accounts linked to a private channel (or one
the bot cannot see, or one Slack would not describe): everyone in the portfolio channel reads
it, and a private-channel account is only for that channel's members. Its totals are over the
accounts listed; the leads' DMs keep every account."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bot.app import make_client
from bot.settings import Settings
from store.db import Database
from store.leads import TeamLeads, save_leads
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.test_digests import (
    deliver,
    healthy,
    monday_morning,  # noqa: F401  (autouse: the digests' Monday)
    posts,
    risky,
)


@pytest.fixture
def client(settings: Settings):
    return make_client(settings)


def info_calls(slack: FakeSlack) -> Counter[str]:
    return Counter(str(c.params.get("channel")) for c in slack.calls_to("conversations.info"))


def test_the_portfolio_channel_lists_no_private_channel_account_and_the_leads_dm_keeps_all(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Open Risk", "C0OPEN")
    risky(database, "Secret Risk", "C0SECRET")
    risky(database, "Hidden Risk", "C0HIDDEN")
    healthy(database, "Quiet Secret", "C0QUIET")  # green: no channel digest due this week
    healthy(database, "Flaky Co", "C0FLAKY")
    healthy(database, "Calm Co", "C0CALM")
    slack.channels["C0SECRET"] = {"is_private": True}
    slack.channels["C0QUIET"] = {"is_private": True}
    slack.channels["C0HIDDEN"] = {"error": "channel_not_found"}  # the bot is not in it
    slack.fault("conversations.info", "status", channel="C0FLAKY")  # Slack fails: not public
    with database.transaction() as session:
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=("U0LEAD",)))

    deliver(database, client, portfolio_channel_id="C0LEADS")

    [channel] = posts(slack, "C0LEADS")
    shown = json.dumps(channel.json_param("blocks"), ensure_ascii=False) + channel.params["text"]
    assert "Open Risk" in shown and "Calm Co" not in shown
    for secret in ("Secret Risk", "Hidden Risk", "Quiet Secret", "Flaky Co", "C0HIDDEN"):
        assert secret not in shown, secret
    assert "*$600k ARR* in 2 accounts" in shown  # Open Risk and Calm Co only
    assert "$1.8M" not in shown and "*At risk* (1)" in shown
    assert (
        "4 accounts in private channels are not in this post, nor in its totals; "
        "team leads see them in their DM." in shown
    )
    [lead] = posts(slack, "U0LEAD")
    everything = json.dumps(lead.json_param("blocks"), ensure_ascii=False)
    for name in ("Open Risk", "Secret Risk", "Hidden Risk"):
        assert name in everything
    assert "in 6 accounts" in everything and "private channels" not in everything
    # the team's NRR counts every account: in the leads' DM, not where a few were left out
    assert "NRR this month" in everything and "NRR this month" not in shown
    asked = info_calls(slack)
    assert asked["C0QUIET"] == 1 and asked["C0FLAKY"] == 1  # asked once, though no digest due


def test_one_private_account_is_said_in_the_singular(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Open Risk", "C0OPEN")
    healthy(database, "Quiet Secret", "C0QUIET")
    slack.channels["C0QUIET"] = {"is_private": True}
    deliver(database, client, portfolio_channel_id="C0LEADS")
    [channel] = posts(slack, "C0LEADS")
    shown = json.dumps(channel.json_param("blocks"), ensure_ascii=False)
    assert "Quiet Secret" not in shown and "in 1 account ·" in shown
    assert (
        "1 account in a private channel is not in this post, nor in its totals; "
        "team leads get it by DM once an admin names them in /account settings." in shown
    )
