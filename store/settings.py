"""Per-team settings: the method's thresholds, with the defaults from account-strategy practice."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlmodel import Session

from store.models import Account, TeamSettings

Days = Annotated[int, Field(ge=1, le=3650)]
Percent = Annotated[int, Field(ge=1, le=100)]


class Thresholds(BaseModel):
    """When a signal fires. Defaults follow the practice; a team may change any of them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    min_threads: Annotated[int, Field(ge=1, le=20)] = 3
    thread_contact_days: Days = 90
    stale_map_days: Days = 30
    key_person_contact_days: Days = 60
    renewal_warning_days: Days = 90
    action_due_soon_days: Annotated[int, Field(ge=0, le=60)] = 7
    expansion_seat_percent: Percent = 80
    adoption_risk_seat_percent: Percent = 50


def thresholds_for(session: Session, *, team_id: str) -> Thresholds:
    """The team's thresholds, or the defaults when it has set none."""
    stored = session.execute(
        select(TeamSettings.thresholds).where(TeamSettings.team_id == team_id)
    ).scalar_one_or_none()
    return Thresholds.model_validate(stored or {})


def save_thresholds(session: Session, *, team_id: str, thresholds: Thresholds) -> None:
    row = session.get(TeamSettings, team_id) or TeamSettings(team_id=team_id)
    row.thresholds = thresholds.model_dump()
    session.add(row)


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
    def _zone(cls, value: str) -> str:
        try:
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
        team: DigestSettings.model_validate(defaults.model_dump() | (stored.get(team) or {}))
        for team in wanted
    }


def save_digest_settings(session: Session, *, team_id: str, settings: DigestSettings) -> None:
    row = session.get(TeamSettings, team_id) or TeamSettings(team_id=team_id)
    row.digest = settings.model_dump(mode="json")
    session.add(row)


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
