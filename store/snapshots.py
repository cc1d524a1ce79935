"""Loads what the rules need for any number of accounts in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import cache, partial
from itertools import chain, groupby
from operator import attrgetter, itemgetter
from typing import Any, Generic, NamedTuple, TypeVar, cast

from sqlalchemy import Connection, Select, and_, bindparam, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import OPEN_ACTION_STATUSES, ItemKind
from store.models import (
    ON_MAP,
    Account,
    ActionItem,
    BandOverride,
    ContactLog,
    Stakeholder,
    StakeholderChange,
)
from store.rows import ACCOUNT_COLUMNS, ITEM_COLUMNS, PERSON_COLUMNS, AccountRow, ItemRow, PersonRow
from store.save_plans import save_plan_query, save_plans_of
from store.signals import AccountSnapshot, Override
from store.types import utcnow
from store.usage import usage_of, usage_params, usage_query


def account_scope(
    *,
    team_id: str,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
) -> Select[int | None]:
    """The ids of a team's live accounts, optionally narrowed to some ids or one owner. A
    churned account is inactive: left out of every list, portfolio and digest, read only when
    asked for by its id (its card)."""
    scope = _scope(by_ids=account_ids is not None, by_owner=owner_user_id is not None)
    return scope.params(_scope_params(team_id, account_ids, owner_user_id))


def _scope(*, by_ids: bool, by_owner: bool) -> Select[int | None]:
    """`account_scope`'s query, its team, ids and owner bound at execution (`_scope_params`)."""
    scope = select(col(Account.id)).where(
        Account.team_id == bindparam("scope_team"),
        col(Account.archived).is_(False),
    )
    if by_ids:
        scope = scope.where(col(Account.id).in_(bindparam("scope_ids", expanding=True)))
    else:
        scope = scope.where(col(Account.churned_on).is_(None))
    if by_owner:
        scope = scope.where(Account.owner_user_id == bindparam("scope_owner"))
    return scope


def _scope_params(
    team_id: str, account_ids: Sequence[int] | None, owner_user_id: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"scope_team": team_id}
    if account_ids is not None:
        params["scope_ids"] = list(account_ids)
    if owner_user_id is not None:
        params["scope_owner"] = owner_user_id
    return params


OVERRIDE_COLUMNS: tuple[Any, ...] = (
    BandOverride.band,
    BandOverride.reason,
    BandOverride.expires_on,
    BandOverride.set_by_user_id,
    BandOverride.set_at,
    BandOverride.rules_band,
)
"""An account's uncleared override, read in the accounts' own query (an outer join)."""
LAST_ACTIVITY: tuple[Any, ...] = (
    select_columns(func.max(StakeholderChange.changed_at))
    .where(col(StakeholderChange.account_id) == col(Account.id))
    .scalar_subquery(),
    select_columns(func.max(ContactLog.contacted_on))
    .where(col(ContactLog.account_id) == col(Account.id))
    .scalar_subquery(),
)
"""An account's latest map change and latest contact, read in the accounts' own query: one
seek down each table's (account, day) index per account, where grouping them read every change
and contact of every account in two more statements."""
CHUNK = 2_000
"""Rows fetched from the driver at a time (`yield_per`): a whole team's people are never held
twice over, as driver tuples and as light rows, only this many at once."""
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
    today: date | None = None,
) -> list[AccountSnapshot]:
    """Snapshots of the chosen accounts, by name, each with its uncleared override and its
    usage as read on `today` (the UTC day by default) and its current save plan; five queries
    whatever their number.

    Accounts, people and items come back as light read-only rows (`store.rows`: only the
    columns their readers use, no ORM instance), several times lighter and faster to read than
    ORM objects, for one card as for an owner's portfolio.
    """
    found = sorted(
        stream_snapshots(
            session,
            team_id=team_id,
            account_ids=account_ids,
            owner_user_id=owner_user_id,
            chunk=None,
            today=today,
        ),
        key=itemgetter(0),
    )
    return [snapshot for _, snapshot in found]


