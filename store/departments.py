"""An account's known departments (business units) and the map's coverage across them: who
on the map sits where, at which level, and which departments use the product."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from store.enums import OrgLevel
from store.errors import StoreError
from store.models import DEPARTMENT_LENGTH, AccountDepartment, Stakeholder, saved_id
from store.names import clean_name, name_key
from store.types import utcnow

MAX_DEPARTMENTS = 30
"""Departments per account: each is a row of one modal (Slack's limit is 100 blocks)."""


class DepartmentRefused(StoreError):
    """A department list the rules refuse (a name twice, too long, another account's row)."""


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    """One department as typed on the departments form: `id` None for a new one."""

    id: int | None
    name: str
    uses_product: bool


def list_departments(session: Session, *, team_id: str, account_id: int) -> list[AccountDepartment]:
    """The account's departments, by name."""
    return list(
        session.exec(
            select(AccountDepartment)
            .where(AccountDepartment.team_id == team_id, AccountDepartment.account_id == account_id)
            .order_by(col(AccountDepartment.name_key))
        )
    )


def set_departments(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    rows: Sequence[DepartmentRow],
    shown: Iterable[int] = (),
    field_of: dict[int, str],
) -> list[AccountDepartment]:
    """Save the departments form: a row with an id renames (or re-marks) that department, one
    without adds it, a department the form `shown` but missing from `rows` goes (its people keep
    their place on the map, with no department). One added since the form opened is kept: a
    stale form never removes what it did not show. Names are unique per account by their key;
    `field_of` maps a row's position to the input a refusal names."""
    existing = {
        saved_id(d.id): d for d in list_departments(session, team_id=team_id, account_id=account_id)
    }
    showed = set(shown)
    kept = {row.id for row in rows if row.id is not None}
    gone = [
        department_id for department_id in showed & existing.keys() if department_id not in kept
    ]
    unseen = {
        d.name_key: d.name
        for department_id, d in existing.items()
        if department_id not in kept and department_id not in gone
    }
    seen: dict[str, int] = {}
    for position, row in enumerate(rows):
        field = field_of.get(position)
        if row.id is not None and row.id not in existing:
            if row.id in showed and session.get(AccountDepartment, row.id) is None:
                raise DepartmentRefused(
                    "Someone removed this department after you opened the form: "
                    "clear the row, or add it again in an empty one.",
                    field=field,
                )
            raise DepartmentRefused("That department is not this account's.", field=field)
        name = clean_name(row.name)
        if len(name) > DEPARTMENT_LENGTH:
            raise DepartmentRefused(
                f"A department name is at most {DEPARTMENT_LENGTH} characters.", field=field
            )
        key = name_key(name)
        if key in seen:
            raise DepartmentRefused(f"{name} is listed twice.", field=field)
        if key in unseen:
            raise DepartmentRefused(f"{name} is already a department of this account.", field=field)
        seen[key] = position
    if len(rows) + len(unseen) > MAX_DEPARTMENTS:
        raise DepartmentRefused(f"An account has at most {MAX_DEPARTMENTS} departments.")
    if gone:
        session.execute(
            update(Stakeholder)
            .where(col(Stakeholder.department_id).in_(gone))
            .values(department_id=None)
        )
        session.execute(delete(AccountDepartment).where(col(AccountDepartment.id).in_(gone)))
        session.flush()
    # renames first go under keys no name has (a key never starts with a space), so a swap of
    # two names never collides with the unique key on the way
    renamed = [
        row
        for row in rows
        if row.id is not None and existing[row.id].name_key != name_key(row.name)
    ]
    for row in renamed:
        existing[saved_id(row.id)].name_key = f" {row.id}"
    if renamed:
        session.flush()
    for row in rows:
        name = clean_name(row.name)
        if row.id is not None:
            department = existing[row.id]
            department.name, department.name_key = name, name_key(name)
            department.uses_product = row.uses_product
        else:
            session.add(
                AccountDepartment(
                    team_id=team_id,
                    account_id=account_id,
                    name=name,
                    name_key=name_key(name),
                    uses_product=row.uses_product,
                    created_at=utcnow(),
                )
            )
    session.flush()
    return list_departments(session, team_id=team_id, account_id=account_id)


def check_department(
    session: Session, *, team_id: str, account_id: int, department_id: int | None
) -> None:
    """A person's department must be one of their account's (a crafted form may name any)."""
    if department_id is None:
        return
    found = session.exec(
        select(col(AccountDepartment.id)).where(
            AccountDepartment.id == department_id,
            AccountDepartment.team_id == team_id,
            AccountDepartment.account_id == account_id,
        )
    ).first()
    if found is None:
        raise DepartmentRefused(
            "Pick one of this account's departments (add it on its departments form first).",
            field="department_id",
        )


@dataclass(frozen=True, slots=True)
class DepartmentCoverage:
    """One department on the card's coverage line: active people there and their levels."""

    name: str
    uses_product: bool
    people: int
    levels: tuple[OrgLevel, ...]
