"""Opening modals inside Slack's 3-second trigger window, whatever the database is doing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.errors import STORE_DOWN
from commands.access import Access
from commands.forms import ModalMeta
from commands.views.modal import loading_view, notice_view
from store.db import UNAVAILABLE, Database

Build = Callable[[Session], dict[str, Any] | str]
"""Builds the modal from the store; a string instead is a notice to show in its place."""


def open_modal(
    client: WebClient,
    db: Database,
    *,
    trigger_id: str | None,
    title: str,
    build: Build,
    access: Access,
) -> None:
    """Open a loading modal at once (no database work first), then fill it in with views.update;
    a modal for a change the user may not make becomes a notice saying so."""
    opened = client.views_open(trigger_id=trigger_id, view=loading_view(title))
    try:
        with db.transaction() as session:
            built = build(session)
        if not isinstance(built, str):
            built = access.refusal_for(db, ModalMeta.load(built)) or built
    except UNAVAILABLE:  # say so in the modal rather than leave it loading
        built = STORE_DOWN
    view = notice_view(title, built) if isinstance(built, str) else built
    client.views_update(view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=view)


def update_modal(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the modal a block action came from, unless someone changed it meanwhile."""
    current = body["view"]
    client.views_update(view_id=current["id"], hash=current.get("hash"), view=view)
