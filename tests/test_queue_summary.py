"""Requests waiting for a free HTTP thread make one summary line, not a WARNING each."""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from bot.app import build_app
from bot.logs import QueueSummary
from bot.server import QUEUE_LOGGER, QUEUE_SUMMARY, HttpServer, make_web_app
from bot.settings import Settings
from store.db import Database
from tests.conftest import SIGNING_SECRET
from tests.slack_fake import FakeSlack

QUEUED = 12


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return int(reply.status)


def test_requests_queued_behind_a_busy_thread_make_one_summary_not_a_line_each(
    settings: Settings,
    database: Database,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One HTTP thread held by a health check that waits for the database's write lock, and 12
    more requests behind it: waitress warns once per queued request; the log says it twice, at
    the first one and when the server stops, with the count and the deepest queue."""
    QUEUE_SUMMARY.flush(QUEUE_LOGGER)  # nothing left over from an earlier server
    monkeypatch.setattr(QUEUE_SUMMARY, "every", 3600.0)  # the whole burst is one window
    caplog.set_level(logging.WARNING, logger=QUEUE_LOGGER.name)
    caplog.clear()
    server = HttpServer(
        make_web_app(build_app(settings, database), database, signing_secret=SIGNING_SECRET),
        host="127.0.0.1",
        port=0,
        threads=1,
        asyncore_loop_timeout=0.05,
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.port}/healthz"
    queue = server._server.task_dispatcher.queue  # waitress's own queue, only looked at
    try:
        with ThreadPoolExecutor(QUEUED + 1) as clients:
            with database.transaction() as session:  # /healthz writes, so it waits for this
                session.execute(text("UPDATE alembic_version SET version_num = version_num"))
                answers = [clients.submit(_get, url) for _ in range(QUEUED + 1)]
                deadline = time.monotonic() + 20
                while len(queue) < QUEUED:  # one request holds the thread, the rest wait
                    assert time.monotonic() < deadline, f"{len(queue)} requests queued"
                    time.sleep(0.01)
            assert [answer.result() for answer in answers] == [200] * (QUEUED + 1)
    finally:
        server.stop()
        serving.join(timeout=5)
    assert not serving.is_alive()

    lines = [r for r in caplog.records if r.name == QUEUE_LOGGER.name]
    assert len(lines) == 2, [r.getMessage() for r in lines]
    assert [(r.queued, r.deepest) for r in lines] == [(1, 1), (QUEUED - 1, QUEUED)]  # type: ignore[attr-defined]
    assert all(r.levelno == logging.WARNING for r in lines)
    assert (
        lines[1]
        .getMessage()
        .startswith(f"Task queue: {QUEUED - 1} request(s) waited for a free thread over ")
    )
    assert lines[1].getMessage().endswith(f"s, depth up to {QUEUED}")


def test_at_most_one_line_per_window_and_every_queued_request_counted() -> None:
    """Driven by hand: 30 queued requests one second apart, in 10-second windows."""
    now = [0.0]
    summary = QueueSummary(every=10, clock=lambda: now[0])
    logger = logging.getLogger("tests.queue_summary")
    logger.propagate = False
    logger.addFilter(summary)
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        for second in range(30):
            now[0] = float(second)
            logger.warning("Task queue depth is %d", second % 7 + 1)
        summary.flush(logger)
        summary.flush(logger)  # nothing more to say
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(summary)

    told = [(r.queued, r.deepest) for r in seen]  # type: ignore[attr-defined]
    assert told == [(1, 1), (10, 7), (10, 7), (9, 7)]
    assert sum(queued for queued, _ in told) == 30
    assert [r.getMessage() for r in seen][1] == (
        "Task queue: 10 request(s) waited for a free thread over 9.0 s, depth up to 7"
    )
