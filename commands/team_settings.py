"""`/account settings`: when and where a team's digests go out. Workspace admins only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, ModalMeta, parse_form
from commands.payloads import payload_team
from commands.submissions import save_submission
from commands.views.settings import ALL_CLEAR, OWNER_DMS, settings_form
from store.db import Database
from store.settings import DigestSettings, digest_settings_of, save_digest_settings

ADMINS_ONLY = "Only workspace admins and owners can change the digest settings."


class SettingsForm(BaseModel):
    """The settings modal as typed (field names are its block ids)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    weekday: Annotated[int, Field(ge=0, le=6)]
    at: time
    timezone: str
    portfolio_channel_id: Annotated[str | None, Field(pattern=r"^[CG][A-Z0-9]{2,31}$")] = None
    options: list[str] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return DigestSettings.model_validate({"timezone": value}).timezone

    def settings(self) -> DigestSettings:
        return DigestSettings(
            weekday=self.weekday,
            at=self.at,
            timezone=self.timezone,
            portfolio_channel_id=self.portfolio_channel_id,
            all_clear=ALL_CLEAR in self.options,
            owner_digests=OWNER_DMS in self.options,
        )


def is_admin(client: WebClient, *, user_id: str) -> bool:
    """Asks Slack (users.info, no database work) whether the user is a workspace admin or owner."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return False
    return bool(user.get("is_admin") or user.get("is_owner"))


def settings_modal(
    session: Session, *, team_id: str, defaults: DigestSettings, response_url: str | None
) -> dict[str, Any]:
    current = digest_settings_of(session, team_ids=[team_id], defaults=defaults)[team_id]
    return settings_form(meta=ModalMeta(response_url=response_url), current=current)


def handle_settings_form(
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Save the team's digest settings; an admin check again at submission time."""
    team_id = payload_team(body) or ""
    admin = is_admin(client, user_id=body["user"]["id"])

    def write(session: Session) -> int:
        if not admin:
            raise FormErrors({"weekday": ADMINS_ONLY})
        save_digest_settings(
            session, team_id=team_id, settings=parse_form(SettingsForm, view).settings()
        )
        return 0

    save_submission(
        ack, body=body, view=view, db=db, write=write, access=access, default_block="weekday"
    )
