"""The one way the account record reaches a channel: never where another organisation reads,
and never twice.

- `deliver` is what every post of internal content goes through (digests, the portfolio digest,
  departure alerts, "Share in channel"). Before posting to a channel it reads whether the
  channel is shared with another organisation, from what Slack last said (stored for every
  process, kept honest by Slack's channel events) or by asking Slack now
  (`commands.ui.directory`); such a channel gets nothing. Its answer (`Delivered`) says what
  happened, and `Delivered.explain` says it to whoever asked for the post.
- At most once: a request written to the socket is never sent again by us, because Slack may
  have carried it out. Only a connection refused (nothing sent) is retried, and a 429 after its
  `Retry-After` (Slack refused the call). What a failure means is read in one place,
  `commands.ui.slack_failures`: a post whose answer is lost or failed (reset, closed, cut off, not
  JSON, any 5xx, a timeout) is `UNCERTAIN`: reported, never re-sent automatically.
  `retry_handlers()` is the policy of every Web API client and response-URL post of the bot.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond import Respond as BoltRespond
from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.webhook import WebhookClient, WebhookResponse

from commands.ui.directory import ChannelFacts, Directory
from commands.ui.slack_failures import Failure, Outcome, classify, classify_answer, never_sent
from commands.ui.text import channel_mention, fallback_text
from commands.ui.views.blocks import Block
from store.deliveries import TIMED_OUT

logger = logging.getLogger("accountbot.delivery")

LONGEST_RETRY_AFTER = 60.0
"""A 429 asking to wait longer than this (seconds) is not waited for: the call fails."""
DEFAULT_TIMEOUT = 10.0
"""Seconds a response-URL post may take when no client says otherwise (SLACK_API_TIMEOUT's
default)."""
SHARED_OUTSIDE = "the channel is shared with another organisation, so internal content stays out"
NOT_CHECKED = "not checked whether the channel is shared with another organisation"
NOT_IN = frozenset({"not_in_channel", "channel_not_found"})
"""Slack's answers when the bot is not in a channel (a private one it was not invited to)."""


# -- retries ----------------------------------------------------------------------------------


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
            raw = value if isinstance(value, str) else next(iter(value), "")
            try:
                seconds = float(raw)
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


class _SlackFailuresAtDebug(logging.Filter):
    """slack_sdk logs a failed call (a reset, an answer that is not JSON) at ERROR; the bot
    logs each failure itself, once, where what failed is known: slack_sdk's line is a DEBUG
    detail."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger("accountbot.slack_sdk").isEnabledFor(logging.DEBUG)
        return True


def slack_logger() -> logging.Logger:
    """The logger handed to slack_sdk's clients."""
    sdk_logger = logging.getLogger("accountbot.slack_sdk")
    if not any(isinstance(f, _SlackFailuresAtDebug) for f in sdk_logger.filters):
        sdk_logger.addFilter(_SlackFailuresAtDebug())
    return sdk_logger


def webhook(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> WebhookClient:
    """A response-URL client with the bot's retry policy (slack_sdk's default retries a reset)."""
    return WebhookClient(
        url,
        timeout=timeout,  # type: ignore[arg-type]  # slack_sdk says int; urllib takes a float
        retry_handlers=retry_handlers(),
        logger=slack_logger(),
    )


def answer_privately(
    url: str, blocks: list[Block], *, client: WebClient | None, replace_original: bool
) -> None:
    """A private answer on a response URL: a view redrawn in place of the message a form came
    from (`replace_original`), or below it."""
    timeout = client.timeout if client else DEFAULT_TIMEOUT
    webhook(url, timeout=timeout).send(
        text=fallback_text(blocks),
        blocks=blocks,
        response_type="ephemeral",
        replace_original=replace_original,
    )


class Respond(BoltRespond):
    """Bolt's `respond`, posting at most once with the bot's timeout (Bolt's own builds a
    WebhookClient with slack_sdk's default retry handlers and a 30-second timeout). A failed
    answer is logged, as Bolt's would not."""

    def __init__(self, *, response_url: str | None, timeout: float) -> None:
        super().__init__(response_url=response_url)
        self.timeout = timeout

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]  # Bolt's fields by keyword only: no caller passes them by position
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


