"""Mutual-action plans: item lines with their buttons, the plan message, modals, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Any

from commands.ui.fields import NAME, TEXT, TITLE
from commands.ui.ids import Action, ItemField, ItemMenu, View
from commands.ui.text import day, due_phrase, escape, user_mention
from commands.ui.values import AccountValue, ItemMenuValue, ItemValue, ModalMeta
from commands.ui.views.blocks import Block, actions, button, context, header, listing, section
from commands.ui.views.modal import (
    MAX_OPTIONS,
    date_input,
    initial,
    input_block,
    modal,
    option,
    text_input,
)
from store.enums import ActionStatus, ItemKind, StakeholderStatus, label
from store.models import Account, ActionItem, Stakeholder
from store.rows import ItemRow

A = ItemField
Item = ActionItem | ItemRow
"""An item as stored (the plan, a reminder) or as a light row (the card)."""
MENU_WORDS = {
    ItemMenu.EDIT: "Edit",
    ItemMenu.RESCHEDULE: "Reschedule",
    ItemMenu.BLOCK: "Mark blocked",
    ItemMenu.UNBLOCK: "Unblock",
    ItemMenu.CANCEL: "Cancel item",
}


def theirs(item: Item) -> str:
    return escape(item.customer_owner_name) or "_nobody_"


def item_line(item: Item, today: date) -> str:
    """`:warning: *Send proposal* · 3 days overdue (due 20 Nov) · us: @ann · them: Raj`."""
    status = item.status
    if status is ActionStatus.DONE:
        when = f"done {day(item.completed_at.date(), today)}" if item.completed_at else "done"
        by = user_mention(item.completed_by_user_id)
        return f":white_check_mark: ~{escape(item.title)}~ · {when} by {by}"
    if status is ActionStatus.CANCELLED:
        return f":heavy_multiplication_x: ~{escape(item.title)}~ · cancelled"
    icon = ":warning: " if item.due_on < today else ""
    blocked = (
        f" · :no_entry: _blocked: {escape(item.blocked_reason)}_"
        if status is ActionStatus.BLOCKED
        else ""
    )
    link = f" · <{item.link}|link>" if item.link else ""
    if item.kind is ItemKind.INTERNAL:
        return (
            f"{icon}*{escape(item.title)}* · {due_phrase(item.due_on, today)} · "
            f"ours: {user_mention(item.our_owner_user_id)}{blocked}"
        )
    return (
        f"{icon}*{escape(item.title)}* · {due_phrase(item.due_on, today)} · "
        f"us: {user_mention(item.our_owner_user_id)} · them: {theirs(item)}{blocked}{link}"
    )


def item_menu(item: Item) -> dict[str, Any]:
    """Edit (a mutual-action item's form asks for an owner on each side, an internal task's for
    ours only), reschedule, block or unblock, cancel."""
    choices = [ItemMenu.EDIT, ItemMenu.RESCHEDULE]
    choices.append(ItemMenu.UNBLOCK if item.status is ActionStatus.BLOCKED else ItemMenu.BLOCK)
    choices.append(ItemMenu.CANCEL)
    return {
        "type": "overflow",
        "action_id": Action.ITEM_MENU.value,
        "options": [
            {
                "text": {"type": "plain_text", "text": MENU_WORDS[c]},
                "value": ItemMenuValue.write(choice=c, item_id=item.id),
            }
            for c in choices
        ],
    }


class Origin(StrEnum):
    """Where an item's buttons sit, so a click redraws the right message."""

    CARD = "card"
    PLAN = "plan"
    REMINDER = "reminder"
    SAVE_PLAN = "saveplan"


def origin_of(block_id: str) -> Origin:
    """Where a clicked item's buttons sat, from their block id (`plan:12`); a card by default."""
    head = block_id.partition(":")[0]
    return Origin(head) if head in {o.value for o in Origin} else Origin.CARD


