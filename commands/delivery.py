"""The one way the account record reaches a channel: never where another organisation reads,
and never twice.

- `deliver` is what every post of internal content goes through (digests, the portfolio digest,
  departure alerts, "Share in channel"). Before posting to a channel it asks Slack (remembered
  for a short while, see `commands.access.Directory`; Slack's `channel_shared` and
  `channel_unshared` events make it ask again) whether the channel is shared with another
  organisation; such a channel gets nothing. Its answer (`Delivered`) says what happened.
- At most once: a request written to the socket is never sent again by us, because Slack may have
  carried it out. Only a connection refused (nothing sent) is retried, and a 429 after its
  `Retry-After` (Slack refused the call). A post whose answer is lost (reset, closed, cut off,
  not JSON, a 5xx, a timeout) is `UNCERTAIN`: reported, never re-sent automatically.
  `retry_handlers()` is the policy of every Web API client and response-URL post of the bot.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.error import HTTPError, URLError

from slack_bolt.context.respond import Respond as BoltRespond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.errors import NOT_JSON, slack_trouble
from commands.access import Directory
from commands.views.blocks import Block
from store.deliveries import TIMED_OUT

logger = logging.getLogger("accountbot.delivery")

SLACK_ERRORS = (SlackApiError, OSError, http.client.HTTPException, json.JSONDecodeError)
"""What a Web API call or a response-URL post raises when Slack or the network fails."""
LONGEST_RETRY_AFTER = 60.0
"""A 429 asking to wait longer than this (seconds) is not waited for: the call fails."""
MAYBE_DONE = frozenset({"internal_error", "fatal_error"})
"""Slack's errors after which "some aspect of the operation" may have succeeded (its docs)."""
TRY_LATER = frozenset({"ratelimited", "service_unavailable", "request_timeout"})
"""Slack's errors for a call it did not carry out, which may work later."""
DEFAULT_TIMEOUT = 10.0
"""Seconds a response-URL post may take when no client says otherwise (SLACK_API_TIMEOUT's
default)."""
SHARED_OUTSIDE = "the channel is shared with another organisation, so internal content stays out"


# -- retries ----------------------------------------------------------------------------------


def never_sent(error: BaseException | None) -> bool:
    """True when the request cannot have reached Slack: the connection was refused, or the host
    name did not resolve. urllib wraps what failed before the answer in URLError; an error
    while reading the answer (a reset, a close) comes bare, and the request was sent."""
    if isinstance(error, URLError) and not isinstance(error, HTTPError):
        error = error.reason  # type: ignore[assignment]
    return isinstance(error, ConnectionRefusedError | socket.gaierror)


class NotSentRetryHandler(RetryHandler):
    """Retries a call only when nothing was sent (see `never_sent`), unlike slack_sdk's
    ConnectionErrorRetryHandler, which also retries after a reset: a post twice."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is None and never_sent(error)


def retry_after(response: HttpResponse) -> float:
    """Seconds a 429 asks to wait: fractions (`1.5`) allowed; missing or malformed, one."""
    for name, value in response.headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                seconds = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return 1.0
            return seconds if math.isfinite(seconds) and seconds >= 0 else 1.0
    return 1.0


class RateLimitRetryHandler(RetryHandler):
    """After a 429 (Slack refused the call: nothing was done) waits `Retry-After` and tries
    again, unless asked to wait more than `longest` seconds. slack_sdk's own handler reads the
    header with `int()`, which raises on `1.5`."""

    def __init__(
        self,
        max_retry_count: int = 3,
        *,
        longest: float = LONGEST_RETRY_AFTER,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count)
        self.longest, self.sleep = longest, sleep

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and retry_after(response) <= self.longest
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry said so
        state.next_attempt_requested = True
        self.sleep(retry_after(response))
        state.increment_current_attempt()


def retry_handlers() -> list[RetryHandler]:
    """The bot's retry policy, for every Web API client and response-URL post."""
    return [NotSentRetryHandler(max_retry_count=2), RateLimitRetryHandler(max_retry_count=3)]


