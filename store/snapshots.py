"""Loads what the rules need for any number of accounts in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, inspect
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import OPEN_ACTION_STATUSES
from store.models import (
    ON_MAP,
    Account,
    ActionItem,
    BandOverride,
    ContactLog,
    Stakeholder,
    StakeholderChange,
)
from store.signals import AccountSnapshot, Override
from store.types import utcnow
from store.usage import usage_trends


def account_scope(
    *,
    team_id: str,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
) -> Select[int | None]:
    """The ids of a team's live accounts, optionally narrowed to some ids or one owner."""
    scope = select(col(Account.id)).where(
        Account.team_id == team_id,
        col(Account.archived).is_(False),
    )
    if account_ids is not None:
        scope = scope.where(col(Account.id).in_(account_ids))
    if owner_user_id is not None:
        scope = scope.where(Account.owner_user_id == owner_user_id)
    return scope


LIGHT_COLUMNS: dict[Any, tuple[Any, ...]] = {
    Account: tuple(
        c for c in inspect(Account).columns if c.name not in {"created_at", "updated_at", "version"}
    ),
    Stakeholder: tuple(
        c
        for c in inspect(Stakeholder).columns
        if c.name not in {"created_at", "updated_at", "notes", "email", "version", "team_id"}
    ),
    ActionItem: tuple(
        c
        for c in inspect(ActionItem).columns
        if c.name not in {"created_at", "created_by_user_id", "version", "team_id", "link"}
    ),
}
"""What the rules, the digests and their templates read; rows carry nothing else."""
OVERRIDE_COLUMNS: tuple[Any, ...] = (
    BandOverride.band,
    BandOverride.reason,
    BandOverride.expires_on,
    BandOverride.set_by_user_id,
    BandOverride.set_at,
    BandOverride.rules_band,
)
"""An account's uncleared override, read in the accounts' own query (an outer join)."""
UNCLEARED_OVERRIDE = and_(
    col(BandOverride.account_id) == col(Account.id),
    col(BandOverride.cleared_at).is_(None),
)


def load_snapshots(
    session: Session,
    *,
    team_id: str,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
    rows: bool = False,
    today: date | None = None,
) -> list[AccountSnapshot]:
    """Snapshots of the chosen accounts, by name, each with its uncleared override and its
    usage as read on `today` (the UTC day by default); six queries whatever their number.

    With `rows`, accounts, people and items come back as plain read-only rows (typed values,
    attribute access) instead of ORM objects: several times lighter for a whole team's digests.
    """
    scope = account_scope(team_id=team_id, account_ids=account_ids, owner_user_id=owner_user_id)

    def fetch(model: Any, query: Any) -> Any:
        selected = select(*LIGHT_COLUMNS[model]) if rows else select(model)
        result = session.execute(query(selected))
        return result.all() if rows else result.scalars().all()

    account_columns: tuple[Any, ...] = LIGHT_COLUMNS[Account] if rows else (Account,)
    found = session.execute(
        select_columns(*account_columns, *OVERRIDE_COLUMNS)
        .outerjoin(BandOverride, UNCLEARED_OVERRIDE)
        .where(col(Account.id).in_(scope))
        .order_by(Account.name_key)
    ).all()
    if not found:
        return []
    width = len(account_columns)
    accounts: list[Any] = [row if rows else row[0] for row in found]
    overrides = [_override(row[width:]) for row in found]
    people: dict[int, list[Stakeholder]] = defaultdict(list)
    for person in fetch(
        Stakeholder,
        lambda q: q.where(col(Stakeholder.account_id).in_(scope), ON_MAP).order_by(
            Stakeholder.account_id, Stakeholder.name
        ),
    ):
        people[person.account_id].append(person)
    actions: dict[int, list[ActionItem]] = defaultdict(list)
    for item in fetch(
        ActionItem,
        lambda q: q.where(
            col(ActionItem.account_id).in_(scope),
            col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
        ).order_by(ActionItem.due_on, ActionItem.id),
    ):
        actions[item.account_id].append(item)
    activity = _last_map_activity(session, scope=scope)
    usage = usage_trends(session, scope=scope, today=today or utcnow().date())
    return [
        AccountSnapshot(
            account=account,
            stakeholders=tuple(people[account.id]),
            open_actions=tuple(actions[account.id]),
            last_map_activity=activity.get(account.id),
            override=override,
            usage=usage.get(account.id),
        )
        for account, override in zip(accounts, overrides, strict=True)
    ]


def _override(values: Sequence[Any]) -> Override | None:
    """The override columns of an account's row (all None without one)."""
    band, reason, expires_on, by, at, rules_band = values
    if band is None:
        return None
    return Override(
        band=band,
        reason=reason,
        expires_on=expires_on,
        set_by_user_id=by,
        set_at=at,
        rules_band=rules_band,
    )


def _last_map_activity(session: Session, *, scope: Select[int | None]) -> dict[int, date]:
    """The latest day a stakeholder was added, changed or contacted, per account."""
    latest: dict[int, date] = {}
    changed = session.execute(
        select(StakeholderChange.account_id, func.max(StakeholderChange.changed_at))
        .where(col(StakeholderChange.account_id).in_(scope))
        .group_by(col(StakeholderChange.account_id))
    )
    for account_id, at in changed:
        latest[account_id] = _as_date(at)
    contacted = session.execute(
        select(ContactLog.account_id, func.max(ContactLog.contacted_on))
        .where(col(ContactLog.account_id).in_(scope))
        .group_by(col(ContactLog.account_id))
    )
    for account_id, on in contacted:
        day = _as_date(on)
        if account_id not in latest or day > latest[account_id]:
            latest[account_id] = day
    return latest


def _as_date(value: object) -> date:
    """Aggregates come back untyped on SQLite (ISO text); normalise them to dates."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(str(value)[:10])
