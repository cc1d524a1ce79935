"""The one error handler: known errors become a clear message, unknown ones an error id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from commands.ui.errors import UserError, slack_trouble, unavailable_message
from commands.ui.slack_failures import classify
from commands.ui.text import escape
from store.errors import StoreError

logger = logging.getLogger("accountbot.errors")


def handle_error(error: Exception, respond: Callable[..., Any] | None) -> None:
    """Tell the user what went wrong, ephemerally, without ever hiding the exception."""
    message = explain(error)
    if respond is not None:  # Bolt offers `respond` only when the payload has a response URL
        respond(text=f":warning: {message}", response_type="ephemeral", replace_original=False)


def explain(error: BaseException, *, mrkdwn: bool = True) -> str:
    """Log the error for what it is (a refusal, an outage, or a bug with an id) and return what
    to tell the user: mrkdwn, unless it goes beside a form's input (`mrkdwn=False`), which Slack
    shows as plain text. The store words its refusals in plain text, quoting names and titles
    as typed, so they are escaped for mrkdwn; a `UserError` is already mrkdwn."""
    if isinstance(error, UserError | StoreError):
        message = escape(str(error)) if mrkdwn and isinstance(error, StoreError) else str(error)
        logger.info("refused: %s", type(error).__name__)
        logger.debug("refused with: %s", message)
    elif (failure := classify(error)) is not None and failure.said is not None:
        message = failure.said  # Slack turned the call down for a reason the user can act on
        logger.warning("Slack turned the call down (%s): the user was told", failure.code)
    elif unavailable := unavailable_message(error):
        message = unavailable
        cause = slack_trouble(error) or _cause(error)
        logger.warning("unavailable: %s (%s)", type(error).__name__, cause)
    else:
        error_id = uuid.uuid4().hex[:8]
        logger.error("unhandled error %s", error_id, exc_info=error)
        message = (
            f"Something went wrong on our side. Please try again; if it keeps happening, "
            f"quote error id `{error_id}` to whoever runs the bot."
        )
    return message


def _cause(error: BaseException) -> str:
    """The driver's error class, never its message (which may quote SQL and user text)."""
    original = getattr(error, "orig", None)
    return type(original).__name__ if original is not None else type(error).__name__


def answering_errors(
    work: Callable[[], None],
    *,
    ack: Any,
    body: dict[str, Any] | None,
    respond: Callable[..., Any] | None,
) -> None:
    """Run a listener's work so that any error reaches `handle_error` and never escapes into
    Bolt (every route runs through here, see `commands.contract`).

    Bolt's thread runner mishandles an exception raised after `ack()` (it can clear the ack and
    report the request as unhandled): the request is acked if it was not yet, then the error is
    reported once, to the user too when the payload has a response URL (`respond`). A form
    submission not yet acked stays open with the message beside its first input.
    """
    try:
        work()
    except Exception as error:
        unanswered = ack is not None and ack.response is None
        if unanswered and (field := submitted_form_field(body)):
            # an empty ack would close the form and lose what was typed, saying nothing
            ack(response_action="errors", errors={field: explain(error, mrkdwn=False)})
            return
        if unanswered:
            ack()
        handle_error(error, respond)


def submitted_form_field(body: dict[str, Any] | None) -> str | None:
    """The first input of a submitted form, to show an error beside; None for anything else."""
    if not body or body.get("type") != "view_submission":
        return None
    blocks = (body.get("view") or {}).get("blocks") or []
    inputs = (b.get("block_id") for b in blocks if b.get("type") == "input")
    return next((block_id for block_id in inputs if block_id), None)
