"""Submission of the account modal."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from commands.forms import parse_account_form
from commands.submissions import Submission, card_form
from store.accounts import create_account, update_account


def _save_account(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Create or change the account; then show its card."""
    values = parse_account_form(view).model_dump()
    if sub.meta.account_id is None:
        return create_account(session, team_id=sub.team_id, **values).id  # type: ignore[return-value]
    update_account(
        session,
        team_id=sub.team_id,
        account_id=sub.meta.account_id,
        expected_version=sub.meta.version,
        **values,
    )
    return sub.meta.account_id


handle_account_form = card_form(_save_account)
