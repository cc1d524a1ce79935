""" "Did Acme renew?": from 14 days before an account's renewal date (and after it passes) its
owner is asked once by DM; unanswered, the weekly digest run asks again, by DM only (never in a
channel, which may be shared with the customer). An owner who left the workspace (users.info
says `deleted`, or knows no such user) or an account without one passes the question to the
team's leads.

Each question (renewal, round, person) is claimed in the ledger (`store.renewals`) before it is
sent, so it goes out at most once, as digests and reminders do: the claim is given back only when
Slack surely has nothing; a question Slack may have (a reset or a timeout after the request was
written, an answer cut off) is kept, recorded as failed with why ("uncertain: …") and reported.
One a process had in flight when it stopped is found left `sending` (at once when another
process takes its team over, otherwise after `STALE_AFTER`): recorded as interrupted and
reported, never sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient

from commands.ui.delivery import deliver
from commands.ui.directory import Directory, user_facts
from commands.ui.slack_failures import Outcome, classify
from commands.ui.text import fallback_text
from commands.ui.views.renewal import question_blocks
from store.db import Database
from store.deliveries import FAILED, SENT
from store.leads import team_leads
from store.renewals import (
    FIRST,
    DueRenewal,
    claim_ask,
    finish_ask,
    interrupt_asks,
    release_ask,
    renewals_to_ask,
    unanswered,
)
from store.work import RENEWALS, Claimed, each_team

logger = logging.getLogger("accountbot.renewals")

GONE_FOR_GOOD = {"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"}
"""Slack errors that retrying will not fix: the claim is kept."""
LEFT = "left"
"""users.info's answer for an owner no longer in the workspace."""


@dataclass
class AskRun:
    sent: list[tuple[int, str]] = field(default_factory=list)
    """(account, person) asked."""
    failed: dict[tuple[int, str], str] = field(default_factory=dict)
    nobody: list[int] = field(default_factory=list)
    """Accounts due with nobody to ask: no owner (or the owner left) and no team leads."""
    interrupted: list[tuple[int, str]] = field(default_factory=list)
    """(account, person) whose question a stopped process had in flight: Slack may have it."""

    def note_interrupted(self, asks: list[tuple[int, str]], *, holder: str | None = None) -> None:
        for account_id, person in asks:
            logger.warning(
                "renewal question on account %s to %s was in flight when %s stopped: Slack may "
                "or may not have it; not sent again",
                account_id,
                person,
                holder or "its process",
            )
        self.interrupted.extend(asks)


def ask_renewals(
    db: Database,
    clients: Callable[[str], WebClient | None],
    *,
    now: datetime,
    holder: str | None = None,
) -> AskRun:
    """Ask every renewal due and never asked about, each once. With a `holder` (PostgreSQL)
    the teams are shared out through the work queue (`store.work.each_team`)."""
    run = AskRun()
    with db.transaction() as session:
        run.note_interrupted(interrupt_asks(session, now=now))
        due = renewals_to_ask(session, day=now.date())
    by_team: dict[str, list[DueRenewal]] = {}
    for renewal in due:
        by_team.setdefault(renewal.team_id, []).append(renewal)

    def team(team_id: str) -> None:
        client = clients(team_id)
        if client is not None:
            ask(db, client, run, renewals=by_team[team_id], round=FIRST, now=now, holder=holder)

    if holder is None:
        for team_id in by_team:
            team(team_id)
        return run

    def work(claimed: Claimed) -> None:
        if claimed.taken_from is not None:
            with db.transaction() as session:
                stopped = interrupt_asks(
                    session, now=now, team_id=claimed.team_id, holder=claimed.taken_from
                )
            run.note_interrupted(stopped, holder=claimed.taken_from)
        team(claimed.team_id)

    each_team(db, kind=RENEWALS, periods=dict.fromkeys(by_team), holder=holder, now=now, work=work)
    return run


