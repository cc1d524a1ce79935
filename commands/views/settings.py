"""The digest settings modal."""

from __future__ import annotations

from typing import Any

from bot.ids import View
from commands.forms import ModalMeta
from commands.views.blocks import context
from commands.views.modal import initial, input_block, modal, option, text_input
from store.settings import WEEKDAYS, DigestSettings

ALL_CLEAR = "all_clear"
OWNER_DMS = "owner_digests"


def settings_form(*, meta: ModalMeta, current: DigestSettings) -> dict[str, Any]:
    days = [option(str(i), day.capitalize()) for i, day in enumerate(WEEKDAYS)]
    choices = [
        option(ALL_CLEAR, "Post a one-line all-clear into healthy accounts' channels"),
        option(OWNER_DMS, "Also send each account owner their at-risk accounts by DM"),
    ]
    chosen = [o for o in choices if getattr(current, o["value"])]
    blocks = [
        context(
            "Digests go to each account's linked channel, and a portfolio digest for team leads."
        ),
        input_block(
            "weekday",
            "Day",
            {"type": "static_select", "options": days, "initial_option": days[current.weekday]},
        ),
        input_block(
            "at", "Time", {"type": "timepicker", "initial_time": current.at.strftime("%H:%M")}
        ),
        input_block(
            "timezone",
            "Time zone",
            text_input(max_length=64, value=current.timezone),
            hint="A name like Europe/Paris, America/New_York or Asia/Tokyo.",
        ),
        input_block(
            "portfolio_channel_id",
            "Portfolio digest channel",
            initial(
                {
                    "type": "conversations_select",
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
                "initial_conversation",
                current.portfolio_channel_id,
            ),
            optional=True,
        ),
        input_block(
            "options",
            "Options",
            initial({"type": "checkboxes", "options": choices}, "initial_options", chosen),
            optional=True,
        ),
    ]
    return modal(callback_id=View.SETTINGS_FORM, title="Digest settings", blocks=blocks, meta=meta)
