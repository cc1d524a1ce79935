"""The owner's band override and renewal stage from Slack: the forms' saves. (The forms open from
the card's "Override band" and "Renewal stage" buttons, routed in `commands.routes`; their
loaders are in `commands.loaders`.)"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlmodel import Session

from commands.forms import parse_form
from commands.people_forms import past_date
from commands.submissions import Submission, card_form
from commands.ui.views.override import BAND, STAGE
from store.accounts import update_account
from store.enums import Band, RenewalStage
from store.overrides import REASON_LENGTH, reason_too_long, set_band_override


class OverrideForm(BaseModel):
    """The override form as typed: the store checks the reason and the expiry (and says which
    field is at fault), so a refusal reads the same from Slack and from anywhere else."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    band: Band
    reason: str = ""
    expires_on: date

    @field_validator("reason", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        """Past twice the store's limit (collapsed whitespace is not counted) the reason is
        refused here, unread, saying the store's limit: one message whatever the path."""
        if isinstance(value, str) and len(value) > REASON_LENGTH * 2:
            raise ValueError(reason_too_long(value))
        return value


def _override(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Set the account's band by hand, then show its card with the override in it. A missing
    reason or an expiry in the past or beyond 90 days is refused beside its field, nothing
    written; so is a save over an override someone set or cleared since the form opened."""
    form = parse_form(OverrideForm, view, today=today)
    assert sub.meta.account_id is not None, "the form is opened for one account"
    set_band_override(
        session,
        team_id=sub.team_id,
        account_id=sub.meta.account_id,
        band=form.band,
        reason=form.reason,
        expires_on=form.expires_on,
        by_user_id=sub.user_id,
        today=today,
        expected=sub.meta.version,
    )
    return sub.meta.account_id


save_override = card_form(_override, default_block=BAND)


class RenewalForm(BaseModel):
    """The renewal stage form as typed; the store checks that the facts can all be true."""

    model_config = ConfigDict(frozen=True)

    renewal_stage: RenewalStage
    renewal_signed_on: date | None = None
    notice_date: date | None = None

    _signed = field_validator("renewal_signed_on")(past_date)  # signed: not on a day to come


def _renewal(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Move the renewal to a stage and set its notice date, then show the card. A notice date
    after the renewal date, or signed without the day it was signed, is refused beside its
    field, nothing written; so is a save over a change someone made since the form opened."""
    form = parse_form(RenewalForm, view, today=today)
    assert sub.meta.account_id is not None, "the form is opened for one account"
    update_account(
        session,
        team_id=sub.team_id,
        account_id=sub.meta.account_id,
        expected_version=sub.meta.version,
        by_user_id=sub.user_id,
        renewal_stage=form.renewal_stage,
        renewal_signed_on=form.renewal_signed_on,
        notice_date=form.notice_date,
    )
    return sub.meta.account_id


save_renewal = card_form(_renewal, default_block=STAGE)
