"""Posting the week's digests exactly once: claim in the ledger, pace, post, record.

Every post goes through `commands.ui.delivery.deliver`: an account channel shared with another
organisation gets nothing (its digest goes to the account's owner by DM instead, and the
portfolio digest says so), and a post is never sent twice. One failing channel is recorded and
skipped, never stopping the rest: a post Slack refused (`not_in_channel`, …) or may have carried
out (any 5xx, a reset, an answer cut off, not JSON or not Slack's, a timeout) is recorded as
failed and reported; only what Slack did not do (a refused connection, a 429 that outlasts the
retries, a channel Slack could not be asked about) gives the claim back, so the next run posts
it.
"""

from __future__ import annotations

import gc
import logging
import time as clock
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from slack_sdk import WebClient
from sqlmodel import Session

from commands.ui.delivery import SHARED_OUTSIDE, deliver
from commands.ui.directory import ChannelFacts, Directory
from commands.ui.slack_failures import Outcome
from commands.ui.views.blocks import Block
from commands.ui.views.revenue import against_target, percent
from digests.content import AccountDigest, build_account_digests, build_portfolio_digest
from digests.render import account_digest_blocks, portfolio_digest_blocks, to_owner_blocks
from digests.renewals import ask_again
from store.db import Database
from store.deliveries import (
    DONE,
    FAILED,
    INTERRUPTED,
    SENDING,
    SENT,
    TO_OWNER,
    Claim,
    Settle,
    claim_delivery,
    forget_week,
    settle_delivery,
    week_deliveries,
)
from store.digest_bands import ShownNow, record_bands
from store.growth import claim_team_refresh, refresh_accounts, team_refreshed
from store.leads import team_leads
from store.models import saved_id
from store.revenue import MissingRate, Rates, revenue_report
from store.settings import DigestSettings, digest_settings_of, revenue_settings, teams_with_accounts
from store.types import utcnow

logger = logging.getLogger("accountbot.digests")

PORTFOLIO = "portfolio"
LEAD = "lead:"
"""The ledger's target of a lead's portfolio DM: `lead:U123`."""
NO_OWNER = f"{SHARED_OUTSIDE}, and the account has no owner to send it to"

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
    to_owner: dict[str, str] = field(default_factory=dict)
    """Sent (among `sent`) to the owner by DM, their channel being shared: target -> owner."""
    released: list[str] = field(default_factory=list)
    """Failed (among `failed`) with nothing sent: the claim given back for the next run."""
    asked_again: list[int] = field(default_factory=list)
    """Accounts whose unanswered renewal question was asked again (by DM) this week."""


@dataclass(frozen=True)
class Post:
    """One digest to post: where, what, and (for an account's) whose DM takes it instead when
    the channel is shared with another organisation."""

    target: str
    channel: str
    blocks: list[Block]
    text: str
    account_id: int | None = None
    owner: str | None = None


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


class TeamLedger:
    """A team's posts in the delivery ledger, one transaction a post: each claim is written with
    how the post before it went (its `Settle`, kept until then) and reads the stored fact of
    the channel it posts to (`Directory.believed`), where three transactions did (claim, read,
    finish). The claim is committed before its request is sent, as ever (at most once); a post's
    fate waits at most one pacing for the next claim, and `flush` writes it when no claim
    follows (before the ledger is read back, and whenever the run stops, by an error too). A
    process killed in that wait leaves the post `sending`: reported as interrupted, never sent
    again, as a post whose answer it was waiting for."""

    def __init__(
        self,
        db: Database,
        directory: Directory,
        *,
        team_id: str,
        week: date,
        now: datetime,
        holder: str | None,
    ) -> None:
        self.db, self.directory, self.team_id = db, directory, team_id
        self.week, self.now, self.holder = week, now, holder
        self.pending: Settle | None = None

    def claim(self, post: Post) -> tuple[Claim | None, ChannelFacts | None]:
        """Settle the post before and claim this one, in one transaction; with the stored fact
        of its channel, when a post may believe one."""
        with self.db.transaction() as session:
            if self.pending is not None:
                settle_delivery(session, self.pending)
            claim = claim_delivery(
                session,
                team_id=self.team_id,
                week=self.week,
                target=post.target,
                channel_id=post.channel,
                account_id=post.account_id,
                now=self.now,
                holder=self.holder,
            )
            believed = (
                self.directory.believed(session, team_id=self.team_id, channel_id=post.channel)
                if claim is not None and claim.status == SENDING
                else None
            )
        self.pending = None
        return claim, believed

    def settle(self, settle: Settle) -> None:
        """How the claimed post went, written with the next claim or by `flush`."""
        assert self.pending is None, "each claim is settled before the next is taken"
        self.pending = settle

    def flush(self) -> None:
        """Write the fate still pending, if any."""
        if self.pending is not None:
            with self.db.transaction() as session:
                settle_delivery(session, self.pending)
            self.pending = None


