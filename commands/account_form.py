"""Submission of the account modal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from commands.access import Access
from commands.forms import parse_account_form
from commands.submissions import Submission, submit_and_show_card
from store.accounts import create_account, update_account
from store.db import Database


def handle_account_form(
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Create or change the account; then show its card."""

    def write(session: Session, sub: Submission) -> int:
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

    submit_and_show_card(ack, body=body, view=view, db=db, today=today, write=write, access=access)
