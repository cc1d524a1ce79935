"""Scheduled work split between every process through the database (PostgreSQL as the queue).

On PostgreSQL each process (every `accountbot run`, and `accountbot digest --now`) claims due
teams one at a time (`store.work`: `SELECT … FOR UPDATE SKIP LOCKED`), works on each in one of a
few threads, renews its claim before every post, and marks the team's week finished. A process
that dies leaves claims that expire after `CLAIM_TTL`: whoever asks next takes the team over,
and the post the dead process had in flight (`sending` in the ledger, under its name) is marked
interrupted and reported, never posted again; what it had not claimed is posted by the taker.
SQLite (one process) keeps the scheduler lease and the sequential run of `digests.deliver`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from commands.ui.directory import Directory
from digests.deliver import ClientFor, DeliveryRun, Pacer, deliver_team_digests, scheduled_day
from store.db import Database
from store.deliveries import DONE, INTERRUPTED, interrupt_holder, week_deliveries
from store.settings import DigestSettings
from store.work import (
    CLAIM_TTL,
    DIGESTS,
    claim_team,
    enqueue,
    release_claim,
    renew_claim,
    work_left,
)

logger = logging.getLogger("accountbot.queue")

RENEW_AFTER = timedelta(seconds=15)
"""The holder renews its claim before a post once this much has passed since the last renewal."""
POLL_SECONDS = 2.0
"""While other processes hold the last teams, look again this often (one expires: take it)."""
WORKERS = 8
"""Teams one process works on at once (`DIGEST_WORKERS`): each mostly waits on Slack, whose
limits are per workspace, so more teams at once is what makes a Monday morning short."""


def new_holder() -> str:
    """This process's name in the claims and the ledger."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class ClaimLost(Exception):
    """Another process took the team over (this one was too slow to renew): stop posting."""


class Heartbeat:
    """Called before each post: renews the team's claim when `RENEW_AFTER` has passed."""

    def __init__(
        self,
        db: Database,
        *,
        kind: str,
        team_id: str,
        holder: str,
        clock: Callable[[], datetime],
        ttl: timedelta = CLAIM_TTL,
    ) -> None:
        self.db, self.kind, self.team_id, self.holder = db, kind, team_id, holder
        self.clock, self.ttl = clock, ttl
        self.renewed = clock()

    def __call__(self) -> None:
        now = self.clock()
        if now - self.renewed < min(RENEW_AFTER, self.ttl / 3):
            return
        with self.db.transaction() as session:
            kept = renew_claim(
                session,
                kind=self.kind,
                team_id=self.team_id,
                holder=self.holder,
                now=now,
                ttl=self.ttl,
            )
        if not kept:
            raise ClaimLost(f"{self.kind} of {self.team_id} taken over by another process")
        self.renewed = now


@dataclass
class QueueRun:
    """What this process did: its teams' runs, and the teams others finished meanwhile."""

    runs: dict[str, DeliveryRun]
    by_others: set[str]


def work_digests(
    db: Database,
    clients: ClientFor,
    *,
    teams: Mapping[str, DigestSettings],
    clock: Callable[[], datetime],
    holder: str,
    workers: int = WORKERS,
    directory: Directory | None = None,
    pacer: Callable[[], Pacer] = Pacer,
    ttl: timedelta = CLAIM_TTL,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> QueueRun:
    """Deliver the week's digests of `teams` (each in its own week, from its settings), sharing
    the work with every other process doing the same. Returns once each team's week is finished
    by this process or another, or was tried by this one (a team whose run failed is given back
    for the next run, not tried again by this one)."""
    now = clock()
    periods: dict[str, date | None] = {t: scheduled_day(now, s) for t, s in teams.items()}
    with db.transaction() as session:
        enqueue(session, kind=DIGESTS, team_ids=periods)
    runs: dict[str, DeliveryRun] = {}
    tried: set[str] = set()
    lock = threading.Lock()

    def claim_next() -> tuple[str, list[str]] | None:
        """The next team this process works on (and the posts its last holder left in flight);
        None once no team is left to it, waiting while other processes hold the last ones."""
        while True:
            with lock:
                left = {t: p for t, p in periods.items() if t not in tried}
            if not left:
                return None
            with db.transaction() as session:
                claimed = claim_team(
                    session, kind=DIGESTS, periods=left, holder=holder, now=clock(), ttl=ttl
                )
                interrupted: list[str] = []
                if claimed is not None and claimed.taken_from is not None:
                    week = periods[claimed.team_id]
                    assert week is not None, "digest work always has its week"
                    interrupted = interrupt_holder(
                        session,
                        team_id=claimed.team_id,
                        week=week,
                        holder=claimed.taken_from,
                        now=clock(),
                    )
                    logger.warning(
                        "digests of %s taken over from %s (its claim expired); %d post(s) it "
                        "had in flight reported as interrupted",
                        claimed.team_id,
                        claimed.taken_from,
                        len(interrupted),
                    )
            if claimed is not None:
                with lock:
                    tried.add(claimed.team_id)
                return claimed.team_id, interrupted
            with db.transaction() as session:
                if not work_left(session, kind=DIGESTS, periods=left):
                    return None
            sleep(poll)  # others hold the last teams: one finishes, or its claim expires

    def work(team_id: str, interrupted: list[str]) -> None:
        week = periods[team_id]
        beat = Heartbeat(db, kind=DIGESTS, team_id=team_id, holder=holder, clock=clock, ttl=ttl)
        done_for: date | None = None
        try:
            client = clients(team_id)  # None: uninstalled, given back as today's run skips it
            run = (
                None
                if client is None
                else deliver_team_digests(
                    db,
                    client,
                    team_id=team_id,
                    settings=teams[team_id],
                    now=clock(),
                    pacer=pacer(),
                    directory=directory,
                    holder=holder,
                    heartbeat=beat,
                )
            )
        except ClaimLost as lost:  # no longer ours to give back
            logger.warning("%s: stopped", lost)
            return
        except Exception:  # one team's failure must not stop the others
            logger.exception("digests of team %s failed", team_id)
            run = None
        if run is not None:
            for target in interrupted:  # reported as the failures they may be, not skipped
                if target in run.skipped:
                    run.skipped.remove(target)
                run.failed[target] = INTERRUPTED
            with lock:
                runs[team_id] = run
            if not run.released:  # else a later run (of any process) posts what was given back
                done_for = week
        with db.transaction() as session:
            release_claim(session, kind=DIGESTS, team_id=team_id, holder=holder, done_for=done_for)

    def worker() -> None:
        while (next_team := claim_next()) is not None:
            work(*next_team)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="digests") as pool:
        for future in [pool.submit(worker) for _ in range(max(1, workers))]:
            future.result()
    return QueueRun(runs=runs, by_others=set(periods) - tried)


def settled_run(db: Database, *, team_id: str, week: date) -> DeliveryRun:
    """A team whose week another process finished: what the ledger says was settled."""
    with db.transaction() as session:
        rows = week_deliveries(session, team_id=team_id, week=week)
    return DeliveryRun(week=week, skipped=[row.target for row in rows if row.status in DONE])
