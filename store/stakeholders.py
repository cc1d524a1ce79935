"""Stakeholders and contact logs. Every change to a person leaves StakeholderChange rows, written
in the same transaction as the change, so the map's history can be read back and replayed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.champion_leads import lead_from_departure
from store.departments import check_department
from store.enums import (
    ContactChannel,
    Influence,
    OrgLevel,
    Role,
    Sentiment,
    StakeholderStatus,
)
from store.errors import NotFound, StoreError, check_version
from store.models import (
    ON_MAP,
    AccountChange,
    BandOverride,
    ContactLog,
    Stakeholder,
    StakeholderChange,
    saved_id,
)
from store.names import clean_name, email_key, name_key
from store.types import utcnow
from store.unique import saved_once

CREATED = "created"
TRACKED_FIELDS = (
    "name",
    "title",
    "role",
    "influence",
    "sentiment",
    "status",
    "reports_to_id",
    "relationship_owner_user_id",
    "email",
    "notes",
    "departed_on",
    "left_for_company",
    "left_for_title",
    "department_id",
    "level",
)
"""The fields of a person whose every change is remembered."""
LEAD_FIELDS = frozenset(
    ("name", "role", "status", "departed_on", "left_for_company", "left_for_title")
)
"""A change to any of these may make (or update) the person's lead from a champion move."""


class DuplicateStakeholder(StoreError):
    pass


class InvalidReportsTo(StoreError):
    pass


def as_text(value: Any) -> str | None:
    """How a field's value is written into the change history."""
    if value is None:
        return None
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _snapshot(person: Stakeholder) -> dict[str, str | None]:
    return {field: as_text(getattr(person, field)) for field in TRACKED_FIELDS}


def get_stakeholder(
    session: Session, *, team_id: str, stakeholder_id: int, for_update: bool = False
) -> Stakeholder | None:
    """The person, if still on a map; `for_update` locks the row until the transaction ends
    (no lost update)."""
    query = select(Stakeholder).where(
        Stakeholder.team_id == team_id, Stakeholder.id == stakeholder_id, ON_MAP
    )
    if for_update:
        query = query.with_for_update()
    return session.exec(query).one_or_none()


def _require(session: Session, *, team_id: str, stakeholder_id: int) -> Stakeholder:
    person = get_stakeholder(
        session, team_id=team_id, stakeholder_id=stakeholder_id, for_update=True
    )
    if person is None:
        raise NotFound("That stakeholder is no longer on the map.")
    return person


def list_stakeholders(session: Session, *, team_id: str, account_id: int) -> list[Stakeholder]:
    return list(
        session.exec(
            select(Stakeholder)
            .where(Stakeholder.team_id == team_id, Stakeholder.account_id == account_id, ON_MAP)
            .order_by(Stakeholder.name)
        )
    )


def _check_duplicate(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    name: str,
    email: str | None,
    except_id: int | None = None,
) -> None:
    """The same person twice on one map is refused: the same name by its key (case, accents
    typed apart, letter widths and spacing ignored), or the same email ignoring case."""
    same: ColumnElement[bool] = col(Stakeholder.name_key) == name_key(name)
    if key := email_key(email):
        same = or_(same, col(Stakeholder.email_key) == key)
    query = select(Stakeholder).where(
        Stakeholder.team_id == team_id, Stakeholder.account_id == account_id, ON_MAP, same
    )
    if except_id is not None:
        query = query.where(Stakeholder.id != except_id)
    existing = session.exec(query.order_by(col(Stakeholder.id)).limit(1)).one_or_none()
    if existing is None:
        return
    by_email = existing.name_key != name_key(name)
    what = f"email {existing.email}" if by_email else f"name {existing.name}"
    status = " (departed)" if existing.status is StakeholderStatus.DEPARTED else ""
    raise DuplicateStakeholder(
        f"{existing.name}{status} is already on the map with that {what.split()[0]}.",
        field="email" if by_email else "name",
    )


