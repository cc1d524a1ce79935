"""Channels shared with another organisation (Slack Connect) never get the internal record.

Account channels are often shared with the customer. The fake answers conversations.info with
Slack's sharing flags; the bot checks them before every post to a channel (remembered a short
while, forgotten on `channel_shared` / `channel_unshared`): digests go to the owner by DM
instead, "Share in channel" and departure alerts are refused with the reason, the card and the
account form say the channel is shared.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from store.db import Database
from store.enums import Influence, Role, Sentiment
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, Call, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_block_action_payload
from tests.test_delivery_faults import digests
from tests.test_stakeholder_map import departed_values, open_form, submit

CUSTOMER = "T0CUSTOMER"
EXTERNAL = {"is_shared": True, "is_ext_shared": True, "shared_team_ids": [TEAM_ID, CUSTOMER]}
"""conversations.info's flags for a Slack Connect channel with the customer's workspace."""
SHARED_WAYS = {
    "C0EXT": EXTERNAL,
    "C0PENDING": {"is_pending_ext_shared": True, "pending_shared": [CUSTOMER]},
    "C0TEAMS": {"is_shared": True, "shared_team_ids": [TEAM_ID, CUSTOMER]},
}
ORG_SHARED = {
    "is_shared": True,
    "is_org_shared": True,
    "shared_team_ids": [TEAM_ID, "T0SISTER"],
    "internal_team_ids": [TEAM_ID, "T0SISTER"],
}
"""Shared between two workspaces of one Enterprise organisation: still inside."""
ORG_AND_OUTSIDE = {
    "C0ORGCONNECTED": ORG_SHARED | {"connected_team_ids": [TEAM_ID, CUSTOMER]},
    "C0ORGNAMED": ORG_SHARED | {"shared_team_ids": [TEAM_ID, "T0SISTER", CUSTOMER]},
    "C0ORGPENDING": ORG_SHARED | {"pending_connected_team_ids": [CUSTOMER]},
}
"""Shared inside the organisation, and also with (or on the way to) a team outside it."""
SHARED = "the channel is shared with another organisation, so internal content stays out"


def posts(slack: FakeSlack) -> dict[str, list[str]]:
    """What chat.postMessage carried, per channel, as JSON text."""
    found: dict[str, list[str]] = {}
    for call in slack.calls_to("chat.postMessage"):
        found.setdefault(call.params["channel"], []).append(json.dumps(call.params))
    return found


def replies(slack: FakeSlack, token: str, *, count: int = 1) -> list[Call]:
    return slack.wait_for(
        "response_url", count=count, where=lambda c: c.path == f"/response/{token}"
    )


def share(bot: SlackSender, slack: FakeSlack, account_id: int, *, channel: str, token: str) -> None:
    click = block_actions_payload(
        "account.share", str(account_id), channel_id=channel, response_url=slack.response_url(token)
    )
    assert bot.interaction(click).status == 200


@contextmanager
def handled(logger: str, text: str) -> Iterator[threading.Event]:
    """Set once `logger` logs a line containing `text`: an event's listener runs after the ack."""
    seen = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    watch = Watch(level=logging.INFO)
    target = logging.getLogger(logger)
    target.addHandler(watch)
    level = target.level
    target.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        target.removeHandler(watch)
        target.setLevel(level)


def channel_event(kind: str, channel: str) -> dict[str, Any]:
    """`channel_shared` / `channel_unshared` as Slack sends them."""
    if kind == "channel_shared":
        return {
            "type": kind,
            "connected_team_id": CUSTOMER,
            "channel": channel,
            "event_ts": f"{time.time():.6f}",
        }
    return {
        "type": kind,
        "previously_connected_team_id": CUSTOMER,
        "channel": channel,
        "is_ext_shared": False,
        "event_ts": f"{time.time():.6f}",
    }


# -- digests -------------------------------------------------------------------------------------


