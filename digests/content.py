"""What this week's digests say, built for a whole team in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from store.enums import ActionStatus
from store.models import Account, ActionItem, StakeholderChange, saved_id
from store.settings import thresholds_for
from store.signals import (
    AccountSnapshot,
    Assessment,
    Band,
    Signal,
    SignalKind,
    assess,
    next_steps,
)
from store.snapshots import load_snapshots
from store.stakeholders import CREATED

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class MapChange:
    """A move on the map since the last digest: someone added, departed, or changed sentiment."""

    name: str
    kind: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True)
class AccountDigest:
    """One account channel's digest: only the sections that have something to say."""

    snapshot: AccountSnapshot
    assessment: Assessment
    today: date
    stale: tuple[Signal, ...] = ()
    single_threaded: Signal | None = None
    renewal: Signal | None = None
    overdue: tuple[ActionItem, ...] = ()
    due_this_week: tuple[ActionItem, ...] = ()
    changes: tuple[MapChange, ...] = ()
    next_steps: tuple[str, ...] = ()

    @property
    def account(self) -> Account:
        return self.snapshot.account

    @property
    def all_clear(self) -> bool:
        """Green and nothing to report: one short line is enough."""
        return self.assessment.band is Band.GREEN and not (
            self.stale
            or self.single_threaded
            or self.renewal
            or self.overdue
            or self.due_this_week
            or self.changes
        )


@dataclass(frozen=True)
class PortfolioDigest:
    """For team leads: at-risk accounts by ARR, renewals ahead, bands and failed deliveries."""

    today: date
    at_risk: tuple[AccountDigest, ...]
    renewals: tuple[AccountDigest, ...]
    counts: dict[Band, int]
    failures: tuple[tuple[str, str, str], ...] = ()
    """(account name, channel id, Slack's error)"""
    title: str = "Portfolio at risk"
    to_owners: tuple[tuple[str, str, str], ...] = ()
    """Digests sent to the owner by DM, their channel being shared with another organisation:
    (account name, channel id, owner's user id)"""


def _changes_since(
    session: Session, *, team_id: str, since: datetime, until: datetime
) -> dict[int, list[tuple[int, str, str | None, str | None]]]:
    """Additions, departures and sentiment moves in [since, until), per account, in one query."""
    rows = session.execute(
        select(
            col(StakeholderChange.account_id),
            col(StakeholderChange.stakeholder_id),
            col(StakeholderChange.field),
            col(StakeholderChange.old_value),
            col(StakeholderChange.new_value),
        )
        .where(
            col(StakeholderChange.team_id) == team_id,
            col(StakeholderChange.changed_at) >= since,
            col(StakeholderChange.changed_at) < until,
            col(StakeholderChange.field).in_([CREATED, "status", "sentiment"]),
        )
        .order_by(col(StakeholderChange.changed_at), col(StakeholderChange.id))
    )
    found: dict[int, list[tuple[int, str, str | None, str | None]]] = defaultdict(list)
    for change in rows:
        if change.field == CREATED:
            kind = "added"
        elif change.field == "status" and change.new_value == "departed":
            kind = "departed"
        elif change.field == "sentiment":
            kind = "sentiment"
        else:
            continue
        found[change.account_id].append(
            (change.stakeholder_id, kind, change.old_value, change.new_value)
        )
    return found


def _named(
    changes: Sequence[tuple[int, str, str | None, str | None]], snapshot: AccountSnapshot
) -> tuple[MapChange, ...]:
    """Name the people in an account's changes (looked up only for accounts that have some)."""
    if not changes:
        return ()
    names = {p.id: p.name for p in snapshot.stakeholders}
    return tuple(  # people no longer on the map (merged duplicates) are no news
        MapChange(names[pid], kind, old, new) for pid, kind, old, new in changes if pid in names
    )


def build_account_digests(
    session: Session,
    *,
    team_id: str,
    today: date,
    since: datetime,
    until: datetime | None = None,
    account_ids: Sequence[int] | None = None,
) -> list[AccountDigest]:
    """Every live account's digest (linked channel or not): seven queries for the whole team."""
    thresholds = thresholds_for(session, team_id=team_id)
    snapshots = load_snapshots(session, team_id=team_id, account_ids=account_ids, rows=True)
    until = until or since + WEEK
    changes = _changes_since(session, team_id=team_id, since=since, until=until)
    week_end = today + timedelta(days=6)
    digests = []
    for snapshot in snapshots:
        assessment = assess(snapshot, today=today, thresholds=thresholds)
        kinds = {s.kind: s for s in assessment.signals}
        open_items = [
            a
            for a in snapshot.open_actions
            if a.status in (ActionStatus.OPEN, ActionStatus.BLOCKED)
        ]
        digests.append(
            AccountDigest(
                snapshot=snapshot,
                assessment=assessment,
                today=today,
                stale=tuple(
                    kinds[k]
                    for k in (SignalKind.STALE_MAP, SignalKind.KEY_PERSON_UNCONTACTED)
                    if k in kinds
                ),
                single_threaded=kinds.get(SignalKind.SINGLE_THREADED),
                renewal=kinds.get(SignalKind.RENEWAL_AT_RISK) or kinds.get(SignalKind.RENEWAL_SOON),
                overdue=tuple(a for a in open_items if a.due_on < today),
                due_this_week=tuple(a for a in open_items if today <= a.due_on <= week_end),
                changes=_named(changes.get(saved_id(snapshot.account.id), ()), snapshot),
                next_steps=next_steps(snapshot, assessment, today=today),
            )
        )
    return digests


def build_portfolio_digest(
    digests: Sequence[AccountDigest],
    *,
    today: date,
    failures: Sequence[tuple[str, str, str]] = (),
    renewal_days: int = 90,
    title: str = "Portfolio at risk",
    to_owners: Sequence[tuple[str, str, str]] = (),
) -> PortfolioDigest:
    at_risk = sorted(
        (d for d in digests if d.assessment.band is not Band.GREEN),
        key=lambda d: (d.assessment.band is not Band.RED, -d.account.arr, d.account.name_key),
    )
    renewals = sorted(
        (
            d
            for d in digests
            if d.assessment.renewal_days is not None
            and 0 <= d.assessment.renewal_days <= renewal_days
        ),
        key=lambda d: (d.assessment.renewal_days, d.account.name_key),
    )
    counts = {
        band: sum(d.assessment.band is band for d in digests)
        for band in (Band.RED, Band.YELLOW, Band.GREEN)
    }
    return PortfolioDigest(
        today=today,
        at_risk=tuple(at_risk),
        renewals=tuple(renewals),
        counts=counts,
        failures=tuple(failures),
        title=title,
        to_owners=tuple(to_owners),
    )
