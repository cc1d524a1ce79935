"""The bounded pool the slow part of every listener runs in, off the request thread, started
only once the request's acknowledgement has been written.

Bolt runs with `process_before_response=True`: a route acknowledges in the request thread (no
polling for `ack()`), then hands what is left (the store, Slack's Web API, the answer at the
response URL) to this pool. The pool holds at most `threads` running and `queue` waiting: beyond
that the request is answered at once with `BUSY` where the user looks (`commands.contract`), never
left unanswered. On stop (`close`), the work already queued is still run for `grace` seconds,
and what has not started by then is answered instead (each piece of work carries its refusal).

Whether there is room is decided before the acknowledgement (`reserve`: the busy answer goes in
it), but the work is started after it: a worker thread that started at once would take the
interpreter lock from the request thread, in slices of up to 5 ms, before the acknowledgement
is written. The server says when a response is out (`AfterResponse`: `bot.server` once waitress
has written it and closes the WSGI response, `bot.socket_mode` once the envelope's ack is sent);
a listener served by anything else starts its work at once.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

logger = logging.getLogger("accountbot.work")

Work = Callable[[], None]


@dataclass
class Reserved:
    """Room in the pool for one piece of work, taken before the acknowledgement; `start()` runs
    it (once), in the context (log ids) of the request that reserved it."""

    pool: WorkPool
    work: Work
    refuse: Work
    """What the user is told when the work will not run after all (the bot is stopping)."""
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    started: bool = False

    def start(self) -> None:
        if not self.started:
            self.started = True
            self.pool._start(self)


class WorkPool:
    """`threads` worker threads and at most `queue` pieces of work waiting for one.

    The threads and the queue are `concurrent.futures.ThreadPoolExecutor`'s (threads started as
    work comes, `shutdown(wait=True)` runs what is queued); the bound is a semaphore taken at
    `reserve` and given back when the work is done, so a full pool is known before the
    acknowledgement; stopping runs queued work until `grace` seconds have passed and answers
    what starts later with its refusal."""

    def __init__(self, *, threads: int, queue: int, grace: float = 10.0) -> None:
        self.threads, self.queue, self.grace = threads, queue, grace
        self._room = threading.BoundedSemaphore(threads + queue)
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="work")
        self._lock = threading.Lock()
        self._queued = self._running = 0
        self._closed = False
        self._deadline: float | None = None

    def reserve(self, work: Work, *, refuse: Work) -> Reserved | None:
        """Room for `work`, not started yet (None, and nothing taken: full or stopping)."""
        if self._closed or not self._room.acquire(blocking=False):
            return None
        return Reserved(self, work, refuse)

    def submit(self, work: Work, *, refuse: Work) -> bool:
        """Reserve and start at once (False, and nothing queued: full or stopping)."""
        reserved = self.reserve(work, refuse=refuse)
        if reserved is not None:
            reserved.start()
        return reserved is not None

    def close(self) -> None:
        """Take no more work; run what is queued for up to `grace` seconds, answer the rest
        with its refusal, and return once every worker is done."""
        with self._lock:
            self._closed = True
            self._deadline = time.monotonic() + self.grace
            running, queued = self._running, self._queued
        if queued or running:
            logger.info("stopping: %d running, %d queued to finish", running, queued)
        self._executor.shutdown(wait=True)

    def _start(self, reserved: Reserved) -> None:
        with self._lock:
            self._queued += 1
        try:
            self._executor.submit(self._run, reserved)
        except RuntimeError:  # reserved before close(), started after it: run (or refuse) here
            self._run(reserved)

    def _run(self, reserved: Reserved) -> None:
        with self._lock:
            self._queued -= 1
            self._running += 1
            late = self._deadline is not None and time.monotonic() > self._deadline
        try:
            reserved.context.run(reserved.refuse if late else reserved.work)
        except Exception:  # the work answers its own errors (commands.errors): a bug here
            logger.exception("work failed outside the error handler")
        finally:
            with self._lock:
                self._running -= 1
            self._room.release()


_collecting: contextvars.ContextVar[AfterResponse | None] = contextvars.ContextVar(
    "after_response", default=None
)


class AfterResponse:
    """The work reserved while one request is served, started once its response is out.

    The server serves the request inside `collecting()` (in the thread that runs the listener,
    as Bolt does with `process_before_response`), and calls `start()` once it has written the
    response, also when serving it failed."""

    def __init__(self) -> None:
        self._reserved: list[Reserved] = []

    @contextmanager
    def collecting(self) -> Iterator[AfterResponse]:
        token = _collecting.set(self)
        try:
            yield self
        finally:
            _collecting.reset(token)

    def start(self) -> None:
        reserved, self._reserved = self._reserved, []
        for one in reserved:
            one.start()

    @staticmethod
    def defer(reserved: Reserved) -> None:
        """Start `reserved` once the response being served is out; at once when no server
        said it would tell (a listener called some other way)."""
        collector = _collecting.get()
        if collector is None:
            reserved.start()
        else:
            collector._reserved.append(reserved)
