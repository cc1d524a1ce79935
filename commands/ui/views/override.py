"""The band override form: the band, why, and until when; the rules' band and reasons above it,
so the owner overrides knowing what the rules see."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from commands.ui.ids import View
from commands.ui.text import escape
from commands.ui.values import ModalMeta
from commands.ui.views.blocks import context, section
from commands.ui.views.modal import date_input, enum_select, input_block, modal, text_input
from store.enums import Band
from store.overrides import MAX_OVERRIDE_DAYS, REASON_LENGTH
from store.signals import Assessment
from store.wording import day

BAND = "band"
REASON = "reason"
EXPIRES_ON = "expires_on"
"""Block ids: the store's refusals name these fields (`store.overrides.OverrideRefused`)."""
BAND_WORDS = {Band.GREEN: "Green", Band.YELLOW: "Yellow", Band.RED: "Red"}
DEFAULT_DAYS = 14


def override_form(
    *, meta: ModalMeta, name: str, assessment: Assessment, today: date
) -> dict[str, Any]:
    """Set (or replace) an account's band by hand, for at most 90 days."""
    rules = assessment.rules_band
    reasons = ", ".join(escape(r) for r in assessment.rule_reasons[:4]) or "no warning signs"
    current = assessment.override
    latest = day(today + timedelta(days=MAX_OVERRIDE_DAYS), today)
    blocks = [
        section(f"The rules say *{rules.value}* for *{escape(name)}*: {reasons}."),
        input_block(
            BAND,
            "Band to show",
            enum_select(list(Band), value=current.band if current else None, words=BAND_WORDS),
        ),
        input_block(
            REASON,
            "Why (shown beside the band)",
            text_input(
                max_length=REASON_LENGTH,
                value=current.reason if current else None,
                multiline=True,
            ),
        ),
        input_block(
            EXPIRES_ON,
            f"Until (at most {MAX_OVERRIDE_DAYS} days)",
            date_input(current.expires_on if current else today + timedelta(days=DEFAULT_DAYS)),
        ),
        context(
            "Shown as an override everywhere, with the rules' band beside it, and kept in the "
            f"account's history. From {latest} at the latest, the rules' band is shown again."
        ),
    ]
    return modal(callback_id=View.OVERRIDE_FORM, title="Override band", blocks=blocks, meta=meta)
