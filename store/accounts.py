"""Accounts: create, find and summarise, always scoped by team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store.enums import OPEN_ACTION_STATUSES, Role, Segment, StakeholderStatus
from store.errors import DuplicateAccountName
from store.models import Account, ActionItem, Stakeholder


def name_key(name: str) -> str:
    """The form names are compared in: spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


def create_account(
    session: Session,
    *,
    team_id: str,
    name: str,
    owner_user_id: str | None = None,
    channel_id: str | None = None,
    arr: Decimal = Decimal("0"),
    currency: str = "USD",
    renewal_date: date | None = None,
    contract_start: date | None = None,
    segment: Segment = Segment.MID_MARKET,
    seats_licensed: int | None = None,
    seats_active: int | None = None,
    products: Sequence[str] = (),
    external_crm_id: str | None = None,
) -> Account:
    """Insert an account; a name already used in the team (ignoring case) is refused."""
    clean_name = " ".join(name.split())
    if existing := find_account_by_name(session, team_id=team_id, name=clean_name):
        raise _duplicate(existing)
    account = Account(
        team_id=team_id,
        name=clean_name,
        name_key=name_key(clean_name),
        owner_user_id=owner_user_id,
        channel_id=channel_id,
        arr=arr,
        currency=currency.upper(),
        renewal_date=renewal_date,
        contract_start=contract_start,
        segment=segment,
        seats_licensed=seats_licensed,
        seats_active=seats_active,
        products=list(products),
        external_crm_id=external_crm_id,
    )
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()
    except IntegrityError:
        if existing := find_account_by_name(session, team_id=team_id, name=clean_name):
            raise _duplicate(existing) from None  # created concurrently since the check above
        raise
    return account


def _duplicate(existing: Account) -> DuplicateAccountName:
    return DuplicateAccountName(f"An account named {existing.name} already exists.", field="name")


def get_account(session: Session, *, team_id: str, account_id: int) -> Account | None:
    return session.execute(
        select(Account).where(Account.team_id == team_id, Account.id == account_id)
    ).scalar_one_or_none()


def find_account_by_name(session: Session, *, team_id: str, name: str) -> Account | None:
    """The team's account with exactly this name, ignoring case and extra spaces."""
    return session.execute(
        select(Account).where(Account.team_id == team_id, Account.name_key == name_key(name))
    ).scalar_one_or_none()


def find_account_by_channel(session: Session, *, team_id: str, channel_id: str) -> Account | None:
    return session.execute(
        select(Account)
        .where(
            Account.team_id == team_id,
            Account.channel_id == channel_id,
            Account.archived.is_(False),  # type: ignore[attr-defined]
        )
        .order_by(Account.id)
        .limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """An account with the counts a portfolio line needs, computed in one query."""

    account: Account
    active_stakeholders: int
    departed_stakeholders: int
    champions: int
    open_actions: int
    overdue_actions: int

    def days_to_renewal(self, today: date) -> int | None:
        renewal = self.account.renewal_date
        return None if renewal is None else (renewal - today).days


def summarise_accounts(
    session: Session,
    *,
    team_id: str,
    today: date,
    owner_user_id: str | None = None,
    account_ids: Sequence[int] | None = None,
) -> list[AccountSummary]:
    """Accounts of a team (optionally one owner's, or given ids) with their counts, by name."""
    scope = select(Account.id).where(
        Account.team_id == team_id,
        Account.archived.is_(False),  # type: ignore[attr-defined]
    )
    if owner_user_id is not None:
        scope = scope.where(Account.owner_user_id == owner_user_id)
    if account_ids is not None:
        scope = scope.where(Account.id.in_(account_ids))  # type: ignore[union-attr]
    active = Stakeholder.status == StakeholderStatus.ACTIVE
    people = (
        select(
            Stakeholder.account_id,
            func.sum(case((active, 1), else_=0)).label("active"),
            func.sum(case((active, 0), else_=1)).label("departed"),
            func.sum(case((active & (Stakeholder.role == Role.CHAMPION), 1), else_=0)).label(
                "champions"
            ),
        )
        .where(Stakeholder.account_id.in_(scope))  # type: ignore[attr-defined]
        .group_by(Stakeholder.account_id)
        .subquery()
    )
    is_open = ActionItem.status.in_(OPEN_ACTION_STATUSES)  # type: ignore[attr-defined]
    actions = (
        select(
            ActionItem.account_id,
            func.count().label("open"),
            func.sum(case((ActionItem.due_on < today, 1), else_=0)).label("overdue"),
        )
        .where(ActionItem.account_id.in_(scope), is_open)  # type: ignore[attr-defined]
        .group_by(ActionItem.account_id)
        .subquery()
    )
    query = (
        select(
            Account,
            func.coalesce(people.c.active, 0),
            func.coalesce(people.c.departed, 0),
            func.coalesce(people.c.champions, 0),
            func.coalesce(actions.c.open, 0),
            func.coalesce(actions.c.overdue, 0),
        )
        .outerjoin(people, people.c.account_id == Account.id)
        .outerjoin(actions, actions.c.account_id == Account.id)
        .where(Account.id.in_(scope))  # type: ignore[union-attr]
        .order_by(Account.name_key)
    )
    return [
        AccountSummary(
            account=row[0],
            active_stakeholders=int(row[1]),
            departed_stakeholders=int(row[2]),
            champions=int(row[3]),
            open_actions=int(row[4]),
            overdue_actions=int(row[5]),
        )
        for row in session.execute(query)
    ]
