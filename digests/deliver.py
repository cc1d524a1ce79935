"""Posting the week's digests exactly once: claim in the ledger, pace, post, record.

One failing channel is recorded and skipped, never stopping the rest; rate limits wait for
`Retry-After` (the WebClient's retry handler) and a limit that outlasts the retries, like any
transient fault, gives the claim back so the next run posts it.
"""

from __future__ import annotations

import gc
import logging
import time as clock
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from commands.views.blocks import Block
from digests.content import AccountDigest, build_account_digests, build_portfolio_digest
from digests.render import account_digest_blocks, portfolio_blocks
from store.db import Database
from store.deliveries import (
    FAILED,
    INTERRUPTED,
    SENT,
    TIMED_OUT,
    claim_delivery,
    finish_delivery,
    forget_week,
    release_delivery,
    week_deliveries,
)
from store.settings import DigestSettings, digest_settings_of, teams_with_accounts, thresholds_for

logger = logging.getLogger("accountbot.digests")

TRANSIENT = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}
PORTFOLIO = "portfolio"

ClientFor = Callable[[str], WebClient | None]
"""A team id to a Web API client holding that workspace's bot token (None: not installed)."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Building a team's digests allocates many short-lived objects and no cycles worth
    collecting: pausing the cycle collector meanwhile saves about a third of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Pacer:
    """Keeps posts to one channel at least `per_channel` seconds apart (Slack allows about one
    message a second per channel) and all posts `between` seconds apart."""

    def __init__(
        self,
        *,
        per_channel: float = 1.1,
        between: float = 0.05,
        sleep: Callable[[float], None] = clock.sleep,
        now: Callable[[], float] = clock.monotonic,
    ) -> None:
        self.per_channel, self.between, self.sleep, self.now = per_channel, between, sleep, now
        self._last: dict[str, float] = {}
        self._last_any = float("-inf")

    def wait(self, channel: str) -> None:
        ready = max(
            self._last.get(channel, float("-inf")) + self.per_channel, self._last_any + self.between
        )
        delay = ready - self.now()
        if delay > 0:
            self.sleep(delay)
        self._last[channel] = self._last_any = self.now()


@dataclass
class DeliveryRun:
    week: date
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def scheduled_day(now: datetime, settings: DigestSettings) -> date:
    """The day of this week's digest in the team's zone: the latest configured weekday."""
    local = now.astimezone(settings.zone).date()
    return local - timedelta(days=(local.weekday() - settings.weekday) % 7)


def scheduled_moment(now: datetime, settings: DigestSettings) -> datetime:
    return datetime.combine(scheduled_day(now, settings), settings.at, tzinfo=settings.zone)


def is_due(now: datetime, settings: DigestSettings) -> bool:
    """From the configured time until the end of that local day (so a missed run catches up)."""
    moment = scheduled_moment(now, settings)
    return now >= moment and now.astimezone(settings.zone).date() == moment.date()


def _post(
    db: Database,
    client: WebClient,
    run: DeliveryRun,
    pacer: Pacer,
    *,
    team_id: str,
    target: str,
    channel: str,
    blocks: list[Block],
    text: str,
    account_id: int | None = None,
    now: datetime,
    settled: set[str],
) -> None:
    if target in settled:  # sent or failed already this week: no pacing, no claim
        run.skipped.append(target)
        return
    pacer.wait(channel)  # before the claim: a claim is only ever held while posting
    with db.transaction() as session:
        claim = claim_delivery(
            session,
            team_id=team_id,
            week=run.week,
            target=target,
            channel_id=channel,
            account_id=account_id,
            now=now,
        )
        claim_id, claim_status, claim_error = (
            (None, None, None) if claim is None else (claim.id, claim.status, claim.error)
        )
    if claim_id is None:
        run.skipped.append(target)
        return
    if claim_status == FAILED:  # found interrupted: reported, not posted again
        run.failed[target] = claim_error or INTERRUPTED
        return
    try:
        answer = client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False
        )
    except SlackApiError as error:
        reason = str(error.response.get("error") or f"http_{error.response.status_code}")
        run.failed[target] = reason
        logger.warning("digest %s to %s failed: %s", target, channel, reason)
        with db.transaction() as session:
            if reason in TRANSIENT:
                release_delivery(session, delivery_id=claim_id)
            else:
                finish_delivery(session, delivery_id=claim_id, status=FAILED, error=reason)
        return
    except TimeoutError:  # sent, unanswered: Slack may have posted it, so never post it again
        run.failed[target] = TIMED_OUT
        logger.warning("digest %s to %s: %s", target, channel, TIMED_OUT)
        with db.transaction() as session:
            finish_delivery(session, delivery_id=claim_id, status=FAILED, error=TIMED_OUT)
        return
    except OSError as error:  # not sent (refused, unreachable): try again next run
        run.failed[target] = type(error).__name__
        with db.transaction() as session:
            release_delivery(session, delivery_id=claim_id)
        return
    with db.transaction() as session:
        finish_delivery(session, delivery_id=claim_id, status=SENT, message_ts=answer.get("ts"))
    run.sent.append(target)


def team_digests(
    db: Database,
    *,
    team_id: str,
    now: datetime,
    settings: DigestSettings,
    account_ids: Sequence[int] | None = None,
) -> tuple[date, list[AccountDigest], int]:
    """This week's account digests of a team (for posting or printing), with the threads minimum."""
    day = scheduled_day(now, settings)
    since = scheduled_moment(now, settings).astimezone(UTC) - timedelta(days=7)
    today = now.astimezone(settings.zone).date()
    with db.transaction() as session, gc_paused():
        digests = build_account_digests(
            session, team_id=team_id, today=today, since=since, until=now, account_ids=account_ids
        )
        min_threads = thresholds_for(session, team_id=team_id).min_threads
    return day, digests, min_threads