class _SlackFailuresAreWarnings(logging.Filter):
    """slack_sdk logs a failed call (a reset, an answer that is not JSON) at ERROR; it is
    Slack's or the network's failure, which the bot reports itself: a WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def slack_logger() -> logging.Logger:
    """The logger handed to slack_sdk's clients."""
    sdk_logger = logging.getLogger("accountbot.slack_sdk")
    if not any(isinstance(f, _SlackFailuresAreWarnings) for f in sdk_logger.filters):
        sdk_logger.addFilter(_SlackFailuresAreWarnings())
    return sdk_logger


def webhook(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> WebhookClient:
    """A response-URL client with the bot's retry policy (slack_sdk's default retries a reset)."""
    return WebhookClient(
        url,
        timeout=timeout,  # type: ignore[arg-type]
        retry_handlers=retry_handlers(),
        logger=slack_logger(),
    )


class Respond(BoltRespond):
    """Bolt's `respond`, posting at most once with the bot's timeout (Bolt's own builds a
    WebhookClient with slack_sdk's default retry handlers and a 30-second timeout). A failed
    answer is logged, as Bolt's would not."""

    def __init__(self, *, response_url: str | None, timeout: float) -> None:
        super().__init__(response_url=response_url)
        self.timeout = timeout

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = dict(text) if isinstance(text, dict) else {"text": text, **fields}
        answer = webhook(self.response_url, timeout=self.timeout).send_dict(
            {k: v for k, v in message.items() if v is not None}
        )
        if answer.status_code != 200:
            logger.warning("the response URL answered HTTP %s", answer.status_code)
        return answer


# -- delivery ---------------------------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "sent"
    SHARED_OUTSIDE = "shared_outside"
    """Not posted: the channel is shared with another organisation."""
    UNCHECKED = "unchecked"
    """Not posted: Slack would not describe the channel (`channel_not_found`, `missing_scope`)."""
    REFUSED = "refused"
    """Not posted: Slack refused it for good (`not_in_channel`, `is_archived`, …)."""
    NOT_SENT = "not_sent"
    """Not posted, and nothing reached Slack (or Slack asked to come back): may be tried again."""
    UNCERTAIN = "uncertain"
    """Sent, but its answer was lost: Slack may have it. Reported, never sent again by itself."""


@dataclass(frozen=True)
class Delivered:
    outcome: Outcome
    reason: str = ""
    ts: str | None = None

    @property
    def sent(self) -> bool:
        return self.outcome is Outcome.SENT


def failure_of(error: BaseException) -> Delivered:
    """What a post that raised `error` (one of SLACK_ERRORS) means for whether Slack has it."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        data = error.response.data if isinstance(error.response.data, dict) else {}
        code = str(data.get("error") or "")
        if status == 429 or code in TRY_LATER:
            return Delivered(Outcome.NOT_SENT, code or "ratelimited")
        if status >= 500:
            return _uncertain(f"Slack answered HTTP {status}")
        if code.startswith(NOT_JSON):
            return _uncertain(f"Slack's answer was not JSON (HTTP {status})")
        if code in MAYBE_DONE:
            return _uncertain(f"Slack answered `{code}`")
        return Delivered(Outcome.REFUSED, code or f"http_{status}")
    if isinstance(error, TimeoutError):
        return Delivered(Outcome.UNCERTAIN, TIMED_OUT)
    if never_sent(error):
        return Delivered(Outcome.NOT_SENT, "Slack could not be reached (connection refused)")
    if isinstance(error, http.client.RemoteDisconnected):
        return _uncertain("connection closed after sending, before Slack answered")
    if isinstance(error, ConnectionError):
        return _uncertain("connection reset after sending")
    if isinstance(error, http.client.IncompleteRead):
        return _uncertain("Slack's answer was cut off")
    if isinstance(error, json.JSONDecodeError):
        return _uncertain("Slack's answer was not valid JSON")
    if isinstance(error, URLError):
        return _uncertain(f"the connection failed while sending ({type(error.reason).__name__})")
    return _uncertain(f"{type(error).__name__} after sending")


def _uncertain(what: str) -> Delivered:
    return Delivered(Outcome.UNCERTAIN, f"uncertain: {what}, so it may or may not have been posted")


def is_channel(conversation: str) -> bool:
    """A channel or conversation id (C…, G…, D…), as opposed to a user id (a DM to them)."""
    return conversation[:1] in {"C", "G", "D"}


def deliver(
    client: WebClient,
    directory: Directory,
    *,
    team_id: str,
    channel: str,
    text: str,
    blocks: Sequence[Block],
    response_url: str | None = None,
    **options: Any,
) -> Delivered:
    """Post internal content to `channel` (a channel, or a user id for a DM), at most once.

    A channel shared with another organisation is refused before anything is sent, and so is
    one Slack will not describe; a DM to a user of the workspace needs no check. With a
    `response_url` the message goes there, `in_channel` (Share in channel), else by
    chat.postMessage. Never raises for Slack or the network: the answer says what happened.
    """
    refused = _refusal(client, directory, team_id=team_id, channel=channel)
    delivered = refused or _send(
        client, channel=channel, text=text, blocks=blocks, response_url=response_url, **options
    )
    if delivered.outcome is Outcome.SHARED_OUTSIDE:  # the rule at work, not a failure
        logger.info("nothing posted to %s: %s", channel, delivered.reason)
    elif not delivered.sent:
        logger.warning(
            "post to %s not delivered (%s): %s", channel, delivered.outcome, delivered.reason
        )
    return delivered


def _send(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: Sequence[Block],
    response_url: str | None,
    **options: Any,
) -> Delivered:
    """One request, never repeated once written (see `retry_handlers`)."""
    try:
        if response_url is not None:
            answer = webhook(response_url, timeout=client.timeout).send_dict(
                {"text": text, "blocks": list(blocks), "response_type": "in_channel", **options}
            )
            return _webhook_outcome(answer)
        posted = client.chat_postMessage(channel=channel, text=text, blocks=blocks, **options)
        return Delivered(Outcome.SENT, ts=posted.get("ts"))
    except SLACK_ERRORS as error:
        return failure_of(error)


def _refusal(
    client: WebClient, directory: Directory, *, team_id: str, channel: str
) -> Delivered | None:
    """Why internal content may not go to `channel`, or None when it may (a user id: a DM)."""
    if not is_channel(channel):
        return None
    try:
        facts = directory.channel(client, team_id=team_id, channel_id=channel)
        if facts.unseen:  # perhaps remembered from before the bot was invited: ask again
            facts = directory.channel(client, team_id=team_id, channel_id=channel, fresh=True)
    except SLACK_ERRORS as error:
        return Delivered(
            Outcome.NOT_SENT,
            "not checked whether the channel is shared with another organisation: "
            + _what_failed(error),
        )
    if facts.unseen:
        return Delivered(Outcome.UNCHECKED, facts.unseen)
    if facts.shared_outside:
        return Delivered(Outcome.SHARED_OUTSIDE, SHARED_OUTSIDE)
    return None


def _what_failed(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "Slack did not answer in time"
    if never_sent(error):
        return "Slack could not be reached"
    return f"Slack failed ({slack_trouble(error) or type(error).__name__})"


def _webhook_outcome(answer: WebhookResponse) -> Delivered:
    """A response URL answers `ok`, or a status and a short word (`expired_url`, …)."""
    status = answer.status_code
    if status == 200:
        return Delivered(Outcome.SENT)
    word = answer.body.strip() if answer.body and len(answer.body) < 60 else f"http_{status}"
    if status == 429:
        return Delivered(Outcome.NOT_SENT, "ratelimited")
    if status >= 500:
        return _uncertain(f"Slack answered HTTP {status}")
    return Delivered(Outcome.REFUSED, word)