def stream_snapshots(
    session: Session,
    *,
    team_id: str,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
    chunk: int | None = CHUNK,
    today: date | None = None,
) -> Iterator[tuple[int, AccountSnapshot]]:
    """`(place by name, snapshot)` of the chosen accounts, in the order of their ids: the same
    five queries as `load_snapshots`, whose people and items are streamed `chunk` rows at a time
    (`yield_per`; ordered by account) and handed out account by account. A reader that keeps
    only what it makes of each snapshot (a whole team's digests) never holds every person at
    once. `chunk=None` reads them in one go, which costs a little less CPU (`yield_per` fetched
    150,000 people in about a sixth more): for an owner's few thousand people.
    Read it inside the session's transaction."""
    connection = session.connection()
    built = _snapshot_statements(
        by_ids=account_ids is not None,
        by_owner=owner_user_id is not None,
        postgres=connection.dialect.name == "postgresql",
    )
    params = _scope_params(team_id, account_ids, owner_user_id)
    found = connection.execute(built.accounts, params).all()
    if not found:
        return
    width, end = len(ACCOUNT_COLUMNS), len(ACCOUNT_COLUMNS) + len(OVERRIDE_COLUMNS)
    accounts = [
        (AccountRow._make(row[:width]), _override(row[width:end]), _last_activity(*row[end:]))
        for row in found
    ]
    usage = usage_of(
        connection.execute(built.usage, params | usage_params(today or utcnow().date())).all()
    )
    plans = save_plans_of(connection.execute(built.plans, params).all())
    people = _ByAccount(rows_of(PersonRow), _fetched(connection, built.people, params, chunk))
    items = _ByAccount(rows_of(ItemRow), _fetched(connection, built.items, params, chunk))
    for place in sorted(range(len(accounts)), key=lambda i: accounts[i][0].id):
        account, override, activity = accounts[place]
        open_items = items.take(account.id)
        yield (
            place,
            AccountSnapshot(
                account=account,
                stakeholders=people.take(account.id),
                open_actions=tuple(i for i in open_items if i.kind is ItemKind.MUTUAL),
                open_tasks=tuple(i for i in open_items if i.kind is ItemKind.INTERNAL),
                last_map_activity=activity,
                override=override,
                usage=usage.get(account.id),
                save_plan=plans.get(account.id),
            ),
        )


Statement = Select[*tuple[Any, ...]]
"""A select of any columns."""


class _Statements(NamedTuple):
    """A snapshot's five statements for one shape of scope, their parameters bound at
    execution (`_scope_params`, and the usage's days)."""

    accounts: Statement
    usage: Statement
    plans: Statement
    people: Statement
    items: Statement


@cache
def _snapshot_statements(*, by_ids: bool, by_owner: bool, postgres: bool) -> _Statements:
    """Built once per shape of scope (a card's ids, an owner's, the whole team) and dialect:
    built per call, the statements cost more Python than SQLite took to answer them for a card
    (SQLAlchemy's coercions and cache keys, about 15 % of a card's CPU)."""
    scope = _scope(by_ids=by_ids, by_owner=by_owner)
    return _Statements(
        accounts=select_columns(*ACCOUNT_COLUMNS, *OVERRIDE_COLUMNS, *LAST_ACTIVITY)
        .outerjoin(BandOverride, UNCLEARED_OVERRIDE)
        .where(col(Account.id).in_(scope))
        .order_by(Account.name_key),
        usage=usage_query(scope, postgres=postgres),
        plans=save_plan_query(scope),
        people=select_columns(*PERSON_COLUMNS)
        .where(col(Stakeholder.account_id).in_(scope), ON_MAP)
        .order_by(col(Stakeholder.account_id), col(Stakeholder.name)),
        items=select_columns(*ITEM_COLUMNS)
        .where(
            col(ActionItem.account_id).in_(scope),
            col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
        )
        .order_by(col(ActionItem.account_id), col(ActionItem.due_on), col(ActionItem.id)),
    )


Row = TypeVar("Row", PersonRow, ItemRow)


def rows_of(kind: type[Row]) -> Callable[[Any], Row]:
    """Makes a light row of `kind` from a row of exactly its columns, in C: `tuple.__new__`
    without the Python frame of `_make` (a team's digests make 180,000 of them)."""
    return cast(Callable[[Any], Row], partial(tuple.__new__, kind))


def _fetched(
    connection: Connection, statement: Statement, params: dict[str, Any], chunk: int | None
) -> Iterable[Any]:
    """The statement's rows on the session's connection, as SQLAlchemy Core rows (the ORM's
    result machinery adds nothing to plain columns but time): all at once (one `fetchall`, not a
    `fetchone` per row) or, with `chunk`, streamed that many at a time (`yield_per`)."""
    if chunk is None:
        return connection.execute(statement, params).all()
    result = connection.execute(statement, params, execution_options={"yield_per": chunk})
    # Whole partitions (`fetchmany`) chained, not the result iterated: iterating a streamed
    # result fetches a row at a time through SQLAlchemy's Python (a team's 150,000 people).
    return chain.from_iterable(result.partitions(chunk))


class _ByAccount(Generic[Row]):
    """Rows ordered by account id, taken an account at a time, in increasing account ids."""

    def __init__(self, make: Callable[[Any], Row], rows: Iterable[Any]) -> None:
        self._groups: Iterator[tuple[int, Iterator[Row]]] = groupby(
            map(make, rows), key=attrgetter("account_id")
        )
        self._next: tuple[int, Iterator[Row]] | None = next(self._groups, None)

    def take(self, account_id: int) -> tuple[Row, ...]:
        while self._next is not None and self._next[0] < account_id:
            self._next = next(self._groups, None)
        if self._next is None or self._next[0] != account_id:
            return ()
        mine = tuple(self._next[1])
        self._next = next(self._groups, None)
        return mine


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


def _last_activity(changed: object, contacted: object) -> date | None:
    """The latest day a stakeholder was added, changed or contacted (None: never)."""
    days = [_as_date(at) for at in (changed, contacted) if at is not None]
    return max(days) if days else None


def _as_date(value: object) -> date:
    """Aggregates come back untyped on SQLite (ISO text); normalise them to dates."""
    if isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(str(value)[:10])
