"""Paging through an account's history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commands.access import Access
from commands.payloads import BlockAction
from commands.replies import history_of, send_blocks
from commands.ui.errors import UserError
from commands.ui.values import payload_id, payload_offset
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
    account_id = payload_id(parts[0])
    offset = payload_offset(parts[1]) if len(parts) > 1 else None
    if account_id is None or offset is None:
        raise UserError("That button no longer points at an account.")
    access.require_view(db, account_id=account_id)
    with db.reading() as session:
        blocks = history_of(session, team_id=click.team_id, account_id=account_id, offset=offset)
    paging = parts[2:] == ["page"]
    send_blocks(
        respond,
        blocks,
        missing="That account no longer exists.",
        response_type="ephemeral",
        replace_original=paging,
    )