@dataclass
class RenderedWeek:
    """A team's digests of one week, built and rendered: what gets posted."""

    week: date
    digests: list[AccountDigest]
    channel_digests: list[tuple[AccountDigest, list[Block], str]]
    """Accounts with a linked channel and something to post: (digest, blocks, fallback text)."""

    def portfolio(
        self, *, failures: Sequence[tuple[str, str, str]] = (), title: str = "Portfolio at risk"
    ) -> tuple[list[Block], str]:
        """The portfolio digest of these accounts (with the collector paused: a whole team's
        digests are millions of objects, and a full collection would scan them all)."""
        with gc_paused():
            today = self.digests[0].today if self.digests else self.week
            return portfolio_blocks(
                build_portfolio_digest(self.digests, today=today, failures=failures, title=title)
            )


def render_team_digests(
    db: Database,
    *,
    team_id: str,
    now: datetime,
    settings: DigestSettings,
    account_ids: Sequence[int] | None = None,
) -> RenderedWeek:
    """Build and render every channel digest of the week, the cycle collector paused meanwhile."""
    week, digests, min_threads = team_digests(
        db, team_id=team_id, now=now, settings=settings, account_ids=account_ids
    )
    rendered = []
    with gc_paused():
        for digest in digests:
            if not digest.account.channel_id:
                continue
            blocks = account_digest_blocks(
                digest, min_threads=min_threads, all_clear=settings.all_clear
            )
            if blocks is not None:
                rendered.append((digest, *blocks))
    return RenderedWeek(week=week, digests=digests, channel_digests=rendered)


def deliver_team_digests(
    db: Database,
    client: WebClient,
    *,
    team_id: str,
    settings: DigestSettings,
    now: datetime,
    pacer: Pacer | None = None,
    force: bool = False,
    account_ids: Sequence[int] | None = None,
) -> DeliveryRun:
    """Post this week's channel digests, then the portfolio digest (and owners' DMs if asked)."""
    pacer = pacer or Pacer()
    rendered = render_team_digests(
        db, team_id=team_id, now=now, settings=settings, account_ids=account_ids
    )
    week, digests = rendered.week, rendered.digests
    run = DeliveryRun(week=week)
    whole_team = account_ids is None
    if force:
        targets = None if whole_team else [f"account:{i}" for i in account_ids]  # type: ignore[union-attr]
        with db.transaction() as session:
            forget_week(session, team_id=team_id, week=week, targets=targets)
    with db.transaction() as session:
        settled = {
            row.target
            for row in week_deliveries(session, team_id=team_id, week=week)
            if row.status in (SENT, FAILED)
        }
    for digest, blocks, text in rendered.channel_digests:
        account = digest.account
        _post(
            db,
            client,
            run,
            pacer,
            team_id=team_id,
            target=f"account:{account.id}",
            channel=account.channel_id,
            blocks=blocks,
            text=text,
            account_id=account.id,
            now=now,
            settled=settled,
        )
    if not whole_team:
        return run
    names = {f"account:{d.account.id}": d.account.name for d in digests}
    with db.transaction() as session:
        failures = [
            (names.get(row.target, row.target), row.channel_id or "", row.error or "")
            for row in week_deliveries(session, team_id=team_id, week=week)
            if row.status == FAILED and row.target.startswith("account:")
        ]
    if settings.portfolio_channel_id:
        blocks, text = rendered.portfolio(failures=failures)
        _post(
            db,
            client,
            run,
            pacer,
            team_id=team_id,
            target=PORTFOLIO,
            channel=settings.portfolio_channel_id,
            blocks=blocks,
            text=text,
            now=now,
            settled=settled,
        )
    if settings.owner_digests:
        by_owner: dict[str, list[AccountDigest]] = {}
        for digest in digests:
            if digest.account.owner_user_id:
                by_owner.setdefault(digest.account.owner_user_id, []).append(digest)
        for owner, mine in sorted(by_owner.items()):
            with gc_paused():
                portfolio = build_portfolio_digest(
                    mine, today=mine[0].today, title="Your accounts this week"
                )
                if not portfolio.at_risk and not portfolio.renewals:
                    continue
                blocks, text = portfolio_blocks(portfolio)
            _post(
                db,
                client,
                run,
                pacer,
                team_id=team_id,
                target=f"owner:{owner}",
                channel=owner,
                blocks=blocks,
                text=text,
                now=now,
                settled=settled,
            )
    return run


def run_due_digests(
    db: Database,
    clients: ClientFor,
    *,
    now: datetime,
    defaults: DigestSettings,
    pacer: Pacer | None = None,
) -> dict[str, DeliveryRun]:
    """Every team whose digest time has come today (in its own zone) gets this week's digests;
    the ledger makes a second call, or a second process, post nothing twice."""
    with db.transaction() as session:
        teams = teams_with_accounts(session)
        settings = digest_settings_of(session, team_ids=teams, defaults=defaults)
    runs: dict[str, DeliveryRun] = {}
    for team_id in teams:
        if not is_due(now, settings[team_id]):
            continue
        try:
            client = clients(team_id)
            if client is None:
                continue
            runs[team_id] = deliver_team_digests(
                db, client, team_id=team_id, settings=settings[team_id], now=now, pacer=pacer
            )
        except Exception:  # one team's failure must not stop the others
            logger.exception("digests of team %s failed", team_id)
    return runs
