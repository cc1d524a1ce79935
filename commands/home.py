"""The App Home tab."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk import WebClient

from commands import views
from commands.payloads import AppHomeOpened
from store.accounts import summarise_accounts
from store.db import Database


def handle_app_home_opened(
    event: dict[str, Any], context: dict[str, Any], client: WebClient, db: Database, today: date
) -> None:
    """Publish the user's portfolio on their home tab."""
    opened = AppHomeOpened.model_validate(event)
    if opened.tab != "home":
        return
    with db.transaction() as session:
        mine = summarise_accounts(
            session, team_id=context["team_id"], today=today, owner_user_id=opened.user
        )
    client.views_publish(user_id=opened.user, view=views.home_view(mine, today=today))