def _post(
    client: WebClient,
    directory: Directory,
    ledger: TeamLedger,
    run: DeliveryRun,
    pacer: Pacer,
    post: Post,
    *,
    settled: set[str],
) -> None:
    target = post.target
    if target in settled:  # sent or failed already this week: no pacing, no claim
        run.skipped.append(target)
        return
    pacer.wait(post.channel)  # before the claim: a claim is only ever held while posting
    claim, believed = ledger.claim(post)
    if claim is None:
        run.skipped.append(target)
        return
    if claim.status == FAILED:  # found interrupted: reported, not posted again
        run.failed[target] = claim.error or INTERRUPTED
        return
    status, prefix = SENT, ""
    delivered = deliver(
        client,
        directory,
        team_id=ledger.team_id,
        channel=post.channel,
        text=post.text,
        blocks=post.blocks,
        believed=believed,
        unfurl_links=False,
    )
    if delivered.outcome is Outcome.SHARED_OUTSIDE and post.account_id is not None:
        if post.owner is None:
            delivered = replace(delivered, reason=NO_OWNER)
        else:  # the owner gets it by DM, told why
            status, prefix = TO_OWNER, f"{SHARED_OUTSIDE}; the DM to its owner failed: "
            blocks, text = to_owner_blocks(post.blocks, post.text, channel_id=post.channel)
            pacer.wait(post.owner)
            delivered = deliver(
                client,
                directory,
                team_id=ledger.team_id,
                channel=post.owner,
                text=text,
                blocks=blocks,
                unfurl_links=False,
            )
    if delivered.sent:
        ledger.settle(Settle(claim.id, status, at=utcnow(), message_ts=delivered.ts))
        run.sent.append(target)
        if status == TO_OWNER and post.owner is not None:
            run.to_owner[target] = post.owner
        return
    reason = prefix + delivered.reason
    run.failed[target] = reason
    logger.warning("digest %s to %s not delivered: %s", target, post.channel, reason)
    if delivered.outcome is Outcome.NOT_SENT:  # Slack has nothing: the next run posts it
        ledger.settle(Settle(claim.id, None, at=utcnow()))
        run.released.append(target)
    else:  # refused, or Slack may have it: reported, never posted again by itself
        ledger.settle(Settle(claim.id, FAILED, at=utcnow(), error=reason))


def team_digests(
    db: Database,
    *,
    team_id: str,
    now: datetime,
    settings: DigestSettings,
    account_ids: Sequence[int] | None = None,
    preview: bool = False,
) -> tuple[date, list[AccountDigest]]:
    """This week's account digests of a team (for posting or printing), and the week's day.
    A `preview` (`digest --dry-run`, the demo) shows what the run would post: the hypotheses
    refreshed first as the run would (`refresh_hypotheses_once`: the team's, unless this week's
    refresh is done; some accounts', always), in a savepoint rolled back: nothing written."""
    day = scheduled_day(now, settings)
    since = scheduled_moment(now, settings).astimezone(UTC) - timedelta(days=7)
    today = now.astimezone(settings.zone).date()
    with db.transaction() as session, gc_paused():
        trial = session.begin_nested() if preview else None
        if trial is not None:
            _refresh(session, team_id=team_id, week=day, today=today, account_ids=account_ids)
        digests = build_account_digests(
            session,
            team_id=team_id,
            today=today,
            since=since,
            until=now,
            week=day,
            account_ids=account_ids,
        )
        if trial is not None:
            trial.rollback()
    return day, digests


