"""The bot's scheduled work, on APScheduler; each job isolates its own failures.

On SQLite (one process) the holder of a lease in the database runs the jobs. On PostgreSQL
every process runs them and the work is split through the database (`digests.queue`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from commands.ui.directory import Directory
from digests.deliver import ClientFor, DeliveryRun, is_due, run_due_digests
from digests.history import check_history
from digests.queue import WORKERS, new_holder, work_digests
from digests.reminders import send_due_reminders
from digests.renewals import ask_renewals
from store.db import Database
from store.leases import hold_lease
from store.settings import DigestSettings, digest_settings_of, teams_with_accounts

logger = logging.getLogger("accountbot.scheduler")
REMINDER_EVERY_MINUTES = 5
LEASE = timedelta(minutes=12)
"""Longer than the jobs' interval: the holder renews it on every run; a dead holder's expires."""
DIGEST_EVERY_MINUTES = 5
"""Digests are checked every few minutes: each team's goes out at its own time, and a run
missed while the bot was down is caught up the same day."""
HISTORY_EVERY_MINUTES = 5
"""The daily history check is looked at this often: each team's day is checked once, at the
first run of the day (a day missed while the bot was down is caught up by the next)."""
SHARED_EVERY_MINUTES = 1
"""On PostgreSQL, every process looks for due work this often: a dead process's teams are
taken over within a minute of its claims expiring."""


def build_scheduler(
    db: Database,
    clients: ClientFor,
    *,
    clock: Callable[[], datetime],
    digest_defaults: DigestSettings,
    directory: Directory | None = None,
    workers: int = WORKERS,
) -> BackgroundScheduler:
    """A scheduler with every job registered (not started); `directory` is the app's: what
    Slack said about channels, which each digest post reads (stored for every process)."""
    holder = new_holder()
    leading: list[bool] = []
    shared = db.engine.dialect.name == "postgresql"

    def leader() -> bool:
        """Only the lease holder runs jobs; the ledgers would stop a double post anyway. Each
        change of role is logged once, so an operator sees which process does the work."""
        with db.transaction() as session:
            held = hold_lease(session, name="scheduler", holder=holder, now=clock(), ttl=LEASE)
        if leading[-1:] != [held]:
            leading[:] = [held]
            logger.info(
                "scheduler lease taken: this process runs the scheduled jobs (%s)"
                if held
                else "scheduler lease held by another process: this one stands by (%s)",
                holder,
            )
        return held

    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )

    def reminders() -> None:
        if shared:
            run = send_due_reminders(db, clients, now=clock(), holder=holder)
        elif not leader():
            return
        else:
            run = send_due_reminders(db, clients, now=clock())  # it logs each failure
        if run.sent or run.failed or run.interrupted:
            logger.info(
                "due-day reminders: %d sent, %d failed, %d interrupted",
                len(run.sent),
                len(run.failed),
                len(run.interrupted),
            )

    def renewals() -> None:
        """ "Did Acme renew?" to the owners of renewals due, each once."""
        if not shared and not leader():
            return
        run = ask_renewals(
            db,
            clients,
            now=clock(),
            holder=holder if shared else None,
        )
        if run.sent or run.failed or run.interrupted:
            logger.info(
                "renewal questions: %d sent, %d failed, %d interrupted, %d with nobody to ask "
                "(no owner, no team leads)",
                len(run.sent),
                len(run.failed),
                len(run.interrupted),
                len(run.nobody),
            )

    def due_on_queue() -> dict[str, DeliveryRun]:
        """The due teams' digests, shared with every other process through the database."""
        now = clock()
        with db.transaction() as session:
            teams = teams_with_accounts(session)
            settings = digest_settings_of(session, team_ids=teams, defaults=digest_defaults)
        due = {team: settings[team] for team in teams if is_due(now, settings[team])}
        if not due:
            return {}
        return work_digests(
            db,
            clients,
            teams=due,
            clock=clock,
            holder=holder,
            directory=directory,
            workers=workers,
        ).runs

    def digests() -> None:
        if shared:
            runs = due_on_queue()
        elif not leader():
            return
        else:
            runs = run_due_digests(
                db, clients, now=clock(), defaults=digest_defaults, directory=directory
            )
        for team_id, run in runs.items():
            logger.info(
                "digests of %s for week %s: %d sent, %d failed, %d already done",
                team_id,
                run.week,
                len(run.sent),
                len(run.failed),
                len(run.skipped),
            )

    def history() -> None:
        if not shared and not leader():
            return
        run = check_history(db, now=clock(), holder=holder if shared else None)
        for team_id, recorded in run.recorded.items():
            logger.info(
                "history of %s checked for %s: %d account(s) changed", team_id, run.day, recorded
            )

    if shared:
        logger.info(
            "scheduled work is shared through the database: this process claims due teams (%s)",
            holder,
        )
    scheduler.add_job(
        digests,
        IntervalTrigger(minutes=SHARED_EVERY_MINUTES if shared else DIGEST_EVERY_MINUTES),
        id="weekly-digests",
        name="weekly digests",
        next_run_time=clock(),
    )
    scheduler.add_job(
        reminders,
        IntervalTrigger(minutes=SHARED_EVERY_MINUTES if shared else REMINDER_EVERY_MINUTES),
        id="due-reminders",
        name="due-day reminders",
        next_run_time=clock(),
    )
    scheduler.add_job(
        renewals,
        IntervalTrigger(minutes=SHARED_EVERY_MINUTES if shared else REMINDER_EVERY_MINUTES),
        id="renewal-questions",
        name="renewal questions",
        next_run_time=clock(),
    )
    scheduler.add_job(
        history,
        IntervalTrigger(minutes=HISTORY_EVERY_MINUTES),
        id="daily-history",
        name="daily history check",
        next_run_time=clock(),
    )
    return scheduler
