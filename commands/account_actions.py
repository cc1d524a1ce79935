"""Buttons on account messages: show, share, edit, create."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.errors import UserError
from commands.access import Access
from commands.answers import card_of
from commands.delivery import Outcome, deliver, is_channel
from commands.forms import ModalMeta
from commands.modals import open_modal
from commands.payloads import BlockAction
from commands.text import fallback_text, send_blocks
from commands.views.form import account_form
from store.accounts import get_account
from store.db import Database

logger = logging.getLogger("accountbot.account_actions")

GONE = "That account no longer exists."


def _account_id(click: BlockAction) -> int:
    account_id = click.value_id()
    if account_id is None:
        raise UserError("That button no longer points at an account.")
    return account_id


def handle_show_account(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """A pick among several matches: replace the choice with the card."""
    ack()
    click = BlockAction.model_validate(body)
    access.require_view(db, account_id=_account_id(click))
    blocks = card_of(db, access, team_id=click.team_id, account_id=_account_id(click), today=today)
    send_blocks(respond, blocks, missing=GONE, replace_original=True)


def handle_share_card(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Post the card in the channel for everyone, credited to whoever shared it; never in a
    channel shared with another organisation (`commands.delivery`), and at most once."""
    ack()
    click = BlockAction.model_validate(body)
    access.require_view(db, account_id=_account_id(click))
    blocks = card_of(
        db,
        access,
        team_id=click.team_id,
        account_id=_account_id(click),
        today=today,
        shared_by=click.user_id,
    )
    if blocks is None:
        raise UserError(GONE)
    if not click.channel_id or not click.response_url:
        raise UserError("This card cannot be shared from here: use `/account` in a channel.")
    delivered = deliver(
        client,
        access.directory,
        team_id=click.team_id,
        channel=click.channel_id,
        text=fallback_text(blocks),
        blocks=blocks,
        response_url=click.response_url,
        replace_original=False,
    )
    if not delivered.sent:
        level = logging.INFO if delivered.outcome is Outcome.SHARED_OUTSIDE else logging.WARNING
        logger.log(level, "card not shared in %s: %s", click.channel_id, delivered.reason)
        raise UserError(delivered.explain("the card", channel=click.channel_id))
    respond(delete_original=True)


def handle_edit_account(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    access: Access,
) -> None:
    """Open the account modal, filled in."""
    ack()
    click = BlockAction.model_validate(body)
    account_id = _account_id(click)

    def build(session: Session) -> dict[str, Any] | str:
        account = get_account(session, team_id=click.team_id, account_id=account_id)
        if account is None:
            return GONE
        meta = ModalMeta(
            account_id=account_id,
            response_url=click.response_url,
            replace_card=True,
            version=account.version,
        )
        return account_form(meta=meta, account=account)

    open_modal(
        client, db, trigger_id=click.trigger_id, title="Edit account", build=build, access=access
    )


def handle_create_account(
    ack: Callable[..., None], body: dict[str, Any], respond: Callable[..., Any], client: WebClient
) -> None:
    """The offer after a name matched nothing: open the new-account modal with that name."""
    ack()
    click = BlockAction.model_validate(body)
    channel = (
        click.channel_id if click.channel_id and is_channel(click.channel_id, dm=False) else None
    )
    modal = account_form(
        meta=ModalMeta(response_url=click.response_url),
        name=click.value,
        channel_id=channel,
        owner_user_id=click.user_id,
    )
    client.views_open(trigger_id=click.trigger_id, view=modal)
