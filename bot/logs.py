"""Logging: one line per event, JSON in production, with the request and team it belongs to.

Nothing secret goes to the logs (tokens never; message and form contents only at DEBUG), and
nothing a request carries can start a line of its own (newlines are escaped in every field, in
text and JSON).
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
team_id: ContextVar[str | None] = ContextVar("team_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def begin_request() -> None:
    """A new request on this thread: a fresh id and no team yet, so no line it logs (a refusal
    at the door, say) carries the ids of the request this server thread served before."""
    request_id.set(new_request_id())
    team_id.set(None)


class RequestContext(logging.Filter):
    """Stamps every record with the current request id and Slack team id (or `-`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        record.team_id = team_id.get() or "-"
        return True


SLACK_TOKEN = re.compile(r"\b(xox[abposre]|xapp|xoxe\.xox[abp])-[\w.-]+")


class RedactTokens(logging.Filter):
    """Blanks anything shaped like a Slack token, whoever logged it (slack_sdk logs whole API
    answers at DEBUG, `oauth.v2.access` with the new bot token among them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "xox" in message or "xapp" in message:
            record.msg, record.args = SLACK_TOKEN.sub(r"\1-(redacted)", message), None
        return True


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(text: str) -> str:
    """`a\nb` -> `a\\nb`: every control character (but tab) as its escape, visibly."""
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


class OneLineFormatter(logging.Formatter):
    """Text lines nothing user-controlled can break: newlines and other control characters are
    escaped in every field of the line (the message, and the team id, request id and logger
    name, which a payload can reach too), and a traceback's lines are indented under its
    record, so every line that starts at the margin is a record of ours (a forged one cannot be
    told apart)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return _escaped(super().formatMessage(record))  # the format's own text has none

    def formatException(self, ei: Any) -> str:
        return self._indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return self._indented(super().formatStack(stack_info))

    @staticmethod
    def _indented(text: str) -> str:
        return "\n".join("    " + _escaped(line) for line in text.split("\n"))


class DropMessage(logging.Filter):
    """Drops one exact message (a library's warning that does not apply to us)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


SUMMARY = "Task queue: %d request(s) waited for a free thread over %.1f s, depth up to %d"


class QueueSummary(logging.Filter):
    """Turns waitress's "Task queue depth is N" (one WARNING per request that finds no free
    thread: thousands a minute under load) into one summary line at most every `every`
    seconds: how many requests waited and the deepest the queue got since the last line.

    The first queued request after a line is let through (rewritten as the summary), so an
    operator sees queueing begin; the next ones are counted and dropped until `every` seconds
    have passed; `flush()` (the server stopping) writes what is left. Installed once per
    process on the `waitress.queue` logger; every server of the process counts together.
    """

    def __init__(self, *, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._queued = 0
        self._deepest = 0
        self._since: float | None = None  # when the first request counted here waited
        self._last_line: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "queue_summary", False):  # our own line, from flush()
            return True
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        now = self._clock()
        with self._lock:
            self._queued += 1
            self._deepest = max(self._deepest, depth if isinstance(depth, int) else 0)
            self._since = now if self._since is None else self._since
            if self._last_line is not None and now - self._last_line < self.every:
                return False
            self._summarise(record, now)
        return True

    def flush(self, logger: logging.Logger) -> None:
        """Log the requests counted since the last line, if any, and start afresh."""
        with self._lock:
            if not self._queued:
                self._last_line = None
                return
            record = logger.makeRecord(logger.name, logging.WARNING, __file__, 0, SUMMARY, (), None)
            self._summarise(record, self._clock())
            self._last_line = None  # the next queued request is told at once
        record.queue_summary = True
        logger.handle(record)

    def _summarise(self, record: logging.LogRecord, now: float) -> None:
        """Rewrite `record` as the summary of what was counted, and start a new window."""
        assert self._since is not None
        record.msg = SUMMARY
        record.args = (self._queued, now - self._since, self._deepest)
        record.queued, record.deepest = self._queued, self._deepest
        self._queued, self._deepest, self._since, self._last_line = 0, 0, None, now


def bind(context: dict[str, Any]) -> None:
    """Make a Bolt request's ids the current ones, for this thread and its listeners."""
    request_id.set(context.get("request_id"))
    team_id.set(context.get("team_id"))


class ContextExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, carrying the submitting request's ids into the listener's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def configure_logging(level: str, *, json: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestContext())
    handler.addFilter(RedactTokens())
    fields = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(team_id)s %(message)s"
    if json:
        handler.setFormatter(
            JsonFormatter(
                fields, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
            )
        )
    else:
        handler.setFormatter(
            OneLineFormatter(
                "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(team_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
