"""`/account settings`: a menu of the team's settings, one form per section, every change
recorded. Workspace admins only, checked when a form opens and again when it is saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form, state_values
from commands.modals import open_modal, push_modal
from commands.payloads import BlockAction
from commands.submissions import save_submission
from commands.ui.values import ModalMeta
from commands.ui.views.modal import notice_view
from commands.ui.views.settings import (
    ALL_CLEAR,
    OWNER_DMS,
    settings_form,
    settings_menu,
    thresholds_form,
)
from store.db import Database
from store.settings import (
    DigestSettings,
    SettingsSection,
    Thresholds,
    digest_settings_of,
    save_settings,
    settings_history,
    settings_version,
    thresholds_for,
)

ADMINS_ONLY = "Only workspace admins and owners can change the team's settings."
NO_SECTION = "That button no longer points at a setting."
TITLE = "Team settings"
REQUIRED = "This field is required."


class SettingsForm(BaseModel):
    """The digest settings modal as typed (field names are its block ids)."""

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


def menu_modal(session: Session, *, team_id: str, defaults: DigestSettings) -> dict[str, Any]:
    """The settings menu: what is in force in each section, and the latest changes."""
    return settings_menu(
        meta=ModalMeta(),
        digests=digest_settings_of(session, team_ids=[team_id], defaults=defaults)[team_id],
        thresholds=thresholds_for(session, team_id=team_id),
        history=settings_history(session, team_id=team_id),
    )


def section_modal(
    session: Session, *, team_id: str, section: SettingsSection, defaults: DigestSettings
) -> dict[str, Any]:
    """A section's form, carrying the version of the settings it shows (see `save_settings`)."""
    meta = ModalMeta(version=settings_version(session, team_id=team_id))
    if section is SettingsSection.THRESHOLDS:
        return thresholds_form(meta=meta, current=thresholds_for(session, team_id=team_id))
    current = digest_settings_of(session, team_ids=[team_id], defaults=defaults)[team_id]
    return settings_form(meta=meta, current=current)


def handle_settings_section(
    ack: Callable[..., None],
    body: dict[str, Any],
    client: WebClient,
    db: Database,
    team_id: str,
    digest_defaults: DigestSettings,
    access: Access,
) -> None:
    """A section's "Change" button in the menu: push that section's form on top of it, a
    loading view first (no database read or Slack call before it), filled in once the user is
    known to be an admin and the section is read. Such a click has no response URL: what goes
    wrong is shown in a modal."""
    ack()
    click = BlockAction.model_validate(body)
    try:
        section = SettingsSection(click.value)
    except ValueError:
        push_modal(client, body, title=TITLE, view=notice_view(TITLE, NO_SECTION))
        return
    open_modal(
        client,
        db,
        trigger_id=click.trigger_id,
        title=TITLE,
        build=lambda session: (
            section_modal(session, team_id=team_id, section=section, defaults=digest_defaults)
            if access.is_admin()
            else ADMINS_ONLY
        ),
        access=access,
        over=body,
    )


def _settings_listener(
    section: SettingsSection,
    read: Callable[[dict[str, Any]], Thresholds | DigestSettings],
    *,
    first_block: str,
) -> Callable[..., None]:
    """The listener of a section's form (`read` types what was submitted): admins only, saved
    with its history in one transaction unless the settings changed since the form opened,
    then the menu underneath redrawn with the change in it."""

    def listener(
        ack: Callable[..., None],
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        db: Database,
        team_id: str,
        digest_defaults: DigestSettings,
        access: Access,
    ) -> None:
        admin = access.is_admin()

        def write(session: Session) -> bool:
            if not admin:
                raise FormErrors({first_block: ADMINS_ONLY})
            save_settings(
                session,
                team_id=team_id,
                section=section,
                values=read(view),
                defaults=digest_defaults,
                by_user_id=access.user_id,
                expected_version=ModalMeta.load(view).version,
            )
            return True

        saved = save_submission(
            ack,
            body=body,
            view=view,
            db=db,
            write=write,
            access=access,
            default_block=first_block,
        )
        if saved and (menu_id := view.get("root_view_id")) and menu_id != view.get("id"):
            with db.reading() as session:
                menu = menu_modal(session, team_id=team_id, defaults=digest_defaults)
            client.views_update(view_id=menu_id, view=menu)

    listener.__name__, listener.__doc__ = read.__name__.lstrip("_"), read.__doc__
    return listener


class ThresholdsForm(Thresholds):
    """The thresholds as an admin saves them: every number within its bounds, and low adoption
    starting below the expansion signal (checked here, when saving, never when reading what is
    stored)."""

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


def _digest_settings(view: dict[str, Any]) -> DigestSettings:
    """Save when and where the team's digests go out."""
    return parse_form(SettingsForm, view).settings()


def _thresholds(view: dict[str, Any]) -> Thresholds:
    """Save when each of the method's warning signals fires, for the whole team."""
    typed = state_values(view)
    if missing := {name: REQUIRED for name in Thresholds.model_fields if name not in typed}:
        raise FormErrors(missing)  # never a default in place of what the form left out
    return parse_form(ThresholdsForm, view)


handle_settings_form = _settings_listener(
    SettingsSection.DIGESTS, _digest_settings, first_block="weekday"
)
handle_thresholds_form = _settings_listener(
    SettingsSection.THRESHOLDS, _thresholds, first_block="min_threads"
)
