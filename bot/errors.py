"""The one error handler: known errors become a clear message, unknown ones an error id."""

from __future__ import annotations

import functools
import http.client
import json
import logging
import traceback
import uuid
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from store.db import is_unavailable
from store.errors import StoreError

logger = logging.getLogger("accountbot.errors")


class UserError(Exception):
    """Something the user can fix; the message is shown to them as is."""


STORE_DOWN = (
    "The account store is not answering right now, so nothing was saved or shown. "
    "Please try again in a minute."
)
SLACK_SLOW = "Slack did not answer in time, so this could not be finished. Please try again."
SLACK_TROUBLE = (
    "Slack is having trouble right now ({what}), so this could not be finished. "
    "Please try again in a minute."
)
SLACK_SIDE_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
"""Error codes in which Slack reports its own failure (or overload), not a fault of the call."""
NOT_JSON = "Received a response in a non-JSON format"
"""How slack_sdk's `error` begins when Slack's answer was not JSON (an HTML page, nothing)."""


def slack_trouble(error: BaseException) -> str | None:
    """What went wrong on Slack's side of a Web API call, in a few words (`it answered HTTP
    503`); None when the error is not Slack or the network failing: a refusal such as
    `not_in_channel`, a timeout (see SLACK_SLOW), or a bug of ours."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        data = error.response.data if isinstance(error.response.data, dict) else {}
        code = str(data.get("error") or "")
        if status == 429 or code == "ratelimited":
            return "it keeps rate-limiting the bot"
        if status >= 500:
            return f"it answered HTTP {status}"
        if code.startswith(NOT_JSON):
            return f"its answer was not JSON, HTTP {status}"
        if code in SLACK_SIDE_ERRORS:
            return f"it answered `{code}`"
        return None
    if isinstance(error, http.client.RemoteDisconnected):
        return "the connection was closed before it answered"
    if isinstance(error, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return "the connection was reset"
    if isinstance(error, http.client.IncompleteRead):
        return "its answer was cut off"
    garbled = isinstance(error, json.JSONDecodeError | http.client.HTTPException)
    if garbled and _from_slack_sdk(error):
        return "its answer was not valid JSON"
    return None


def _from_slack_sdk(error: BaseException) -> bool:
    """Raised while slack_sdk read an answer (not by our own parsing of something else)."""
    return any(
        frame.f_globals.get("__name__", "").startswith("slack_sdk.")
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def unavailable_message(error: BaseException) -> str | None:
    """What to tell the user when a service we depend on failed (not a bug of ours), else None."""
    if is_unavailable(error):
        return STORE_DOWN
    if what := slack_trouble(error):
        return SLACK_TROUBLE.format(what=what)
    if isinstance(error, TimeoutError | URLError | ConnectionError):
        return SLACK_SLOW
    return None


def handle_error(error: Exception, respond: Callable[..., Any] | None) -> None:
    """Tell the user what went wrong, ephemerally, without ever hiding the exception."""
    message = explain(error)
    if respond is not None:  # Bolt offers `respond` only when the payload has a response URL
        respond(text=f":warning: {message}", response_type="ephemeral", replace_original=False)


def explain(error: BaseException) -> str:
    """Log the error for what it is (a refusal, an outage, or a bug with an id) and return what
    to tell the user."""
    if isinstance(error, UserError | StoreError):
        message = str(error)
        logger.info("refused: %s", type(error).__name__)
        logger.debug("refused with: %s", message)
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


Listener = Callable[..., None]


def guarded(listener: Listener) -> Listener:
    """Run a listener so that any error reaches `handle_error` and never escapes into Bolt.

    Bolt's thread runner mishandles an exception raised after `ack()` (it can clear the ack and
    report the request as unhandled), so listeners are wrapped here: the request is acked if it
    was not yet, then the error is reported once, to the user too when the listener takes
    `respond`. A form submission not yet acked stays open with the message beside its first
    input. Bolt still sees (and injects) the listener's own arguments.
    """

    @functools.wraps(listener)
    def run(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        except Exception as error:
            ack = kwargs.get("ack")
            unanswered = ack is not None and ack.response is None
            if unanswered and (field := _submitted_form_field(kwargs.get("body"))):
                # an empty ack would close the form and lose what was typed, saying nothing
                ack(response_action="errors", errors={field: explain(error)})
                return
            if unanswered:
                ack()
            handle_error(error, kwargs.get("respond"))

    return run


def _submitted_form_field(body: dict[str, Any] | None) -> str | None:
    """The first input of a submitted form, to show an error beside; None for anything else."""
    if not body or body.get("type") != "view_submission":
        return None
    blocks = (body.get("view") or {}).get("blocks") or []
    inputs = (b.get("block_id") for b in blocks if b.get("type") == "input")
    return next((block_id for block_id in inputs if block_id), None)
