"""Workspace events: the bot removed (with one bot token; OAuth installs are Bolt's), and
channels shared with another organisation or no longer."""

from __future__ import annotations

import logging
from typing import Any

from commands.access import Access

logger = logging.getLogger("accountbot.workspace")


def report_uninstalled(event: dict[str, Any], context: dict[str, Any]) -> None:
    """With one SLACK_BOT_TOKEN there is nothing stored to delete: say loudly that it is dead."""
    logger.warning(
        "Slack reports %s for team %s: SLACK_BOT_TOKEN no longer works; scheduled digests and "
        "reminders will fail until the app is reinstalled and the new token configured",
        event.get("type"),
        context.get("team_id"),
    )


def forget_channel(event: dict[str, Any], access: Access) -> None:
    """`channel_shared` / `channel_unshared`: forget what this process remembers of the channel,
    so the next card or form reading it asks again. (Posts ask Slack afresh anyway: the event
    reaches one process of several, and a pending invitation sends none.)"""
    channel_id = str(event.get("channel") or "")
    if not channel_id:
        return
    access.directory.forget_channel(team_id=access.team_id, channel_id=channel_id)
    logger.info("%s: %s will be asked about again", event.get("type"), channel_id)
