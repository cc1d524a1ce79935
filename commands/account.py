"""The `/account` slash command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from commands import views
from commands.payloads import AccountRequest, AccountVerb, SlashCommand
from store.accounts import (
    find_account_by_channel,
    find_account_by_name,
    summarise_accounts,
)
from store.db import Database


def handle_account_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    respond: Callable[..., Any],
    db: Database,
    today: date,
) -> None:
    """Ack at once, then answer ephemerally through the response URL."""
    ack()
    slash = SlashCommand.model_validate(command)
    request = AccountRequest.parse(slash.text)
    with db.transaction() as session:
        blocks = account_reply(session, slash=slash, request=request, today=today)
    respond(
        response_type="ephemeral", replace_original=False, text=_fallback(blocks), blocks=blocks
    )


def account_reply(
    session: Session, *, slash: SlashCommand, request: AccountRequest, today: date
) -> list[views.Block]:
    """Decide what `/account` shows, from the parsed request and the store."""
    team_id = slash.team_id
    if request.verb is AccountVerb.HELP:
        return views.help_blocks()
    if request.verb is AccountVerb.SHOW:
        account = find_account_by_name(session, team_id=team_id, name=request.name)
        if account is None:
            return views.not_found_blocks(request.name)
    else:
        account = find_account_by_channel(session, team_id=team_id, channel_id=slash.channel_id)
        if account is None:
            mine = summarise_accounts(
                session, team_id=team_id, today=today, owner_user_id=slash.user_id
            )
            return views.portfolio_blocks(mine, today=today, title="Your accounts")
    [summary] = summarise_accounts(
        session,
        team_id=team_id,
        today=today,
        account_ids=[account.id],  # type: ignore[list-item]
    )
    return views.account_blocks(summary, today=today)


def _fallback(blocks: list[views.Block]) -> str:
    """Notification text: the first header or section of the reply."""
    for block in blocks:
        text = block.get("text", {}).get("text")
        if text:
            return str(text)[:300]
    return "Account"