def test_a_shared_channel_never_gets_its_digest_its_owner_does_by_dm(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    acme = make_account(database, "Acme", channel_id="C0EXT", owner_user_id="U0ALICE")
    add_person(
        database,
        acme,
        "Olga Berg",
        Role.DETRACTOR,
        title="Head of IT",
        sentiment=Sentiment.NEGATIVE,
        influence=Influence.HIGH,
    )
    make_account(database, "Pending", channel_id="C0PENDING", owner_user_id="U0BOB")
    make_account(database, "Two Teams", channel_id="C0TEAMS", owner_user_id="U0BOB")
    make_account(database, "Orphan", channel_id="C0EXTORPHAN", owner_user_id=None)
    make_account(database, "Org Wide", channel_id="C0ORG")
    make_account(database, "Plain", channel_id="C0PLAIN")
    slack.channels |= SHARED_WAYS | {"C0EXTORPHAN": EXTERNAL, "C0ORG": ORG_SHARED}
    output = digests(slack, database, tmp_path, DIGEST_PORTFOLIO_CHANNEL="C0LEADS")

    sent = posts(slack)
    assert sorted(sent) == ["C0LEADS", "C0ORG", "C0PLAIN", "U0ALICE", "U0BOB"]
    assert len(sent["U0BOB"]) == 2  # Pending's and Two Teams'
    [to_alice] = sent["U0ALICE"]
    assert "Olga Berg" in to_alice and ":red_circle: *Acme* is *red*" in to_alice
    assert ":lock: Sent to you by DM instead of <#C0EXT>: that channel is shared" in to_alice
    assert "Olga Berg" not in "".join(sent["C0LEADS"] + sent["C0ORG"] + sent["C0PLAIN"])

    assert f"{TEAM_ID} week of 2026-11-23: 6 sent, 1 failed, 0 already sent" in output
    assert f"account:1: sent to U0ALICE by DM instead: {SHARED}" in output
    assert f"account:4: {SHARED}, and the account has no owner to send it to" in output
    [portfolio] = sent["C0LEADS"]
    assert "*Sent to the owner by DM instead* (3)" in portfolio
    assert (
        "*Acme*: <#C0EXT> is shared with another organisation, so its digest went to <@U0ALICE>"
        in portfolio
    )
    assert "*Digests not delivered* (1)" in portfolio and "*Orphan* in <#C0EXTORPHAN>" in portfolio

    again = digests(slack, database, tmp_path, DIGEST_PORTFOLIO_CHANNEL="C0LEADS")
    assert "0 sent, 0 failed, 7 already sent" in again
    assert sum(map(len, posts(slack).values())) == 6  # nothing more


def test_a_channel_shared_since_the_last_digest_is_caught_at_the_next_post(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """The customer joined since: Slack's `channel_shared` event (here to no running process)
    is not needed once what Slack said is older than CHANNEL_FACTS_MAX_AGE (here 0: always)."""
    make_account(database, "Acme", channel_id="C0ACME", owner_user_id="U0ALICE")
    assert "1 sent, 0 failed" in digests(slack, database, tmp_path)
    slack.channels["C0ACME"] = EXTERNAL  # the customer joined the channel since
    output = digests(
        slack, database, tmp_path, "--force", "--account", "Acme", CHANNEL_FACTS_MAX_AGE="0"
    )
    assert f"account:1: sent to U0ALICE by DM instead: {SHARED}" in output
    assert {channel: len(texts) for channel, texts in posts(slack).items()} == {
        "C0ACME": 1,
        "U0ALICE": 1,
    }


def test_a_channel_of_the_organisation_also_shared_outside_it_gets_no_digest(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    """`is_org_shared` is inside only while Slack names no team outside the organisation."""
    for index, channel in enumerate(sorted(ORG_AND_OUTSIDE)):
        make_account(database, f"Account {index}", channel_id=channel, owner_user_id="U0BOB")
    make_account(database, "Org Wide", channel_id="C0ORG")
    slack.channels |= ORG_AND_OUTSIDE | {"C0ORG": ORG_SHARED}
    output = digests(slack, database, tmp_path)
    assert "4 sent, 0 failed" in output
    assert {channel: len(texts) for channel, texts in posts(slack).items()} == {
        "C0ORG": 1,
        "U0BOB": 3,
    }


def test_a_shared_portfolio_channel_gets_nothing_and_the_run_says_so(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    make_account(database, "Acme", channel_id="C0ACME")
    slack.channels["C0LEADS"] = EXTERNAL
    output = digests(slack, database, tmp_path, DIGEST_PORTFOLIO_CHANNEL="C0LEADS")
    assert f"portfolio: {SHARED}" in output
    assert sorted(posts(slack)) == ["C0ACME"]


# -- Share in channel, and Slack's events --------------------------------------------------------


def test_share_in_channel_is_refused_where_another_organisation_reads(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0ACME")
    slack.channels["C0EXT"] = EXTERNAL
    share(bot, slack, acme.id, channel="C0EXT", token="ext")  # type: ignore[arg-type]
    [told] = replies(slack, "ext")
    assert told.params["response_type"] == "ephemeral"
    assert told.params["text"].startswith(
        ":warning: :lock: The card was not posted: <#C0EXT> is shared with another organisation,"
    )
    assert [c for c in slack.calls_to("response_url") if c.params.get("blocks")] == []


def test_channel_shared_and_unshared_events_make_the_running_bot_ask_again(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """What Slack said of a channel is stored for every process; its events rewrite it, so a
    channel shared a moment ago gets nothing more, and one unshared is asked about again."""
    acme = make_account(database, "Acme", channel_id="C0ACME")
    share(bot, slack, acme.id, channel="C0ROOM", token="before")  # type: ignore[arg-type]
    assert replies(slack, "before", count=2)[0].params["response_type"] == "in_channel"

    slack.channels["C0ROOM"] = EXTERNAL
    with handled("accountbot.workspace", "channel_shared: C0ROOM") as forgotten:
        assert bot.event(channel_event("channel_shared", "C0ROOM")).status == 200
        assert forgotten.wait(10)
    share(bot, slack, acme.id, channel="C0ROOM", token="shared")  # type: ignore[arg-type]
    [refused] = replies(slack, "shared")
    assert "<#C0ROOM> is shared with another organisation" in refused.params["text"]

    slack.channels["C0ROOM"] = {}
    with handled("accountbot.workspace", "channel_unshared: C0ROOM") as forgotten:
        assert bot.event(channel_event("channel_unshared", "C0ROOM")).status == 200
        assert forgotten.wait(10)
    share(bot, slack, acme.id, channel="C0ROOM", token="after")  # type: ignore[arg-type]
    assert replies(slack, "after", count=2)[0].params["response_type"] == "in_channel"
    assert slack.calls_to("chat.postMessage") == []


def test_share_in_a_conversation_slack_will_not_describe_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A DM or group DM the bot may not read (`missing_scope`) might include people of another
    organisation: the card stays private."""
    acme = make_account(database, "Acme")
    slack.channels["D0DM"] = {"error": "missing_scope"}
    share(bot, slack, acme.id, channel="D0DM", token="dm")  # type: ignore[arg-type]
    [told] = replies(slack, "dm")
    assert (
        "Slack would not say who can read this conversation (`missing_scope`)"
        in (told.params["text"])
    )


# -- the card, the departure alert, the account form ---------------------------------------------


def card_fields(card: Call) -> str:
    return json.dumps([b for b in card.params["blocks"] if b.get("fields")])


@pytest.mark.parametrize("channel", sorted(SHARED_WAYS))
def test_the_card_marks_a_linked_channel_shared_outside(
    bot: SlackSender, slack: FakeSlack, database: Database, channel: str
) -> None:
    """Marked as far as the bot knows already: Bob's right to see each account made it ask
    Slack about the channel, and the card takes the answer from there."""
    make_account(database, "Acme", channel_id=channel)
    make_account(database, "Inside", channel_id="C0ORG")
    slack.channels |= SHARED_WAYS | {"C0ORG": ORG_SHARED}
    for name, token in (("Acme", "acme"), ("Inside", "inside")):
        url = slack.response_url(token)
        assert bot.command(name, user_id="U0BOB", response_url=url).status == 200
    [acme], [inside] = replies(slack, "acme"), replies(slack, "inside")
    assert f"<#{channel}>\\n:globe_with_meridians: shared with another organisation" in (
        card_fields(acme)
    )
    assert "shared with another organisation" not in card_fields(inside)


def test_an_owners_card_asks_slack_nothing_for_its_mark(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The owner may see the account whatever the channel: no Web API call, so no mark until
    the bot has heard about the channel (here, from a share of the card refused there)."""
    acme = make_account(database, "Acme", channel_id="C0EXT", owner_user_id="U0ALICE")
    slack.channels["C0EXT"] = EXTERNAL
    assert bot.command("Acme", response_url=slack.response_url("first")).status == 200
    [first] = replies(slack, "first")
    assert slack.calls_to("conversations.info") == []
    assert "shared with another organisation" not in card_fields(first)
    share(bot, slack, acme.id, channel="C0EXT", token="ext")  # type: ignore[arg-type]
    replies(slack, "ext")
    assert bot.command("Acme", response_url=slack.response_url("again")).status == 200
    [again] = replies(slack, "again")
    assert "shared with another organisation" in card_fields(again)
    assert len(slack.calls_to("conversations.info")) == 1  # the share's own check


def test_a_departure_alert_is_not_posted_where_another_organisation_reads(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0EXT")
    dana = add_person(database, account, "Dana Lee", Role.CHAMPION)
    slack.channels["C0EXT"] = EXTERNAL
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values()).body == ""
    notices = slack.wait_for("response_url", count=2)
    [warning] = [n for n in notices if "departure alert" in n.params.get("text", "")]
    assert warning.params["text"] == (
        ":warning: :lock: The departure alert was not posted: <#C0EXT> is shared with another "
        "organisation, and the departure alert is internal to your team."
    )
    assert slack.calls_to("chat.postMessage") == []


def warning_of(view: dict[str, Any]) -> str | None:
    """The text under the linked channel of the account form, if any."""
    blocks = view["blocks"]
    at = next(i for i, b in enumerate(blocks) if b.get("block_id") == "channel_id")
    after = blocks[at + 1] if at + 1 < len(blocks) else {}
    return after["elements"][0]["text"] if after.get("block_id") == "channel_warning" else None


def test_the_account_form_warns_when_the_linked_channel_is_shared_outside(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", channel_id="C0EXT")
    slack.channels["C0EXT"] = EXTERNAL
    assert bot.command("edit Acme").status == 200
    form = slack.opened_view()
    assert (warning_of(form) or "").startswith(
        ":warning: <#C0EXT> is shared with another organisation. The bot will post nothing "
        "internal there"
    )

    def pick(channel: str) -> dict[str, Any]:
        picked = {
            "type": "conversations_select",
            "action_id": "account.channel",
            "block_id": "channel_id",
            "selected_conversation": channel,
            "action_ts": f"{time.time():.6f}",
        }
        before = len(slack.calls_to("views.update"))
        assert bot.interaction(view_block_action_payload(form, picked)).status == 200
        updated = slack.wait_for("views.update", count=before + 1)[-1]
        assert updated.params["view_id"] == "V0MODAL" and updated.params["hash"]
        return updated.json_param("view")

    inside = pick("C0PLAIN")
    assert warning_of(inside) is None
    assert [b.get("block_id") for b in inside["blocks"]] == [
        b.get("block_id") for b in form["blocks"] if b.get("block_id") != "channel_warning"
    ]  # the same inputs: Slack keeps what was typed
    assert set(inside) <= {"type", "title", "blocks", "close", "submit", "private_metadata"} | {
        "callback_id"
    }
    assert "<#C0EXT> is shared" in (warning_of(pick("C0EXT")) or "")


def test_a_new_account_started_in_a_shared_channel_warns_at_once(
    bot: SlackSender, slack: FakeSlack
) -> None:
    slack.channels["C0EXT"] = EXTERNAL
    assert bot.command("new Initech", channel_id="C0EXT").status == 200
    assert "<#C0EXT> is shared with another organisation" in (warning_of(slack.opened_view()) or "")
