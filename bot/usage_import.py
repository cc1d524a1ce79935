"""`accountbot usage import FILE.csv`: usage readings from a file, on the import machinery
(`bot.imports`). Each row names an account (by name, or by its external id), a day and the
readings, and optionally one of the account's departments (by name): a reading for a day (and
department) already recorded is replaced, and the summary says so."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import field_validator
from sqlmodel import Session

from bot.imports import CREATED, REJECTED, REPLACED, UNCHANGED, TeamImport, Written
from store.names import name_key
from store.usage import (
    Outcome,
    Reading,
    UsageFigures,
    departments_named,
    find_accounts,
    record_readings,
    refusals,
)

ALIASES = {
    "account_name": "account",
    "name": "account",
    "customer": "account",
    "external_id": "account",
    "crm_id": "account",
    "external_crm_id": "account",
    "date": "read_on",
    "day": "read_on",
    "reading_date": "read_on",
    "seats": "seats_active",
    "active_seats": "seats_active",
    "mau": "monthly_active_users",
    "adoption": "adoption_percent",
    "core_feature_adoption": "adoption_percent",
    "core_feature_adoption_percent": "adoption_percent",
    "csat": "satisfaction",
    "support_satisfaction": "satisfaction",
    "escalation": "escalations",
    "support_escalations": "escalations",
    "dept": "department",
    "business_unit": "department",
    "department_id": "department",
}
NUMBERS = ("seats_active", "monthly_active_users", "adoption_percent", "escalations")
GROUPED = re.compile(r"^\d{1,3}(?:[,.\s\u00a0\u202f]\d{3})+$")
"""A whole number with thousands grouped (`1,200`, `1.200`, `1 200`)."""
OUTCOME_WORDS = {Outcome.CREATED: CREATED, Outcome.REPLACED: REPLACED}


class UsageRow(UsageFigures):
    """A row of a usage file: the account it is about (name or external id), then a reading."""

    account: str
    department: str | None = None
    """One of the account's departments, by name (case and accents aside); none: the whole
    account."""

    @field_validator("account")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name the account (its name or external id)")
        return value.strip()


Target = tuple[int, int | None]
"""A row's account, and its department (None: the whole account)."""


def one_account(reference: str, matches: Sequence[tuple[int, str]]) -> int | str:
    """The account a row names, or why not: none, or several (never a pick among them)."""
    if not matches:
        return f"unknown account: {reference}"
    if len(matches) > 1:
        names = ", ".join(name for _, name in matches)
        return f"ambiguous account: {reference} names {len(matches)} accounts ({names})"
    return matches[0][0]


class UsageImport(TeamImport):
    """Usage readings, as `bot.imports.run_import` reads a kind of import."""

    model = UsageRow
    aliases = ALIASES
    required: ClassVar[tuple[str, ...]] = ("account", "read_on", "seats_active")

    def prepare(self, values: dict[str, str], *, decimal_comma: bool) -> dict[str, Any]:
        """Numbers as people write them: `1,200` or `1 200` whole, `4,2` with a decimal comma
        in a file whose fields are not separated by commas; `%` after a percentage."""
        prepared: dict[str, Any] = dict(values)
        for name in NUMBERS:
            text = prepared.get(name)
            if text is None:
                continue
            text = text.removesuffix("%").strip()
            if GROUPED.match(text):
                text = re.sub(r"[,.\s\u00a0\u202f]", "", text)
            prepared[name] = text
        satisfaction = prepared.get("satisfaction")
        if satisfaction is not None and decimal_comma and "," in satisfaction:
            prepared["satisfaction"] = satisfaction.replace(",", ".")
        return prepared

    def resolve(self, session: Session, rows: Sequence[UsageRow]) -> Sequence[Target | str]:
        """Each row's account, then its department among that account's (two statements): an
        unknown one is refused with the departments the account has."""
        found = find_accounts(session, team_id=self.team_id, references=[r.account for r in rows])
        accounts = [one_account(r.account, found.get(r.account, [])) for r in rows]
        named = {
            a for a, r in zip(accounts, rows, strict=True) if isinstance(a, int) and r.department
        }
        known = departments_named(session, team_id=self.team_id, account_ids=sorted(named))
        targets: list[Target | str] = []
        for account, row in zip(accounts, rows, strict=True):
            if isinstance(account, str) or not row.department:
                targets.append(account if isinstance(account, str) else (account, None))
                continue
            departments = known.get(account, {})
            department = departments.get(name_key(row.department))
            if department is not None:
                targets.append((account, department[0]))
                continue
            listed = ", ".join(sorted(name for _, name in departments.values())) or "none yet"
            targets.append(
                f"unknown department: {row.department} is not one of {row.account}'s"
                f" departments ({listed})"
            )
        return targets

    def key(self, row: UsageRow, target: Target) -> object:
        return (*target, row.read_on)

    def write(self, session: Session, rows: Sequence[tuple[UsageRow, Target]]) -> Sequence[Written]:
        """Rows refused by the store's rules (`store.usage.refusals`: a latest reading over the
        licensed seats) are rejected; the others recorded."""
        readings: list[Reading] = [row.reading(*target) for row, target in rows]
        refused = refusals(session, team_id=self.team_id, readings=readings)
        outcomes = iter(
            record_readings(
                session,
                team_id=self.team_id,
                readings=[r for r, why in zip(readings, refused, strict=True) if why is None],
                by_user_id=None,
                source="import",
            )
        )
        written = []
        for (row, _), why in zip(rows, refused, strict=True):
            if why is not None:
                written.append(Written(REJECTED, f"seats_active: {why}"))
                continue
            outcome = next(outcomes)
            of = f"{row.account} ({row.department})" if row.department else row.account
            note = f"{of}, {row.read_on:%-d %b %Y}: the reading recorded before was replaced"
            written.append(
                Written(
                    OUTCOME_WORDS.get(outcome, UNCHANGED),
                    note if outcome is Outcome.REPLACED else "",
                )
            )
        return written
