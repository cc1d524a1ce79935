"""Mutual-action plans from Slack: add, complete, edit, reschedule, block, cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form
from commands.modals import open_modal
from commands.payloads import BlockAction
from commands.plan_forms import ActionForm, BlockForm, NewActionForm, RescheduleForm
from commands.replies import action_modal, card_of, plan_of, send_blocks
from commands.submissions import CardWrite, Submission, card_form
from commands.ui.errors import UserError
from commands.ui.ids import ActionMenu
from commands.ui.values import ModalMeta, payload_id
from commands.ui.views.blocks import Block
from commands.ui.views.plan import Origin, block_form, closed_note, reminder_blocks, reschedule_form
from store.accounts import get_account
from store.actions import (
    add_action_item,
    block_action_item,
    cancel_action_item,
    complete_action_item,
    get_action_item,
    reschedule_action_item,
    unblock_action_item,
    update_action_item,
)
from store.db import Database
from store.enums import ActionStatus
from store.models import ActionItem

GONE = "That action item no longer exists."
MENU_TITLES = {
    ActionMenu.EDIT: "Edit action item",
    ActionMenu.RESCHEDULE: "Reschedule",
    ActionMenu.BLOCK: "Mark blocked",
}


def _item_id(text: str) -> int:
    item_id = payload_id(text)
    if item_id is None:
        raise UserError("That button no longer points at an action item.")
    return item_id


def _origin(click: BlockAction) -> Origin:
    head = click.block_id.partition(":")[0]
    return Origin(head) if head in {o.value for o in Origin} else Origin.CARD


def redraw(
    db: Database, *, click: BlockAction, item_id: int, today: date, access: Access
) -> list[Block] | None:
    """What the clicked message shows after the change: the card, the plan or the reminder
    (read-only; the card is read and drawn by `card_of`)."""
    with db.reading() as session:
        item = get_action_item(session, team_id=click.team_id, item_id=item_id)
        if item is None:
            return None
        origin = _origin(click)
        if origin is Origin.PLAN:
            return plan_of(session, team_id=click.team_id, account_id=item.account_id, today=today)
        if origin is Origin.REMINDER:
            account = get_account(session, team_id=click.team_id, account_id=item.account_id)
            name = account.name if account else ""
            if item.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
                return closed_note(item, today)
            return reminder_blocks(item, name, today)
    return card_of(db, access, team_id=click.team_id, account_id=item.account_id, today=today)


def _change_and_redraw(
    respond: Callable[..., Any],
    db: Database,
    click: BlockAction,
    today: date,
    change: Callable[[Session, int], Any],
    access: Access,
) -> None:
    """One transaction for the change; then the message the click came from is redrawn."""
    item_id = _item_id(click.value.rpartition(":")[2])
    access.require_change(db, ModalMeta(item_id=item_id))
    with db.transaction() as session:
        change(session, item_id)
    blocks = redraw(db, click=click, item_id=item_id, today=today, access=access)
    send_blocks(respond, blocks, missing=GONE, replace_original=True)


def handle_action_done(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """ "Done": records who and when; a double click or a retry changes nothing the second time."""
    ack()
    click = BlockAction.model_validate(body)
    _change_and_redraw(
        respond,
        db,
        click,
        today,
        lambda session, item_id: complete_action_item(
            session, team_id=click.team_id, item_id=item_id, by_user_id=click.user_id
        ),
        access,
    )


def handle_add_action(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """The card's (or plan's) "Add action item" button."""
    ack()
    click = BlockAction.model_validate(body)
    account_id = _item_id(click.value)
    meta = ModalMeta(account_id=account_id, response_url=click.response_url, replace_card=True)
    open_modal(
        client,
        db,
        trigger_id=click.trigger_id,
        title="Add action item",
        build=lambda session: action_modal(
            session,
            team_id=click.team_id,
            account_id=account_id,
            today=today,
            meta=meta,
            user_id=click.user_id,
        ),
        access=access,
    )


def handle_action_menu(
    ack: Callable[..., None],
    body: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """The overflow beside an item: edit, reschedule, mark blocked open a modal; the rest act."""
    ack()
    click = BlockAction.model_validate(body)
    choice, _, raw_id = click.value.partition(":")
    if choice not in {m.value for m in ActionMenu}:
        raise UserError("That menu option is not one the bot offers.")
    menu, item_id = ActionMenu(choice), _item_id(raw_id)
    if menu is ActionMenu.CANCEL:
        _change_and_redraw(
            respond,
            db,
            click,
            today,
            lambda session, i: cancel_action_item(
                session, team_id=click.team_id, item_id=i, by_user_id=click.user_id
            ),
            access,
        )
        return
    if menu is ActionMenu.UNBLOCK:
        _change_and_redraw(
            respond,
            db,
            click,
            today,
            lambda session, i: unblock_action_item(
                session, team_id=click.team_id, item_id=i, by_user_id=click.user_id
            ),
            access,
        )
        return

    def build(session: Session) -> dict[str, Any] | str:
        item = get_action_item(session, team_id=click.team_id, item_id=item_id)
        if item is None:
            return GONE
        if item.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
            return f"That item is {item.status.value} already."
        meta = ModalMeta(
            account_id=item.account_id,
            stakeholder_id=None,
            response_url=click.response_url,
            replace_card=_origin(click) is Origin.CARD,
            item_id=item.id,
            version=item.version,
        )
        if menu is ActionMenu.EDIT:
            return action_modal(
                session,
                team_id=click.team_id,
                account_id=item.account_id,
                today=today,
                meta=meta,
                user_id=click.user_id,
                item_id=item.id,
            )
        if menu is ActionMenu.RESCHEDULE:
            return reschedule_form(meta=meta, item=item, today=today)
        return block_form(meta=meta, item=item)

    open_modal(
        client, db, trigger_id=click.trigger_id, title=MENU_TITLES[menu], build=build, access=access
    )


def _save_item(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Add an item (due today or later), or save an edit; an owner on each side is required."""
    if sub.meta.item_id is not None:
        form = parse_form(ActionForm, view, today=today)
        item, _ = update_action_item(
            session,
            team_id=sub.team_id,
            item_id=sub.meta.item_id,
            by_user_id=sub.user_id,
            expected_version=sub.meta.version,
            **form.model_dump(),
        )
        return item.account_id
    form = parse_form(NewActionForm, view, today=today)
    account_id = sub.required(sub.meta.account_id, gone="That account no longer exists.")
    if get_account(session, team_id=sub.team_id, account_id=account_id) is None:
        raise FormErrors({"title": "That account no longer exists."})
    add_action_item(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        by_user_id=sub.user_id,
        **form.model_dump(),
    )
    return account_id


