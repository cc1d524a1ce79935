"""A team's leads: named by its admins in `/account settings`, they see the team's portfolio
(`/account portfolio`, and the weekly portfolio digest by DM), as admins do."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from store.models import TeamSettings, TeamSettingsChange
from store.settings import SettingsSection, locked_settings
from store.types import utcnow

MAX_LEADS = 100
"""Slack's multi-select takes up to 100 users; a team needs far fewer."""
USER_ID = r"^[UW][A-Z0-9]{2,31}$"
"""A Slack user id, as a lead's is stored."""
LEAD_FIELD = "lead"
"""The field of a lead's line in the settings' history: added (old empty) or removed."""


def _distinct(ids: tuple[str, ...]) -> tuple[str, ...]:
    for user_id in ids:
        if not re.fullmatch(USER_ID, user_id):
            raise ValueError("Pick people from the workspace.")
    return tuple(dict.fromkeys(ids))


class TeamLeads(BaseModel):
    """The leads as saved: Slack user ids, each once, in the order picked."""

    model_config = ConfigDict(frozen=True)

    user_ids: Annotated[tuple[str, ...], Field(max_length=MAX_LEADS), AfterValidator(_distinct)]


def team_leads(session: Session, *, team_id: str) -> list[str]:
    return leads_of(session, team_ids=[team_id])[team_id]


def leads_of(session: Session, *, team_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each team's leads (none named: an empty list), in one query."""
    wanted = list(team_ids)
    stored: dict[str, Sequence[str]] = {
        team: leads
        for team, leads in session.exec(
            select(TeamSettings.team_id, TeamSettings.leads).where(
                col(TeamSettings.team_id).in_(wanted)
            )
        )
    }
    return {team: [str(u) for u in stored.get(team) or []] for team in wanted}


def is_lead(session: Session, *, team_id: str, user_id: str) -> bool:
    return user_id in team_leads(session, team_id=team_id)


def save_leads(
    session: Session,
    *,
    team_id: str,
    leads: TeamLeads,
    by_user_id: str | None = None,
    expected_version: int | None = None,
) -> list[TeamSettingsChange]:
    """Name the team's leads; each lead added or removed is a line of the settings' history
    (`lead`: from nobody to them, or from them to nobody), written in the same transaction,
    under the same lock and version as the other sections (`locked_settings`)."""
    row = locked_settings(session, team_id=team_id, expected_version=expected_version)
    before, after = list(row.leads or []), list(leads.user_ids)
    changes = [
        TeamSettingsChange(
            team_id=team_id,
            section=SettingsSection.LEADS,
            field=LEAD_FIELD,
            old_value=old,
            new_value=new,
            changed_by_user_id=by_user_id,
        )
        for old, new in [(None, u) for u in after if u not in before]
        + [(u, None) for u in before if u not in after]
    ]
    row.leads = after
    row.version += 1
    row.updated_at = utcnow()
    session.add_all(changes)
    return changes
