"""Slack's form bodies are parsed by their content type, whatever the text in their fields.

Bolt guesses an interaction from the substring `payload` anywhere in a form body, so a slash
command naming `payloadco`, typed in `#payload-team`, by `payload.bob` or in the workspace
`payloadinc` used to be dropped as an unhandled request (404).
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.db import Database
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, Call, FakeSlack
from tests.slack_sender import FORM, JSON, Reply, SlackSender, block_actions_payload


def command_with(bot: SlackSender, text: str, **fields: str) -> Reply:
    """`/account <text>` as Slack form-encodes it, with some of its fields replaced."""
    body = dict(parse_qsl(bot.command_body(text), keep_blank_values=True)) | fields
    return bot.post(urlencode(body), content_type=FORM)


def card_title(call: Call) -> str:
    return call.params["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("payloadco", {}),
        ("acme", {"channel_name": "payload-team"}),
        ("acme", {"user_name": "payload.bob"}),
        ("acme", {"team_domain": "payloadinc"}),
        ("acme", {"channel_name": "payload=%7B%7D", "user_name": "{payload}"}),
    ],
)
def test_a_command_mentioning_payload_reaches_the_command(
    bot: SlackSender, slack: FakeSlack, database: Database, text: str, fields: dict[str, str]
) -> None:
    make_account(database, "Acme")
    make_account(database, "PayloadCo")
    reply = command_with(bot, text, **fields)
    assert (reply.status, reply.body) == (200, "")
    [answer] = slack.wait_for("response_url")
    assert card_title(answer) == ("PayloadCo" if text == "payloadco" else "Acme")


def test_a_json_event_and_a_payload_form_still_parse_by_content_type(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    click = block_actions_payload(
        "account.show", str(acme.id), response_url=slack.response_url("click")
    )
    click["actions"][0]["text"]["text"] = "team_id=T0TEST&command=/account&text=payload"
    assert bot.interaction(click).status == 200
    [answer] = slack.wait_for("response_url")
    assert card_title(answer) == "Acme"
    event = {"type": "app_home_opened", "user": "U0ALICE", "tab": "home", "text": "payload="}
    assert bot.event(event).status == 200
    slack.wait_for("views.publish")


def test_a_payload_that_is_not_an_interaction_object_is_refused(bot: SlackSender) -> None:
    for body in ("payload=%22payload%22", "payload=", "payload=%5B%5D"):
        assert bot.post(body, content_type=FORM).status == 400, body
    assert bot.post(json.dumps({"payload": 1}), content_type=JSON).status == 400


TRICKY = st.sampled_from(
    ["payload", "PAYLOAD", "payload=", "payload=%7B%7D", "{", "}", "&", "=", "%", "%2", "+",
     "\n", "\r\n", "\x00", ";", "#", "?", '"', "\\", "<!channel>", "é", "\u2028"]
)  # fmt: skip
FIELD_TEXT = st.lists(st.one_of(st.text(max_size=12), TRICKY), max_size=6).map("".join)
FREE_FIELDS = ("token", "team_domain", "channel_name", "user_name", "text", "api_app_id")
ID_FIELDS = ("user_id", "channel_id")
_EXAMPLE = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    free=st.fixed_dictionaries({name: FIELD_TEXT for name in FREE_FIELDS}),
    ids=st.fixed_dictionaries({name: FIELD_TEXT.filter(bool) for name in ID_FIELDS}),
)
def test_any_text_in_any_field_of_a_slash_command_reaches_the_command(
    bot: SlackSender, slack: FakeSlack, free: dict[str, str], ids: dict[str, str]
) -> None:
    """The command is acknowledged by its handler (not Bolt's 404) and answered, in the channel
    (through the response URL) or as a modal."""
    n = next(_EXAMPLE)
    trigger, response_url = f"{n}.1.trigger", slack.response_url(f"example{n}")
    fields: dict[str, Any] = {
        **free,
        **ids,
        "team_id": TEAM_ID,
        "command": "/account",
        "response_url": response_url,
        "trigger_id": trigger,
    }
    reply = bot.post(urlencode(fields), content_type=FORM)
    assert (reply.status, reply.body) == (200, ""), fields
    slack.wait_until(
        lambda calls: any(
            (c.method == "response_url" and c.path.endswith(f"/example{n}"))
            or (c.method == "views.open" and c.params.get("trigger_id") == trigger)
            for c in calls
        )
    )
