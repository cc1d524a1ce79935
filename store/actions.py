"""Mutual-action plans: commitments with an owner on each side and a date. Nothing is deleted;
every state change is one transaction that also writes an ActionItemChange row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import OPEN_ACTION_STATUSES, ActionStatus, ItemKind, SavePhase
from store.errors import NotFound, StoreError, check_version
from store.models import ON_MAP, Account, ActionItem, ActionItemChange, Stakeholder, saved_id
from store.rows import ITEM_COLUMNS, ItemRow
from store.types import utcnow

CREATED = "created"
TRACKED_FIELDS = (
    "title",
    "our_owner_user_id",
    "customer_owner_stakeholder_id",
    "customer_owner_name",
    "due_on",
    "link",
    "status",
    "blocked_reason",
    "completed_at",
    "completed_by_user_id",
)
CLOSED = (ActionStatus.DONE, ActionStatus.CANCELLED)


class ActionItemClosed(StoreError):
    """The item is done or cancelled already: the change is not applied again."""


class WrongKind(StoreError):
    """A change one kind of item does not take (a customer's owner on an internal task, Reopen
    on a mutual-action item): only a forged click or form asks for it; nothing is written."""


CUSTOMER_OWNER = frozenset({"customer_owner_stakeholder_id", "customer_owner_name"})
INTERNAL_ONLY = (
    '"{title}" is an internal task: it has an owner on our side only, and is changed from '
    "Our tasks, not the mutual action plan."
)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _record(
    session: Session, item: ActionItem, field: str, old: Any, new: Any, by: str | None, at: datetime
) -> None:
    session.add(
        ActionItemChange(
            team_id=item.team_id,
            account_id=item.account_id,
            action_item_id=saved_id(item.id),
            field=field,
            old_value=old,
            new_value=new,
            changed_by_user_id=by,
            changed_at=at,
        )
    )


def _check_customer_owner(
    session: Session, *, team_id: str, account_id: int, stakeholder_id: int | None
) -> str | None:
    """A customer owner picked from the map must be on this account's map; returns their name."""
    if stakeholder_id is None:
        return None
    name = session.exec(
        select(Stakeholder.name).where(
            Stakeholder.team_id == team_id,
            Stakeholder.account_id == account_id,
            Stakeholder.id == stakeholder_id,
            ON_MAP,
        )
    ).one_or_none()
    if name is None:
        raise StoreError(
            "Pick someone on this account's map, or type their name.",
            field="customer_owner_stakeholder_id",
        )
    return name


def add_action_item(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    title: str,
    due_on: date,
    by_user_id: str | None,
    our_owner_user_id: str | None = None,
    customer_owner_stakeholder_id: int | None = None,
    customer_owner_name: str | None = None,
    link: str | None = None,
) -> ActionItem:
    """Add a commitment with an owner on each side and a due date."""
    name = _check_customer_owner(
        session,
        team_id=team_id,
        account_id=account_id,
        stakeholder_id=customer_owner_stakeholder_id,
    )
    now = utcnow()
    item = ActionItem(
        team_id=team_id,
        account_id=account_id,
        title=" ".join(title.split()),
        due_on=due_on,
        our_owner_user_id=our_owner_user_id,
        customer_owner_stakeholder_id=customer_owner_stakeholder_id,
        customer_owner_name=name or customer_owner_name,
        link=link,
        created_by_user_id=by_user_id,
        created_at=now,
        updated_at=now,
    )
    return _created(session, item, by_user_id=by_user_id, now=now)


def _created(
    session: Session, item: ActionItem, *, by_user_id: str | None, now: datetime
) -> ActionItem:
    """Write a new item and the history row that remembers every field it started with."""
    session.add(item)
    session.flush()
    snapshot = {field: _text(getattr(item, field)) for field in TRACKED_FIELDS}
    if item.kind is ItemKind.INTERNAL:
        snapshot["kind"] = item.kind.value
    _record(session, item, CREATED, None, json.dumps(snapshot), by_user_id, now)
    return item


