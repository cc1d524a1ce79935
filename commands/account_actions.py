"""Buttons on account messages: show, share, edit, create."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.errors import UserError
from commands.access import Access
from commands.answers import card_blocks
from commands.forms import ModalMeta
from commands.modals import open_modal
from commands.payloads import BlockAction
from commands.text import send_blocks
from commands.views.form import account_form
from store.accounts import get_account
from store.db import Database

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
    with db.transaction() as session:
        blocks = card_blocks(
            session, team_id=click.team_id, account_id=_account_id(click), today=today
        )
    send_blocks(respond, blocks, missing=GONE, replace_original=True)


def handle_share_card(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Post the card in the channel for everyone, credited to whoever shared it."""
    ack()
    click = BlockAction.model_validate(body)
    access.require_view(db, account_id=_account_id(click))
    with db.transaction() as session:
        blocks = card_blocks(
            session,
            team_id=click.team_id,
            account_id=_account_id(click),
            today=today,
            shared_by=click.user_id,
        )
    send_blocks(respond, blocks, missing=GONE, response_type="in_channel", replace_original=False)
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
    channel = click.channel_id if click.channel_id and click.channel_id[:1] in {"C", "G"} else None
    modal = account_form(
        meta=ModalMeta(response_url=click.response_url),
        name=click.value,
        channel_id=channel,
        owner_user_id=click.user_id,
    )
    client.views_open(trigger_id=click.trigger_id, view=modal)