def item_blocks(item: Item, today: date, *, origin: Origin) -> list[Block]:
    """An open item with its "Done" button and menu; a done internal task with "Reopen"."""
    if item.status is ActionStatus.DONE and item.kind is ItemKind.INTERNAL:
        return [
            section(item_line(item, today)),
            actions(
                button(
                    "Reopen",
                    action_id=Action.TASK_REOPEN,
                    value=ItemValue.write(item_id=item.id),
                ),
                block_id=f"{origin.value}:{item.id}",
            ),
        ]
    return [
        section(item_line(item, today)),
        actions(
            button(
                "Done",
                action_id=Action.ITEM_DONE,
                value=ItemValue.write(item_id=item.id),
                style="primary",
            ),
            item_menu(item),
            block_id=f"{origin.value}:{item.id}",
        ),
    ]


def plan_section(
    items: Sequence[Item], *, today: date, interactive: bool, shown: int
) -> list[Block]:
    """The card's plan: overdue first (earliest due first), buttons on the first `shown`."""
    ordered = sorted(items, key=lambda a: (a.due_on, a.id or 0))
    if not ordered:
        return [section("*Mutual action plan*\nNo open items.")]
    if not interactive:
        return [
            section(
                listing(
                    "*Mutual action plan*",
                    [f"• {item_line(i, today)}" for i in ordered],
                    max_lines=10,
                )
            )
        ]
    blocks: list[Block] = [section(f"*Mutual action plan* · {len(ordered)} open")]
    for item in ordered[:shown]:
        blocks += item_blocks(item, today, origin=Origin.CARD)
    if len(ordered) > shown:
        blocks.append(
            context(f"…and {len(ordered) - shown} more: `/account <name> plan` lists them all")
        )
    return blocks


def tasks_section(items: Sequence[Item], *, today: date, shown: int) -> list[Block]:
    """The card's "Our tasks": open internal tasks (an owner on our side only), overdue first,
    with their buttons; never part of the mutual action plan."""
    ordered = sorted(items, key=lambda a: (a.due_on, a.id or 0))
    if not ordered:
        return []
    blocks: list[Block] = [section(f"*Our tasks* · {len(ordered)} open")]
    for item in ordered[:shown]:
        blocks += item_blocks(item, today, origin=Origin.CARD)
    if len(ordered) > shown:
        blocks.append(context(f"…and {len(ordered) - shown} more open tasks"))
    return blocks


def task_form(
    *,
    meta: ModalMeta,
    account: Account,
    today: date,
    our_owner: str | None,
    task: ActionItem | None = None,
) -> dict[str, Any]:
    """Add (or edit) an internal task: what, our owner, a due date; nobody on the customer's
    side."""
    blocks = [
        context(
            f"Internal task for *{escape(account.name)}*: an owner on our side and a date. It is "
            "listed under *Our tasks*, never in the mutual action plan."
        ),
        input_block(
            A.TITLE,
            "What will be done",
            text_input(max_length=TITLE, value=task.title if task else None),
        ),
        input_block(
            A.OUR_OWNER,
            "Owner",
            initial(
                {"type": "users_select"},
                "initial_user",
                task.our_owner_user_id if task else our_owner,
            ),
        ),
        input_block(A.DUE, "Due", date_input(task.due_on if task else today)),
    ]
    return modal(
        callback_id=View.TASK_FORM,
        title="Edit task" if task else "Add task",
        blocks=blocks,
        meta=meta,
        submit="Save" if task else "Add",
    )


def plan_blocks(
    account: Account, items: Sequence[ActionItem], *, today: date, closed_days: int
) -> list[Block]:
    """`/account Acme plan`: open items with their buttons, then recently closed ones."""
    open_items = [i for i in items if i.status in (ActionStatus.OPEN, ActionStatus.BLOCKED)]
    closed = [i for i in items if i not in open_items]
    blocks: list[Block] = [header(f"Mutual action plan: {account.name}")]
    if not open_items:
        blocks.append(section("No open items. Add one with the card's *Add action item* button."))
    for item in open_items[:20]:
        blocks += item_blocks(item, today, origin=Origin.PLAN)
    if len(open_items) > 20:
        blocks.append(context(f"…and {len(open_items) - 20} more open items"))
    if closed:
        lines = [
            f"• {item_line(i, today)}"
            for i in sorted(closed, key=lambda i: i.updated_at, reverse=True)
        ]
        blocks.append(
            section(listing(f"*Closed in the last {closed_days} days*", lines, max_lines=15))
        )
    blocks.append(
        actions(
            button(
                "Add action item",
                action_id=Action.ADD_ITEM,
                value=AccountValue.write(account_id=account.id),
            )
        )
    )
    return blocks[:50]


