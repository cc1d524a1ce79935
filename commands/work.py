"""The bounded pool the slow part of every listener runs in, off the request thread.

Bolt runs with `process_before_response=True`: a route acknowledges in the request thread (no
polling for `ack()`), then hands what is left (the store, Slack's Web API, the answer at the
response URL) to this pool. The pool holds at most `threads` running and `queue` waiting: beyond
that the request is answered at once with `BUSY` where the user looks (`commands.contract`), never
left unanswered. On stop (`close`), the work already queued is still run for `grace` seconds,
and what has not started by then is answered instead (each piece of work carries its refusal).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("accountbot.work")

Work = Callable[[], None]


@dataclass(frozen=True)
class Task:
    work: Work
    refuse: Work
    """What the user is told when the work will not run after all (the bot is stopping)."""
    context: contextvars.Context
    """The submitting request's log ids (`bot.logs`), carried into the worker thread."""


class WorkPool:
    """`threads` worker threads and at most `queue` pieces of work waiting for one."""

    def __init__(self, *, threads: int, queue: int, grace: float = 10.0) -> None:
        self.threads, self.queue, self.grace = threads, queue, grace
        self._waiting: deque[Task] = deque()
        self._running = 0
        self._condition = threading.Condition()
        self._closed = False
        self._deadline: float | None = None
        self._workers: list[threading.Thread] = []

    def submit(self, work: Work, *, refuse: Work) -> bool:
        """Queue `work` (False, and nothing queued: the pool is full or stopping). A worker
        starts on it at once when one is idle."""
        task = Task(work, refuse, contextvars.copy_context())
        with self._condition:
            if self._closed or self._running + len(self._waiting) >= self.threads + self.queue:
                return False
            self._waiting.append(task)
            idle = len(self._workers) - self._running - (len(self._waiting) - 1)
            if idle <= 0 and len(self._workers) < self.threads:
                worker = threading.Thread(
                    target=self._serve, name=f"work-{len(self._workers) + 1}", daemon=True
                )
                self._workers.append(worker)
                worker.start()
            else:
                self._condition.notify()
        return True

    def busy(self) -> int:
        """Work running or waiting now."""
        with self._condition:
            return self._running + len(self._waiting)

    def close(self) -> None:
        """Take no more work; run what is queued for up to `grace` seconds, answer the rest
        with its refusal, and return once every worker is done."""
        with self._condition:
            self._closed = True
            self._deadline = time.monotonic() + self.grace
            queued, workers = len(self._waiting), list(self._workers)
            self._condition.notify_all()
        if queued or self._running:
            logger.info("stopping: %d running, %d queued to finish", self._running, queued)
        for worker in workers:
            worker.join()

    def _serve(self) -> None:
        while True:
            with self._condition:
                while not self._waiting and not self._closed:
                    self._condition.wait()
                if not self._waiting:
                    return  # closed, and nothing left
                task = self._waiting.popleft()
                self._running += 1
                late = self._deadline is not None and time.monotonic() > self._deadline
            try:
                task.context.run(task.refuse if late else task.work)
            except Exception:  # the work answers its own errors (commands.errors): a bug here
                logger.exception("work failed outside the error handler")
            finally:
                with self._condition:
                    self._running -= 1
