"""Modal submissions: validate and write in one transaction, once, or answer with inline errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors
from commands.replies import card_of
from commands.ui.delivery import DEFAULT_TIMEOUT, webhook
from commands.ui.errors import STORE_DOWN
from commands.ui.text import fallback_text
from commands.ui.values import ModalMeta
from store.db import UNAVAILABLE, Database
from store.errors import NotFound, StoreError
from store.idempotency import claim

logger = logging.getLogger("accountbot.submissions")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Submission:
    """Who submitted a modal, in which workspace, and what it changes (`meta`: the route read it
    from the form, and checked the user's rights against it)."""

    team_id: str
    user_id: str
    meta: ModalMeta

    def required(self, value: int | None, *, gone: str) -> int:
        """An id the modal must carry; missing, the submission is refused inline."""
        if value is None:
            raise NotFound(gone)
        return value


CardWrite = Callable[[Session, "Submission", dict[str, Any], date], int]
"""One modal's change: given the session, the submission, the submitted view and today, write
and return the id of the account changed."""


def card_form(write: CardWrite, *, default_block: str = "name") -> Callable[..., None]:
    """The listener of a modal that saves one change, then redraws the account's card (see
    `submit_and_show_card`)."""

    def listener(
        value: ModalMeta,
        ack: Callable[..., None],
        body: dict[str, Any],
        view: dict[str, Any],
        db: Database,
        today: date,
        access: Access,
    ) -> None:
        submit_and_show_card(
            ack,
            body=body,
            meta=value,
            db=db,
            today=today,
            write=lambda session, submission: write(session, submission, view, today),
            access=access,
            default_block=default_block,
        )

    listener.__name__, listener.__doc__ = write.__name__.lstrip("_"), write.__doc__
    return listener


def submit_and_show_card(
    ack: Callable[..., None],
    *,
    body: dict[str, Any],
    meta: ModalMeta,
    db: Database,
    today: date,
    write: Callable[[Session, Submission], int],
    access: Access,
    default_block: str = "name",
) -> int | None:
    """Save a modal once (see `save_submission`); `write` returns the account it changed, whose
    card is then redrawn for the user. The write sees `meta`: the very ids access was checked
    against."""
    submission = Submission(access.team_id, body["user"]["id"], meta)
    account_id = save_submission(
        ack,
        body=body,
        db=db,
        write=lambda session: write(session, submission),
        access=access,
        default_block=default_block,
    )
    if account_id is not None:
        show_card_after(
            db,
            meta=submission.meta,
            team_id=submission.team_id,
            account_id=account_id,
            today=today,
            access=access,
        )
    return account_id


def save_submission(
    ack: Callable[..., None],
    *,
    body: dict[str, Any],
    db: Database,
    write: Callable[[Session], Result],
    access: Access,
    default_block: str = "name",
) -> Result | None:
    """Run `write` once per submitted view; refused input keeps the modal open, writing nothing.

    A double-clicked submit or a retried delivery carries the same view id and hash: the second
    finds its claim taken, writes nothing and just closes the modal. (Whether the user may make
    the change was checked by the form's route, before this.) The claim is the request's
    team's (`access` is the rights of the request's one team and user).
    """
    view = body["view"]
    key = f"view:{view.get('id')}:{view.get('hash')}"
    try:
        with db.transaction() as session:
            if not claim(session, team_id=access.team_id, key=key):
                logger.info("submission %s already carried out", key)
                ack()
                return None
            result = write(session)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return None
    except StoreError as refused:
        ack(response_action="errors", errors={refused.field or default_block: refused.message})
        return None
    except UNAVAILABLE:  # the modal stays open with what was typed, to submit again
        logger.warning("submission %s not saved: the database is unavailable", key)
        ack(response_action="errors", errors={default_block: STORE_DOWN})
        return None
    ack()
    return result


def show_card_after(
    db: Database, *, meta: ModalMeta, team_id: str, account_id: int, today: date, access: Access
) -> None:
    """Redraw the card the modal came from (or post it privately) with the change in it."""
    if not meta.response_url:
        return
    blocks = card_of(db, access, team_id=team_id, account_id=account_id, today=today)
    if blocks:
        timeout = access.client.timeout if access.client else DEFAULT_TIMEOUT
        webhook(meta.response_url, timeout=timeout).send(
            text=fallback_text(blocks),
            blocks=blocks,
            response_type="ephemeral",
            replace_original=meta.replace_card,
        )
