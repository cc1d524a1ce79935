"""The App Home tab."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from commands.payloads import AppHomeOpened
from commands.replies import assessed_accounts
from commands.ui.views.home import home_view
from store.actions import open_actions_owned_by
from store.db import Database


def home_of(session: Session, *, team_id: str, user_id: str, today: date) -> dict[str, Any]:
    """The user's home tab: their portfolio, renewals ahead and open commitments, read as light
    rows in a fixed number of statements whatever the number of accounts."""
    mine = assessed_accounts(session, team_id=team_id, today=today, owner_user_id=user_id)
    actions = open_actions_owned_by(session, team_id=team_id, user_id=user_id)
    return home_view(mine, actions, today=today)


def publish_home(
    event: dict[str, Any], team_id: str, client: WebClient, db: Database, today: date
) -> None:
    """Publish the user's portfolio, renewals ahead and open commitments on their home tab."""
    opened = AppHomeOpened.model_validate(event)
    if opened.tab != "home":
        return
    with db.reading() as session:
        view = home_of(session, team_id=team_id, user_id=opened.user, today=today)
    client.views_publish(user_id=opened.user, view=view)
