"""The account form's rules beyond its fields: a name is never a word of `/account` (an account
called "Settings" hid `/account settings` from admins), and an account is linked only to a
channel its user could see (a crafted form linked one to a private channel, whose digests then
went there)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.db import Database
from store.models import Account
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_account_form import values

OWNER, MEMBER, STRANGER, ADMIN = "U0ALICE", "U0CAROL", "U0MALLORY", "U0ADMIN"


@pytest.fixture(autouse=True)
def workspace(slack: FakeSlack) -> None:
    slack.channels["C0OPEN"] = {"is_private": False, "members": [OWNER]}
    slack.channels["C0SECRET"] = {"is_private": True, "members": [OWNER, MEMBER]}
    slack.channels["C0HIDDEN"] = {"error": "channel_not_found"}  # private, bot not invited
    slack.users[ADMIN] = {"is_admin": True}


def submit(
    bot: SlackSender,
    slack: FakeSlack,
    *,
    account: Account | None = None,
    user_id: str = OWNER,
    **overrides: Any,
) -> Any:
    """The account form (new, or editing `account`) submitted by `user_id`; Slack's reply."""
    meta = ModalMeta(
        account_id=account.id if account else None,
        version=account.version if account else None,
        response_url=slack.response_url("form"),
    )
    view = account_form(meta=meta, account=account)
    reply = bot.interaction(view_submission_payload(view, values(**overrides), user_id=user_id))
    assert reply.status == 200, reply
    return reply.json() if reply.body else None


def accounts(database: Database) -> dict[str, str | None]:
    with database.transaction() as session:
        return dict(session.execute(select(Account.name, Account.channel_id)).all())  # type: ignore[arg-type]


# -- (a) a name is not a command --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("Settings", "settings"),
        ("  HELP ", "help"),
        ("new", "new"),
        ("Edit", "edit"),
        ("show", "show"),
        ("\uff33\uff45\uff54\uff54\uff49\uff4e\uff47\uff53", "settings"),  # full-width letters
    ],
)
def test_a_new_account_named_like_a_command_is_refused_inline(
    bot: SlackSender, slack: FakeSlack, database: Database, name: str, word: str
) -> None:
    assert submit(bot, slack, name=name) == {
        "response_action": "errors",
        "errors": {
            "name": f"That name is a command of /account: `/account {word}` would not open "
            "this account. Pick another name."
        },
    }
    assert accounts(database) == {}


def test_renaming_an_account_to_a_command_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0OPEN")
    reply = submit(bot, slack, account=acme, name="Settings", channel_id="C0OPEN")
    assert reply["errors"]["name"].startswith("That name is a command of /account")
    assert accounts(database) == {"Acme": "C0OPEN"}


def test_an_account_named_like_a_command_before_the_rule_keeps_working(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """`/account settings` is the settings again; the account opens with `/account show`, and
    its form saves other changes under the name it has."""
    old = make_account(database, "Settings", channel_id="C0OPEN")
    bot.command("settings", user_id=ADMIN)
    assert slack.opened_view()["callback_id"] == "team.settings.menu"
    bot.command("show settings", response_url=slack.response_url("show"))
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/show")
    assert card.params["blocks"][0]["text"]["text"] == "Settings"
    assert submit(bot, slack, account=old, name="Settings", channel_id="C0OPEN") is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/form")
    with database.transaction() as session:
        assert session.scalar(select(Account.seats_licensed)) == 100  # the form's value, saved


# -- (b) only a channel the user could see ----------------------------------------------------

NOT_YOURS = (
    "Pick a channel you are in: this one is private, and Slack does not list you among its "
    "members (if you are one, invite the bot to it first)."
)


@pytest.mark.parametrize("channel", ["C0SECRET", "C0HIDDEN"])
def test_a_private_channel_the_user_is_not_in_is_refused_inline(
    bot: SlackSender, slack: FakeSlack, database: Database, channel: str
) -> None:
    reply = submit(bot, slack, user_id=STRANGER, owner_user_id=STRANGER, channel_id=channel)
    assert reply == {"response_action": "errors", "errors": {"channel_id": NOT_YOURS}}
    assert accounts(database) == {}
    assert slack.calls_to("response_url") == []


@pytest.mark.parametrize(
    ("user_id", "channel"),
    [(STRANGER, "C0OPEN"), (MEMBER, "C0SECRET"), (ADMIN, "C0SECRET"), (ADMIN, "C0HIDDEN")],
)
def test_a_channel_the_user_can_see_or_any_for_an_admin_is_linked(
    bot: SlackSender, slack: FakeSlack, database: Database, user_id: str, channel: str
) -> None:
    assert submit(bot, slack, user_id=user_id, owner_user_id=user_id, channel_id=channel) is None
    slack.wait_for("response_url")  # the new card
    assert accounts(database) == {"Zebra Corp": channel}


def test_relinking_to_a_private_channel_is_checked_keeping_one_is_not(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The owner may change their account; they may not move it into a private channel they
    are not in, but an admin's earlier link stays when they save other changes."""
    acme = make_account(database, "Acme", channel_id="C0OPEN", owner_user_id=STRANGER)
    moved = submit(bot, slack, account=acme, user_id=STRANGER, name="Acme", channel_id="C0SECRET")
    assert moved == {"response_action": "errors", "errors": {"channel_id": NOT_YOURS}}
    assert accounts(database) == {"Acme": "C0OPEN"}

    linked = make_account(database, "Globex", channel_id="C0HIDDEN", owner_user_id=STRANGER)
    kept = submit(
        bot, slack, account=linked, user_id=STRANGER, name="Globex Two", channel_id="C0HIDDEN"
    )
    assert kept is None
    slack.wait_for("response_url")
    assert accounts(database) == {"Acme": "C0OPEN", "Globex Two": "C0HIDDEN"}
