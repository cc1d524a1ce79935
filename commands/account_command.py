"""The `/account` slash command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient

from commands.access import Access
from commands.answers import answer_account_command, command_modal, read_command
from commands.modals import open_modal
from commands.payloads import AccountVerb, SlashCommand
from commands.team_settings import ADMINS_ONLY, menu_modal
from commands.text import fallback_text
from store.db import Database
from store.settings import DigestSettings

MODAL_TITLES = {
    AccountVerb.NEW: "New account",
    AccountVerb.EDIT: "Edit account",
    AccountVerb.STAKEHOLDER: "Add stakeholder",
    AccountVerb.CONTACT: "Log contact",
    AccountVerb.ACTION: "Add action item",
    AccountVerb.SETTINGS: "Team settings",
}


def handle_account_command(
    ack: Callable[..., None],
    command: dict[str, Any],
    respond: Callable[..., Any],
    client: WebClient,
    db: Database,
    today: date,
    digest_defaults: DigestSettings,
    access: Access,
) -> None:
    """Ack at once; read the text (a glance at the account names it may be, given up within half
    a second), then open a modal before any other work (the store, or asking Slack whether the
    user is an admin, comes after the loading view is up), or answer through the response URL."""
    ack()
    slash = SlashCommand.model_validate(command)
    request, known = read_command(db, slash=slash)
    if request.verb is AccountVerb.SETTINGS:
        open_modal(
            client,
            db,
            trigger_id=slash.trigger_id,
            title=MODAL_TITLES[request.verb],
            build=lambda session: (
                menu_modal(session, team_id=slash.team_id, defaults=digest_defaults)
                if access.is_admin()
                else ADMINS_ONLY
            ),
            access=access,
        )
        return
    if request.opens_modal:
        open_modal(
            client,
            db,
            trigger_id=slash.trigger_id,
            title=MODAL_TITLES[request.verb],
            build=lambda session: command_modal(
                session, slash=slash, request=request, known=known, today=today, access=access
            ),
            access=access,
        )
        return
    blocks = answer_account_command(
        db, slash=slash, request=request, known=known, today=today, access=access
    )
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=fallback_text(blocks),
        blocks=blocks,
    )
