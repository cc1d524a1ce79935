"""Usage readings from Slack: the "Record usage" form's save (the form opens from the card's
button, routed in `commands.routes`; its loader is in `commands.loaders`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from commands.forms import parse_form
from commands.submissions import Submission, card_form
from commands.ui.views.usage import SEATS_ACTIVE
from store.usage import UsageForm, record_reading


def _usage(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Record the reading (replacing one of the same day and department), then show the card.
    A day in the future, adoption over 100 %, a negative count or a department not the
    account's is refused beside its field, nothing written."""
    form = parse_form(UsageForm, view, today=today)
    account_id = sub.required(sub.meta.account_id, gone="That account no longer exists.")
    record_reading(
        session,
        team_id=sub.team_id,
        reading=form.reading(account_id, form.department_id),
        by_user_id=sub.user_id,
        source="slack",
    )
    return account_id


save_usage = card_form(_usage, default_block=SEATS_ACTIVE)
