""" "Did Acme renew?" answered from Slack: the small form each answer opens is saved here (its
loader is in `commands.loaders`, its routes in `commands.routes`). The answer is written in one
transaction (`store.renewals.record_renewal`); then every DM that asked the question is updated
to say what was recorded, so no stale buttons are left."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from commands.forms import ArrAmount, FormErrors, parse_form
from commands.submissions import save_submission
from commands.ui.slack_failures import classify
from commands.ui.text import fallback_text
from commands.ui.values import ModalMeta
from commands.ui.views.renewal import NEW_ARR, REASON, REASON_LENGTH, answered_blocks
from store.db import Database
from store.enums import RenewalOutcome
from store.models import Account, RenewalAnswer
from store.renewals import questions_sent, record_renewal

logger = logging.getLogger("accountbot.renewals")
STALE = "This form no longer matches a renewal: close it and answer from the question again."


class RenewalAnswerForm(BaseModel):
    """The answer form as typed; what each outcome needs is checked in `required`."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    new_arr: ArrAmount | None = None
    reason: Annotated[str | None, Field(max_length=REASON_LENGTH)] = None

    def required(self, outcome: RenewalOutcome) -> None:
        """A renewal that changes ARR needs the new ARR; a churn needs its reason."""
        if outcome in (RenewalOutcome.EXPANDED, RenewalOutcome.CONTRACTED) and self.new_arr is None:
            raise FormErrors({NEW_ARR: "Give the new ARR."})
        if outcome is RenewalOutcome.CHURNED and not self.reason:
            raise FormErrors({REASON: "Say why they left: it is kept with the churn."})


def save_renewal_answer(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Record the answer (refused inline, nothing written: a missing new ARR or reason, a new
    ARR its outcome contradicts, a renewal already recorded), then update the questions."""
    if value.account_id is None or value.renewal_on is None or value.outcome is None:
        ack(response_action="errors", errors={REASON: STALE})
        return
    account_id, renewal_on, outcome = value.account_id, value.renewal_on, value.outcome
    try:
        form = parse_form(RenewalAnswerForm, view)
        form.required(outcome)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    user_id = body["user"]["id"]

    def write(session: Session) -> tuple[Account, RenewalAnswer]:
        return record_renewal(
            session,
            team_id=access.team_id,
            account_id=account_id,
            renewal_date=renewal_on,
            outcome=outcome,
            new_arr=form.new_arr,
            reason=form.reason,
            by_user_id=user_id,
        )

    saved = save_submission(ack, body=body, db=db, write=write, access=access, default_block=REASON)
    if saved is None:
        return
    account, answer = saved
    blocks = answered_blocks(
        name=account.name,
        renewal_date=renewal_on,
        outcome=outcome,
        arr_before=answer.arr_before,
        arr_after=answer.arr_after,
        currency=account.currency,
        by_user_id=user_id,
        next_renewal=account.renewal_date,
        reason=answer.reason,
        today=today,
    )
    with db.reading() as session:
        asked = questions_sent(
            session, team_id=access.team_id, account_id=account_id, renewal_date=renewal_on
        )
    for channel, ts in asked:
        try:
            client.chat_update(channel=channel, ts=ts, text=fallback_text(blocks), blocks=blocks)
        except Exception as error:
            if (failure := classify(error)) is None:
                raise
            logger.warning("renewal question %s in %s not updated: %s", ts, channel, failure.cause)
