"""Logging contacts: the account picker's type-ahead and redraw, the message shortcut's link,
and the contact form saved (the forms are built in `commands.loaders`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form, state_values
from commands.loaders import contact_view
from commands.modals import update_modal
from commands.payloads import MessageShortcut
from commands.people_forms import ContactForm
from commands.request import Request
from commands.submissions import Submission, card_form
from commands.ui.ids import ContactField
from commands.ui.values import AccountPick, ModalMeta, payload_id
from commands.ui.views.modal import option
from store.accounts import get_account, suggest_accounts
from store.db import Database
from store.stakeholders import log_contact


def with_permalink(message: MessageShortcut, request: Request) -> MessageShortcut:
    """The shortcut's message with its link, asked of Slack once the loading view is up and
    before the store is read (none when Slack will not say)."""
    return message.model_copy(update={"permalink": _permalink(request.client, message)})


def _permalink(client: WebClient | None, message: MessageShortcut) -> str | None:
    if client is None:  # the bot's terminal asks Slack nothing
        return None
    try:
        found = client.chat_getPermalink(channel=message.channel_id, message_ts=message.message_ts)
    except SlackApiError:
        return None
    return found.get("permalink")


def account_options(
    ack: Callable[..., None],
    payload: dict[str, Any],
    team_id: str,
    db: Database,
    access: Access,
) -> None:
    """Type-ahead of the account picker in the contact modal: only accounts the user may
    change (asked of Slack after the read)."""
    with db.reading() as session:
        found = suggest_accounts(session, team_id=team_id, text=payload.get("value", ""))
    ack(
        options=[
            option(AccountPick.write(account_id=a.id), a.name)
            for a in found
            if access.can_change(a)
        ]
    )


def redraw_for_account(
    value: AccountPick,
    body: dict[str, Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Picking the account in the contact modal (one the user may change: the route checked):
    redraw it with that account's people, keeping what was typed."""
    view = body["view"]
    with db.reading() as session:
        built = contact_view(
            session,
            team_id=access.team_id,
            today=today,
            account_id=value.account_id,
            meta=ModalMeta.load(view),
            choose_account=True,
            values=state_values(view),
        )
    if isinstance(built, dict):
        update_modal(client, body, built)


def _log_contact(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Log the contact for each person picked; their last contact and the map's activity move.
    The account is the one access was checked against (`chosen_account`, in `sub.meta`)."""
    form = parse_form(ContactForm, view, today=today)
    account_id = sub.meta.account_id
    if (
        account_id is None
        or get_account(session, team_id=sub.team_id, account_id=account_id) is None
    ):
        raise FormErrors({ContactField.ACCOUNT.value: "Pick the account."})
    log_contact(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        stakeholder_ids=form.stakeholder_ids,
        contacted_on=form.contacted_on,
        channel=form.channel,
        summary=form.summary,
        by_user_id=sub.user_id,
        message_link=sub.meta.message_link,
    )
    return account_id


def chosen_account(view: dict[str, Any]) -> ModalMeta:
    """The account the contact is for, read once: picked in the form, else the one the modal
    came with. A pick that is not an account id leaves none (the form then asks for one)."""
    meta = ModalMeta.load(view)
    picked = state_values(view).get(ContactField.ACCOUNT.value)
    if picked is None:
        return meta
    return meta.model_copy(update={"account_id": payload_id(picked)})


save_contact = card_form(_log_contact, default_block=ContactField.PEOPLE)