def remember_bands(
    db: Database, *, team_id: str, week: date, digests: Sequence[AccountDigest]
) -> None:
    """Record each account's band this week, for next week's "since last week" (one
    transaction; a second run of the same week keeps what the week before showed)."""
    shown = [
        ShownNow(
            saved_id(d.account.id), d.band, tuple(k.value for k in d.assessment.weighing_kinds)
        )
        for d in digests
    ]
    with db.transaction() as session:
        record_bands(session, team_id=team_id, week=week, shown=shown)


@dataclass
class TeamWeek:
    """A team's digests of one week, built (light rows, set-based reads) but not rendered: each
    channel digest is rendered just before its post (`blocks`), so a team's week of Block Kit
    is never held in memory at once."""

    week: date
    digests: list[AccountDigest]
    owed: list[AccountDigest]
    """Accounts with a linked channel and something to post this week."""
    all_clear: bool = True
    weekly_all_clear: bool = False

    def blocks(self, digest: AccountDigest) -> tuple[list[Block], str]:
        """One owed digest in blocks and its fallback text (the collector paused meanwhile)."""
        with gc_paused():
            rendered = account_digest_blocks(
                digest, all_clear=self.all_clear, weekly_all_clear=self.weekly_all_clear
            )
        assert rendered is not None, "only owed digests are rendered"
        return rendered

    def portfolio(
        self,
        *,
        failures: Sequence[tuple[str, str, str]] = (),
        to_owners: Sequence[tuple[str, str, str]] = (),
        title: str = "Portfolio this week",
        private_channels: Collection[str] = frozenset(),
        leads_named: bool = True,
        nrr_line: str = "",
    ) -> tuple[list[Block], str]:
        """The portfolio digest of these accounts, without those linked to `private_channels`
        (with the collector paused: a whole team's digests are millions of objects, and a full
        collection would scan them all)."""
        with gc_paused():
            today = self.digests[0].today if self.digests else self.week
            return portfolio_digest_blocks(
                build_portfolio_digest(
                    self.digests,
                    today=today,
                    failures=failures,
                    to_owners=to_owners,
                    title=title,
                    private_channels=private_channels,
                    leads_named=leads_named,
                    nrr_line=nrr_line,
                )
            )


def month_nrr(db: Database, *, team_id: str, today: date) -> str:
    """The portfolio digest's revenue line: this month's NRR and GRR so far, against the 120 %
    target (`store.revenue`; a currency without a rate is said, not guessed)."""
    with db.reading() as session:
        chosen = revenue_settings(session, team_id=team_id)
        try:
            report = revenue_report(
                session,
                team_id=team_id,
                today=today,
                rates=Rates(currency=chosen.currency, rates=chosen.rates),
            )
        except MissingRate as missing:
            return f"*NRR this month:* not reported. {missing.message}"
    month = report.months[-1]
    return (
        f"*NRR this month* ({month.start:%B}, to date): {percent(month.nrr)} · GRR "
        f"{percent(month.grr)} ({against_target(month.nrr)})"
    )


def team_week(
    db: Database,
    *,
    team_id: str,
    now: datetime,
    settings: DigestSettings,
    account_ids: Sequence[int] | None = None,
) -> TeamWeek:
    """Build every account digest of the week and say which channel digests are owed (what
    `account_digest_blocks` would render: the same `AccountDigest.posts` rule), rendering none."""
    week, digests = team_digests(
        db, team_id=team_id, now=now, settings=settings, account_ids=account_ids
    )
    owed = [
        digest
        for digest in digests
        if digest.account.channel_id
        and digest.posts(all_clear=settings.all_clear, weekly_all_clear=settings.weekly_all_clear)
    ]
    return TeamWeek(
        week=week,
        digests=digests,
        owed=owed,
        all_clear=settings.all_clear,
        weekly_all_clear=settings.weekly_all_clear,
    )