ItemChange = Callable[[Session, Submission, dict[str, Any], date, int], tuple[ActionItem, bool]]


def _item_change(change: ItemChange) -> CardWrite:
    """A write that changes the item the modal is about and returns its account."""

    def write(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
        item, _ = change(session, sub, view, today, sub.required(sub.meta.item_id, gone=GONE))
        return item.account_id

    write.__name__ = change.__name__
    return write


def _reschedule(
    session: Session, sub: Submission, view: dict[str, Any], today: date, item_id: int
) -> tuple[ActionItem, bool]:
    return reschedule_action_item(
        session,
        team_id=sub.team_id,
        item_id=item_id,
        by_user_id=sub.user_id,
        expected_version=sub.meta.version,
        due_on=parse_form(RescheduleForm, view, today=today).due_on,
    )


def _block(
    session: Session, sub: Submission, view: dict[str, Any], today: date, item_id: int
) -> tuple[ActionItem, bool]:
    return block_action_item(
        session,
        team_id=sub.team_id,
        item_id=item_id,
        by_user_id=sub.user_id,
        expected_version=sub.meta.version,
        reason=parse_form(BlockForm, view).blocked_reason,
    )


handle_action_form = card_form(_save_item, default_block="title")
handle_reschedule_form = card_form(_item_change(_reschedule), default_block="due_on")
handle_block_form = card_form(_item_change(_block), default_block="blocked_reason")
