"""`/account settings`: a menu of the team's settings, one form per section, every change
recorded. Workspace admins only, checked when a form opens and again when it is saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, ModalMeta, parse_form, state_values
from commands.modals import push_modal
from commands.payloads import BlockAction, payload_team
from commands.submissions import save_submission
from commands.views.modal import notice_view
from commands.views.settings import (
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
    save_digest_settings,
    save_thresholds,
    settings_history,
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
    if section is SettingsSection.THRESHOLDS:
        return thresholds_form(meta=ModalMeta(), current=thresholds_for(session, team_id=team_id))
    current = digest_settings_of(session, team_ids=[team_id], defaults=defaults)[team_id]
    return settings_form(meta=ModalMeta(), current=current)


def handle_settings_section(
    ack: Callable[..., None],
    body: dict[str, Any],
    client: WebClient,
    db: Database,
    digest_defaults: DigestSettings,
    access: Access,
) -> None:
    """A section's "Change" button in the menu: push that section's form on top of it (or a
    notice saying why not: the click has no response URL to answer through)."""
    ack()
    click = BlockAction.model_validate(body)
    try:
        section = SettingsSection(click.value)
    except ValueError:
        push_modal(client, body, title=TITLE, view=notice_view(TITLE, NO_SECTION))
        return
    if not access.is_admin():
        push_modal(client, body, title=TITLE, view=notice_view(TITLE, ADMINS_ONLY))
        return
    with db.transaction() as session:
        form = section_modal(
            session, team_id=click.team_id, section=section, defaults=digest_defaults
        )
    push_modal(client, body, title=TITLE, view=form)


def _settings_listener(
    save: Callable[[Session, str, dict[str, Any], DigestSettings, str], object],
    *,
    first_block: str,
) -> Callable[..., None]:
    """The listener of a section's form: admins only, saved with its history in one
    transaction, then the menu underneath redrawn with the change in it."""

    def listener(
        ack: Callable[..., None],
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        db: Database,
        digest_defaults: DigestSettings,
        access: Access,
    ) -> None:
        team_id = payload_team(body) or ""
        user_id = body["user"]["id"]
        admin = access.is_admin()

        def write(session: Session) -> bool:
            if not admin:
                raise FormErrors({first_block: ADMINS_ONLY})
            save(session, team_id, view, digest_defaults, user_id)
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
            with db.transaction() as session:
                menu = menu_modal(session, team_id=team_id, defaults=digest_defaults)
            client.views_update(view_id=menu_id, view=menu)

    listener.__name__, listener.__doc__ = save.__name__.lstrip("_"), save.__doc__
    return listener


def _save_digests(
    session: Session, team_id: str, view: dict[str, Any], defaults: DigestSettings, user_id: str
) -> None:
    """Save when and where the team's digests go out."""
    save_digest_settings(
        session,
        team_id=team_id,
        settings=parse_form(SettingsForm, view).settings(),
        defaults=defaults,
        by_user_id=user_id,
    )


def _save_thresholds(
    session: Session, team_id: str, view: dict[str, Any], defaults: DigestSettings, user_id: str
) -> None:
    """Save when each of the method's warning signals fires, for the whole team."""
    typed = state_values(view)
    if missing := {name: REQUIRED for name in Thresholds.model_fields if name not in typed}:
        raise FormErrors(missing)  # never a default in place of what the form left out
    save_thresholds(
        session, team_id=team_id, thresholds=parse_form(Thresholds, view), by_user_id=user_id
    )


handle_settings_form = _settings_listener(_save_digests, first_block="weekday")
handle_thresholds_form = _settings_listener(_save_thresholds, first_block="min_threads")
