"""Logging: one line per event, JSON in production, with the request and team it belongs to.

Nothing secret goes to the logs (tokens never; message and form contents only at DEBUG), and
nothing a request carries can start a line of its own (newlines are escaped in every field, in
text and JSON).
"""

from __future__ import annotations

import contextvars
import logging
import re
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