def _check_reports_to(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    person_id: int | None,
    reports_to_id: int | None,
) -> None:
    """A manager must be on the same account's map, and the chain must not loop."""
    if reports_to_id is None:
        return
    managers = {
        saved_id(person): manager
        for person, manager in session.exec(
            select(col(Stakeholder.id), col(Stakeholder.reports_to_id)).where(
                Stakeholder.team_id == team_id, Stakeholder.account_id == account_id, ON_MAP
            )
        )
    }
    if reports_to_id not in managers:
        raise InvalidReportsTo("Pick someone on this account's map.", field="reports_to_id")
    seen: set[int] = set()
    current: int | None = reports_to_id
    while current is not None and current not in seen:
        if current == person_id:
            raise InvalidReportsTo(
                "That would make a reporting loop: they already report to this person.",
                field="reports_to_id",
            )
        seen.add(current)
        current = managers.get(current)


def _record(
    session: Session,
    person: Stakeholder,
    *,
    field: str,
    old: str | None,
    new: str | None,
    by_user_id: str | None,
    at: datetime,
) -> None:
    session.add(
        StakeholderChange(
            team_id=person.team_id,
            account_id=person.account_id,
            stakeholder_id=saved_id(person.id),
            field=field,
            old_value=old,
            new_value=new,
            changed_by_user_id=by_user_id,
            changed_at=at,
        )
    )


def add_stakeholder(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    name: str,
    role: Role,
    by_user_id: str | None,
    title: str | None = None,
    influence: Influence = Influence.MEDIUM,
    sentiment: Sentiment = Sentiment.NEUTRAL,
    reports_to_id: int | None = None,
    relationship_owner_user_id: str | None = None,
    last_contacted_on: date | None = None,
    email: str | None = None,
    notes: str | None = None,
    department_id: int | None = None,
    level: OrgLevel | None = None,
) -> Stakeholder:
    """Put a person on the map and remember every field they started with."""
    name = clean_name(name)
    check_department(session, team_id=team_id, account_id=account_id, department_id=department_id)

    def check() -> None:
        _check_duplicate(session, team_id=team_id, account_id=account_id, name=name, email=email)

    check()
    _check_reports_to(
        session, team_id=team_id, account_id=account_id, person_id=None, reports_to_id=reports_to_id
    )
    now = utcnow()
    person = Stakeholder(
        team_id=team_id,
        account_id=account_id,
        name=name,
        name_key=name_key(name),
        title=title,
        role=role,
        influence=influence,
        sentiment=sentiment,
        reports_to_id=reports_to_id,
        relationship_owner_user_id=relationship_owner_user_id,
        last_contacted_on=last_contacted_on,
        email=email.strip() if email else None,
        email_key=email_key(email),
        notes=notes,
        department_id=department_id,
        level=level,
        created_at=now,
        updated_at=now,
    )
    saved_once(session, write=lambda: session.add(person), check=check)
    _record(
        session,
        person,
        field=CREATED,
        old=None,
        new=json.dumps(_snapshot(person)),
        by_user_id=by_user_id,
        at=now,
    )
    return person


