"""Submission of the account modal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from commands.forms import ModalMeta, parse_account_form
from commands.submissions import save_submission, show_card_after, submission_team
from store.accounts import create_account, update_account
from store.db import Database


def handle_account_form(
    ack: Callable[..., None], body: dict[str, Any], view: dict[str, Any], db: Database, today: date
) -> None:
    """Create or change the account; then show its card."""
    meta = ModalMeta.load(view)
    team_id = submission_team(body, view)

    def write(session: Session) -> int:
        values = parse_account_form(view).model_dump()
        if meta.account_id is None:
            return create_account(session, team_id=team_id, **values).id  # type: ignore[return-value]
        update_account(session, team_id=team_id, account_id=meta.account_id, **values)
        return meta.account_id

    account_id = save_submission(ack, body=body, view=view, db=db, write=write)
    if account_id is not None:
        show_card_after(db, meta=meta, team_id=team_id, account_id=account_id, today=today)
