"""Business events at the customer (a funding round, a new leader, a reorganisation, ...): a
dated, queryable record, logged by the form, the message shortcut or a CSV import, read by the
card and by the growth rules."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import EventKind, EventSource
from store.errors import StoreError
from store.models import AccountDepartment, BusinessEvent
from store.rows import columns
from store.types import utcnow
from store.unique import saved_once

RECENT_DAYS = 90
"""The card shows the events of the last 90 days."""


class EventRefused(StoreError):
    """An event the record refuses (the same kind on the same day already logged)."""


class EventRow(NamedTuple):
    """An event as the card, the rules and later the QBR read it."""

    id: int
    account_id: int
    kind: EventKind
    happened_on: date
    note: str
    link: str | None
    source: EventSource
    recorded_by_user_id: str | None


EVENT_COLUMNS = columns(BusinessEvent, EventRow._fields)


def events_of(
    session: Session,
    *,
    team_id: str,
    account_ids: Collection[int] | Select[Any],
    since: date | None = None,
) -> dict[int, list[EventRow]]:
    """The events of these accounts (some ids, or a subquery of them: a whole team's, never
    bound one value per account), on or after `since`, newest first, per account: one
    statement whatever the number of accounts."""
    if isinstance(account_ids, Collection) and not account_ids:
        return {}
    query = select_columns(*EVENT_COLUMNS).where(
        col(BusinessEvent.team_id) == team_id, col(BusinessEvent.account_id).in_(account_ids)
    )
    if since is not None:
        query = query.where(col(BusinessEvent.happened_on) >= since)
    query = query.order_by(col(BusinessEvent.happened_on).desc(), col(BusinessEvent.id).desc())
    found: dict[int, list[EventRow]] = {}
    for row in session.connection().execute(query):
        event = EventRow._make(row)
        found.setdefault(event.account_id, []).append(event)
    return found


def _same_day(
    session: Session, *, account_id: int, kind: EventKind, on: date
) -> BusinessEvent | None:
    return session.exec(
        select(BusinessEvent).where(
            BusinessEvent.account_id == account_id,
            BusinessEvent.kind == kind,
            BusinessEvent.happened_on == on,
        )
    ).first()


def log_event(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    kind: EventKind,
    happened_on: date,
    note: str = "",
    link: str | None = None,
    source: EventSource = EventSource.FORM,
    by_user_id: str | None,
) -> BusinessEvent:
    """Log one event; the same kind on the same day of one account is refused (the record keeps
    one, so an import run again writes nothing twice)."""

    def check() -> None:
        if _same_day(session, account_id=account_id, kind=kind, on=happened_on) is not None:
            raise EventRefused(
                f"This account already has a {kind.value.replace('_', ' ')} event on "
                f"{happened_on:%-d %b %Y}.",
                field="happened_on",
            )

    check()
    event = BusinessEvent(
        team_id=team_id,
        account_id=account_id,
        kind=kind,
        happened_on=happened_on,
        note=note,
        link=link,
        source=source,
        recorded_by_user_id=by_user_id,
        recorded_at=utcnow(),
    )
    saved_once(session, write=lambda: session.add(event), check=check)
    return event


class DepartmentFact(NamedTuple):
    """A department as the card's coverage line reads it."""

    id: int
    name: str
    uses_product: bool


class OrgFacts(NamedTuple):
    """What the card shows of an account's org and news: its departments and recent events."""

    departments: list[DepartmentFact]
    events: list[EventRow]


_DEPARTMENTS = (
    select_columns(*columns(AccountDepartment, DepartmentFact._fields))
    .where(
        col(AccountDepartment.team_id) == bindparam("team_id"),
        col(AccountDepartment.account_id) == bindparam("account_id"),
    )
    .order_by(col(AccountDepartment.name_key))
)
_RECENT_EVENTS = (
    select_columns(*EVENT_COLUMNS)
    .where(
        col(BusinessEvent.team_id) == bindparam("team_id"),
        col(BusinessEvent.account_id) == bindparam("account_id"),
        col(BusinessEvent.happened_on) >= bindparam("since"),
    )
    .order_by(col(BusinessEvent.happened_on).desc(), col(BusinessEvent.id).desc())
)
"""Built once: every card reads them (as Core rows on the session's connection)."""


def org_facts(session: Session, *, team_id: str, account_id: int, today: date) -> OrgFacts:
    """The account's departments, by name, and its events of the last `RECENT_DAYS` days,
    newest first (two statements, whatever the portfolio's size)."""
    connection = session.connection()
    mine = {"team_id": team_id, "account_id": account_id}
    since = today - timedelta(days=RECENT_DAYS)
    return OrgFacts(
        departments=[
            DepartmentFact._make(row) for row in connection.execute(_DEPARTMENTS, mine).all()
        ],
        events=[
            EventRow._make(row)
            for row in connection.execute(_RECENT_EVENTS, mine | {"since": since}).all()
        ],
    )


class NewEvent(NamedTuple):
    """An event to record in bulk (an import's row, its account found)."""

    account_id: int
    kind: EventKind
    happened_on: date
    note: str
    link: str | None


class Recorded(StrEnum):
    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


def record_events(
    session: Session, *, team_id: str, events: Sequence[NewEvent], source: EventSource
) -> list[Recorded]:
    """Record a batch of events (their account, kind and day distinct): new ones added, one of
    the same account, kind and day as recorded left alone, or its note and link replaced when
    they differ. One read for the batch, so an import run again writes nothing twice."""
    if not events:
        return []
    existing = {
        (row.account_id, row.kind, row.happened_on): row
        for row in session.exec(
            select(BusinessEvent).where(
                BusinessEvent.team_id == team_id,
                col(BusinessEvent.account_id).in_({e.account_id for e in events}),
                col(BusinessEvent.happened_on).in_({e.happened_on for e in events}),
            )
        )
    }
    now = utcnow()
    outcomes: list[Recorded] = []
    for new in events:
        found = existing.get((new.account_id, new.kind, new.happened_on))
        if found is None:
            session.add(
                BusinessEvent(
                    team_id=team_id,
                    account_id=new.account_id,
                    kind=new.kind,
                    happened_on=new.happened_on,
                    note=new.note,
                    link=new.link,
                    source=source,
                    recorded_at=now,
                )
            )
            outcomes.append(Recorded.CREATED)
        elif (found.note, found.link) == (new.note, new.link):
            outcomes.append(Recorded.UNCHANGED)
        else:
            found.note, found.link, found.recorded_at = new.note, new.link, now
            outcomes.append(Recorded.REPLACED)
    session.flush()
    return outcomes
