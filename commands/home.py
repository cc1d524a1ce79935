"""The App Home tab."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk import WebClient

from commands.payloads import AppHomeOpened
from commands.replies import assessed_accounts
from commands.ui.views.home import home_view
from store.actions import open_actions_owned_by
from store.db import Database


def publish_home(
    event: dict[str, Any], team_id: str, client: WebClient, db: Database, today: date
) -> None:
    """Publish the user's portfolio, renewals ahead and open commitments on their home tab."""
    opened = AppHomeOpened.model_validate(event)
    if opened.tab != "home":
        return
    with db.reading() as session:
        mine = assessed_accounts(session, team_id=team_id, today=today, owner_user_id=opened.user)
        actions = open_actions_owned_by(session, team_id=team_id, user_id=opened.user)
    client.views_publish(user_id=opened.user, view=home_view(mine, actions, today=today))
