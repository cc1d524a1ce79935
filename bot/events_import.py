"""`accountbot events import FILE.csv`: business events from a file, on the import machinery
(`bot.imports`, as `bot.usage_import`). Each row names an account (by name, or by its external
id), the kind of event, its day, and optionally a note and a link; the same account, kind and
day recorded before is left alone, or its note and link replaced, and the summary says so."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlmodel import Session

from bot.imports import CREATED, REPLACED, UNCHANGED, TeamImport, Written, column_name
from bot.usage_import import one_account
from commands.ui.values import URL
from store.enums import EventKind, EventSource
from store.events import NewEvent, Recorded, record_events
from store.models import LINK_LENGTH, TEXT_LENGTH
from store.types import utcnow
from store.usage import EARLIEST, ISO_DAY, find_accounts

ALIASES = {
    "account_name": "account",
    "name": "account",
    "customer": "account",
    "external_id": "account",
    "crm_id": "account",
    "external_crm_id": "account",
    "event": "kind",
    "type": "kind",
    "event_type": "kind",
    "event_kind": "kind",
    "date": "happened_on",
    "day": "happened_on",
    "event_date": "happened_on",
    "on": "happened_on",
    "notes": "note",
    "description": "note",
    "summary": "note",
    "url": "link",
    "source": "link",
}
KINDS = {
    column_name(word): kind
    for kind, words in {
        EventKind.FUNDING: ("funding", "funding round", "fundraise", "raise"),
        EventKind.ACQUISITION: ("acquisition", "merger", "m&a", "acquisition or merger"),
        EventKind.NEW_OFFICE: ("new office", "new region", "new office or region", "expansion"),
        EventKind.HEADCOUNT_GROWTH: ("headcount growth", "headcount", "hiring"),
        EventKind.NEW_LEADER: ("new leader", "new executive", "leadership change"),
        EventKind.REGULATORY: ("regulatory", "regulatory change", "regulation"),
        EventKind.REORGANISATION: ("reorganisation", "reorganization", "reorg", "restructuring"),
    }.items()
    for word in words
}
"""What a file may call each kind (compared as column names are: case, spaces, `&` aside)."""
OUTCOME_WORDS = {
    Recorded.CREATED: CREATED,
    Recorded.REPLACED: REPLACED,
    Recorded.UNCHANGED: UNCHANGED,
}


class EventFileRow(BaseModel):
    """A row of an events file: the account (name or external id), kind, day, note, link."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    account: str
    kind: EventKind
    happened_on: date
    note: Annotated[str, Field(max_length=TEXT_LENGTH)] = ""
    link: Annotated[str | None, Field(max_length=LINK_LENGTH)] = None

    @field_validator("account")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("name the account (its name or external id)")
        return value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        if isinstance(value, str):
            found = KINDS.get(column_name(value)) or KINDS.get(value.strip().casefold())
            if found is None:
                known = ", ".join(k.value for k in EventKind)
                raise ValueError(f"unknown kind of event: {value.strip()} (one of {known})")
            return found
        return value

    @field_validator("happened_on", mode="before")
    @classmethod
    def _written_iso(cls, value: object) -> object:
        if isinstance(value, str) and not ISO_DAY.fullmatch(value.strip()):
            raise ValueError(f"write the day as YYYY-MM-DD, like 2025-11-30 (not {value.strip()})")
        return value

    @field_validator("happened_on")
    @classmethod
    def _not_in_future(cls, value: date, info: ValidationInfo) -> date:
        today = (info.context or {}).get("today") or utcnow().date()
        if value > today:
            raise ValueError("an event cannot be dated in the future")
        if value < EARLIEST:
            raise ValueError(f"an event cannot be dated before {EARLIEST:%-d %b %Y}")
        return value

    @field_validator("link", mode="before")
    @classmethod
    def _no_link(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("link")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(URL, value):
            raise ValueError("write a web address starting with http:// or https://")
        return value


class EventsImport(TeamImport):
    """Business events, as `bot.imports.run_import` reads a kind of import."""

    model = EventFileRow
    aliases = ALIASES
    required: ClassVar[tuple[str, ...]] = ("account", "kind", "happened_on")

    def prepare(self, values: dict[str, str], *, decimal_comma: bool) -> dict[str, Any]:
        return dict(values)

    def resolve(self, session: Session, rows: Sequence[EventFileRow]) -> Sequence[int | str]:
        found = find_accounts(session, team_id=self.team_id, references=[r.account for r in rows])
        return [one_account(r.account, found.get(r.account, [])) for r in rows]

    def key(self, row: EventFileRow, target: int) -> object:
        return (target, row.kind, row.happened_on)

    def write(
        self, session: Session, rows: Sequence[tuple[EventFileRow, int]]
    ) -> Sequence[Written]:
        outcomes = record_events(
            session,
            team_id=self.team_id,
            events=[
                NewEvent(account_id, row.kind, row.happened_on, row.note, row.link)
                for row, account_id in rows
            ],
            source=EventSource.IMPORT,
        )
        written = []
        for (row, _), outcome in zip(rows, outcomes, strict=True):
            note = ""
            if outcome is Recorded.REPLACED:
                note = (
                    f"{row.account}, {row.kind.value} on {row.happened_on:%-d %b %Y}: "
                    "the note and link recorded before were replaced"
                )
            written.append(Written(OUTCOME_WORDS[outcome], note))
        return written
