"""Submission of the account modal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.ids import AccountField
from commands.access import Access, target_account
from commands.forms import AccountForm, FormErrors, ModalMeta, parse_account_form
from commands.modals import update_modal, warn_if_shared
from commands.payloads import command_word
from commands.submissions import Submission, submit_and_show_card
from store.accounts import create_account, update_account
from store.db import Database
from store.models import Account
from store.names import name_key

logger = logging.getLogger("accountbot.account_form")

NOT_YOURS = (
    "Pick a channel you are in: this one is private, and Slack does not list you among its "
    "members (if you are one, invite the bot to it first)."
)


def handle_account_form(
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Create or change the account, then show its card. Beyond its fields, the form may not
    name the account like a word of `/account`, nor link it to a private channel the user is
    not in (an admin may): what the form changes is checked here, before the write, since
    Slack is never asked inside a transaction. Someone who may not change the account at all
    is told so by the write's own check, first."""
    meta = ModalMeta.load(view)
    current = (
        None if meta.account_id is None else target_account(db, team_id=access.team_id, meta=meta)
    )
    if current is None or access.change_refusal(current) is None:
        try:
            form = parse_account_form(view)
        except FormErrors as refused:
            ack(response_action="errors", errors=refused.errors)
            return
        if errors := _refusals(form, current, access):
            ack(response_action="errors", errors=errors)
            return
    submit_and_show_card(
        ack,
        body=body,
        view=view,
        db=db,
        today=today,
        write=lambda session, submission: _save_account(session, submission, view),
        access=access,
    )


def _refusals(form: AccountForm, current: Account | None, access: Access) -> dict[str, str]:
    """Inline errors for a name that is a command, or a channel the user may not link; only
    when the form changes them (an account named or linked so before keeps its name or link)."""
    errors: dict[str, str] = {}
    renamed = current is None or name_key(current.name) != name_key(form.name)
    if renamed and (word := command_word(form.name)):
        errors[AccountField.NAME] = (
            f"That name is a command of /account: `/account {word}` would not open this "
            "account. Pick another name."
        )
    relinked = form.channel_id and (current is None or current.channel_id != form.channel_id)
    if relinked and not access.can_link(form.channel_id):  # type: ignore[arg-type]
        errors[AccountField.CHANNEL] = NOT_YOURS
    return errors


def _save_account(session: Session, sub: Submission, view: dict[str, Any]) -> int:
    """Create or change the account (the form read again, as it is written)."""
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
