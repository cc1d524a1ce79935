"""The account itself from Slack: the buttons on an account's messages that answer there (show,
share), the account form's save and its channel warning. (`/account`'s verbs and the forms the
buttons open are routed in `commands.routes`; the forms are built in `commands.loaders`.)"""

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
from commands.leads import offer_person
from commands.modals import update_modal, warn_if_shared
from commands.payloads import BlockAction, command_word
from commands.replies import card_of, send_blocks
from commands.submissions import Submission, submit_and_show_card
from commands.ui.delivery import deliver
from commands.ui.errors import UserError
from commands.ui.ids import AccountField
from commands.ui.slack_failures import Outcome
from commands.ui.text import fallback_text
from commands.ui.values import STALE_FORM, AccountValue, ChannelPick, FullCardValue, ModalMeta
from store.accounts import create_account, update_account
from store.catalogue import set_products
from store.champion_leads import convert_lead
from store.db import Database
from store.errors import NotFound
from store.models import Account, saved_id
from store.names import name_key

logger = logging.getLogger("accountbot.account")

GONE = "That account no longer exists."


def show_account(
    value: AccountValue,
    respond: Callable[..., Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """A pick among several matches: replace the choice with the card."""
    blocks = card_of(db, access, team_id=access.team_id, account_id=value.account_id, today=today)
    send_blocks(respond, blocks, missing=GONE, replace_original=True)


def full_card(
    value: FullCardValue,
    respond: Callable[..., Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """A weekly digest's "Full card": the card to whoever clicked, the digest left as it is
    for the rest of the channel."""
    blocks = card_of(db, access, team_id=access.team_id, account_id=value.account_id, today=today)
    send_blocks(respond, blocks, missing=GONE, response_type="ephemeral", replace_original=False)


def share_card(
    value: AccountValue,
    body: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Post the card in the channel for everyone, credited to whoever shared it; never in a
    channel shared with another organisation (`commands.ui.delivery`), and at most once."""
    click = BlockAction.model_validate(body)
    blocks = card_of(
        db,
        access,
        team_id=click.team_id,
        account_id=value.account_id,
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


NOT_YOURS = (
    "Pick a channel you are in: this one is private, and Slack does not list you among its "
    "members (if you are one, invite the bot to it first)."
)


def save_account_form(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Create or change the account, then show its card (the user may change it: the route
    checked). Beyond its fields, the form may not name the account like a word of `/account`,
    nor link it to a private channel the user is not in (an admin may): what the form changes
    is checked here, before the write, since Slack is never asked inside a transaction."""
    current = (
        None if value.account_id is None else target_account(db, team_id=access.team_id, meta=value)
    )
    try:
        form = parse_account_form(view)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    if errors := _refusals(form, current, access):
        ack(response_action="errors", errors=errors)
        return
    saved = submit_and_show_card(
        ack,
        body=body,
        meta=value,
        db=db,
        today=today,
        write=lambda session, submission: _save_account(session, submission, view),
        access=access,
    )
    if saved is not None and value.lead_id is not None:
        offer_person(db, value, access)


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
    channel = form.channel_id
    relinked = channel is not None and (current is None or current.channel_id != channel)
    if relinked and channel is not None and not access.can_link(channel):
        errors[AccountField.CHANNEL] = NOT_YOURS
    return errors


def _save_account(session: Session, sub: Submission, view: dict[str, Any]) -> int:
    """Create or change the account (the form read again, as it is written)."""
    values = parse_account_form(view).model_dump()
    products = values.pop("products")
    if sub.meta.account_id is None:
        del values["arr_kind"]  # a new account's ARR is new
        account_id = saved_id(
            create_account(session, team_id=sub.team_id, by_user_id=sub.user_id, **values).id
        )
        _set_products(session, sub, account_id, products)
        if sub.meta.lead_id is not None:  # made from a lead: the lead is converted with it
            convert_lead(
                session, team_id=sub.team_id, lead_id=sub.meta.lead_id, account_id=account_id
            )
        return account_id
    if sub.meta.lead_id is not None:
        raise NotFound(STALE_FORM)
    update_account(
        session,
        team_id=sub.team_id,
        account_id=sub.meta.account_id,
        expected_version=sub.meta.version,
        by_user_id=sub.user_id,
        **values,
    )
    _set_products(session, sub, sub.meta.account_id, products)
    return sub.meta.account_id


def _set_products(
    session: Session, sub: Submission, account_id: int, products: list[int] | None
) -> None:
    """The products picked, in the form's transaction (none offered: left as they are)."""
    if products is not None:
        set_products(
            session,
            team_id=sub.team_id,
            account_id=account_id,
            entry_ids=products,
            by_user_id=sub.user_id,
        )


def warn_about_channel(
    value: ChannelPick, body: dict[str, Any], client: WebClient, access: Access
) -> None:
    """A channel picked in the account form: warn under it when it is shared with another
    organisation (the bot will post nothing internal there), or take the warning away."""
    view = warn_if_shared(body["view"], access, value.channel_id)
    try:
        update_modal(client, body, view)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        logger.info("account form changed meanwhile: its own action redraws it")
