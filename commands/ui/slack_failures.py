"""The one reading of a failed Web API call or response-URL post: did Slack (maybe) carry it out,
and what do we tell the user. `commands.ui.delivery` records posts by it and `commands.errors` words
its messages by it, so a code or a status is read here and nowhere else.

- 429: Slack refused the call and did nothing (`NOT_SENT`); so did a connection refused or a
  host name that did not resolve (nothing was sent).
- Any 5xx after the request was written, whatever error code its body carries: Slack may have
  done it (`UNCERTAIN`). So may an answer lost on the way (a reset, a close, a body cut off,
  not JSON, not an object, not UTF-8), a timeout, and `internal_error` / `fatal_error`, which
  Slack documents as "it's possible some aspect of the operation succeeded".
- `ratelimited`, `service_unavailable` and `request_timeout` with a 200: Slack documents them as
  the call rate-limited, the service temporarily unavailable, and the POST data missing or
  truncated, with no word (unlike `internal_error`) that part of it may have been done: not
  carried out (`NOT_SENT`), so a post may be tried again.
- Any other error code: Slack refused the call (`REFUSED`, `not_in_channel`, `invalid_auth`, …).
"""

from __future__ import annotations

import functools
import http.client
import json
import socket
import traceback
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError

from pydantic import TypeAdapter, ValidationError
from slack_sdk.errors import SlackApiError, SlackClientError

NOT_JSON = "Received a response in a non-JSON format"
"""How slack_sdk's `error` begins when Slack's answer was not JSON (an HTML page, nothing)."""
MAYBE_DONE = frozenset({"internal_error", "fatal_error"})
"""Error codes after which "some aspect of the operation" may have succeeded (Slack's docs)."""
NOT_DONE = frozenset({"ratelimited", "service_unavailable", "request_timeout"})
"""Error codes (with a 200) of a call Slack did not carry out, which may work later."""
FORM_NOT_OPENED = "Slack took too long to open the form, so it did not open. Please try again."
FORM_CLOSED = (
    "The form was closed before it was ready, so nothing was shown or saved. "
    "Open it again if you still need it."
)
TURNED_DOWN = {
    ("views.open", "expired_trigger_id"): FORM_NOT_OPENED,
    ("views.open", "invalid_trigger_id"): FORM_NOT_OPENED,
    ("views.push", "expired_trigger_id"): FORM_NOT_OPENED,
    ("views.push", "invalid_trigger_id"): FORM_NOT_OPENED,
    ("views.update", "not_found"): FORM_CLOSED,
}
"""Calls Slack turns down for a reason the user can act on, and what to tell them."""


class Outcome(StrEnum):
    SENT = "sent"
    SHARED_OUTSIDE = "shared_outside"
    """Not posted: the channel is shared with another organisation."""
    UNCHECKED = "unchecked"
    """Not posted: Slack would not describe the channel (`channel_not_found`, `missing_scope`)."""
    REFUSED = "refused"
    """Not done: Slack refused it for good (`not_in_channel`, `is_archived`, `invalid_auth`, …)."""
    NOT_SENT = "not_sent"
    """Not done, and nothing reached Slack (or Slack asked to come back): may be tried again."""
    UNCERTAIN = "uncertain"
    """Sent, but its answer was lost or Slack failed: Slack may have done it. Never repeated."""


@dataclass(frozen=True)
class Failure:
    """What a failed call means."""

    outcome: Outcome
    """`NOT_SENT`, `UNCERTAIN` or `REFUSED`."""
    cause: str
    """A few words for the log and the delivery ledger (`Slack answered HTTP 503`)."""
    trouble: str | None = None
    """Slack or the network failing, for the user (`it answered HTTP 503`); None when Slack
    refused the call, or did not answer in time or could not be reached (said apart)."""
    code: str = ""
    """Slack's error code, when it gave one."""
    timed_out: bool = False
    said: str | None = None
    """What to tell the user of a call Slack turned down for a reason they can act on."""


class MalformedAnswer(SlackClientError):
    """Slack answered `ok` without what the method answers (a channel that is not an object, a
    user without an id): found by the bot's own reading of the answer (`answered`)."""


Read = TypeVar("Read")


