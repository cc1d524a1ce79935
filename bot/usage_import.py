"""`accountbot usage import FILE.csv`: usage readings from a file, on the import machinery
(`bot.imports`). Each row names an account (by name, or by its external id), a day and the
readings; a reading for a day already recorded is replaced, and the summary says so."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import field_validator
from sqlmodel import Session

from bot.imports import CREATED, REJECTED, REPLACED, UNCHANGED, TeamImport, Written
from store.usage import (
    Outcome,
    Reading,
    UsageFigures,
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
}
NUMBERS = ("seats_active", "monthly_active_users", "adoption_percent", "escalations")
GROUPED = re.compile(r"^\d{1,3}(?:[,.\s\u00a0\u202f]\d{3})+$")
"""A whole number with thousands grouped (`1,200`, `1.200`, `1 200`)."""
OUTCOME_WORDS = {Outcome.CREATED: CREATED, Outcome.REPLACED: REPLACED}


class UsageRow(UsageFigures):
    """A row of a usage file: the account it is about (name or external id), then a reading."""

    account: str

    @field_validator("account")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name the account (its name or external id)")
        return value.strip()


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

    def resolve(self, session: Session, rows: Sequence[UsageRow]) -> Sequence[int | str]:
        found = find_accounts(session, team_id=self.team_id, references=[r.account for r in rows])
        return [one_account(r.account, found.get(r.account, [])) for r in rows]

    def key(self, row: UsageRow, target: int) -> object:
        return (target, row.read_on)

    def write(self, session: Session, rows: Sequence[tuple[UsageRow, int]]) -> Sequence[Written]:
        """Rows refused by the store's rules (`store.usage.refusals`: a latest reading over the
        licensed seats) are rejected; the others recorded."""
        readings: list[Reading] = [row.reading(account_id) for row, account_id in rows]
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
            note = (
                f"{row.account}, {row.read_on:%-d %b %Y}: the reading recorded before was replaced"
            )
            written.append(
                Written(
                    OUTCOME_WORDS.get(outcome, UNCHANGED),
                    note if outcome is Outcome.REPLACED else "",
                )
            )
        return written
