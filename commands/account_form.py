"""Submission of the account modal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from commands.access import Access
from commands.forms import parse_account_form
from commands.modals import update_modal, warn_if_shared
from commands.submissions import Submission, card_form
from store.accounts import create_account, update_account

logger = logging.getLogger("accountbot.account_form")


def _save_account(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Create or change the account; then show its card."""
    values = parse_account_form(view).model_dump()
    if sub.meta.account_id is None:
        return create_account(session, team_id=sub.team_id, **values).id  # type: ignore[return-value]
    update_account(
        session,
        team_id=sub.team_id,
        account_id=sub.meta.account_id,
        expected_version=sub.meta.version,
        **values,
    )
    return sub.meta.account_id


handle_account_form = card_form(_save_account)


def handle_account_channel(
    ack: Callable[..., None], body: dict[str, Any], client: WebClient, access: Access
) -> None:
    """A channel picked in the account form: warn under it when it is shared with another
    organisation (the bot will post nothing internal there), or take the warning away."""
    ack()
    action = (body.get("actions") or [{}])[0]
    view = warn_if_shared(body["view"], access, action.get("selected_conversation"))
    try:
        update_modal(client, body, view)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        logger.info("account form changed meanwhile: its own action redraws it")
