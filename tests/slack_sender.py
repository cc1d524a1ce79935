"""Sends Slack's real payload shapes to the bot, signed as Slack signs them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.slack_fake import TEAM_ID

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class SlackSender:
    """Posts to `/slack/events` with `X-Slack-Signature` and `X-Slack-Request-Timestamp`."""

    def __init__(self, base_url: str, signing_secret: str, *, response_url: str) -> None:
        self.base_url = base_url
        self.events_url = f"{base_url}/slack/events"
        self.verifier = SignatureVerifier(signing_secret)
        self.response_url = response_url

    def sign(self, body: str, *, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=ts, body=body),
        }

    def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
        url: str | None = None,
    ) -> Reply:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers |= self.sign(body, timestamp=timestamp)
        all_headers |= headers or {}
        request = urllib.request.Request(
            url or self.events_url, data=body.encode(), headers=all_headers, method="POST"
        )
        return _send(request)

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Reply:
        request = urllib.request.Request(self.base_url + path, headers=headers or {}, method="GET")
        return _send(request)

    # -- Slack's payload shapes ----------------------------------------------------------------
    def command_body(
        self,
        text: str,
        *,
        command: str = "/account",
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        team_id: str = TEAM_ID,
        response_url: str | None = None,
    ) -> str:
        """A slash command exactly as Slack form-encodes it."""
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": team_id,
                "team_domain": "test",
                "channel_id": channel_id,
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0ACCOUNTBOT",
                "is_enterprise_install": "false",
                "response_url": response_url or self.response_url,
                "trigger_id": f"{int(time.time())}.1234.abcdef",
            }
        )

    def command(self, text: str, **fields: Any) -> Reply:
        return self.post(self.command_body(text, **fields), content_type=FORM)

    def event(
        self, event: dict[str, Any], *, team_id: str = TEAM_ID, retry: int | None = None
    ) -> Reply:
        """An Events API envelope (`event_callback`) around `event`."""
        envelope = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": "A0ACCOUNTBOT",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{int(time.time() * 1000)}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"} if retry else None
        )
        return self.post(json.dumps(envelope), content_type=JSON, headers=headers)

    def interaction(self, payload: dict[str, Any]) -> Reply:
        """`block_actions`, `view_submission`, shortcuts: form-encoded `payload=<json>`."""
        return self.post(urlencode({"payload": json.dumps(payload)}), content_type=FORM)


def _send(request: urllib.request.Request) -> Reply:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read().decode(), dict(error.headers))


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    user_id: str = "U0ALICE",
    channel_id: str = "C0GENERAL",
    team_id: str = TEAM_ID,
    response_url: str,
    block_id: str = "b1",
) -> dict[str, Any]:
    """A button click on an ephemeral message, shaped as Slack sends `block_actions`."""
    return {
        "type": "block_actions",
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": "A0ACCOUNTBOT",
        "token": "deprecated-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel_id,
            "is_ephemeral": True,
        },
        "trigger_id": f"{int(time.time())}.5678.trigger",
        "team": {"id": team_id, "domain": "test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": "Button", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    *,
    user_id: str = "U0ALICE",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A modal submitted with `values` (block id -> element state), as Slack sends it."""
    submitted = {
        **view,
        "id": view.get("id", "V0MODAL"),
        "team_id": team_id,
        "app_id": "A0ACCOUNTBOT",
        "bot_id": "B0BOT",
        "hash": view.get("hash", "1700000000.abc"),
        "state": {"values": {block: {"value": state} for block, state in values.items()}},
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "test"},
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id,
        },
        "api_app_id": "A0ACCOUNTBOT",
        "token": "deprecated-verification-token",
        "trigger_id": f"{int(time.time())}.9999.trigger",
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def overflow_payload(
    action_id: str, value: str, *, response_url: str, **fields: Any
) -> dict[str, Any]:
    """A choice in an overflow menu (or static select) on a message."""
    payload = block_actions_payload(action_id, "", response_url=response_url, **fields)
    payload["actions"] = [
        {
            "type": "overflow",
            "action_id": action_id,
            "block_id": "p1",
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
            "action_ts": f"{time.time():.6f}",
        }
    ]
    return payload


def message_shortcut_payload(
    *,
    text: str,
    channel_id: str = "C0GENERAL",
    user_id: str = "U0ALICE",
    team_id: str = TEAM_ID,
    message_ts: str = "1763856000.000200",
    response_url: str,
    callback_id: str = "log_message_contact",
) -> dict[str, Any]:
    """A message shortcut (`message_action`) as Slack sends it."""
    return {
        "type": "message_action",
        "token": "deprecated-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": "test"},
        "user": {
            "id": user_id,
            "username": user_id.lower(),
            "team_id": team_id,
            "name": user_id.lower(),
        },
        "channel": {"id": channel_id, "name": "acme"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": f"{int(time.time())}.777.trigger",
        "response_url": response_url,
        "message_ts": message_ts,
        "message": {"type": "message", "user": "U0CUST", "ts": message_ts, "text": text},
    }


def view_block_action_payload(
    view: dict[str, Any],
    action: dict[str, Any],
    *,
    values: dict[str, dict[str, Any]] | None = None,
    user_id: str = "U0ALICE",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A `block_actions` payload from an element inside an open modal."""
    current = {
        **view,
        "id": "V0MODAL",
        "hash": "1700000000.abc",
        "team_id": team_id,
        "state": {"values": {block: {"value": state} for block, state in (values or {}).items()}},
    }
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": team_id},
        "api_app_id": "A0ACCOUNTBOT",
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": "V0MODAL"},
        "trigger_id": f"{int(time.time())}.888.trigger",
        "team": {"id": team_id, "domain": "test"},
        "is_enterprise_install": False,
        "view": current,
        "actions": [action],
    }


def block_suggestion_payload(
    view: dict[str, Any],
    *,
    action_id: str,
    block_id: str,
    value: str,
    team_id: str = TEAM_ID,
    user_id: str = "U0ALICE",
) -> dict[str, Any]:
    """The options request of an external select, as the user types."""
    return {
        "type": "block_suggestion",
        "user": {"id": user_id, "team_id": team_id},
        "team": {"id": team_id, "domain": "test"},
        "api_app_id": "A0ACCOUNTBOT",
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": "V0MODAL"},
        "view": {**view, "id": "V0MODAL", "team_id": team_id},
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
    }
