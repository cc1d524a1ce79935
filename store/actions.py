"""Mutual-action-plan items."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from store.enums import OPEN_ACTION_STATUSES
from store.models import Account, ActionItem


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
    item = ActionItem(
        team_id=team_id,
        account_id=account_id,
        title=" ".join(title.split()),
        due_on=due_on,
        our_owner_user_id=our_owner_user_id,
        customer_owner_stakeholder_id=customer_owner_stakeholder_id,
        customer_owner_name=customer_owner_name,
        link=link,
        created_by_user_id=by_user_id,
    )
    session.add(item)
    session.flush()
    return item


def open_actions_owned_by(
    session: Session, *, team_id: str, user_id: str
) -> list[tuple[ActionItem, str]]:
    """A user's open commitments across the team's live accounts, earliest due first."""
    rows = session.execute(
        select(ActionItem, Account.name)
        .join(Account, Account.id == ActionItem.account_id)
        .where(
            ActionItem.team_id == team_id,
            ActionItem.our_owner_user_id == user_id,
            ActionItem.status.in_(OPEN_ACTION_STATUSES),  # type: ignore[attr-defined]
            Account.archived.is_(False),  # type: ignore[attr-defined]
        )
        .order_by(ActionItem.due_on, ActionItem.id)
    )
    return [(item, name) for item, name in rows]
