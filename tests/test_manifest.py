"""`manifest.yml` is a valid Slack app manifest and matches what the code handles, both ways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.workspaces import BOT_SCOPES
from commands.ui.ids import Command, Event, Shortcut
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "data" / "slack" / "manifest.schema.json"
"""Slack's published manifest schema (MIT), kept in the repository with its licence."""


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text()))


def test_the_schema_catches_a_misspelt_key(manifest: dict[str, Any]) -> None:
    misspelt = {**manifest, "settings": {**manifest["settings"], "socket_mode_enable": True}}
    with pytest.raises(jsonschema.ValidationError, match="socket_mode_enable"):
        jsonschema.validate(misspelt, json.loads(SCHEMA.read_text()))


def test_every_command_the_code_handles_is_declared_and_the_reverse(
    manifest: dict[str, Any],
) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == {c.value for c in Command}


def test_every_event_the_code_handles_is_declared_and_the_reverse(manifest: dict[str, Any]) -> None:
    declared = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert declared == {e.value for e in Event}


def test_every_shortcut_the_code_handles_is_declared_and_the_reverse(
    manifest: dict[str, Any],
) -> None:
    declared = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert declared == {s.value for s in Shortcut}


def test_the_scopes_are_those_the_oauth_install_asks_for(manifest: dict[str, Any]) -> None:
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)


def test_interactivity_app_home_and_socket_mode_are_on(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_every_declared_command_is_really_handled(
    manifest: dict[str, Any], bot: SlackSender, slack: FakeSlack
) -> None:
    """Bolt answers 404 to a request no listener takes; each declared command gets an answer."""
    for entry in manifest["features"]["slash_commands"]:
        assert bot.command("help", command=entry["command"]).status == 200
    slack.wait_for("response_url", count=len(manifest["features"]["slash_commands"]))
    assert bot.command("help", command="/not-ours").status == 404


def test_every_declared_event_is_really_handled(manifest: dict[str, Any], bot: SlackSender) -> None:
    for event_type in manifest["settings"]["event_subscriptions"]["bot_events"]:
        invitation = event_type.startswith("shared_channel_invite")  # its channel: an object
        event = {
            "type": event_type,
            "user": "U0ALICE",
            "channel": {"id": "C0ALICE"} if invitation else "D0ALICE",
            "tab": "home",
            "event_ts": "1.2",
        }
        assert bot.event(event).status == 200
    assert bot.event({"type": "reaction_added", "user": "U0ALICE", "event_ts": "1.2"}).status == 404
