"""Mutual-action plans from Slack: an item completed, cancelled or unblocked from its buttons, and
the item forms saved (add, edit, reschedule, block; built in `commands.loaders`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form
from commands.payloads import BlockAction
from commands.plan_forms import (
    ActionForm,
    BlockForm,
    NewActionForm,
    NewTaskForm,
    RescheduleForm,
    TaskForm,
)
from commands.replies import card_of, plan_of, save_plan_of, send_blocks
from commands.submissions import CardWrite, Submission, card_form
from commands.ui.values import ItemMenuValue, ItemValue
from commands.ui.views.blocks import Block
from commands.ui.views.plan import Origin, closed_note, origin_of, reminder_blocks
from store.accounts import get_account
from store.actions import (
    add_action_item,
    add_internal_task,
    block_action_item,
    cancel_action_item,
    complete_action_item,
    get_action_item,
    reopen_action_item,
    reschedule_action_item,
    unblock_action_item,
    update_action_item,
)
from store.db import Database
from store.enums import ActionStatus, ItemKind
from store.models import ActionItem

GONE = "That action item no longer exists."


def redraw(
    db: Database, *, click: BlockAction, item_id: int, today: date, access: Access
) -> list[Block] | None:
    """What the clicked message shows after the change: the card, the plan or the reminder
    (read-only; the card is read and drawn by `card_of`)."""
    with db.reading() as session:
        item = get_action_item(session, team_id=click.team_id, item_id=item_id)
        if item is None:
            return None
        origin = origin_of(click.block_id)
        if origin is Origin.PLAN:
            return plan_of(session, team_id=click.team_id, account_id=item.account_id, today=today)
        if origin is Origin.SAVE_PLAN:
            return save_plan_of(
                session, team_id=click.team_id, account_id=item.account_id, today=today
            )
        if origin is Origin.REMINDER:
            account = get_account(session, team_id=click.team_id, account_id=item.account_id)
            name = account.name if account else ""
            if item.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
                return closed_note(item, today)
            return reminder_blocks(item, name, today)
    return card_of(db, access, team_id=click.team_id, account_id=item.account_id, today=today)


ItemClick = Callable[[Session, str, int, str], Any]
"""A change of one item from a click: (session, team, item id, who clicked)."""


def _item_click(change: ItemClick, doc: str) -> Callable[..., None]:
    """The listener of a click that changes an item at once (the user may change it: the route
    checked): one transaction, then the message the click came from is redrawn. A double click
    or a retry changes nothing the second time."""

    def listener(
        value: ItemValue | ItemMenuValue,
        body: dict[str, Any],
        respond: Callable[..., Any],
        db: Database,
        today: date,
        access: Access,
    ) -> None:
        click = BlockAction.model_validate(body)
        with db.transaction() as session:
            change(session, click.team_id, value.item_id, click.user_id)
        blocks = redraw(db, click=click, item_id=value.item_id, today=today, access=access)
        send_blocks(respond, blocks, missing=GONE, replace_original=True)

    listener.__doc__ = doc
    return listener


complete_item = _item_click(
    lambda session, team_id, item_id, user_id: complete_action_item(
        session, team_id=team_id, item_id=item_id, by_user_id=user_id
    ),
    """ "Done": records who and when.""",
)
cancel_item = _item_click(
    lambda session, team_id, item_id, user_id: cancel_action_item(
        session, team_id=team_id, item_id=item_id, by_user_id=user_id
    ),
    'The menu\'s "Cancel item".',
)
unblock_item = _item_click(
    lambda session, team_id, item_id, user_id: unblock_action_item(
        session, team_id=team_id, item_id=item_id, by_user_id=user_id
    ),
    'The menu\'s "Unblock".',
)

reopen_item = _item_click(
    lambda session, team_id, item_id, user_id: reopen_action_item(
        session, team_id=team_id, item_id=item_id, by_user_id=user_id
    ),
    """ "Reopen" beside a done internal task: open again, its completion cleared.""",
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


def _save_task(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Add an internal task (an owner on our side, due today or later), or save an edit of one:
    the fields changed are recorded as a mutual-action item's edit is."""
    if sub.meta.item_id is not None:
        edited = parse_form(TaskForm, view, today=today)
        task = get_action_item(session, team_id=sub.team_id, item_id=sub.meta.item_id)
        if task is None or task.kind is not ItemKind.INTERNAL:
            raise FormErrors({"title": "That task no longer exists."})
        edited.moved_not_past(was=task.due_on, today=today)
        task, _ = update_action_item(
            session,
            team_id=sub.team_id,
            item_id=sub.meta.item_id,
            by_user_id=sub.user_id,
            expected_version=sub.meta.version,
            **edited.model_dump(),
        )
        return task.account_id
    form = parse_form(NewTaskForm, view, today=today)
    account_id = sub.required(sub.meta.account_id, gone="That account no longer exists.")
    if get_account(session, team_id=sub.team_id, account_id=account_id) is None:
        raise FormErrors({"title": "That account no longer exists."})
    add_internal_task(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        title=form.title,
        due_on=form.due_on,
        owner_user_id=form.our_owner_user_id,
        by_user_id=sub.user_id,
    )
    return account_id


save_item_form = card_form(_save_item, default_block="title")
save_task_form = card_form(_save_task, default_block="title")
save_reschedule = card_form(_item_change(_reschedule), default_block="due_on")
save_block = card_form(_item_change(_block), default_block="blocked_reason")