@dataclass(frozen=True)
class Delivered:
    outcome: Outcome
    reason: str = ""
    """Why it was not posted, for the delivery ledger and reports."""
    ts: str | None = None
    channel: str | None = None
    """Where Slack put it (a DM to a user id lands in a D… conversation), to update it later."""
    cause: str = ""
    """What failed, in a few words (`Slack answered HTTP 503`), when Slack may have it."""

    @property
    def sent(self) -> bool:
        return self.outcome is Outcome.SENT

    @classmethod
    def failed(cls, failure: Failure) -> Delivered:
        """A post that raised: not done (given back, or refused), or perhaps done."""
        if failure.outcome is not Outcome.UNCERTAIN:
            return cls(failure.outcome, failure.code or failure.cause)
        reason = (
            TIMED_OUT
            if failure.timed_out
            else f"uncertain: {failure.cause}, so it may or may not have been posted"
        )
        return cls(Outcome.UNCERTAIN, reason, cause=failure.cause)

    def explain(self, what: str, *, channel: str) -> str:
        """Why `what` ("the card") is not, or may not be, in `channel`, for whoever asked."""
        where = place(channel)
        subject = what[:1].upper() + what[1:]
        if self.outcome is Outcome.SHARED_OUTSIDE:
            return (
                f":lock: {subject} was not posted: {where} is shared with another organisation, "
                f"and {what} is internal to your team."
            )
        invite = " Invite the bot there with `/invite @accountbot`." * (self.reason in NOT_IN)
        if self.outcome is Outcome.UNCHECKED:
            return (
                f":lock: {subject} was not posted: Slack would not say who can read {where} "
                f"(`{self.reason}`), so {what} stays private.{invite}"
            )
        if self.outcome is Outcome.REFUSED:
            return f"{subject} was not posted in {where}: Slack said `{self.reason}`.{invite}"
        if self.outcome is Outcome.UNCERTAIN:
            why = (
                "Slack did not answer in time"
                if self.reason == TIMED_OUT
                else f"Slack did not confirm it ({self.cause})"
            )
            return f"{subject} may or may not be in {where}: {why}. Look there before trying again."
        return f"{subject} was not posted in {where}: {self.reason}. Please try again in a minute."


def is_channel(conversation: str, *, dm: bool = True) -> bool:
    """A channel or conversation id (C…, G…, and D… unless `dm` is False), as opposed to a
    user id (a DM to them)."""
    return conversation[:1] in ({"C", "G", "D"} if dm else {"C", "G"})


def place(channel: str) -> str:
    """How to name `channel` to a user: its mention, or "this conversation" (a DM, a group DM)."""
    return channel_mention(channel) if is_channel(channel, dm=False) else "this conversation"


def deliver(
    client: WebClient,
    directory: Directory,
    *,
    team_id: str,
    channel: str,
    text: str,
    blocks: Sequence[Block],
    response_url: str | None = None,
    believed: ChannelFacts | None = None,
    **options: Any,
) -> Delivered:
    """Post internal content to `channel` (a channel, or a user id for a DM), at most once.

    A channel shared with another organisation is refused before anything is sent, and so is
    one Slack will not describe; a DM to a user of the workspace needs no check. With a
    `response_url` the message goes there, `in_channel` (Share in channel), else by
    chat.postMessage. Never raises for Slack or the network: the answer says what happened,
    and the caller, who knows what the post was, logs it (here only at DEBUG). `believed` is
    the stored fact of the channel when the caller has just read it (`Directory.believed`).
    """
    refused = _refusal(client, directory, team_id=team_id, channel=channel, believed=believed)
    delivered = refused or _send(
        client, channel=channel, text=text, blocks=blocks, response_url=response_url, **options
    )
    logger.debug("post to %s: %s %s", channel, delivered.outcome, delivered.reason)
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
    except Exception as error:
        if (failure := classify(error)) is None:
            raise  # a bug of ours, not Slack's answer
        return Delivered.failed(failure)
    ts, where = posted.get("ts"), posted.get("channel")
    return Delivered(
        Outcome.SENT,
        ts=ts if isinstance(ts, str) else None,
        channel=where if isinstance(where, str) else None,
    )


def _refusal(
    client: WebClient,
    directory: Directory,
    *,
    team_id: str,
    channel: str,
    believed: ChannelFacts | None = None,
) -> Delivered | None:
    """Why internal content may not go to `channel`, or None when it may (a user id: a DM).

    What Slack last said of the channel, stored for every process and kept honest by Slack's
    channel events, or Slack asked now when that is unknown, in doubt or too old
    (`Directory.for_post`). Slack failing to answer is not an answer: nothing is posted.
    """
    if not is_channel(channel):
        return None
    try:
        facts = directory.for_post(client, team_id=team_id, channel_id=channel, stored=believed)
    except Exception as error:
        if (failure := classify(error)) is None:
            raise
        return Delivered(Outcome.NOT_SENT, f"{NOT_CHECKED}: {failure.cause}")
    if facts.unseen:
        return Delivered(Outcome.UNCHECKED, facts.unseen)
    if facts.shared_outside:
        return Delivered(Outcome.SHARED_OUTSIDE, SHARED_OUTSIDE)
    return None


def _webhook_outcome(answer: WebhookResponse) -> Delivered:
    """A response URL answers `ok`, or a status and a short word (`expired_url`, …)."""
    status = answer.status_code
    if status == 200:
        return Delivered(Outcome.SENT)
    word = answer.body.strip() if answer.body and len(answer.body) < 60 else f"http_{status}"
    return Delivered.failed(classify_answer(status, word))
