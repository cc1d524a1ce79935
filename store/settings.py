"""Per-team settings: the method's thresholds, with the defaults from account-strategy practice."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import time
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlmodel import Session

from store.models import Account, TeamSettings, TeamSettingsChange
from store.types import utcnow


class SettingsSection(StrEnum):
    """The sections of a team's settings, each its own form, as named in their history."""

    DIGESTS = "digests"
    THRESHOLDS = "thresholds"


Days = Annotated[int, Field(ge=1, le=3650)]
Percent = Annotated[int, Field(ge=1, le=100)]


class Thresholds(BaseModel):
    """When a signal fires. Defaults follow the practice; a team may change any of them (its
    admins, in `/account settings`). Each field's title and description are what Slack shows."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    min_threads: Annotated[
        int,
        Field(
            ge=1,
            le=20,
            title="Relationship threads needed",
            description="Fewer live threads than this and the account is single-threaded.",
        ),
    ] = 3
    thread_contact_days: Annotated[
        Days,
        Field(
            title="A thread stays live for (days)",
            description="Someone active, not negative and contacted within this many days.",
        ),
    ] = 90
    stale_map_days: Annotated[
        Days,
        Field(
            title="Stale map after (days)",
            description="Nobody added, changed or contacted on the map for this long.",
        ),
    ] = 30
    key_person_contact_days: Annotated[
        Days,
        Field(
            title="Key people uncontacted after (days)",
            description="A champion, economic buyer or executive sponsor not contacted this long.",
        ),
    ] = 60
    renewal_warning_days: Annotated[
        Days,
        Field(
            title="Renewal window (days)",
            description="A renewal this close is watched, and critical when a risk holds too.",
        ),
    ] = 90
    action_due_soon_days: Annotated[
        int,
        Field(
            ge=0,
            le=60,
            title="Action items due soon within (days)",
            description="Open items due this soon are flagged to watch (0: only those due today).",
        ),
    ] = 7
    expansion_seat_percent: Annotated[
        Percent,
        Field(
            title="Expansion signal at seat use (%)",
            description="Active seats at or above this share of licensed seats.",
        ),
    ] = 80
    adoption_risk_seat_percent: Annotated[
        Percent,
        Field(
            title="Low adoption below seat use (%)",
            description="Active seats under this share of licensed seats is a risk.",
        ),
    ] = 50

    @field_validator("adoption_risk_seat_percent")
    @classmethod
    def _below_expansion(cls, value: int, info: ValidationInfo) -> int:
        expansion = info.data.get("expansion_seat_percent")
        if expansion is not None and value >= expansion:
            raise ValueError(
                f"Low adoption must start below the expansion signal ({expansion}%), "
                "or an account could be both at once."
            )
        return value


def thresholds_for(session: Session, *, team_id: str) -> Thresholds:
    """The team's thresholds, or the defaults when it has set none."""
    stored = session.execute(
        select(TeamSettings.thresholds).where(TeamSettings.team_id == team_id)
    ).scalar_one_or_none()
    return Thresholds.model_validate(stored or {})


def save_thresholds(
    session: Session, *, team_id: str, thresholds: Thresholds, by_user_id: str | None = None
) -> list[TeamSettingsChange]:
    """Store the team's thresholds; each value that changed is written to the settings' history
    in the same transaction (and returned)."""
    before = thresholds_for(session, team_id=team_id)
    row = session.get(TeamSettings, team_id) or TeamSettings(team_id=team_id)
    row.thresholds = thresholds.model_dump()
    row.updated_at = utcnow()
    session.add(row)
    return _record_changes(
        session,
        team_id=team_id,
        section=SettingsSection.THRESHOLDS,
        before=before,
        after=thresholds,
        by=by_user_id,
    )


NOT_PLACES = frozenset({"Factory", "localtime"})
"""Zone files that are no place's time: tzdata's `Factory` ("zone not set") and the machine's
own `localtime` (a link some systems keep beside the zones)."""
STORED = "stored"
"""Validation context of settings read back from the store (see `DigestSettings`)."""


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_PLACES