def add_internal_task(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    title: str,
    due_on: date,
    owner_user_id: str,
    by_user_id: str | None,
    save_plan_id: int | None = None,
    phase: SavePhase | None = None,
) -> ActionItem:
    """Add an internal task: an owner on our side only and a due date; never in the mutual
    action plan. A save plan's steps are such tasks, with the plan and the step's phase."""
    now = utcnow()
    item = ActionItem(
        team_id=team_id,
        account_id=account_id,
        kind=ItemKind.INTERNAL,
        title=" ".join(title.split()),
        due_on=due_on,
        our_owner_user_id=owner_user_id,
        save_plan_id=save_plan_id,
        phase=phase,
        created_by_user_id=by_user_id,
        created_at=now,
        updated_at=now,
    )
    return _created(session, item, by_user_id=by_user_id, now=now)


def get_action_item(
    session: Session, *, team_id: str, item_id: int, for_update: bool = False
) -> ActionItem | None:
    """The item; `for_update` locks its row until the transaction ends (concurrent clicks queue)."""
    query = select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.id == item_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).one_or_none()


def update_action_item(
    session: Session,
    *,
    team_id: str,
    item_id: int,
    by_user_id: str | None,
    expected_version: int | None = None,
    **changes: Any,
) -> tuple[ActionItem, bool]:
    """Change tracked fields; returns the item and whether anything changed (one row per field)."""
    unknown = set(changes) - set(TRACKED_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be changed this way")
    item = get_action_item(session, team_id=team_id, item_id=item_id, for_update=True)
    if item is None:
        raise NotFound("That action item no longer exists.")
    check_version(expected_version, item.version, what=f'"{item.title}"')
    if item.kind is ItemKind.INTERNAL and CUSTOMER_OWNER & changes.keys():
        raise WrongKind(INTERNAL_ONLY.format(title=item.title))
    if "customer_owner_stakeholder_id" in changes:
        name = _check_customer_owner(
            session,
            team_id=team_id,
            account_id=item.account_id,
            stakeholder_id=changes["customer_owner_stakeholder_id"],
        )
        if name:
            changes["customer_owner_name"] = name
    now = utcnow()
    changed = False
    for field, value in changes.items():
        old, new = _text(getattr(item, field)), _text(value)
        if old != new:
            _record(session, item, field, old, new, by_user_id, now)
            setattr(item, field, value)
            changed = True
    if changed:
        item.updated_at = now
        item.version += 1
        session.flush()
    return item, changed


def _open_item(session: Session, *, team_id: str, item_id: int) -> ActionItem:
    item = get_action_item(session, team_id=team_id, item_id=item_id, for_update=True)
    if item is None:
        raise NotFound("That action item no longer exists.")
    if item.status in CLOSED:
        raise ActionItemClosed(f"That item is {item.status.value} already.")
    return item


def _close_item(
    session: Session, *, team_id: str, item_id: int, by_user_id: str, **changes: Any
) -> tuple[ActionItem, bool]:
    """Close an open item once; closing it again (a double click, a retry) changes nothing."""
    item = get_action_item(session, team_id=team_id, item_id=item_id, for_update=True)
    if item is None:
        raise NotFound("That action item no longer exists.")
    if item.status in CLOSED:
        return item, False
    return update_action_item(
        session, team_id=team_id, item_id=item_id, by_user_id=by_user_id, **changes
    )


def complete_action_item(
    session: Session, *, team_id: str, item_id: int, by_user_id: str
) -> tuple[ActionItem, bool]:
    """Mark done, recording who and when."""
    return _close_item(
        session,
        team_id=team_id,
        item_id=item_id,
        by_user_id=by_user_id,
        status=ActionStatus.DONE,
        completed_at=utcnow(),
        completed_by_user_id=by_user_id,
    )


def cancel_action_item(
    session: Session, *, team_id: str, item_id: int, by_user_id: str
) -> tuple[ActionItem, bool]:
    return _close_item(
        session,
        team_id=team_id,
        item_id=item_id,
        by_user_id=by_user_id,
        status=ActionStatus.CANCELLED,
    )


def reopen_action_item(
    session: Session, *, team_id: str, item_id: int, by_user_id: str
) -> tuple[ActionItem, bool]:
    """Open a done item again (an internal task marked done too soon); once: reopening an open
    item (a double click, a retry) changes nothing. A cancelled item stays cancelled."""
    item = get_action_item(session, team_id=team_id, item_id=item_id, for_update=True)
    if item is None:
        raise NotFound("That action item no longer exists.")
    if item.kind is not ItemKind.INTERNAL:  # the plan has no Reopen: only a forged click
        raise WrongKind(
            f'"{item.title}" is in the mutual action plan: only an internal task is reopened.'
        )
    if item.status is ActionStatus.CANCELLED:
        raise ActionItemClosed(f'"{item.title}" was cancelled: add it again instead.')
    if item.status is not ActionStatus.DONE:
        return item, False
    return update_action_item(
        session,
        team_id=team_id,
        item_id=item_id,
        by_user_id=by_user_id,
        status=ActionStatus.OPEN,
        completed_at=None,
        completed_by_user_id=None,
    )


def block_action_item(
    session: Session,
    *,
    team_id: str,
    item_id: int,
    by_user_id: str,
    reason: str,
    expected_version: int | None = None,
) -> tuple[ActionItem, bool]:
    _open_item(session, team_id=team_id, item_id=item_id)
    return update_action_item(
        session,
        team_id=team_id,
        item_id=item_id,
        by_user_id=by_user_id,
        expected_version=expected_version,
        status=ActionStatus.BLOCKED,
        blocked_reason=reason,
    )


def unblock_action_item(
    session: Session, *, team_id: str, item_id: int, by_user_id: str
) -> tuple[ActionItem, bool]:
    _open_item(session, team_id=team_id, item_id=item_id)
    return update_action_item(
        session,
        team_id=team_id,
        item_id=item_id,
        by_user_id=by_user_id,
        status=ActionStatus.OPEN,
        blocked_reason=None,
    )


def reschedule_action_item(
    session: Session,
    *,
    team_id: str,
    item_id: int,
    by_user_id: str,
    due_on: date,
    expected_version: int | None = None,
) -> tuple[ActionItem, bool]:
    _open_item(session, team_id=team_id, item_id=item_id)
    return update_action_item(
        session,
        team_id=team_id,
        item_id=item_id,
        by_user_id=by_user_id,
        expected_version=expected_version,
        due_on=due_on,
    )


def plan_items(
    session: Session, *, team_id: str, account_id: int, closed_since: datetime
) -> list[ActionItem]:
    """The mutual action plan: open items, and items closed since the given time, earliest due
    first (internal tasks are never in it)."""
    return list(
        session.exec(
            select(ActionItem)
            .where(
                ActionItem.team_id == team_id,
                ActionItem.account_id == account_id,
                ActionItem.kind == ItemKind.MUTUAL,
                or_(
                    col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
                    col(ActionItem.updated_at) >= closed_since,
                ),
            )
            .order_by(col(ActionItem.due_on), col(ActionItem.id))
        )
    )


def open_actions_owned_by(
    session: Session, *, team_id: str, user_id: str
) -> list[tuple[ItemRow, str]]:
    """A user's open commitments across the team's live accounts, earliest due first, as light
    rows (the App Home lists them; no ORM object)."""
    rows = (
        session.connection()
        .execute(  # Core rows: plain columns, no ORM machinery
            select_columns(*ITEM_COLUMNS, col(Account.name))
            .join(Account, col(Account.id) == ActionItem.account_id)
            .where(
                col(ActionItem.team_id) == team_id,
                col(ActionItem.our_owner_user_id) == user_id,
                col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
                col(Account.archived).is_(False),
                col(Account.churned_on).is_(None),
            )
            .order_by(col(ActionItem.due_on), col(ActionItem.id))
        )
        .all()
    )
    return [(ItemRow._make(row[:-1]), row[-1]) for row in rows]


def items_due_around(session: Session, *, day: date) -> Sequence[tuple[ActionItem, str]]:
    """Open items of every team with an owner on our side, due the day before to the day after
    `day` (time zones put owners' local dates within a day of UTC's), with their account's name."""
    rows = session.exec(
        select(ActionItem, Account.name)
        .join(Account, col(Account.id) == ActionItem.account_id)
        .where(
            col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
            col(ActionItem.our_owner_user_id).is_not(None),
            col(ActionItem.due_on).between(day - timedelta(days=1), day + timedelta(days=1)),
            col(Account.archived).is_(False),
            col(Account.churned_on).is_(None),  # a churned account is inactive
        )
        .order_by(col(ActionItem.id))
    )
    return [(item, name) for item, name in rows]
