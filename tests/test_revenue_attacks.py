"""The revenue report attacked through the signed endpoint: the chart's upload failing at each of
files upload v2's three steps (the report still answered in text, the failure said plainly,
each call made once, and never an invitation to post a chart Slack may already have), and an
account name carrying mentions and links shown as text wherever the report or its chart says
it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from store.db import Database
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_revenue_report import FIRST, answer, portfolio, set_rates

STEPS = ("files.getUploadURLExternal", "file.upload", "files.completeUploadExternal")


def chart_line(shown: str) -> str:
    [line] = [
        e["text"]
        for block in json.loads(shown)["blocks"]
        if block["type"] == "context"
        for e in block["elements"]
        if "chart" in e["text"]
    ]
    return str(line)


@pytest.mark.parametrize(
    ("step", "kind", "said", "calls"),
    [
        ("file.upload", "status", "Slack answered HTTP 503", [1, 1, 0]),
        ("file.upload", "html", "Slack answered HTTP 502", [1, 1, 0]),
        ("file.upload", "reset", "connection reset after sending", [1, 1, 0]),
        ("files.getUploadURLExternal", "status", "Slack answered HTTP 503", [1, 0, 0]),
    ],
)
def test_a_step_before_the_file_is_shared_failing_is_said_plainly(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    step: str,
    kind: str,
    said: str,
    calls: list[int],
) -> None:
    """The upload URL is a plain HTTP request: its 5xx was said as `the connection failed while
    sending (str)`. Nothing is posted before the last step: asking again is safe."""
    portfolio(database)
    set_rates(bot, database, EUR="1.1")
    slack.fault(step, kind)
    shown = answer(bot, slack, "revenue", user_id="U0BOB", token="bob")
    assert "NRR 75%" in shown  # the report is answered in text all the same
    assert chart_line(shown) == f"The chart was not posted ({said}): ask again in a minute."
    assert [len(slack.calls_to(step)) for step in STEPS] == calls


@pytest.mark.parametrize(
    ("kind", "body"),
    [("reset", b""), ("status", b""), ("body", b'{"ok": false, "error": "internal_error"}')],
)
def test_a_lost_answer_to_the_last_step_never_asks_for_the_chart_again(
    bot: SlackSender, slack: FakeSlack, database: Database, kind: str, body: bytes
) -> None:
    """files.completeUploadExternal is what posts the file: with its answer lost, Slack may have
    posted it, so the user is told to look before asking again (a second chart otherwise)."""
    portfolio(database)
    set_rates(bot, database, EUR="1.1")
    slack.fault("files.completeUploadExternal", kind, body=body)
    shown = answer(bot, slack, "revenue", user_id="U0BOB", token="bob")
    assert "NRR 75%" in shown
    line = chart_line(shown)
    assert "may have been posted" in line and "look in your direct messages" in line
    assert "ask again in a minute" not in line
    assert [len(slack.calls_to(step)) for step in STEPS] == [1, 1, 1]


def test_a_refused_upload_is_said_without_inviting_a_retry(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    portfolio(database)
    set_rates(bot, database, EUR="1.1")
    slack.fault(
        "files.getUploadURLExternal", "body", body=b'{"ok": false, "error": "invalid_auth"}'
    )
    shown = answer(bot, slack, "revenue", user_id="U0BOB", token="bob")
    assert "NRR 75%" in shown
    assert chart_line(shown) == "The chart was not posted: Slack refused it (`invalid_auth`)."
    assert slack.calls_to("files.completeUploadExternal") == []


def test_an_account_name_with_mentions_and_links_is_text_in_the_report_and_the_chart(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    name = "Acme <!channel> <https://evil.example|click>"
    make_account(database, name, arr_since=FIRST - timedelta(days=30))  # a month to measure
    shown = json.loads(answer(bot, slack, f"{name} revenue", user_id="U0ALICE", token="a"))
    # a header is plain text: the name as typed, not escaped twice (`&lt;` shown as such)
    assert shown["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": f"Revenue: {name}",
        "emoji": True,
    }
    assert shown["text"] == "Revenue: Acme &lt;!channel&gt; &lt;https://evil.example|click&gt;"
    [done] = slack.wait_for("files.completeUploadExternal")
    # the file's comment is a message: escaped, it pings no one and links nowhere
    assert done.params["initial_comment"] == (
        "NRR and GRR of the 12 months so far, at each month's end: Acme &lt;!channel&gt; "
        "&lt;https://evil.example|click&gt;"
    )


def test_no_chart_is_posted_when_no_month_had_arr_to_measure(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A team with no history, or only new logos: the report says n/a and posts no empty chart
    (one more file in the DM at every ask)."""
    slack.users["U0ADMIN"] = {"is_admin": True}
    make_account(database, "New logo")  # its ARR is new today: no month starts with it
    shown = answer(bot, slack, "revenue", user_id="U0ADMIN", token="team")
    assert "*NRR n/a* (no ARR at the start)" in shown
    assert "No chart: no month had ARR at its start to measure." in shown
    assert [len(slack.calls_to(step)) for step in STEPS] == [0, 0, 0]


def test_an_accounts_revenue_asked_in_its_slack_connect_channel_stays_with_the_user(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Typed in the channel shared with the customer: the figures are answered ephemerally
    (only the user sees them), the chart goes to the user's DM, nothing is posted in it."""
    slack.channels["C0ACME"] = {
        "is_shared": True,
        "is_ext_shared": True,
        "shared_team_ids": ["T0TEST", "T0CUSTOMER"],
    }
    make_account(database, "Acme", arr_since=FIRST - timedelta(days=30))
    token = "shared"
    reply = bot.command(
        "Acme revenue",
        channel_id="C0ACME",
        user_id="U0ALICE",
        response_url=slack.response_url(token),
    )
    assert reply.status == 200
    [said] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    assert said.params["response_type"] == "ephemeral" and "NRR 100%" in json.dumps(said.params)
    [done] = slack.wait_for("files.completeUploadExternal")
    assert done.params["channel_id"] == "D0ALICE"
    assert slack.calls_to("chat.postMessage") == []
    assert all(c.params.get("channel") != "C0ACME" for c in slack.calls_to("chat.postEphemeral"))