def update_stakeholder(
    session: Session,
    *,
    team_id: str,
    stakeholder_id: int,
    by_user_id: str | None,
    expected_version: int | None = None,
    **changes: Any,
) -> Stakeholder:
    """Change tracked fields of a person; each changed field leaves one history row. With
    `expected_version` (what the editor saw), a person changed since is refused, not overwritten."""
    unknown = set(changes) - set(TRACKED_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be changed this way")
    person = _require(session, team_id=team_id, stakeholder_id=stakeholder_id)
    check_version(expected_version, person.version, what=person.name)
    if "name" in changes:
        changes["name"] = clean_name(str(changes["name"]))
    if changes.get("email"):
        changes["email"] = str(changes["email"]).strip()

    def check() -> None:
        _check_duplicate(
            session,
            team_id=team_id,
            account_id=person.account_id,
            name=changes.get("name", person.name),
            email=changes.get("email", person.email),
            except_id=person.id,
        )

    if "name" in changes or "email" in changes:
        check()
    if "department_id" in changes:
        check_department(
            session,
            team_id=team_id,
            account_id=person.account_id,
            department_id=changes["department_id"],
        )
    if "reports_to_id" in changes:
        _check_reports_to(
            session,
            team_id=team_id,
            account_id=person.account_id,
            person_id=person.id,
            reports_to_id=changes["reports_to_id"],
        )
    now = utcnow()
    changed = {
        field: value
        for field, value in changes.items()
        if as_text(getattr(person, field)) != as_text(value)
    }

    def write() -> None:
        for field, value in changed.items():
            old, new = as_text(getattr(person, field)), as_text(value)
            _record(session, person, field=field, old=old, new=new, by_user_id=by_user_id, at=now)
            setattr(person, field, value)
        person.name_key = name_key(person.name)
        person.email_key = email_key(person.email)
        person.updated_at = now
        person.version += 1
        if changed.keys() & LEAD_FIELDS:
            lead_from_departure(session, person=person)

    if changed:
        saved_once(session, write=write, check=check)
    return person


def mark_departed(
    session: Session,
    *,
    team_id: str,
    stakeholder_id: int,
    on: date,
    by_user_id: str | None,
    left_for_company: str | None = None,
    left_for_title: str | None = None,
    expected_version: int | None = None,
) -> Stakeholder:
    """Mark a person departed; they stay on the map (and where they went is a lead)."""
    return update_stakeholder(
        session,
        team_id=team_id,
        stakeholder_id=stakeholder_id,
        by_user_id=by_user_id,
        expected_version=expected_version,
        status=StakeholderStatus.DEPARTED,
        departed_on=on,
        left_for_company=left_for_company,
        left_for_title=left_for_title,
    )


def log_contact(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    stakeholder_ids: Sequence[int],
    contacted_on: date,
    channel: ContactChannel,
    summary: str,
    by_user_id: str | None,
    message_link: str | None = None,
) -> list[ContactLog]:
    """Log one touchpoint with one or more people of an account and move their last contact."""
    wanted = set(stakeholder_ids)
    found = set(
        session.exec(
            select(col(Stakeholder.id)).where(
                Stakeholder.team_id == team_id,
                Stakeholder.account_id == account_id,
                col(Stakeholder.id).in_(wanted),
                ON_MAP,
            )
        )
    )
    if not wanted or wanted - found:
        raise NotFound("Pick people on this account's map.", field="stakeholder_ids")
    logs = [
        ContactLog(
            team_id=team_id,
            account_id=account_id,
            stakeholder_id=stakeholder_id,
            contacted_on=contacted_on,
            channel=channel,
            summary=summary,
            message_link=message_link,
            logged_by_user_id=by_user_id,
        )
        for stakeholder_id in sorted(wanted)
    ]
    session.add_all(logs)
    session.execute(
        update(Stakeholder)
        .where(
            col(Stakeholder.id).in_(wanted),
            col(Stakeholder.last_contacted_on).is_(None)
            | (col(Stakeholder.last_contacted_on) < contacted_on),
        )
        .values(last_contacted_on=contacted_on, updated_at=utcnow())
    )
    return logs


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of an account's history: a change to a person, or a contact with them."""

    at: datetime
    stakeholder_name: str
    by_user_id: str | None
    change: StakeholderChange | None = None
    contact: ContactLog | None = None
    override: BandOverride | None = None
    """An owner's band override set (or, with `ended`, ended early by `by_user_id`)."""
    renewal: AccountChange | None = None
    """A renewal fact changed (stage, signed date, notice date, renewal date)."""
    ended: bool = False
    logged_at: datetime | None = None
    """When a contact was logged, kept beside `at`, when it happened."""


def happened_at(contact: ContactLog) -> datetime:
    """When a contact happened, for ordering history: the moment it was logged if that was on
    its day, else the end of its day (a call logged two days later sorts on the call's day)."""
    end_of_day = datetime.combine(contact.contacted_on, time.max, tzinfo=UTC)
    return min(contact.created_at, end_of_day)


def account_history(
    session: Session, *, team_id: str, account_id: int, offset: int = 0, limit: int = 10
) -> tuple[list[HistoryEntry], bool]:
    """Changes to people and to the renewal, contacts and band overrides of an account, newest
    first by when they happened
    (a contact by its day, its logging time kept beside it), one page; and whether more follow."""
    window = offset + limit + 1
    names = {
        saved_id(person): name
        for person, name in session.exec(
            select(col(Stakeholder.id), Stakeholder.name).where(
                Stakeholder.team_id == team_id, Stakeholder.account_id == account_id
            )
        )
    }
    changes = session.exec(
        select(StakeholderChange)
        .where(StakeholderChange.team_id == team_id, StakeholderChange.account_id == account_id)
        .order_by(col(StakeholderChange.changed_at).desc(), col(StakeholderChange.id).desc())
        .limit(window)
    )
    contacts = session.exec(
        select(ContactLog)
        .where(ContactLog.team_id == team_id, ContactLog.account_id == account_id)
        .order_by(
            col(ContactLog.contacted_on).desc(),
            col(ContactLog.created_at).desc(),
            col(ContactLog.id).desc(),
        )
        .limit(window)
    )
    overrides = list(
        session.exec(
            select(BandOverride)
            .where(BandOverride.team_id == team_id, BandOverride.account_id == account_id)
            .order_by(col(BandOverride.set_at).desc(), col(BandOverride.id).desc())
            .limit(window)
        )
    )
    renewals = session.exec(
        select(AccountChange)
        .where(AccountChange.team_id == team_id, AccountChange.account_id == account_id)
        .order_by(col(AccountChange.changed_at).desc(), col(AccountChange.id).desc())
        .limit(window)
    )
    entries = (
        [
            HistoryEntry(
                c.changed_at, names.get(c.stakeholder_id, "?"), c.changed_by_user_id, change=c
            )
            for c in changes
        ]
        + [HistoryEntry(r.changed_at, "", r.changed_by_user_id, renewal=r) for r in renewals]
        + [
            HistoryEntry(
                happened_at(c),
                names.get(c.stakeholder_id, "?"),
                c.logged_by_user_id,
                contact=c,
                logged_at=c.created_at,
            )
            for c in contacts
        ]
        + [HistoryEntry(o.set_at, "", o.set_by_user_id, override=o) for o in overrides]
        + [
            HistoryEntry(o.cleared_at, "", o.cleared_by_user_id, override=o, ended=True)
            for o in overrides
            if o.cleared_at is not None
        ]
    )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[offset : offset + limit], len(entries) > offset + limit


def replay(changes: Iterable[StakeholderChange]) -> dict[int, dict[str, str | None]]:
    """Rebuild every person's tracked fields from the change history alone (oldest first)."""
    people: dict[int, dict[str, str | None]] = {}
    for change in sorted(changes, key=lambda c: (c.changed_at, c.id or 0)):
        if change.field == CREATED:
            people[change.stakeholder_id] = json.loads(change.new_value or "{}")
        else:
            people.setdefault(change.stakeholder_id, {})[change.field] = change.new_value
    return people


def current_fields(people: Iterable[Stakeholder]) -> dict[int, dict[str, str | None]]:
    """Tracked fields of people as the map holds them now, in the history's text form."""
    return {saved_id(person.id): _snapshot(person) for person in people}


TOUCH_ROWS = 50
"""Contact rows read for the last touch: everyone in it, unless it had more people than this."""


@dataclass(frozen=True)
class LastTouch:
    """The latest contact with anyone on an account's map: when, who was there, how, and the
    first line of its summary (what a CSM reads before a call)."""

    contacted_on: date
    people: tuple[str, ...]
    channel: ContactChannel
    summary: str


_LATEST_TOUCHES = (
    select_columns(
        col(ContactLog.contacted_on),
        col(ContactLog.channel),
        col(ContactLog.summary),
        col(ContactLog.logged_by_user_id),
        col(Stakeholder.name),
    )
    .join(Stakeholder, col(ContactLog.stakeholder_id) == col(Stakeholder.id))
    .where(
        col(ContactLog.team_id) == bindparam("team_id"),
        col(ContactLog.account_id) == bindparam("account_id"),
    )
    .order_by(col(ContactLog.contacted_on).desc(), col(ContactLog.created_at).desc())
    .limit(TOUCH_ROWS)
)
"""Built once (the card reads it on every request); Core rows, no ORM objects."""


def last_touch(session: Session, *, team_id: str, account_id: int) -> LastTouch | None:
    """The account's latest touchpoint (by the day it happened, then the latest logged), with
    everyone logged in that same touch (same day, way, summary and author: one row is written
    per person); one query over the latest few rows."""
    rows = (
        session.connection()
        .execute(_LATEST_TOUCHES, {"team_id": team_id, "account_id": account_id})
        .all()
    )
    if not rows:
        return None
    contacted_on, channel, summary, author, _ = rows[0]
    touch = (contacted_on, channel, summary, author)  # same day, way, summary and author
    names = sorted({name for *logged, name in rows if tuple(logged) == touch})
    first_line = summary.strip().split("\n", 1)[0] if summary else ""
    return LastTouch(contacted_on, tuple(names), channel, first_line)
