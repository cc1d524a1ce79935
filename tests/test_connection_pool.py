"""A process keeps open as many PostgreSQL connections as it has threads that may hold one:
a smaller pool closes each connection beyond its size as it is given back and opens a new
server process for the next transaction (32 digest workers on a pool of 10 opened some 130
connections a second)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from bot.settings import SCHEDULED_JOBS, load_settings
from store.db import Database
from tests.conftest import POSTGRES_URL


def test_the_pool_counts_every_thread_that_may_hold_a_connection() -> None:
    settings = load_settings(digest_workers=32, http_threads=16, work_threads=8)
    assert settings.database_connections(serving=False) == 32 + SCHEDULED_JOBS
    assert settings.database_connections(serving=True) == 32 + SCHEDULED_JOBS + 16 + 8
    chosen = load_settings(digest_workers=32, database_pool_size=20)
    assert chosen.database_connections(serving=True) == 20


@pytest.mark.skipif(not POSTGRES_URL, reason="the pool is PostgreSQL's (TEST_DATABASE_URL)")
def test_digest_workers_reuse_their_connections_round_after_round(database: Database) -> None:
    settings = load_settings(database_url=database.url, digest_workers=24)
    db = Database(database.url, connections=settings.database_connections(serving=False))
    workers = settings.digest_workers
    at_once = threading.Barrier(workers, timeout=30)

    def transaction() -> int:
        with db.transaction() as session:
            pid = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            at_once.wait()  # every worker holds a connection at the same time
        return pid

    rounds = []
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in range(3):
                rounds.append(set(pool.map(lambda _: transaction(), range(workers))))
    finally:
        db.dispose()
    assert all(len(server_processes) == workers for server_processes in rounds)
    assert rounds[1] == rounds[0] and rounds[2] == rounds[0]  # no connection opened again
