"""Per-team settings: the method's thresholds, with the defaults from account-strategy practice."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlmodel import Session

from store.models import TeamSettings

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
