"""The `/account` slash command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient

from commands.answers import answer_account_command
from commands.payloads import AccountRequest, SlashCommand
from commands.text import fallback_text
from store.db import Database


def handle_account_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
) -> None:
    """Ack at once; then open a modal, or answer ephemerally through the response URL."""
    ack()
    slash = SlashCommand.model_validate(command)
    with db.transaction() as session:
        reply = answer_account_command(
            session, slash=slash, request=AccountRequest.parse(slash.text), today=today
        )
    if reply.modal is not None:
        client.views_open(trigger_id=slash.trigger_id, view=reply.modal)
    elif reply.blocks is not None:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=fallback_text(reply.blocks),
            blocks=reply.blocks,
        )
