"""Logging contacts: from the card, from `/account Acme contact`, and from any message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form, state_values
from commands.modals import open_modal, update_modal
from commands.payloads import BlockAction, MessageShortcut
from commands.people_forms import ContactForm
from commands.submissions import Submission, card_form
from commands.ui.errors import UserError
from commands.ui.fields import TEXT
from commands.ui.ids import ContactField
from commands.ui.values import ModalMeta, payload_id
from commands.ui.views.modal import notice_view, option
from commands.ui.views.people import contact_form
from store.accounts import find_account_by_channel, get_account, suggest_accounts
from store.db import Database
from store.stakeholders import list_stakeholders, log_contact

GONE = "That account no longer exists."


def contact_modal(
    session: Session,
    *,
    team_id: str,
    account_id: int | None,
    today: date,
    meta: ModalMeta,
    choose_account: bool = False,
    values: dict[str, Any] | None = None,
) -> dict[str, Any] | str:
    account = (
        None if account_id is None else get_account(session, team_id=team_id, account_id=account_id)
    )
    if account_id is not None and account is None:
        return GONE
    people = (
        []
        if account is None
        else list_stakeholders(session, team_id=team_id, account_id=account.id)
    )  # type: ignore[arg-type]
    return contact_form(
        meta=meta.model_copy(update={"account_id": account_id}),
        people=people,
        today=today,
        account=account,
        choose_account=choose_account,
        values=values,
    )


def handle_log_contact(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """The card's "Log contact" button."""
    ack()
    click = BlockAction.model_validate(body)
    account_id = click.value_id()
    if account_id is None:
        raise UserError("That button no longer points at an account.")
    meta = ModalMeta(response_url=click.response_url, replace_card=True)
    open_modal(
        client,
        db,
        trigger_id=click.trigger_id,
        title="Log contact",
        build=lambda session: contact_modal(
            session, team_id=click.team_id, account_id=account_id, today=today, meta=meta
        ),
        access=access,
    )


def handle_log_message(
    ack: Callable[..., None],
    shortcut: dict[str, Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """The message shortcut: the message's text and link prefilled; pick account and people."""
    ack()
    message = MessageShortcut.model_validate(shortcut)

    def build(session: Session) -> dict[str, Any] | str:
        account = find_account_by_channel(
            session, team_id=message.team_id, channel_id=message.channel_id
        )
        meta = ModalMeta(message_link=_permalink(client, message))
        return contact_modal(
            session,
            team_id=message.team_id,
            account_id=None if account is None else account.id,
            today=today,
            meta=meta,
            choose_account=True,
            values={
                ContactField.SUMMARY: message.text[:TEXT],
                ContactField.DATE: message.posted_on.isoformat(),
            },
        )

    open_modal(
        client, db, trigger_id=message.trigger_id, title="Log contact", build=build, access=access
    )


def _permalink(client: WebClient, message: MessageShortcut) -> str | None:
    try:
        found = client.chat_getPermalink(channel=message.channel_id, message_ts=message.message_ts)
    except SlackApiError:
        return None
    return found.get("permalink")


def handle_account_options(
    ack: Callable[..., None],
    payload: dict[str, Any],
    team_id: str,
    db: Database,
    access: Access,
) -> None:
    """Type-ahead of the account picker in the contact modal (accounts the user may change)."""
    with db.reading() as session:
        found = suggest_accounts(session, team_id=team_id, text=payload.get("value", ""))
    ack(options=[option(str(a.id), a.name) for a in found if access.can_change(a)])


def handle_account_chosen(
    ack: Callable[..., None],
    body: dict[str, Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Picking the account in the contact modal: redraw it with that account's people."""
    ack()
    click = BlockAction.model_validate(body)
    view = body["view"]
    account_id = click.value_id()
    if refusal := access.refusal_for(db, ModalMeta(account_id=account_id)):
        update_modal(client, body, notice_view("Log contact", refusal))
        return
    with db.reading() as session:
        built = contact_modal(
            session,
            team_id=click.team_id,
            account_id=account_id,
            today=today,
            meta=ModalMeta.load(view),
            choose_account=True,
            values=state_values(view),
        )
    if isinstance(built, dict):
        update_modal(client, body, built)


def _log_contact(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Log the contact for each person picked; their last contact and the map's activity move.
    The account is the one access was checked against (`_chosen_account`, in `sub.meta`)."""
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


def _chosen_account(view: dict[str, Any]) -> ModalMeta:
    """The account the contact is for, read once: picked in the form, else the one the modal
    came with. A pick that is not an account id leaves none (the form then asks for one)."""
    meta = ModalMeta.load(view)
    picked = state_values(view).get(ContactField.ACCOUNT.value)
    if picked is None:
        return meta
    return meta.model_copy(update={"account_id": payload_id(picked)})


handle_contact_form = card_form(
    _log_contact, default_block=ContactField.PEOPLE, target=_chosen_account
)
