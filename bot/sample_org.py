"""The sample portfolio's org coverage and business events (`accountbot demo`): departments and
levels on two maps, the events a CSM would have logged, usage by department and a customer's
fiscal year, so the cards show coverage, the watch on threads across few levels, recent events,
and the green account's expansion hypotheses have real evidence and timing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from store.accounts import update_account
from store.departments import DepartmentRow, set_departments
from store.enums import EventKind, OrgLevel
from store.events import log_event
from store.models import Account, Stakeholder, saved_id
from store.usage import Reading, record_readings

E, D, M, IC = OrgLevel.EXECUTIVE, OrgLevel.DIRECTOR, OrgLevel.MANAGER, OrgLevel.INDIVIDUAL
SAMPLE_DEPARTMENTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "Acme Logistics": (("Operations", True), ("Finance", False), ("IT", True), ("Warehouse", True)),
    "Northwind Health": (
        ("Clinical", True),
        ("Finance", False),
        ("IT", True),
        ("Operations", False),
    ),
}
"""Each account's departments, and whether it uses the product."""
SAMPLE_PLACES: dict[str, dict[str, tuple[str, OrgLevel]]] = {
    "Acme Logistics": {
        "Dana Lee": ("Operations", E),
        "Raj Patel": ("Finance", E),
        "Olga Berg": ("IT", D),
        "Sam Ortiz": ("Operations", IC),
    },
    "Northwind Health": {
        "Priya Shah": ("IT", D),
        "Tom Becker": ("Operations", E),
        "Grace Kim": ("Finance", D),
        "Luis Romero": ("Clinical", M),
        "Ana Souza": ("Clinical", M),
    },
}
"""Each person's department and level."""
SAMPLE_EVENTS: dict[str, tuple[tuple[EventKind, int, str, str | None], ...]] = {
    "Acme Logistics": (
        (
            EventKind.REORGANISATION,
            25,
            "Operations and IT merged under one COO; Dana's role went with it.",
            None,
        ),
    ),
    "Northwind Health": (
        (
            EventKind.NEW_OFFICE,
            20,
            "Two new clinics in Austin, opening in the spring.",
            "https://news.example.com/northwind-austin",
        ),
        (EventKind.HEADCOUNT_GROWTH, 45, "Hiring 120 nurses this quarter.", None),
    ),
}
"""Each account's events: kind, days ago, note, link."""
SAMPLE_DEPARTMENT_USAGE: dict[str, dict[str, int]] = {
    "Northwind Health": {"Clinical": 1150, "IT": 180},
}
"""Each department's active seats in its latest reading (two days ago): Clinical holds most."""
SAMPLE_FISCAL_YEAR_IN_DAYS = {"Northwind Health": 45}
"""The customer's fiscal year starts in the month this many days ahead: its budget cycle."""


def seed_sample_org(session: Session, *, team_id: str, today: date) -> None:
    """Departments, each person's place and level, and the events, on the sample accounts."""
    accounts = {
        a.name: saved_id(a.id)
        for a in session.exec(
            select(Account).where(
                Account.team_id == team_id, col(Account.name).in_(SAMPLE_DEPARTMENTS)
            )
        )
    }
    for name, account_id in accounts.items():
        rows = [DepartmentRow(None, dept, uses) for dept, uses in SAMPLE_DEPARTMENTS[name]]
        made = set_departments(
            session, team_id=team_id, account_id=account_id, rows=rows, field_of={}
        )
        ids = {d.name: saved_id(d.id) for d in made}
        places = SAMPLE_PLACES[name]
        people = session.exec(select(Stakeholder).where(Stakeholder.account_id == account_id))
        for person in people:
            if person.name in places:  # as recorded when they were added
                department, level = places[person.name]
                person.department_id, person.level = ids[department], level
        usage = SAMPLE_DEPARTMENT_USAGE.get(name, {})
        record_readings(
            session,
            team_id=team_id,
            readings=[
                Reading(account_id, today - timedelta(days=2), seats, department_id=ids[dept])
                for dept, seats in usage.items()
            ],
            by_user_id=None,
            source="import",
        )
        if (ahead := SAMPLE_FISCAL_YEAR_IN_DAYS.get(name)) is not None:
            update_account(
                session,
                team_id=team_id,
                account_id=account_id,
                fiscal_year_start_month=(today + timedelta(days=ahead)).month,
            )
        for kind, days_ago, note, link in SAMPLE_EVENTS.get(name, ()):
            log_event(
                session,
                team_id=team_id,
                account_id=account_id,
                kind=kind,
                happened_on=today - timedelta(days=days_ago),
                note=note,
                link=link,
                by_user_id=None,
            )
    session.flush()