def zone_name(value: str) -> str:
    """`value` when it is a place's IANA time zone name (`Europe/Paris`, `UTC`), else ValueError.

    `ZoneInfo` loads any zone file, `posixrules` and the `posix/` and `right/` copies
    included; Python's list of available zones leaves those out, and `NOT_PLACES` the rest.
    The one rule for the settings form and DIGEST_TIMEZONE."""
    if value not in _zone_names():
        raise ValueError(f"{value!r} is not a time zone name like Europe/Paris")
    return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DigestSettings(BaseModel):
    """When and where a team's digests go out."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    weekday: Annotated[int, Field(ge=0, le=6)] = 0
    """0 is Monday."""
    at: time = time(9, 0)
    timezone: str = "UTC"
    all_clear: bool = True
    """Post a one-line all-clear into healthy accounts' channels."""
    portfolio_channel_id: Annotated[str | None, Field(pattern=r"^[CG][A-Z0-9]{2,31}$")] = None
    owner_digests: bool = False
    """Also send each account owner their own at-risk accounts by direct message."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str, info: ValidationInfo) -> str:
        if not (info.context or {}).get(STORED):
            return zone_name(value)
        try:  # saved before `zone_name` was the rule: it still needs to load, not to be asked
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Paris") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def digest_settings_of(
    session: Session, *, team_ids: Iterable[str], defaults: DigestSettings
) -> dict[str, DigestSettings]:
    """Each team's digest settings over the deployment's defaults, in one query."""
    wanted = list(team_ids)
    stored = dict(
        session.execute(
            select(TeamSettings.team_id, TeamSettings.digest).where(
                TeamSettings.team_id.in_(wanted)
            )  # type: ignore[attr-defined]
        ).all()
    )
    return {
        team: DigestSettings.model_validate(
            defaults.model_dump() | (stored.get(team) or {}), context={STORED: True}
        )
        for team in wanted
    }


def save_digest_settings(
    session: Session,
    *,
    team_id: str,
    settings: DigestSettings,
    defaults: DigestSettings | None = None,
    by_user_id: str | None = None,
) -> list[TeamSettingsChange]:
    """Store the team's digest settings; what changed from the settings in force (the team's
    own over `defaults`) is written to the settings' history and returned."""
    before = digest_settings_of(session, team_ids=[team_id], defaults=defaults or DigestSettings())
    row = session.get(TeamSettings, team_id) or TeamSettings(team_id=team_id)
    row.digest = settings.model_dump(mode="json")
    row.updated_at = utcnow()
    session.add(row)
    return _record_changes(
        session,
        team_id=team_id,
        section=SettingsSection.DIGESTS,
        before=before[team_id],
        after=settings,
        by=by_user_id,
    )


def _record_changes(
    session: Session,
    *,
    team_id: str,
    section: str,
    before: BaseModel,
    after: BaseModel,
    by: str | None,
) -> list[TeamSettingsChange]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    changes = [
        TeamSettingsChange(
            team_id=team_id,
            section=section,
            field=name,
            old_value=_as_text(old.get(name)),
            new_value=_as_text(value),
            changed_by_user_id=by,
        )
        for name, value in new.items()
        if old.get(name) != value
    ]
    session.add_all(changes)
    return changes


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def settings_history(
    session: Session, *, team_id: str, limit: int = 10
) -> list[TeamSettingsChange]:
    """The team's latest settings changes, newest first."""
    return list(
        session.execute(
            select(TeamSettingsChange)
            .where(TeamSettingsChange.team_id == team_id)
            .order_by(TeamSettingsChange.changed_at.desc(), TeamSettingsChange.id.desc())  # type: ignore[attr-defined, union-attr]
            .limit(limit)
        ).scalars()
    )


def teams_with_accounts(session: Session) -> list[str]:
    """Every workspace that has at least one live account."""
    return list(
        session.execute(
            select(Account.team_id)
            .where(Account.archived.is_(False))
            .distinct()
            .order_by(Account.team_id)  # type: ignore[attr-defined]
        ).scalars()
    )
