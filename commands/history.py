"""Paging through an account's history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from commands.access import Access
from commands.replies import history_of, send_blocks
from commands.ui.values import HistoryValue
from store.db import Database


def show_history(
    value: HistoryValue, respond: Callable[..., Any], db: Database, access: Access, today: date
) -> None:
    """The card's History button opens the history privately; Newer and Older turn its page in
    place."""
    with db.reading() as session:
        blocks = history_of(
            session,
            team_id=access.team_id,
            account_id=value.account_id,
            today=today,
            offset=value.offset,
        )
    send_blocks(
        respond,
        blocks,
        missing="That account no longer exists.",
        response_type="ephemeral",
        replace_original=value.page is not None,
    )