def _people_options(people: Sequence[Stakeholder]) -> list[dict[str, Any]]:
    return [option(str(p.id), f"{p.name} ({label(p.role).lower()})") for p in people[:MAX_OPTIONS]]


def action_form(
    *,
    meta: ModalMeta,
    account: Account,
    people: Sequence[Stakeholder],
    today: date,
    item: ActionItem | None = None,
    our_owner: str | None = None,
) -> dict[str, Any]:
    """Add (or edit) a commitment: what, our owner, their owner (picked or typed), due date."""
    active = [p for p in people if p.status is StakeholderStatus.ACTIVE]
    theirs_select: dict[str, Any] = {"type": "static_select", "options": _people_options(active)}
    chosen = next((p for p in active if item and p.id == item.customer_owner_stakeholder_id), None)
    if chosen is not None:
        theirs_select["initial_option"] = _people_options([chosen])[0]
    typed_name = item.customer_owner_name if item and chosen is None else None
    blocks = [
        context(
            f"Mutual action plan of *{escape(account.name)}*: an owner on each side and a date."
        ),
        input_block(
            A.TITLE,
            "What will be done",
            text_input(max_length=TITLE, value=item.title if item else None),
        ),
        input_block(
            A.OUR_OWNER,
            "Our owner",
            initial(
                {"type": "users_select"},
                "initial_user",
                item.our_owner_user_id if item else our_owner,
            ),
        ),
    ]
    if active:
        blocks.append(
            input_block(
                A.CUSTOMER_OWNER, "Their owner (from the map)", theirs_select, optional=True
            )
        )
    blocks += [
        input_block(
            A.CUSTOMER_OWNER_NAME,
            "…or their owner's name",
            text_input(max_length=NAME, value=typed_name),
            optional=True,
            hint="Someone not on the stakeholder map yet.",
        ),
        input_block(A.DUE, "Due", date_input(item.due_on if item else today)),
        input_block(
            A.LINK,
            "Link",
            text_input(max_length=500, value=item.link if item else None),
            optional=True,
        ),
    ]
    title = "Edit action item" if item else "Add action item"
    return modal(
        callback_id=View.ITEM_FORM,
        title=title,
        blocks=blocks,
        meta=meta,
        submit="Save" if item else "Add",
    )


def reschedule_form(*, meta: ModalMeta, item: ActionItem, today: date) -> dict[str, Any]:
    blocks = [
        section(f"*{escape(item.title)}* is {due_phrase(item.due_on, today)}."),
        input_block(A.DUE, "New due date", date_input(max(item.due_on, today))),
    ]
    return modal(callback_id=View.RESCHEDULE_FORM, title="Reschedule", blocks=blocks, meta=meta)


def block_form(*, meta: ModalMeta, item: ActionItem) -> dict[str, Any]:
    blocks = [
        section(f"What is *{escape(item.title)}* waiting for?"),
        input_block(A.REASON, "Blocked by", text_input(max_length=TEXT, multiline=True)),
    ]
    return modal(callback_id=View.BLOCK_FORM, title="Mark blocked", blocks=blocks, meta=meta)


def reminder_blocks(item: ActionItem, account_name: str, today: date) -> list[Block]:
    """The due-day direct message to our owner, with the item's buttons."""
    return [
        section(f":alarm_clock: Due today for *{escape(account_name)}*:"),
        *item_blocks(item, today, origin=Origin.REMINDER),
        context("Mark it done here, or reschedule it with a new date if it slipped."),
    ]


def closed_note(item: ActionItem, today: date) -> list[Block]:
    """What a reminder becomes once the item is closed (a done task keeps "Reopen")."""
    if item.status is ActionStatus.DONE and item.kind is ItemKind.INTERNAL:
        return item_blocks(item, today, origin=Origin.REMINDER)
    return [section(item_line(item, today))]
