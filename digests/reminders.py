"""Due-day reminders: the morning an item falls due, its owner on our side gets a direct message.

Once per item per local day, in the owner's Slack time zone, from 09:00 their time. Runs every
few minutes from the scheduler; a run missed while the bot was down catches up the same day.
The day's claim (the reminder ledger, `store.deliveries`) is given back only when Slack has
nothing (a refused connection, a 429 that outlasts the retries, a refusal that may pass); a
reminder Slack may have delivered (any 5xx, a reset, an answer cut off, not JSON or not Slack's,
a timeout) keeps its claim, recorded as failed with why, and is reported. One a process had in
flight when it stopped is found left `sending` (at once when another process takes its team
over, otherwise after `STALE_AFTER`): recorded as interrupted and reported, never sent again.
Each failure is logged once, here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commands.ui.delivery import deliver
from commands.ui.directory import Directory, user_facts
from commands.ui.slack_failures import Outcome, classify
from commands.ui.text import fallback_text
from commands.ui.views.plan import reminder_blocks
from digests.deliver import ClientFor
from store.actions import items_due_around
from store.db import Database
from store.deliveries import (
    FAILED,
    SENT,
    claim_reminder,
    finish_reminder,
    interrupt_reminders,
    release_reminder,
)
from store.models import ActionItem, saved_id
from store.users import UserKey, known_zones, remember_user
from store.work import REMINDERS, Claimed, each_team

logger = logging.getLogger("accountbot.reminders")

MORNING = time(9, 0)
ZONE_FRESH_FOR = timedelta(days=1)
GONE_FOR_GOOD = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}
"""Slack errors that retrying will not fix: the day's claim is kept."""


@dataclass
class ReminderRun:
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    interrupted: list[int] = field(default_factory=list)
    """Items whose reminder a stopped process had in flight: Slack may or may not have it."""

    def note_interrupted(self, items: list[int], *, holder: str | None = None) -> None:
        for item_id in items:
            logger.warning(
                "reminder for item %s was in flight when %s stopped: Slack may or may not "
                "have it; not sent again",
                item_id,
                holder or "its process",
            )
        self.interrupted.extend(items)


def owner_zones(
    db: Database, clients: ClientFor, *, users: set[UserKey], now: datetime
) -> dict[UserKey, ZoneInfo]:
    """Owners' time zones: remembered ones from one query, the rest from users.info (then kept).
    An owner Slack fails to describe (an outage, an answer that is not Slack's) is left out of
    this run, to be reminded by the next; one Slack does not know is in UTC."""
    with db.transaction() as session:
        zones = known_zones(session, users=users, fetched_after=now - ZONE_FRESH_FOR)
    for team_id, user_id in sorted(users - zones.keys()):
        client = clients(team_id)
        if client is None:
            continue
        try:
            user = user_facts(client, user_id=user_id)
        except Exception as error:
            if (failure := classify(error)) is None:
                raise
            if failure.outcome is not Outcome.REFUSED:
                logger.warning("users.info for %s failed (%s): next run", user_id, failure.cause)
                continue
            logger.warning("users.info for %s refused (%s): in UTC", user_id, failure.code)
            zones[(team_id, user_id)] = "UTC"
            continue
        zones[(team_id, user_id)] = user.tz or "UTC"
        with db.transaction() as session:
            remember_user(
                session,
                team_id=team_id,
                user_id=user_id,
                tz=zones[(team_id, user_id)],
                is_admin=user.admin,
                at=now,
            )
    return {key: _zone(name) for key, name in zones.items()}


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def send_due_reminders(
    db: Database, clients: ClientFor, *, now: datetime, holder: str | None = None
) -> ReminderRun:
    """Send every reminder due by `now` that has not been sent today; one query finds them.
    Workspaces that have uninstalled the bot are skipped. With a `holder` (on PostgreSQL, every
    process's scheduler) the teams are shared out through the work queue: each team's reminders
    are sent by whichever process claims it (`store.work`), a team another process holds right
    now is left to it, and a dead holder's team is taken over once its claim has expired."""
    run = ReminderRun()
    with db.transaction() as session:
        run.note_interrupted(interrupt_reminders(session, now=now))
        due = items_due_around(session, day=now.date())
    by_team: dict[str, list[tuple[ActionItem, str]]] = {}
    for item, account_name in due:
        by_team.setdefault(item.team_id, []).append((item, account_name))
    if holder is None:
        for team_id, items in by_team.items():
            _team_reminders(db, clients, run, team_id=team_id, items=items, now=now)
        return run

    def work(claimed: Claimed) -> None:
        team_id = claimed.team_id
        if claimed.taken_from is not None:
            with db.transaction() as session:
                stopped = interrupt_reminders(
                    session, now=now, team_id=team_id, holder=claimed.taken_from
                )
            run.note_interrupted(stopped, holder=claimed.taken_from)
        _team_reminders(
            db, clients, run, team_id=team_id, items=by_team[team_id], now=now, holder=holder
        )

    each_team(db, kind=REMINDERS, periods=dict.fromkeys(by_team), holder=holder, now=now, work=work)
    return run


def _team_reminders(
    db: Database,
    clients: ClientFor,
    run: ReminderRun,
    *,
    team_id: str,
    items: list[tuple[ActionItem, str]],
    now: datetime,
    holder: str | None = None,
) -> None:
    """One team's reminders due by `now`, each claimed for its owner's local day first."""
    client = clients(team_id)
    if client is None:
        return
    owners = {(team_id, item.our_owner_user_id) for item, _ in items if item.our_owner_user_id}
    zones = owner_zones(db, lambda _team: client, users=owners, now=now)
    directory = Directory()  # reminders are DMs: no channel to check
    for item, account_name in items:
        owner = item.our_owner_user_id
        if not owner or (item.team_id, owner) not in zones:
            continue
        item_id = saved_id(item.id)
        local = now.astimezone(zones[(item.team_id, owner)])
        if local.date() != item.due_on or local.time() < MORNING:
            continue
        with db.transaction() as session:
            claimed = claim_reminder(
                session,
                team_id=item.team_id,
                item_id=item_id,
                local_day=local.date(),
                user_id=owner,
                now=now,
                holder=holder,
            )
        if not claimed:
            continue
        blocks = reminder_blocks(item, account_name, local.date())
        delivered = deliver(
            client,
            directory,
            team_id=item.team_id,
            channel=owner,
            text=fallback_text(blocks),
            blocks=blocks,
        )
        day = local.date()
        if delivered.sent:
            run.sent.append(item_id)
            with db.transaction() as session:
                finish_reminder(
                    session,
                    team_id=item.team_id,
                    item_id=item_id,
                    local_day=day,
                    status=SENT,
                    now=now,
                )
            continue
        run.failed[item_id] = delivered.reason
        logger.warning("reminder for item %s to %s failed: %s", item_id, owner, delivered.reason)
        with db.transaction() as session:
            if delivered.outcome is Outcome.NOT_SENT or (
                delivered.outcome is Outcome.REFUSED and delivered.reason not in GONE_FOR_GOOD
            ):
                release_reminder(session, team_id=item.team_id, item_id=item_id, local_day=day)
            else:  # Slack may have it: kept, never sent again, its fate recorded
                finish_reminder(
                    session,
                    team_id=item.team_id,
                    item_id=item_id,
                    local_day=day,
                    status=FAILED,
                    now=now,
                    error=delivered.reason,
                )
