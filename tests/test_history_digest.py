"""The weekly digests and what changed since the last one: the portfolio lists the accounts that
got worse this week first, their move shown, then the rest in the risk order."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine

from store.actions import add_action_item
from store.db import Database
from store.usage import Reading, record_readings
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.test_digests import (  # noqa: F401  (monday_morning: the fixtures' Monday)
    MONDAY,
    TODAY,
    client,
    deliver,
    healthy,
    monday_morning,
    posts,
    risky,
)


def test_the_portfolio_lists_the_accounts_that_got_worse_this_week_first(
    client,  # noqa: F811  (the fixture imported above)
    slack: FakeSlack,
    database: Database,
) -> None:
    risky(database, "Big Risk", "C0BIG")  # red both weeks, the most ARR at stake
    slipping = healthy(database, "Slipping Co", "C0SLIP")  # green, then yellow
    healthy(database, "Calm Co", "C0CALM")
    deliver(database, client, portfolio_channel_id="C0LEADS")
    [first] = posts(slack, "C0LEADS")
    assert "got worse" not in json.dumps(first.json_param("blocks"), ensure_ascii=False)
    slack.calls.clear()
    week_later = MONDAY + timedelta(days=7)
    with (
        time_machine.travel(week_later - timedelta(hours=1), tick=True),
        database.transaction() as session,
    ):
        add_action_item(
            session,
            team_id=TEAM_ID,
            account_id=slipping.id,
            title="Rollout plan",
            due_on=TODAY + timedelta(days=2),  # overdue by next Monday: one risk, yellow
            by_user_id="U0ALICE",
            our_owner_user_id="U0ALICE",
            customer_owner_name="Cara",
        )
    deliver(database, client, now=week_later, portfolio_channel_id="C0LEADS")
    [portfolio] = posts(slack, "C0LEADS")
    text = json.dumps(portfolio.json_param("blocks"), ensure_ascii=False)
    assert "those that got worse this week first, then riskiest first" in text
    assert ":large_green_circle:→:large_yellow_circle: *Slipping Co*" in text
    assert text.index("*Slipping Co*") < text.index("*Big Risk*")
    assert ":red_circle:→" not in text  # Big Risk was red last week too: no move shown


def test_an_account_yellow_only_by_its_usage_gets_its_digest_and_a_step_for_it(
    client,  # noqa: F811  (the fixture imported above)
    slack: FakeSlack,
    database: Database,
) -> None:
    account = healthy(database, "Quiet Usage Co", "C0QUIET")
    with database.transaction() as session:
        record_readings(
            session,
            team_id=TEAM_ID,
            readings=[Reading(account.id, TODAY, 70, adoption_percent=40)],
            by_user_id=None,
            source="import",
        )
    run = deliver(database, client)
    assert run.failed == {}
    [post] = posts(slack, "C0QUIET")
    text = json.dumps(post.json_param("blocks"), ensure_ascii=False)
    assert "core-feature adoption 40%" in text
    assert "Book an enablement session on the core features with Cara" in text
