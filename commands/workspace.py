"""Workspace events: the bot removed (with one bot token; OAuth installs are Bolt's), and
channels shared with another organisation, no longer, or changed."""

from __future__ import annotations

import logging
from typing import Any

from commands.access import Access
from commands.ui.ids import Event
from store.channels import forget_channel_fact, record_event
from store.db import Database
from store.types import utcnow

logger = logging.getLogger("accountbot.workspace")


def report_uninstalled(event: dict[str, Any], context: dict[str, Any]) -> None:
    """With one SLACK_BOT_TOKEN there is nothing stored to delete: say loudly that it is dead."""
    logger.warning(
        "Slack reports %s for team %s: SLACK_BOT_TOKEN no longer works; scheduled digests and "
        "reminders will fail until the app is reinstalled and the new token configured",
        event.get("type"),
        context.get("team_id"),
    )


SHARED = (Event.CHANNEL_SHARED, Event.INVITE_ACCEPTED, Event.INVITE_APPROVED)
"""Another organisation can read the channel, or soon will (accepted, awaiting approval)."""
IN_DOUBT = (
    Event.CHANNEL_UNSHARED,  # unless it says the channel is still shared outside
    Event.INVITE_DECLINED,
    Event.CHANNEL_ARCHIVE,
    Event.CHANNEL_UNARCHIVE,
    Event.GROUP_ARCHIVE,
    Event.GROUP_UNARCHIVE,
)
"""The channel changed in a way the event does not say: the next post asks Slack."""
GONE = (Event.CHANNEL_DELETED, Event.GROUP_DELETED)
CHANNEL_EVENTS = (*SHARED, *IN_DOUBT, *GONE)


def channel_changed(event: dict[str, Any], access: Access, db: Database) -> None:
    """Slack says a channel changed: what every process believes of it is rewritten at once
    (`store.channels`), and this process's memory of it (for reading) forgotten. The event
    reaches one process of several; the others read the database before each post."""
    kind = Event(event["type"])
    channel = event["channel"]
    channel_id = str(channel["id"] if isinstance(channel, dict) else channel)
    team_id = access.team_id
    shared = kind in SHARED or (
        kind is Event.CHANNEL_UNSHARED and event.get("is_ext_shared") is True
    )
    with db.transaction() as session:
        if kind in GONE:
            forget_channel_fact(session, team_id=team_id, channel_id=channel_id)
        else:
            record_event(
                session,
                team_id=team_id,
                channel_id=channel_id,
                shared_outside=True if shared else None,
                at=utcnow(),
                source=kind.value,
            )
    access.directory.forget_channel(team_id=team_id, channel_id=channel_id)
    now = (
        "gone"
        if kind in GONE
        else "shared with another organisation"
        if shared
        else "asked about again before the next post"
    )
    logger.info("%s: %s is %s", kind.value, channel_id, now)