def answered(kind: type[Read], answer: Any, field: str) -> Read:
    """`answer[field]` read as `kind` (a pydantic model, `list[str]`, …); `MalformedAnswer`
    when Slack's answer lacks it or it is not of that shape."""
    adapter: TypeAdapter[Read] = _adapter(kind)  # type: ignore[arg-type]  # mypy counts no class as Hashable (python/mypy#11470)
    try:
        return adapter.validate_python(answer.get(field))
    except ValidationError:
        method = str(getattr(answer, "api_url", "")).rsplit("/", 1)[-1] or "Slack"
        raise MalformedAnswer(f"{method} answered without a valid `{field}`") from None


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def classify(error: BaseException) -> Failure | None:
    """What a Web API call or response-URL post that raised `error` means; None when `error`
    is not Slack or the network failing (a bug of ours, to be raised)."""
    if isinstance(error, SlackApiError):
        data = error.response.data if isinstance(error.response.data, dict) else {}
        method = str(error.response.api_url or "").rsplit("/", 1)[-1]
        return classify_answer(error.response.status_code, str(data.get("error") or ""), method)
    if isinstance(error, MalformedAnswer):
        return _uncertain(f"Slack's answer was malformed ({error})", "its answer was malformed")
    if isinstance(error, TimeoutError) or (
        isinstance(error, URLError) and isinstance(error.reason, TimeoutError)
    ):
        return Failure(Outcome.UNCERTAIN, "Slack did not answer in time", timed_out=True)
    if never_sent(error):
        unresolved = isinstance(getattr(error, "reason", error), socket.gaierror)
        how = "its host name did not resolve" if unresolved else "connection refused"
        return Failure(Outcome.NOT_SENT, f"Slack could not be reached ({how})")
    if isinstance(error, http.client.RemoteDisconnected):
        return _uncertain(
            "connection closed after sending, before Slack answered",
            "the connection was closed before it answered",
        )
    if isinstance(error, ConnectionError):
        return _uncertain("connection reset after sending", "the connection was reset")
    if isinstance(error, http.client.IncompleteRead):
        return _uncertain("Slack's answer was cut off", "its answer was cut off")
    if isinstance(error, HTTPError):  # a plain HTTP request (files upload v2's upload URL)
        return classify_answer(error.code, "")
    if isinstance(error, URLError):
        reason = type(error.reason).__name__
        return _uncertain(
            f"the connection failed while sending ({reason})", f"the connection failed ({reason})"
        )
    if isinstance(error, OSError):
        return _uncertain(f"{type(error).__name__} after sending", "the connection failed")
    return _garbled(error)


def classify_answer(status: int, code: str, method: str = "") -> Failure:
    """What an answer that is not a success means: its HTTP status first, then Slack's code."""
    if status == 429:
        return Failure(Outcome.NOT_SENT, "ratelimited", RATE_LIMITED, code or "ratelimited")
    if status >= 500:
        return _uncertain(f"Slack answered HTTP {status}", f"it answered HTTP {status}", code)
    if code.startswith(NOT_JSON):
        return _uncertain(
            f"Slack's answer was not JSON (HTTP {status})",
            f"its answer was not JSON, HTTP {status}",
        )
    if code in MAYBE_DONE:
        return _uncertain(f"Slack answered `{code}`", f"it answered `{code}`", code)
    if code in NOT_DONE:
        trouble = RATE_LIMITED if code == "ratelimited" else f"it answered `{code}`"
        return Failure(Outcome.NOT_SENT, code, trouble, code)
    if not code:
        return _uncertain(
            f"Slack answered HTTP {status} without saying what failed",
            f"its answer was malformed, HTTP {status}",
        )
    return Failure(Outcome.REFUSED, code, code=code, said=TURNED_DOWN.get((method, code)))


RATE_LIMITED = "it keeps rate-limiting the bot"


def _uncertain(cause: str, trouble: str, code: str = "") -> Failure:
    return Failure(Outcome.UNCERTAIN, cause, trouble, code)


def never_sent(error: BaseException | None) -> bool:
    """True when the request cannot have reached Slack: the connection was refused, or the host
    name did not resolve. urllib wraps what failed before the answer in URLError; an error
    while reading the answer (a reset, a close) comes bare, and the request was sent."""
    if isinstance(error, URLError) and not isinstance(error, HTTPError):
        return isinstance(error.reason, ConnectionRefusedError | socket.gaierror)
    return isinstance(error, ConnectionRefusedError | socket.gaierror)


def _garbled(error: BaseException) -> Failure | None:
    """An answer slack_sdk could not read: raised while slack_sdk read it, never by our code."""
    if isinstance(error, json.JSONDecodeError | http.client.HTTPException):
        if _through_slack_sdk(error):
            return _uncertain("Slack's answer was not valid JSON", "its answer was not valid JSON")
        return None
    if not _raised_in_slack_sdk(error):
        return None
    if isinstance(error, UnicodeDecodeError):
        return _uncertain("Slack's answer was not valid UTF-8", "its answer was not valid text")
    if isinstance(error, AttributeError | TypeError):  # `[1]`, `"ok"`: slack_sdk calls .get()
        return _uncertain(
            "Slack's answer was not a JSON object", "its answer was not a JSON object"
        )
    return None


def _through_slack_sdk(error: BaseException) -> bool:
    return any(_in_slack_sdk(frame) for frame, _ in traceback.walk_tb(error.__traceback__))


def _raised_in_slack_sdk(error: BaseException) -> bool:
    """The innermost Python frame of the error is slack_sdk's own (reading an answer)."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    return bool(frames) and _in_slack_sdk(frames[-1])


def _in_slack_sdk(frame: Any) -> bool:
    return str(frame.f_globals.get("__name__", "")).startswith("slack_sdk.")
