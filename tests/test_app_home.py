"""App Home: my portfolio riskiest first, renewals in 90 days, my open and overdue items."""

from __future__ import annotations

import json
from datetime import timedelta

from store.actions import add_action_item
from store.db import Database
from tests.factories import app_today, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender

TODAY = app_today()


def home_event(user: str, tab: str = "home") -> dict[str, object]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": "1700000000.1",
    }


def test_home_tab_shows_portfolio_renewals_and_my_items(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    soon = make_account(
        database,
        "Acme",
        owner_user_id="U0ALICE",
        channel_id="C1",
        renewal_date=TODAY + timedelta(days=30),
    )
    make_account(
        database,
        "Later Co",
        owner_user_id="U0ALICE",
        channel_id="C2",
        renewal_date=TODAY + timedelta(days=200),
    )
    bobs = make_account(database, "Globex", owner_user_id="U0BOB", channel_id="C3")
    with database.transaction() as session:
        add_action_item(
            session,
            team_id=soon.team_id,
            account_id=soon.id,
            title="Send proposal",
            due_on=TODAY - timedelta(days=2),
            by_user_id="U0ALICE",
            our_owner_user_id="U0ALICE",
        )
        add_action_item(
            session,
            team_id=bobs.team_id,
            account_id=bobs.id,
            title="Help Bob",
            due_on=TODAY + timedelta(days=3),
            by_user_id="U0BOB",
            our_owner_user_id="U0ALICE",
        )
        add_action_item(
            session,
            team_id=bobs.team_id,
            account_id=bobs.id,
            title="Bob's own",
            due_on=TODAY,
            by_user_id="U0BOB",
            our_owner_user_id="U0BOB",
        )
    assert bot.event(home_event("U0ALICE")).status == 200
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U0ALICE"
    view = call.json_param("view")
    assert view["type"] == "home"
    text = json.dumps(view)
    portfolio, renewals, items = (
        text.split('"Renewals within their window"')[0],
        *text.split('"Renewals within their window"')[1].split('"Your action items"'),
    )
    assert "Riskiest first: ARR at stake, then how soon it renews, then severity" in portfolio
    assert "Acme" in portfolio and "Later Co" in portfolio and "Globex" not in portfolio
    assert "Acme" in renewals and "Later Co" not in renewals
    assert items.index("Send proposal") < items.index("Help Bob")
    assert "2 days overdue" in items and "Globex" in items and "Bob's own" not in items
    assert len(view["blocks"]) <= 100


def test_home_tab_for_a_user_without_accounts(bot: SlackSender, slack: FakeSlack) -> None:
    bot.event(home_event("U0NEW"))
    [call] = slack.wait_for("views.publish")
    text = json.dumps(call.json_param("view"))
    assert "You own no accounts yet" in text
    assert "No open action items on your side." in text


def test_messages_tab_publishes_nothing(bot: SlackSender, slack: FakeSlack) -> None:
    assert bot.event(home_event("U0ALICE", tab="messages")).status == 200
    bot.event(home_event("U0ALICE"))
    slack.wait_for("views.publish")
    assert len(slack.calls_to("views.publish")) == 1
