"""Usage readings: one per account, date and department (None: the whole account); the latest
whole-account reading sets the account's active seats.

Readings come one at a time from Slack (`record_reading`) or in batches from a file
(`record_readings`); either way a reading for a date (and department) already recorded replaces
it, and the caller is told whether each was created, replaced or unchanged. The rules read the
whole account's readings through `usage_query`: one statement for any number of accounts; the
expansion engine reads the departments' (`store.growth`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import (
    BindParameter,
    Select,
    Table,
    and_,
    bindparam,
    func,
    or_,
    true,
    tuple_,
    update,
)
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.errors import NotFound, StoreError
from store.models import Account, AccountDepartment, UsageReading
from store.names import name_key
from store.sessions import mark_touched
from store.signals import UsagePoint, UsageTrend
from store.types import utcnow

QUARTER_DAYS = 90
"""The card's direction compares the latest reading with the latest one 90 days back."""
OLDEST_DAYS = 180
"""Readings older than this are not read for the rules or the card."""


LARGEST_COUNT = 1_000_000_000
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?")
EARLIEST = date(2000, 1, 1)


class UsageFigures(BaseModel):
    """One reading as typed (in the form, or in a file's row): validated the same everywhere.
    The day must not be in the future (`today` in the validation context)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    read_on: date
    seats_active: Annotated[int, Field(le=LARGEST_COUNT)]
    monthly_active_users: Annotated[int | None, Field(le=LARGEST_COUNT)] = None
    adoption_percent: int | None = None
    satisfaction: Decimal | None = None
    escalations: Annotated[int | None, Field(le=LARGEST_COUNT)] = None

    @field_validator("read_on", mode="before")
    @classmethod
    def _written_iso(cls, value: object) -> object:
        """A day as text is `YYYY-MM-DD` (a time of midnight may follow): pydantic would also
        read `1700006400` as a Unix time, and say of `30/11/2025` "invalid character in year"."""
        if isinstance(value, str) and not ISO_DAY.fullmatch(value.strip()):
            raise ValueError(f"write the day as YYYY-MM-DD, like 2025-11-30 (not {value.strip()})")
        return value

    @field_validator("read_on")
    @classmethod
    def _not_in_future(cls, value: date, info: ValidationInfo) -> date:
        today = (info.context or {}).get("today") or utcnow().date()
        if value > today:
            raise ValueError("A reading cannot be dated in the future.")
        if value < EARLIEST:
            raise ValueError(f"A reading cannot be dated before {EARLIEST:%-d %b %Y}.")
        return value

    @field_validator("seats_active", "monthly_active_users", "escalations")
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("A count cannot be negative.")
        return value

    @field_validator("adoption_percent")
    @classmethod
    def _percent(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 100:
            raise ValueError("Adoption is a percentage: from 0 to 100.")
        return value

    @field_validator("satisfaction")
    @classmethod
    def _of_five(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite() or not 0 <= value <= 5:
            raise ValueError("Satisfaction is out of 5: from 0 to 5.")
        if value != value.quantize(Decimal("0.1")):
            raise ValueError("Give satisfaction with one decimal at most, like 4.2.")
        return value.quantize(Decimal("0.1"))

    def reading(self, account_id: int, department_id: int | None = None) -> Reading:
        return Reading(
            account_id=account_id,
            read_on=self.read_on,
            seats_active=self.seats_active,
            monthly_active_users=self.monthly_active_users,
            adoption_percent=self.adoption_percent,
            satisfaction=self.satisfaction,
            escalations=self.escalations,
            department_id=department_id,
        )


class UsageForm(UsageFigures):
    """The "Record usage" form: a reading, and the department it is of (the form's select of
    the account's departments; None: the whole account)."""

    department_id: int | None = None


class Outcome(StrEnum):
    """What recording a reading did."""

    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading to record (validated by its form or its file's row)."""

    account_id: int
    read_on: date
    seats_active: int
    monthly_active_users: int | None = None
    adoption_percent: int | None = None
    satisfaction: Decimal | None = None
    escalations: int | None = None
    department_id: int | None = None
    """None: the whole account's reading (the only kind that sets the account's seats)."""

    @property
    def key(self) -> tuple[int, date, int | None]:
        """What makes a reading one: its account, day and department."""
        return (self.account_id, self.read_on, self.department_id)

    def values(self) -> dict[str, Any]:
        return {
            "seats_active": self.seats_active,
            "monthly_active_users": self.monthly_active_users,
            "adoption_percent": self.adoption_percent,
            "satisfaction": self.satisfaction,
            "escalations": self.escalations,
        }


READ_FIELDS = (
    "seats_active",
    "monthly_active_users",
    "adoption_percent",
    "satisfaction",
    "escalations",
)


def record_reading(
    session: Session, *, team_id: str, reading: Reading, by_user_id: str | None, source: str
) -> Outcome:
    """Record one reading (see `record_readings`)."""
    return record_readings(
        session, team_id=team_id, readings=[reading], by_user_id=by_user_id, source=source
    )[0]


def record_readings(
    session: Session,
    *,
    team_id: str,
    readings: Sequence[Reading],
    by_user_id: str | None,
    source: str,
) -> list[Outcome]:
    """Record readings of the team's accounts (at most one per account, date and department in
    the batch): new ones are added, one recorded is replaced when its figures differ (the same
    figures again change nothing, so a file imported twice writes nothing the second time). An
    account whose newest whole-account reading is among them takes its active seats (its
    version raised, as any edit); a department's reading sets nothing on the account. A few
    statements whatever the number; the accounts' history is checked at commit."""
    if not readings:
        return []
    _of_team(session, team_id=team_id, account_ids={r.account_id for r in readings})
    _departments_of_accounts(session, team_id=team_id, readings=readings)
    if refused := [why for why in refusals(session, team_id=team_id, readings=readings) if why]:
        raise StoreError(refused[0], field="seats_active")
    keys = sorted({(r.account_id, r.read_on) for r in readings})
    stored: dict[tuple[int, date, int | None], tuple[int, tuple[Any, ...]]] = {
        (row.account_id, row.read_on, row.department_id): (
            row.id,
            tuple(getattr(row, f) for f in READ_FIELDS),
        )
        for row in session.execute(
            select_columns(
                col(UsageReading.id),
                col(UsageReading.account_id),
                col(UsageReading.read_on),
                col(UsageReading.department_id),
                *(getattr(UsageReading, f) for f in READ_FIELDS),
            ).where(
                col(UsageReading.team_id) == team_id,
                tuple_(col(UsageReading.account_id), col(UsageReading.read_on)).in_(keys),
            )
        )
    }
    now = utcnow()
    outcomes: list[Outcome] = []
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for reading in readings:
        values = reading.values()
        found = stored.get(reading.key)
        if found is None:
            outcomes.append(Outcome.CREATED)
            new.append(
                values
                | {
                    "team_id": team_id,
                    "account_id": reading.account_id,
                    "read_on": reading.read_on,
                    "department_id": reading.department_id,
                    "source": source,
                    "recorded_by_user_id": by_user_id,
                    "recorded_at": now,
                }
            )
        elif found[1] == tuple(_comparable(values[f]) for f in READ_FIELDS):
            outcomes.append(Outcome.UNCHANGED)
        else:
            outcomes.append(Outcome.REPLACED)
            changed.append(
                values
                | {"id": found[0], "source": source, "recorded_by_user_id": by_user_id}
                | {"recorded_at": now}
            )
    if new:
        readings_table: Table = UsageReading.__table__  # type: ignore[attr-defined]  # SQLModel tables are Tables
        session.execute(readings_table.insert(), new)
    if changed:
        session.execute(update(UsageReading), changed)
    if new or changed:
        written = [r for r, o in zip(readings, outcomes, strict=True) if o is not Outcome.UNCHANGED]
        _latest_seats(session, team_id=team_id, readings=written, at=now)
    return outcomes


def _departments_of_accounts(
    session: Session, *, team_id: str, readings: Sequence[Reading]
) -> None:
    """A reading's department is one of its account's (a crafted form may name any): one
    statement when any reading names a department, nothing written otherwise."""
    named = {r.department_id: r.account_id for r in readings if r.department_id is not None}
    if not named:
        return
    found = dict(
        session.execute(
            select_columns(col(AccountDepartment.id), col(AccountDepartment.account_id)).where(
                col(AccountDepartment.team_id) == team_id,
                col(AccountDepartment.id).in_(sorted(named)),
            )
        ).all()
    )
    if any(
        found.get(r.department_id) != r.account_id for r in readings if r.department_id is not None
    ):
        raise StoreError(
            "Pick one of this account's departments (add it on its departments form first).",
            field="department_id",
        )


def refusals(session: Session, *, team_id: str, readings: Sequence[Reading]) -> list[str | None]:
    """Why each reading may not be recorded (None: it may). A whole-account reading dated on or
    after its account's latest recorded one sets the account's active seats, which the account
    form keeps within its licensed seats: more is refused the same way (an older reading, which
    sets nothing, is recorded; within the readings given, newest first, one dated before a
    reading that is recorded sets nothing either). A department's reading sets nothing, but a
    department using more seats than the whole account has licensed is refused whatever its day.
    Two statements whatever the number."""
    ids = sorted({r.account_id for r in readings})
    licensed = dict(
        session.execute(
            select_columns(col(Account.id), col(Account.seats_licensed)).where(
                col(Account.team_id) == team_id, col(Account.id).in_(ids)
            )
        ).all()
    )
    latest = dict(
        session.execute(
            select_columns(col(UsageReading.account_id), func.max(UsageReading.read_on))
            .where(
                col(UsageReading.team_id) == team_id,
                col(UsageReading.account_id).in_(ids),
                col(UsageReading.department_id).is_(None),
            )
            .group_by(col(UsageReading.account_id))
        ).all()
    )
    newest = {account_id: _as_date(on) for account_id, on in latest.items()}
    refused: list[str | None] = [None] * len(readings)
    for n in sorted(range(len(readings)), key=lambda n: readings[n].read_on, reverse=True):
        reading, cap = readings[n], licensed.get(readings[n].account_id)
        before = newest.get(reading.account_id)
        if reading.department_id is not None:
            if cap is not None and reading.seats_active > cap:
                refused[n] = (
                    f"A department's active seats ({reading.seats_active:,}) cannot exceed the"
                    f" account's licensed seats ({cap:,})."
                )
            continue
        if (
            cap is not None
            and reading.seats_active > cap
            and (before is None or reading.read_on >= before)
        ):
            refused[n] = (
                f"Active seats ({reading.seats_active:,}) cannot exceed licensed seats ({cap:,})."
            )
        elif before is None or reading.read_on > before:
            newest[reading.account_id] = reading.read_on  # a newer one recorded: older set nothing
    return refused


def _of_team(session: Session, *, team_id: str, account_ids: set[int]) -> None:
    """Readings are only of the team's live accounts: an id from a crafted form naming another
    workspace's account (or none, or a merged one) is refused, nothing written."""
    live = set(
        session.execute(
            select_columns(col(Account.id)).where(
                col(Account.team_id) == team_id,
                col(Account.id).in_(sorted(account_ids)),
                col(Account.archived).is_(False),
            )
        ).scalars()
    )
    if account_ids - live:
        raise NotFound("That account no longer exists.")


def _comparable(value: Any) -> Any:
    """A figure as the database gives it back (satisfaction to one decimal)."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.1"))
    return value


def _latest_seats(session: Session, *, team_id: str, readings: Sequence[Reading], at: Any) -> None:
    """Accounts whose newest whole-account reading was just written take its active seats."""
    newest: dict[int, Reading] = {}
    for reading in readings:
        if reading.department_id is not None:
            continue
        if reading.account_id not in newest or reading.read_on > newest[reading.account_id].read_on:
            newest[reading.account_id] = reading
    latest = dict(
        session.execute(
            select_columns(col(UsageReading.account_id), func.max(UsageReading.read_on))
            .where(
                col(UsageReading.team_id) == team_id,
                col(UsageReading.account_id).in_(sorted(newest)),
                col(UsageReading.department_id).is_(None),
            )
            .group_by(col(UsageReading.account_id))
        ).all()
    )
    moved = [
        {"b_id": account_id, "b_seats": reading.seats_active, "b_at": at}
        for account_id, reading in sorted(newest.items())
        if _as_date(latest.get(account_id)) == reading.read_on
    ]
    if moved:
        table: Table = Account.__table__  # type: ignore[attr-defined]  # SQLModel tables are Tables
        session.execute(
            table.update()
            .where(table.c.id == bindparam("b_id"), table.c.team_id == team_id)
            .values(
                seats_active=bindparam("b_seats"),
                version=table.c.version + 1,
                updated_at=bindparam("b_at"),
            ),
            moved,
        )
    mark_touched(session, team_id=team_id, account_ids={r.account_id for r in readings})


def _as_date(value: object) -> date | None:
    """Aggregates come back untyped on SQLite (ISO text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def usage_params(today: date) -> dict[str, date]:
    """The days `usage_query`'s parameters name, read on `today`."""
    return {
        "usage_today": today,
        "usage_month_back": today - timedelta(days=30),
        "usage_quarter_back": today - timedelta(days=QUARTER_DAYS),
        "usage_oldest": today - timedelta(days=OLDEST_DAYS),
    }


def usage_query(scope: Select[Any], *, postgres: bool) -> Select[*tuple[Any, ...]]:
    """Per account of `scope` (a query of account ids), its usage as the rules read it on the
    day `usage_params` binds (the whole account's readings, not its departments'): one
    statement, up to three readings per account, read by `usage_of`. Its days are bound at
    execution, so a scope that takes its own parameters lets it be built once."""
    today: BindParameter[date] = bindparam("usage_today")
    oldest: BindParameter[date] = bindparam("usage_oldest")
    month_back: BindParameter[date] = bindparam("usage_month_back")
    quarter_back: BindParameter[date] = bindparam("usage_quarter_back")
    read_on = col(UsageReading.read_on)
    account: Table = Account.__table__.alias("marked")  # type: ignore[attr-defined]  # a Table

    def of_account(value: Any, *where: Any) -> Any:
        """A value of this account's whole-account readings, as a scalar subquery."""
        return (
            select_columns(value)
            .where(
                col(UsageReading.account_id) == account.c.id,
                col(UsageReading.department_id).is_(None),
                *where,
            )
            .scalar_subquery()
        )

    # Each mark is the latest day up to a bound: one seek down the (account, day) key per
    # account, where grouping the readings read each account's half year of them (26 weekly
    # readings an account with two years of history: 14 ms of an owner's portfolio on SQLite).
    marks = (
        select_columns(
            account.c.id.label("account_id"),
            of_account(func.max(read_on), read_on >= oldest, read_on <= today).label("latest"),
            of_account(func.max(read_on), read_on >= oldest, read_on <= month_back).label(
                "month_ago"
            ),
            of_account(func.max(read_on), read_on >= oldest, read_on <= quarter_back).label(
                "quarter_ago"
            ),
            of_account(
                func.sum(func.coalesce(UsageReading.escalations, 0)),
                read_on > month_back,
                read_on <= today,
            ).label("escalations"),
        )
        .where(account.c.id.in_(scope))
        .cte("marks")
        .prefix_with("MATERIALIZED")
    )
    reading = (
        col(UsageReading.account_id),
        read_on,
        *(getattr(UsageReading, f) for f in READ_FIELDS),
    )
    wanted = and_(
        col(UsageReading.account_id) == marks.c.account_id,
        col(UsageReading.department_id).is_(None),
        read_on.in_([marks.c.latest, marks.c.month_ago, marks.c.quarter_ago]),
    )
    if postgres:
        # Each account's readings looked up through its (account, day) key: joined, PostgreSQL
        # hashed the marks (thinking them 5,000 for an owner's 183 accounts) and scanned every
        # reading of every account, 161 ms at 10,000 accounts with two years of history. The
        # limit (three days at most) keeps the planner from flattening it back into that join.
        picked = select_columns(*reading).where(wanted).limit(3).lateral("picked")
        on_day = picked.c.read_on
        return (
            select_columns(
                *picked.c,
                on_day == marks.c.latest,
                on_day == marks.c.month_ago,
                on_day == marks.c.quarter_ago,
                marks.c.escalations,
            )
            .select_from(marks)
            .join(picked, true())
        )
    # Which marks each reading is, compared by the database: the marks' days themselves come
    # back untyped from SQLite's aggregates and would each be parsed in Python.
    figures = (
        read_on == marks.c.latest,
        read_on == marks.c.month_ago,
        read_on == marks.c.quarter_ago,
        marks.c.escalations,
    )
    return select_columns(*reading, *figures).select_from(marks).join(UsageReading, wanted)


def usage_of(rows: Sequence[Any]) -> dict[int, UsageTrend]:
    """The trends in `usage_query`'s rows (fetched at once: iterating fetches a row at a time)."""
    latest: dict[int, UsagePoint] = {}
    month_ago: dict[int, UsagePoint] = {}
    quarter_ago: dict[int, UsagePoint] = {}
    escalations_30_days: dict[int, int] = {}
    for account_id, on, seats, mau, adoption, satisfaction, escalations, *marked in rows:
        point = UsagePoint(on, seats, mau, adoption, satisfaction, escalations)
        is_latest, is_month_ago, is_quarter_ago, total = marked
        if is_latest:
            latest[account_id] = point
        if is_month_ago:
            month_ago[account_id] = point
        if is_quarter_ago:
            quarter_ago[account_id] = point
        escalations_30_days[account_id] = int(total or 0)
    return {
        account_id: UsageTrend(
            latest=point,
            month_ago=month_ago.get(account_id),
            quarter_ago=quarter_ago.get(account_id),
            escalations_30_days=escalations_30_days[account_id],
        )
        for account_id, point in latest.items()
    }


def find_accounts(
    session: Session, *, team_id: str, references: Sequence[str]
) -> dict[str, list[tuple[int, str]]]:
    """The team's live accounts each reference names, by its external id or its name (as names
    compare, `store.names.name_key`), as (id, name) by name: one when the reference is clear,
    several when it is not (one account's name and another's external id, an external id two
    accounts share), which the caller must not pick from. One statement; a reference nothing
    matches is left out."""
    keys = {reference: name_key(reference) for reference in set(references)}
    rows = session.execute(
        select_columns(
            col(Account.id), col(Account.name), col(Account.name_key), col(Account.external_crm_id)
        ).where(
            col(Account.team_id) == team_id,
            col(Account.archived).is_(False),
            or_(
                col(Account.name_key).in_(sorted(set(keys.values()))),
                col(Account.external_crm_id).in_(sorted(keys)),
            ),
        )
    ).all()
    found: dict[str, list[tuple[int, str]]] = {}
    for reference, key in keys.items():
        matches = {
            (account_id, name)
            for account_id, name, name_key_, external in rows
            if external == reference or name_key_ == key
        }
        if matches:
            found[reference] = sorted(matches, key=lambda match: (match[1], match[0]))
    return found


def departments_named(
    session: Session, *, team_id: str, account_ids: Sequence[int]
) -> dict[int, dict[str, tuple[int, str]]]:
    """The accounts' departments by their name's key (`store.names.name_key`), as (id, name):
    one statement, none when no account is asked for."""
    if not account_ids:
        return {}
    found: dict[int, dict[str, tuple[int, str]]] = {}
    for department_id, account_id, name, key in session.execute(
        select_columns(
            col(AccountDepartment.id),
            col(AccountDepartment.account_id),
            col(AccountDepartment.name),
            col(AccountDepartment.name_key),
        ).where(
            col(AccountDepartment.team_id) == team_id,
            col(AccountDepartment.account_id).in_(account_ids),
        )
    ):
        found.setdefault(account_id, {})[key] = (department_id, name)
    return found


def readings_of(
    session: Session, *, team_id: str, account_id: int, limit: int = 10
) -> list[UsageReading]:
    """An account's latest whole-account readings, newest first."""
    return list(
        session.exec(
            select(UsageReading)
            .where(
                UsageReading.team_id == team_id,
                UsageReading.account_id == account_id,
                col(UsageReading.department_id).is_(None),
            )
            .order_by(col(UsageReading.read_on).desc())
            .limit(limit)
        )
    )
