"""Submission of the account modal: validate, write in one transaction, then show the card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk.webhook import WebhookClient

from bot.ids import AccountField
from commands.answers import card_blocks
from commands.forms import AccountFormMeta, FormErrors, parse_account_form
from commands.text import fallback_text
from store.accounts import create_account, update_account
from store.db import Database
from store.errors import StoreError


def handle_account_form(
    ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any], db: Database, today: date
) -> None:
    """Refused input keeps the modal open with errors beside the fields and writes nothing."""
    meta = AccountFormMeta.model_validate_json(view.get("private_metadata") or "{}")
    team_id = view.get("team_id") or body["team"]["id"]
    try:
        form = parse_account_form(view)
        with db.transaction() as session:
            values = form.model_dump()
            if meta.account_id is None:
                account = create_account(session, team_id=team_id, **values)
            else:
                account = update_account(
                    session, team_id=team_id, account_id=meta.account_id, **values
                )
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    except StoreError as refused:
        ack(
            response_action="errors",
            errors={refused.field or AccountField.NAME.value: refused.message},
        )
        return
    ack()
    if meta.response_url:
        with db.transaction() as session:
            blocks = card_blocks(session, team_id=team_id, account_id=account.id, today=today)  # type: ignore[arg-type]
        if blocks:
            WebhookClient(meta.response_url).send(
                text=fallback_text(blocks),
                blocks=blocks,
                response_type="ephemeral",
                replace_original=False,
            )
