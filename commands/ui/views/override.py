"""The owner's forms about the band and the renewal: the band override (the band, why, and until
when; the rules' band and reasons above it, so the owner overrides knowing what the rules see)
and the renewal stage (stage, signed date, notice date)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from commands.ui.ids import View
from commands.ui.text import dated, escape
from commands.ui.values import ModalMeta
from commands.ui.views.blocks import context, section
from commands.ui.views.modal import date_input, enum_select, input_block, modal, text_input
from store.enums import Band, RenewalStage
from store.models import Account
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


STAGE = "renewal_stage"
SIGNED_ON = "renewal_signed_on"
NOTICE = "notice_date"
"""Block ids: the store's refusals name these fields (`store.accounts.RenewalRefused`)."""
STAGE_WORDS = {
    RenewalStage.NOT_STARTED: "Not started",
    RenewalStage.PROPOSAL_SENT: "Proposal sent",
    RenewalStage.VERBAL_YES: "Verbal yes",
    RenewalStage.SIGNED: "Signed",
}


def renewal_form(*, meta: ModalMeta, account: Account, today: date) -> dict[str, Any]:
    """Where the coming renewal stands: its stage, the day it was signed (signed only) and the
    notice date (on or before the renewal date)."""
    renewal = account.renewal_date
    when = dated(renewal, today) if renewal else "no renewal date yet"
    blocks = [
        section(f"*{escape(account.name)}* renews {when}."),
        input_block(
            STAGE,
            "Stage",
            enum_select(list(RenewalStage), value=account.renewal_stage, words=STAGE_WORDS),
        ),
        input_block(
            SIGNED_ON,
            "Signed on",
            date_input(account.renewal_signed_on),
            optional=True,
            hint="Needed once signed.",
        ),
        input_block(
            NOTICE,
            "Notice date",
            date_input(account.notice_date),
            optional=True,
            hint="The last day the customer may give notice: on or before the renewal date.",
        ),
    ]
    return modal(callback_id=View.RENEWAL_FORM, title="Renewal stage", blocks=blocks, meta=meta)
