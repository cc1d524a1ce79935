"""App Home: `app_home_opened` publishes the user's portfolio."""

from __future__ import annotations

import json

from store.db import Database
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender


def home_event(user: str, tab: str = "home") -> dict[str, object]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": "1700000000.1",
    }


def test_home_tab_lists_the_users_accounts(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", owner_user_id="U0ALICE", channel_id="C1")
    make_account(database, "Globex", owner_user_id="U0BOB", channel_id="C2")
    assert bot.event(home_event("U0ALICE")).status == 200
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == "U0ALICE"
    view = call.json_param("view")
    assert view["type"] == "home"
    assert "Acme" in json.dumps(view)
    assert "Globex" not in json.dumps(view)


def test_home_tab_for_a_user_without_accounts(bot: SlackSender, slack: FakeSlack) -> None:
    bot.event(home_event("U0NEW"))
    [call] = slack.wait_for("views.publish")
    assert "You own no accounts yet" in json.dumps(call.json_param("view"))


def test_messages_tab_publishes_nothing(bot: SlackSender, slack: FakeSlack) -> None:
    assert bot.event(home_event("U0ALICE", tab="messages")).status == 200
    bot.event(home_event("U0ALICE"))
    slack.wait_for("views.publish")
    assert len(slack.calls_to("views.publish")) == 1
