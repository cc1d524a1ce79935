"""Paging through an account's history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.errors import UserError
from commands.access import Access
from commands.answers import history_of
from commands.payloads import BlockAction
from commands.text import send_blocks
from store.db import Database


def handle_history_page(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    db: Database,
    access: Access,
) -> None:
    """`account:offset` opens the history privately; `account:offset:page` turns its page."""
    ack()
    click = BlockAction.model_validate(body)
    parts = click.value.split(":")
    if len(parts) < 2 or not all(p.isdigit() and len(p) < 10 for p in parts[:2]):
        raise UserError("That button no longer points at an account.")
    account_id, offset = int(parts[0]), int(parts[1])
    access.require_view(db, account_id=account_id)
    with db.transaction() as session:
        blocks = history_of(session, team_id=click.team_id, account_id=account_id, offset=offset)
    paging = parts[2:] == ["page"]
    send_blocks(
        respond,
        blocks,
        missing="That account no longer exists.",
        response_type="ephemeral",
        replace_original=paging,
    )
