"""What Slack's answer to a post means, through the real CLI (`accountbot digest --now`,
`accountbot remind --now`) and the signed HTTP endpoint.

- Any 5xx after the request was written is uncertain, whatever error code its body carries:
  recorded failed, reported, never sent again by itself. Only a 429 and a refused connection are
  "not sent"; so are `service_unavailable` and `request_timeout` when they come with a 200 (Slack
  documents them as the service being unavailable and the POST data missing or truncated, with
  no word that part of the call may have been done, unlike `internal_error`).
- An answer that parses but is not what Slack sends (`[1]`, `"ok"`, bytes that are not UTF-8,
  `{"ok": true}` without the expected fields) fails that one delivery with its reason, never
  the run; a bad `conversations.info` answer before a post means nothing was sent: the digest
  is posted by the next run; a bad `users.info` answer skips that owner for this run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from store.db import Database
from store.enums import Role
from tests.factories import add_item, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_delivery_faults import (
    DUE,
    arrived,
    digests,
    ledger,
    remind,
    reminder_claims,
)
from tests.test_stakeholder_map import departed_values, open_form, person, submit

NOT_OBJECTS = {
    "list": b"[1]",
    "string": b'"ok"',
    "not_utf8": b'{"ok": true, "ts": "\xff\xfe"}',
}
"""Answers that are JSON (or nearly) but not an object Slack sends."""


def lines_about(output: str, text: str) -> list[str]:
    """The log lines (not the summary the command prints) that mention `text`."""
    return [line for line in output.splitlines() if text in line and "WARNING" in line]


# -- 5xx: uncertain, whatever the body says ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, b'{"ok": false, "error": "service_unavailable"}'),
        (504, b'{"ok": false, "error": "request_timeout"}'),
        (500, b'{"ok": false, "error": "ratelimited"}'),
    ],
)
def test_a_digest_answered_with_a_5xx_is_reported_and_never_posted_again(
    database: Database, slack: FakeSlack, tmp_path: Path, status: int, body: bytes
) -> None:
    make_account(database, "Acme", channel_id="C0ACME")
    make_account(database, "Globex", channel_id="C0GLOBEX")
    slack.fault("chat.postMessage", "body", status=status, body=body, channel="C0ACME")
    output = digests(slack, database, tmp_path)
    assert "1 sent, 1 failed, 0 already sent" in output
    reason = f"uncertain: Slack answered HTTP {status}, so it may or may not have been posted"
    assert ledger(database)["C0ACME"] == ("failed", reason)
    assert f"account:1: {reason}" in output
    assert len(lines_about(output, "C0ACME")) == 1  # logged once, where it is known best
    assert "0 sent, 0 failed, 2 already sent" in digests(slack, database, tmp_path)
    assert arrived(slack) == {"C0ACME": 1, "C0GLOBEX": 1}


@pytest.mark.parametrize("code", ["service_unavailable", "request_timeout", "ratelimited"])
def test_a_digest_slack_turned_away_with_a_200_is_posted_by_the_next_run(
    database: Database, slack: FakeSlack, tmp_path: Path, code: str
) -> None:
    make_account(database, "Acme", channel_id="C0ACME")
    body = f'{{"ok": false, "error": "{code}"}}'.encode()
    slack.fault("chat.postMessage", "body", body=body, channel="C0ACME")
    output = digests(slack, database, tmp_path)
    assert "0 sent, 1 failed" in output and f"account:1: {code}" in output
    assert ledger(database) == {}  # given back
    assert "1 sent, 0 failed" in digests(slack, database, tmp_path)
    assert arrived(slack) == {"C0ACME": 2}


def test_a_reminder_answered_with_a_503_keeps_its_claim_and_is_not_sent_again(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    account = make_account(database, "Acme")
    add_item(database, account, "Send the security questionnaire", DUE)
    slack.fault("chat.postMessage", "status", status=503, channel="U0ALICE")
    output = remind(slack, database, tmp_path)
    assert "0 reminder(s) sent, 1 failed" in output
    assert "item 1: uncertain: Slack answered HTTP 503" in output
    assert len(lines_about(output, "U0ALICE")) == 1
    assert reminder_claims(database) == 1
    assert "0 reminder(s) sent, 0 failed" in remind(slack, database, tmp_path)
    assert arrived(slack) == {"U0ALICE": 1}


def test_a_departure_alert_answered_with_a_503_says_it_may_be_there(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    slack.fault("chat.postMessage", "status", status=503, channel="C0ACME")
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values()).body == ""
    notices = slack.wait_for("response_url", count=2)
    [warning] = [n for n in notices if "departure alert" in n.params.get("text", "")]
    text = warning.params["text"]
    assert "may or may not be in <#C0ACME>" in text and "Slack answered HTTP 503" in text
    assert "not sent" not in text
    assert arrived(slack) == {"C0ACME": 1}


# -- answers that parse but are not Slack's ------------------------------------------------------


def test_digest_posts_answered_with_something_that_is_not_an_object_fail_alone(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    channels = {name: f"C0{name.upper().replace('_', '')}" for name in NOT_OBJECTS}
    for name, channel in channels.items():
        make_account(database, f"Account {name}", channel_id=channel)
        slack.fault("chat.postMessage", "body", body=NOT_OBJECTS[name], channel=channel)
    make_account(database, "Fine", channel_id="C0FINE")
    make_account(database, "Bare", channel_id="C0BARE")
    slack.fault("chat.postMessage", "body", body=b'{"ok": true}', channel="C0BARE")
    output = digests(slack, database, tmp_path)
    assert "2 sent, 3 failed, 0 already sent" in output
    assert "Traceback" not in output
    rows = ledger(database)
    assert rows["C0FINE"] == ("sent", None) and rows["C0BARE"] == ("sent", None)  # Slack said ok
    for channel in channels.values():
        status, error = rows[channel]
        assert status == "failed" and error is not None and error.startswith("uncertain: ")
        assert "so it may or may not have been posted" in error
    assert "not valid UTF-8" in rows[channels["not_utf8"]][1]  # type: ignore[operator]
    assert "not a JSON object" in rows[channels["list"]][1]  # type: ignore[operator]
    assert "0 sent, 0 failed, 5 already sent" in digests(slack, database, tmp_path)
    assert arrived(slack) == dict.fromkeys([*channels.values(), "C0FINE", "C0BARE"], 1)


@pytest.mark.parametrize(
    "body",
    [b"[1]", b'{"ok": true}', b'{"ok": true, "channel": "C1"}', b'{"ok": true, "channel": {}}'],
)
def test_a_bad_channel_answer_before_a_post_gives_the_digest_to_the_next_run(
    database: Database, slack: FakeSlack, tmp_path: Path, body: bytes
) -> None:
    make_account(database, "Acme", channel_id="C0ACME")
    make_account(database, "Globex", channel_id="C0GLOBEX")
    slack.fault("conversations.info", "body", body=body, channel="C0ACME")
    output = digests(slack, database, tmp_path)
    assert "1 sent, 1 failed" in output and "Traceback" not in output
    assert "account:1: not checked whether the channel is shared" in output
    assert "C0ACME" not in ledger(database)  # not left "sending": nothing was posted
    assert arrived(slack) == {"C0GLOBEX": 1}
    assert "1 sent, 0 failed, 1 already sent" in digests(slack, database, tmp_path)
    assert arrived(slack) == {"C0ACME": 1, "C0GLOBEX": 1}


def test_reminders_answered_badly_fail_alone_and_the_run_goes_on(
    database: Database, slack: FakeSlack, tmp_path: Path
) -> None:
    account = make_account(database, "Acme")
    owners = ["U0LIST", "U0STRING", "U0NOTUTF8", "U0FINE"]
    for owner in owners:
        add_item(database, account, f"Item of {owner}", DUE, our_owner_user_id=owner)
    for owner, body in zip(owners, NOT_OBJECTS.values(), strict=False):
        slack.fault("chat.postMessage", "body", body=body, channel=owner)
    output = remind(slack, database, tmp_path)
    assert "1 reminder(s) sent, 3 failed" in output and "Traceback" not in output
    for item in (1, 2, 3):
        assert f"item {item}: uncertain: " in output
    assert reminder_claims(database) == 4  # none sent again
    assert "0 reminder(s) sent, 0 failed" in remind(slack, database, tmp_path)
    assert arrived(slack) == dict.fromkeys(owners, 1)


@pytest.mark.parametrize("body", [b"[1]", b'{"ok": true}', b'{"ok": true, "user": {"tz": 5}}'])
def test_a_bad_users_info_answer_skips_that_owner_for_this_run_only(
    database: Database, slack: FakeSlack, tmp_path: Path, body: bytes
) -> None:
    account = make_account(database, "Acme")
    add_item(database, account, "Item of Alice", DUE, our_owner_user_id="U0ALICE")
    add_item(database, account, "Item of Bob", DUE, our_owner_user_id="U0BOB")
    slack.fault("users.info", "body", body=body, channel="U0ALICE")
    output = remind(slack, database, tmp_path)
    assert "1 reminder(s) sent, 0 failed" in output and "Traceback" not in output
    assert len(lines_about(output, "U0ALICE")) == 1
    assert arrived(slack) == {"U0BOB": 1}
    assert "1 reminder(s) sent, 0 failed" in remind(slack, database, tmp_path)
    assert arrived(slack) == {"U0ALICE": 1, "U0BOB": 1}
