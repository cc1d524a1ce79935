"""The fake Slack Web API behaves as Slack does toward the real WebClient the bot uses."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.app import make_client
from bot.settings import Settings
from tests.slack_fake import FakeSlack


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
def test_failing_channel_answers_slacks_error(
    settings: Settings, slack: FakeSlack, error: str
) -> None:
    slack.fail_channel("C0BROKEN", error)
    client = make_client(settings)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C0BROKEN", text="hello")
    assert caught.value.response["error"] == error
    assert client.chat_postMessage(channel="C0FINE", text="hello")["ok"] is True


def test_rate_limit_is_retried_after_retry_after(settings: Settings, slack: FakeSlack) -> None:
    slack.rate_limit("chat.postMessage", times=2, retry_after=1)
    started = time.monotonic()
    response = make_client(settings).chat_postMessage(channel="C1", text="hello")
    assert response["ok"] is True
    assert time.monotonic() - started >= 2  # waited Retry-After twice
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]


def test_calls_are_recorded_with_their_parameters(settings: Settings, slack: FakeSlack) -> None:
    make_client(settings).chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["channel"] == "C1"
    assert call.json_param("blocks") == [{"type": "divider"}]
    assert call.headers["Authorization"] == f"Bearer {settings.slack_bot_token}"
