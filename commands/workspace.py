"""A workspace removing the bot, when it runs with one bot token (OAuth installs are Bolt's)."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("accountbot.workspace")


def handle_uninstalled(event: dict[str, Any], context: dict[str, Any]) -> None:
    """With one SLACK_BOT_TOKEN there is nothing stored to delete: say loudly that it is dead."""
    logger.warning(
        "Slack reports %s for team %s: SLACK_BOT_TOKEN no longer works; scheduled digests and "
        "reminders will fail until the app is reinstalled and the new token configured",
        event.get("type"),
        context.get("team_id"),
    )