def refresh_hypotheses_once(
    db: Database,
    *,
    team_id: str,
    now: datetime,
    settings: DigestSettings,
    account_ids: Sequence[int] | None = None,
) -> None:
    """The weekly run keeps the expansion hypotheses fresh before the digests say what they
    found: the whole team once a week, by its first whole-team call of the week (the week's
    refresh claimed with it, `claim_team_refresh`), not again by each later call of digest day.
    A run for some accounts (`digest --now --account X`) refreshes those alone, every time (a
    few accounts: cheap), and leaves the team's weekly refresh to come."""
    today = now.astimezone(settings.zone).date()
    with db.transaction() as session:
        _refresh(
            session,
            team_id=team_id,
            week=scheduled_day(now, settings),
            today=today,
            account_ids=account_ids,
            claim=True,
        )


def _refresh(
    session: Session,
    *,
    team_id: str,
    week: date,
    today: date,
    account_ids: Sequence[int] | None,
    claim: bool = False,
) -> None:
    """Refresh the hypotheses as the weekly run does: some accounts always; the whole team
    unless its refresh of the week (`week`: its digest day) is done. `claim` takes that refresh
    for this transaction (the run); without it (a preview) the refresh is only looked up."""
    if account_ids is None:
        due = (
            claim_team_refresh(session, team_id=team_id, week=week)
            if claim
            else not team_refreshed(session, team_id=team_id, week=week)
        )
        if not due:
            return
    refresh_accounts(session, team_id=team_id, today=today, account_ids=account_ids)


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
    directory: Directory | None = None,
    holder: str | None = None,
    heartbeat: Callable[[], None] | None = None,
) -> DeliveryRun:
    """Post this week's channel digests, then the portfolio digest (in its channel, and to each
    of the team's leads by DM), and owners' DMs if asked.
    Each post reads what Slack last said of its channel through `directory` (stored for every
    process; Slack asked when it is unknown, in doubt or too old). A run on the work queue
    (`digests.queue`) names its `holder` in each claim and calls `heartbeat` before each post
    (it renews the team's claim, and raises when another process has taken the team over)."""
    pacer = pacer or Pacer()
    directory = Directory(db) if directory is None else directory
    refresh_hypotheses_once(
        db, team_id=team_id, now=now, settings=settings, account_ids=account_ids
    )
    team = team_week(db, team_id=team_id, now=now, settings=settings, account_ids=account_ids)
    week, digests = team.week, team.digests
    remember_bands(db, team_id=team_id, week=week, digests=digests)
    run = DeliveryRun(week=week)
    whole_team = account_ids is None
    if force:
        targets = None if account_ids is None else [f"account:{i}" for i in account_ids]
        with db.transaction() as session:
            forget_week(session, team_id=team_id, week=week, targets=targets)
    with db.transaction() as session:
        settled = {
            row.target
            for row in week_deliveries(session, team_id=team_id, week=week)
            if row.status in DONE
        }
        leads = team_leads(session, team_id=team_id) if whole_team else []
    due = {f"account:{d.account.id}": d.account.channel_id for d in team.owed}
    channels = {channel for target, channel in due.items() if channel and target not in settled}
    portfolio_due = bool(whole_team and settings.portfolio_channel_id) and PORTFOLIO not in settled

    ledger = TeamLedger(db, directory, team_id=team_id, week=week, now=now, holder=holder)

    def post(one: Post, *, settle_now: bool = True) -> None:
        """Post one digest; its fate is written with the next claim unless `settle_now` (the
        account digests' loop settles each with the next, and its last after the loop)."""
        try:
            if heartbeat is not None:
                heartbeat()
            _post(client, directory, ledger, run, pacer, one, settled=settled)
        except BaseException:  # the run stops here: the fate of the post before is written
            ledger.flush()
            raise
        if settle_now:
            ledger.flush()

    linked = {d.account.channel_id for d in digests if d.account.channel_id}
    if portfolio_due:  # it leaves out private channels: the privacy of every account's is needed
        channels |= linked
    directory.refresh(client, team_id=team_id, channel_ids=channels)  # one call, not one a post
    for digest in team.owed:
        account = digest.account
        assert account.channel_id, "team_week owes channel digests only to linked accounts"
        target = f"account:{account.id}"
        if target in settled:  # sent or failed already this week: not even rendered
            run.skipped.append(target)
            continue
        blocks, text = team.blocks(digest)  # rendered just before its post, then let go
        post(
            Post(
                target=target,
                channel=account.channel_id,
                blocks=blocks,
                text=text,
                account_id=account.id,
                owner=account.owner_user_id,
            ),
            settle_now=False,
        )
    ledger.flush()
    if not whole_team:
        return run
    accounts = {f"account:{d.account.id}": d.account for d in digests}
    with db.transaction() as session:
        rows = [
            row
            for row in week_deliveries(session, team_id=team_id, week=week)
            if row.target.startswith("account:")
        ]
    named = [(row, accounts.get(row.target)) for row in rows]
    failures = [
        (account.name if account else row.target, row.channel_id or "", row.error or "")
        for row, account in named
        if row.status == FAILED
    ]
    to_owners = [
        (account.name, row.channel_id or "", account.owner_user_id or "")
        for row, account in named
        if row.status == TO_OWNER and account is not None
    ]
    nrr_line = (
        month_nrr(db, team_id=team_id, today=now.date())
        if settings.portfolio_channel_id or leads
        else ""
    )
    if settings.portfolio_channel_id and not portfolio_due:
        run.skipped.append(PORTFOLIO)  # sent or failed already this week
    elif settings.portfolio_channel_id:
        # everyone in the portfolio channel reads it: no account of a private channel, and
        # totals over the accounts listed (asked of Slack outside any transaction); the
        # team's NRR counts every account, so it is said there only when none is left out
        private = directory.private_channels(client, team_id=team_id, channel_ids=linked)
        blocks, text = team.portfolio(
            failures=failures,
            to_owners=to_owners,
            private_channels=private,
            leads_named=bool(leads),
            nrr_line="" if private else nrr_line,
        )
        post(
            Post(target=PORTFOLIO, channel=settings.portfolio_channel_id, blocks=blocks, text=text)
        )
    if leads:  # leads see the whole portfolio, private-channel accounts included
        blocks, text = team.portfolio(failures=failures, to_owners=to_owners, nrr_line=nrr_line)
        for lead in leads:  # each lead gets it by DM, once a week (the ledger's target)
            post(Post(target=f"{LEAD}{lead}", channel=lead, blocks=blocks, text=text))
    if settings.owner_digests:
        by_owner: dict[str, list[AccountDigest]] = {}
        for digest in digests:
            if digest.account.owner_user_id:
                by_owner.setdefault(digest.account.owner_user_id, []).append(digest)
        for owner, mine in sorted(by_owner.items()):
            with gc_paused():
                portfolio = build_portfolio_digest(
                    mine, today=mine[0].today, title="Your accounts this week", by_owner=False
                )
                if not portfolio.at_risk and not portfolio.renewals:
                    continue
                blocks, text = portfolio_digest_blocks(portfolio)
            post(Post(target=f"owner:{owner}", channel=owner, blocks=blocks, text=text))
    asked = ask_again(db, client, team_id=team_id, now=now, round=week.isoformat(), holder=holder)
    run.asked_again = [account_id for account_id, _ in asked.sent]
    return run


def run_due_digests(
    db: Database,
    clients: ClientFor,
    *,
    now: datetime,
    defaults: DigestSettings,
    pacer: Pacer | None = None,
    directory: Directory | None = None,
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
                db,
                client,
                team_id=team_id,
                settings=settings[team_id],
                now=now,
                pacer=pacer,
                directory=directory,
            )
        except Exception:  # one team's failure must not stop the others
            logger.exception("digests of team %s failed", team_id)
    return runs