def ask_again(
    db: Database,
    client: WebClient,
    *,
    team_id: str,
    now: datetime,
    round: str,
    holder: str | None = None,
) -> AskRun:
    """The weekly digest run's turn: the team's renewals asked about and still unanswered (not
    asked in the last days) asked again, by DM, once in this `round` (the digest week)."""
    run = AskRun()
    with db.reading() as session:
        due = unanswered(session, team_id=team_id, now=now)
    if due:
        ask(db, client, run, renewals=due, round=round, now=now, holder=holder)
    return run


def ask(
    db: Database,
    client: WebClient,
    run: AskRun,
    *,
    renewals: list[DueRenewal],
    round: str,
    now: datetime,
    holder: str | None = None,
) -> None:
    """One team's renewals asked in `round`: each to its owner, or to the team's leads when the
    owner left (or there is none); each question claimed first."""
    team_id = renewals[0].team_id
    with db.reading() as session:
        leads = team_leads(session, team_id=team_id)
    status: dict[str, str | None] = {}
    directory = Directory()  # questions are DMs: no channel to check
    for renewal in renewals:
        owner = renewal.owner_user_id
        if owner and owner not in status:
            status[owner] = _whereabouts(client, owner)
        if owner and status[owner] is None:
            continue  # Slack could not say: the next run asks
        owner_left = owner is None or status[owner] == LEFT
        people = leads if owner is None or owner_left else [owner]
        if not people:  # reported by the run (`nobody`), asked once the team names leads
            logger.debug("renewal of account %s: nobody to ask", renewal.account_id)
            run.nobody.append(renewal.account_id)
            continue
        blocks = question_blocks(
            account_id=renewal.account_id,
            name=renewal.name,
            renewal_date=renewal.renewal_date,
            arr=renewal.arr,
            currency=renewal.currency,
            today=now.date(),
            owner_left=owner if owner_left else None,
        )
        for person in people:
            _ask_one(db, client, directory, run, renewal, round, person, blocks, now, holder)


def _whereabouts(client: WebClient, user_id: str) -> str | None:
    """`here`, `left` (deleted, or unknown to Slack), or None when Slack could not say."""
    try:
        user = user_facts(client, user_id=user_id)
    except Exception as error:
        if (failure := classify(error)) is None:
            raise
        if failure.outcome is Outcome.REFUSED and failure.code == "user_not_found":
            return LEFT
        logger.warning("users.info for %s failed (%s): next run", user_id, failure.cause)
        return None
    return LEFT if user.deleted else "here"


def _ask_one(
    db: Database,
    client: WebClient,
    directory: Directory,
    run: AskRun,
    renewal: DueRenewal,
    round: str,
    person: str,
    blocks: list[dict[str, object]],
    now: datetime,
    holder: str | None,
) -> None:
    with db.transaction() as session:
        claimed = claim_ask(
            session, renewal=renewal, round=round, user_id=person, now=now, holder=holder
        )
    if not claimed:
        return
    delivered = deliver(
        client,
        directory,
        team_id=renewal.team_id,
        channel=person,
        text=fallback_text(blocks),
        blocks=blocks,
    )
    key = (renewal.account_id, person)
    with db.transaction() as session:
        if delivered.sent:
            run.sent.append(key)
            finish_ask(
                session,
                renewal=renewal,
                round=round,
                user_id=person,
                status=SENT,
                now=now,
                channel_id=delivered.channel,
                message_ts=delivered.ts,
            )
            return
        run.failed[key] = delivered.reason
        logger.warning(
            "renewal question on account %s to %s failed: %s",
            renewal.account_id,
            person,
            delivered.reason,
        )
        if delivered.outcome is Outcome.NOT_SENT or (
            delivered.outcome is Outcome.REFUSED and delivered.reason not in GONE_FOR_GOOD
        ):
            release_ask(session, renewal=renewal, round=round, user_id=person)
        else:  # Slack may have it: kept, never sent again, its fate recorded
            finish_ask(
                session,
                renewal=renewal,
                round=round,
                user_id=person,
                status=FAILED,
                now=now,
                error=delivered.reason,
            )
