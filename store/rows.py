"""Light read-only rows: what the rules, the lists, the card and the digests read of an account,
its people and its open items, and nothing else.

One shape for every reader (`store.snapshots.load_snapshots` fills them from plain SQL rows,
never ORM objects): a named tuple is built in C from the row, reads an attribute about ten times
faster than an ORM instance or a SQLAlchemy `Row`, and carries no session bookkeeping, which is
what lets an owner's 200 accounts, or a whole team's digests, be read and judged quickly.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Column, Table

from store.enums import (
    ActionStatus,
    Influence,
    ItemKind,
    OrgLevel,
    RenewalStage,
    Role,
    SavePhase,
    Segment,
    Sentiment,
    StakeholderStatus,
)
from store.models import Account, ActionItem, Stakeholder


class AccountRow(NamedTuple):
    """An account, without its timestamps and version (a form reads the ORM object instead)."""

    id: int
    team_id: str
    name: str
    name_key: str
    channel_id: str | None
    owner_user_id: str | None
    arr: Decimal
    currency: str
    renewal_date: date | None
    segment: Segment
    seats_licensed: int | None
    seats_active: int | None
    renewal_stage: RenewalStage
    renewal_signed_on: date | None
    notice_date: date | None
    churned_on: date | None
    churn_reason: str | None
    fiscal_year_start_month: int | None = None
    """The customer's fiscal year's first month (the expansion engine's budget cycle)."""


class PersonRow(NamedTuple):
    """A stakeholder on an account's map, as the rules and the card read them."""

    id: int
    account_id: int
    name: str
    title: str | None
    role: Role
    influence: Influence
    sentiment: Sentiment
    status: StakeholderStatus
    relationship_owner_user_id: str | None
    last_contacted_on: date | None
    departed_on: date | None
    left_for_company: str | None
    department_id: int | None = None
    level: OrgLevel | None = None


class ItemRow(NamedTuple):
    """An item (mutual-action item or internal task, by `kind`), as the rules, the card's plan
    and tasks, and the App Home read it."""

    id: int
    account_id: int
    title: str
    our_owner_user_id: str | None
    customer_owner_stakeholder_id: int | None
    customer_owner_name: str | None
    due_on: date
    status: ActionStatus
    link: str | None
    blocked_reason: str | None
    completed_at: datetime | None
    completed_by_user_id: str | None
    kind: ItemKind
    save_plan_id: int | None
    phase: SavePhase | None


def columns(model: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
    """The model's table columns a row type names, in its order: select them, then `_make`."""
    table: Table = model.__table__
    found: tuple[Column[Any], ...] = tuple(table.c[name] for name in fields)
    return found


ACCOUNT_COLUMNS = columns(Account, AccountRow._fields)
PERSON_COLUMNS = columns(Stakeholder, PersonRow._fields)
ITEM_COLUMNS = columns(ActionItem, ItemRow._fields)
