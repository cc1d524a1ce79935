"""The account itself from Slack: `/account` (read by its grammar), the buttons on an account's
messages (show, share, edit, create) and the account form."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from commands.access import Access, target_account
from commands.forms import AccountForm, FormErrors, parse_account_form
from commands.modals import open_modal, update_modal, warn_if_shared
from commands.payloads import AccountVerb, BlockAction, SlashCommand, command_word
from commands.replies import (
    answer_account_command,
    card_of,
    command_modal,
    read_command,
    send_blocks,
)
from commands.submissions import Submission, submit_and_show_card
from commands.team_settings import ADMINS_ONLY, menu_modal
from commands.ui.delivery import Outcome, deliver, is_channel
from commands.ui.errors import UserError
from commands.ui.ids import AccountField
from commands.ui.text import fallback_text
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.accounts import create_account, get_account, update_account
from store.db import Database
from store.models import Account
from store.names import name_key
from store.settings import DigestSettings

MODAL_TITLES = {
    AccountVerb.NEW: "New account",
    AccountVerb.EDIT: "Edit account",
    AccountVerb.STAKEHOLDER: "Add stakeholder",
    AccountVerb.CONTACT: "Log contact",
    AccountVerb.ACTION: "Add action item",
    AccountVerb.SETTINGS: "Team settings",
}


def handle_account_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    digest_defaults: DigestSettings,
    access: Access,
) -> None:
    """Ack at once; read the text (a glance at the account names it may be, given up within half
    a second), then open a modal before any other work (the store, or asking Slack whether the
    user is an admin, comes after the loading view is up), or answer through the response URL."""
    ack()
    slash = SlashCommand.model_validate(command)
    request, known = read_command(db, slash=slash)
    if request.verb is AccountVerb.SETTINGS:
        open_modal(
            client,
            db,
            trigger_id=slash.trigger_id,
            title=MODAL_TITLES[request.verb],
            build=lambda session: (
                menu_modal(session, team_id=slash.team_id, defaults=digest_defaults)
                if access.is_admin()
                else ADMINS_ONLY
            ),
            access=access,
        )
        return
    if request.opens_modal:
        open_modal(
            client,
            db,
            trigger_id=slash.trigger_id,
            title=MODAL_TITLES[request.verb],
            build=lambda session: command_modal(
                session, slash=slash, request=request, known=known, today=today, access=access
            ),
            access=access,
        )
        return
    blocks = answer_account_command(
        db, slash=slash, request=request, known=known, today=today, access=access
    )
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=fallback_text(blocks),
        blocks=blocks,
    )


logger = logging.getLogger("accountbot.account")

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
    channel shared with another organisation (`commands.ui.delivery`), and at most once."""
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
