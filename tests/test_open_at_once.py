"""Forms open inside Slack's 3-second trigger window whatever the store or Slack is doing: nothing
between `/account`'s acknowledgement and `views.open` (or the settings "Change" button and its
`views.push`) waits on the database or on a Web API call for long. The name look-up of the
grammar gives up after half a second; what needs the store then says, in the modal, that it is
not answering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.ui.errors import STORE_DOWN
from store.db import Database
from tests.conftest import bot_settings, serving
from tests.factories import make_account
from tests.slack_fake import Call, FakeSlack
from tests.slack_sender import SlackSender, view_block_action_payload
from tests.test_faults import taken_exclusively

BUSY_SECONDS = 6
"""The bot's wait on a locked SQLite file in these tests: longer than the 5 s a test waits for
`views.open` (so a form that waits it out first is never seen opening), short enough that the
store's refusal then comes soon."""
ADMIN = "U0ADMIN"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'locked.db'}", busy_seconds=BUSY_SECONDS)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def running(store: Database, slack: FakeSlack) -> Iterator[SlackSender]:
    slack.users[ADMIN] = {"is_admin": True}
    with serving(bot_settings(store, slack), store, slack) as sender:
        yield sender


def loading_opened(slack: FakeSlack, method: str = "views.open") -> Call:
    """The one loading view the bot opened (or pushed), as soon as it did."""
    [opened] = slack.wait_for(method)
    assert opened.json_param("view")["callback_id"] == "loading"
    return opened


def filled_in(slack: FakeSlack, opened: Call) -> str:
    """What the modal came to show once built (waiting out the store's busy wait)."""
    [update] = slack.wait_for(
        "views.update",
        timeout=BUSY_SECONDS + 10,
        where=lambda c: c.params.get("view_id") == opened.answer["view"]["id"],
    )
    return json.dumps(update.json_param("view"), ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "title", "user"),
    [
        ("new Globex", "New account", "U0ALICE"),
        ("Acme stakeholder", "Add stakeholder", "U0ALICE"),
        ("settings", "Team settings", ADMIN),
    ],
)
def test_a_form_opens_at_once_while_another_program_holds_the_store(
    store: Database, running: SlackSender, slack: FakeSlack, text: str, title: str, user: str
) -> None:
    make_account(store, "Acme")
    with taken_exclusively(store):
        assert running.command(text, user_id=user).status == 200
        opened = loading_opened(slack)  # while the lock is still held
        assert opened.json_param("view")["title"]["text"] == title
        shown = filled_in(slack, opened)
    if text.startswith("new"):  # the new-account form reads nothing: it opens to be typed in
        assert '"initial_value": "Globex"' in shown
    else:
        assert STORE_DOWN in shown


def test_settings_open_before_slack_says_who_is_an_admin(
    running: SlackSender, slack: FakeSlack
) -> None:
    slack.delay("users.info", BUSY_SECONDS)
    assert running.command("settings", user_id=ADMIN).status == 200
    opened = loading_opened(slack)
    assert slack.calls_to("users.info") == []  # asked only once the loading view was up
    assert "Signal thresholds" in filled_in(slack, opened)


def test_a_settings_section_is_pushed_at_once_while_another_program_holds_the_store(
    store: Database, running: SlackSender, slack: FakeSlack
) -> None:
    running.command("settings", user_id=ADMIN)
    menu = slack.opened_view()
    with taken_exclusively(store):
        click = {"type": "button", "action_id": "settings.section", "value": "thresholds"}
        running.interaction(view_block_action_payload(menu, click, user_id=ADMIN))
        pushed = loading_opened(slack, "views.push")
        assert STORE_DOWN in filled_in(slack, pushed)
