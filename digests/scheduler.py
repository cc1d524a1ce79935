"""The bot's scheduled work, on APScheduler; each job isolates its own failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from digests.reminders import send_due_reminders
from store.db import Database

logger = logging.getLogger("accountbot.scheduler")
REMINDER_EVERY_MINUTES = 5


def build_scheduler(
    db: Database, client: WebClient, *, clock: Callable[[], datetime]
) -> BackgroundScheduler:
    """A scheduler with every job registered (not started)."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )

    def reminders() -> None:
        run = send_due_reminders(db, client, now=clock())
        if run.sent or run.failed:
            logger.info("due-day reminders: %d sent, %d failed", len(run.sent), len(run.failed))

    scheduler.add_job(
        reminders,
        IntervalTrigger(minutes=REMINDER_EVERY_MINUTES),
        id="due-reminders",
        name="due-day reminders",
        next_run_time=clock(),
    )
    return scheduler
