"""The revenue ledger: every change of an account's ARR as a dated entry of one kind (new,
expansion, contraction, churn, correction). It is the one record of revenue movement: whatever
changes ARR (the account form, a renewal's answer, an import, a deal won) writes through here,
in the transaction of the change, and the revenue reports read only this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import Band, RevenueKind, RevenueSource
from store.errors import StoreError
from store.models import Account, AccountHistory, RevenueEntry

KIND_FIELD = "arr_kind"
"""The input a refused kind is reported against (the account form's select)."""
SAY_WHICH = "Say what kind of change this is"
MOVEMENT = (RevenueKind.EXPANSION, RevenueKind.CONTRACTION, RevenueKind.CHURN)
"""Kinds that are movement of an existing customer's revenue (a correction is not; new is a
new logo's first ARR)."""


class RevenueRefused(StoreError):
    """An ARR change whose kind is missing or contradicts it: nothing is written."""


def check_kind(*, kind: RevenueKind | None, before: Decimal, after: Decimal) -> RevenueKind:
    """The kind of a change of ARR from `before` to `after`, refused when missing or when it
    contradicts the change (an expansion raises ARR, a contraction lowers it without reaching
    nothing, churn ends it; an account is new only once)."""
    if kind is None:
        raise RevenueRefused(
            f"{SAY_WHICH}: expansion, contraction or a correction of a wrong figure.",
            field=KIND_FIELD,
        )
    kind = RevenueKind(kind)
    wrong = {
        RevenueKind.EXPANSION: after <= before and "an expansion raises ARR",
        RevenueKind.CONTRACTION: (after >= before or after == 0)
        and "a contraction lowers ARR (to nothing is churn)",
        RevenueKind.CHURN: after != 0 and "churn takes ARR to nothing",
        RevenueKind.NEW: "an account's ARR is new only when it is created",
        RevenueKind.CORRECTION: False,
    }[kind]
    if wrong:
        raise RevenueRefused(
            f"{SAY_WHICH}: {wrong}, and this goes from {before:,.2f} to {after:,.2f}.",
            field=KIND_FIELD,
        )
    return kind


def record_entry(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    kind: RevenueKind,
    before: Decimal,
    arr_after: Decimal,
    currency: str,
    effective_on: date,
    source: RevenueSource,
    by_user_id: str | None = None,
    note: str | None = None,
) -> RevenueEntry:
    """Add one entry (the caller checked its kind with `check_kind`, in this transaction)."""
    entry = RevenueEntry(
        team_id=team_id,
        account_id=account_id,
        effective_on=effective_on,
        kind=RevenueKind(kind),
        change=arr_after - before,
        arr_after=arr_after,
        currency=currency.upper(),
        by_user_id=by_user_id,
        source=RevenueSource(source),
        note=note,
    )
    session.add(entry)
    return entry


def account_entries(session: Session, *, team_id: str, account_id: int) -> Sequence[RevenueEntry]:
    """An account's entries, oldest first."""
    return session.exec(
        select(RevenueEntry)
        .where(RevenueEntry.team_id == team_id, RevenueEntry.account_id == account_id)
        .order_by(col(RevenueEntry.effective_on), col(RevenueEntry.id))
    ).all()


# -- the revenue report -------------------------------------------------------------------------

TARGET_NRR = Decimal("1.20")
"""The practice's target: net revenue retention above 120 %."""
MONTHS = 12


class MissingRate(StoreError):
    """A figure in a currency the team has no rate for: the report is refused, naming it."""


@dataclass(frozen=True, slots=True)
class Rates:
    """The team's reporting currency and, for each other currency, what one unit is worth in
    it (set by an admin in `/account settings`)."""

    currency: str = "USD"
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        if currency == self.currency:
            return amount
        return amount * self.rates[currency]

    def missing(self, currencies: Iterable[str]) -> list[str]:
        return sorted({c for c in currencies if c != self.currency and c not in self.rates})


@dataclass(frozen=True, slots=True)
class Movement:
    """One period's revenue over the accounts active at its start (new logos left out), in the
    reporting currency: starting ARR, expansion, contraction and churn (each positive)."""

    start: date
    end: date
    """The last day counted."""
    accounts: int
    starting: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal

    @property
    def nrr(self) -> Decimal | None:
        """(starting + expansion - contraction - churn) / starting; None with nothing at start."""
        if not self.starting:
            return None
        return (self.starting + self.expansion - self.contraction - self.churn) / self.starting

    @property
    def grr(self) -> Decimal | None:
        """The same without expansion: what was kept."""
        if not self.starting:
            return None
        return (self.starting - self.contraction - self.churn) / self.starting


@dataclass(frozen=True, slots=True)
class Loss:
    """An account that churned or contracted in the period: when (the entry's date: the
    renewal it answered, or the day ARR was lowered) and how much."""

    account_id: int
    name: str
    kind: RevenueKind
    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RevenueReport:
    currency: str
    year: Movement
    months: tuple[Movement, ...]
    so_far: tuple[Movement, ...]
    """The 12 months' accounts from the year's start to each month's end (the last is `year`):
    the path toward the 12-month target, which a single month's NRR cannot be read against."""
    losses: tuple[Loss, ...]


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the last `months` months, the current one last."""
    first = today.replace(day=1)
    starts = []
    for back in range(months - 1, -1, -1):
        month = first.month - 1 - back
        starts.append(date(first.year + month // 12, month % 12 + 1, 1))
    return starts


def year_start(today: date) -> date:
    """The first day of the 12 months that end `today`: the day after the same day a year ago
    (so on 1 Dec they run from 2 Dec, not from 1 Jan, which would be 11 months)."""
    try:
        back = today.replace(year=today.year - 1)
    except ValueError:  # 29 Feb
        back = today.replace(year=today.year - 1, day=28)
    return back + timedelta(days=1)


def revenue_report(
    session: Session,
    *,
    team_id: str,
    today: date,
    rates: Rates,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
) -> RevenueReport:
    """NRR and GRR of the chosen accounts (all the team's, one owner's, or some) over the 12
    months to `today` and month by month (12 calendar months, the current one to `today`),
    from the ledger alone: two
    statements whatever the number of accounts (each account's ARR before the first month, by a
    window function, then every entry since). Corrections are not movement; an account with no
    ARR at a period's start (a new logo) is left out of that period. A currency without a rate
    is refused (`MissingRate`)."""
    starts = month_starts(today)
    first = year_start(today)  # never after starts[0]: the replay reaches each month from here
    scope = select(col(Account.id)).where(col(Account.team_id) == team_id)
    if account_ids is not None:
        scope = scope.where(col(Account.id).in_(account_ids))
    if owner_user_id is not None:
        scope = scope.where(col(Account.owner_user_id) == owner_user_id)
    latest = (
        select_columns(
            col(RevenueEntry.account_id),
            col(RevenueEntry.arr_after),
            col(RevenueEntry.currency),
            func.row_number()
            .over(
                partition_by=col(RevenueEntry.account_id),
                order_by=(col(RevenueEntry.effective_on).desc(), col(RevenueEntry.id).desc()),
            )
            .label("place"),
        )
        .where(
            col(RevenueEntry.team_id) == team_id,
            col(RevenueEntry.effective_on) < first,
            col(RevenueEntry.account_id).in_(scope),
        )
        .subquery()
    )
    connection = session.connection()  # Core rows: the ORM adds only time to plain columns
    opening = {
        account_id: (arr, currency)
        for account_id, arr, currency in connection.execute(
            select_columns(latest.c.account_id, latest.c.arr_after, latest.c.currency).where(
                latest.c.place == 1
            )
        ).all()
    }
    since = connection.execute(
        select_columns(
            col(RevenueEntry.account_id),
            col(RevenueEntry.effective_on),
            col(RevenueEntry.kind),
            col(RevenueEntry.change),
            col(RevenueEntry.arr_after),
            col(RevenueEntry.currency),
            col(Account.name),
        )
        .join(Account, col(Account.id) == col(RevenueEntry.account_id))
        .where(
            col(RevenueEntry.team_id) == team_id,
            col(RevenueEntry.effective_on) >= first,
            col(RevenueEntry.effective_on) <= today,
            col(RevenueEntry.account_id).in_(scope),
        )
        .order_by(col(RevenueEntry.effective_on), col(RevenueEntry.id))
    ).all()
    used = {currency for _, currency in opening.values()} | {row[5] for row in since}
    if missing := rates.missing(used):
        raise MissingRate(
            f"Revenue cannot be reported in {rates.currency}: there is no rate for "
            f"{', '.join(missing)}. An admin sets it in `/account settings` (Revenue)."
        )
    # The cohort as the replay reaches each month: the accounts with ARR then, each with that
    # ARR converted once (not once a month), updated by each month's entries after the month
    # is counted; the entries, ordered by day, are taken a month's slice at a time. The year's
    # own cohort stays as it was at its start (`so_far`: the year to each month's end).
    year_cohort = {a: rates.convert(arr, c) for a, (arr, c) in opening.items() if arr > 0}
    cohort = dict(year_cohort)
    bounds = [*starts[1:], today + timedelta(days=1)]
    months, so_far = [], []
    at = 0

    def replay(entries: Sequence[Any]) -> None:
        for account_id, _, _, _, arr_after, currency, _ in entries:
            if arr_after > 0:
                cohort[account_id] = rates.convert(arr_after, currency)
            else:
                cohort.pop(account_id, None)

    before = at
    while before < len(since) and since[before][1] < starts[0]:
        before += 1  # in the year (it began the day after the same day last year), in no month
    replay(since[:before])
    at = before
    for start, after in zip(starts, bounds, strict=True):
        end = at
        while end < len(since) and since[end][1] < after:
            end += 1
        months.append(_movement(start, after, cohort, since[at:end], rates))
        so_far.append(_movement(first, after, year_cohort, since[:end], rates))
        replay(since[at:end])
        at = end
    year = so_far[-1]
    losses = tuple(
        Loss(account_id, name, RevenueKind(kind), on, rates.convert(-change, currency))
        for account_id, on, kind, change, _, currency, name in since
        if kind in (RevenueKind.CHURN, RevenueKind.CONTRACTION)
    )
    return RevenueReport(rates.currency, year, tuple(months), tuple(so_far), losses)


def _movement(
    start: date,
    after: date,
    cohort: Mapping[int, Decimal],
    entries: Sequence[Any],
    rates: Rates,
) -> Movement:
    """The period's movement over `cohort` (each account's ARR at its start, converted)."""
    moved = {
        RevenueKind.EXPANSION: Decimal(0),
        RevenueKind.CONTRACTION: Decimal(0),
        RevenueKind.CHURN: Decimal(0),
    }
    for account_id, _, kind, change, _, currency, _ in entries:
        if account_id in cohort and kind in moved:
            moved[kind] += abs(rates.convert(change, currency))
    return Movement(
        start=start,
        end=after - timedelta(days=1),
        accounts=len(cohort),
        starting=sum(cohort.values(), Decimal(0)),
        expansion=moved[RevenueKind.EXPANSION],
        contraction=moved[RevenueKind.CONTRACTION],
        churn=moved[RevenueKind.CHURN],
    )


def currencies_in_use(session: Session, *, team_id: str) -> list[str]:
    """Every currency the team's accounts and ledger have used (the rates an admin may set)."""
    used = session.execute(
        select_columns(col(Account.currency))
        .where(col(Account.team_id) == team_id)
        .union(
            select_columns(col(RevenueEntry.currency)).where(col(RevenueEntry.team_id) == team_id)
        )
    ).scalars()
    return sorted(set(used))


# -- how early was churn seen -------------------------------------------------------------------

SEEN_AHEAD = 90
"""The practice's target: churn seen at least 90 days before the renewal."""


@dataclass(frozen=True, slots=True)
class Seen:
    """How early a loss was seen: the days from the start of the account's last unbroken red
    spell (red by its band or by the rules: a critical signal makes it red) to the loss;
    `days` None when history does not reach back to that spell's start (`unknown`), or 0 when
    history never saw it red before the loss."""

    loss: Loss
    days: int | None
    red_since: date | None

    @property
    def known(self) -> bool:
        return self.days is not None

    @property
    def in_time(self) -> bool:
        return self.days is not None and self.days >= SEEN_AHEAD


def churn_seen(session: Session, *, team_id: str, losses: Sequence[Loss]) -> list[Seen]:
    """For each loss, how early the account's history saw it (one statement for all). Only the
    records where an account turned red or stopped being red come back (and its first), found
    by the database with a window function: a red spell starts at one of them, and an account's
    years of history are a few rows, not one a month."""
    if not losses:
        return []
    ids = sorted({loss.account_id for loss in losses})
    red = case(
        (
            or_(col(AccountHistory.band) == Band.RED, col(AccountHistory.rules_band) == Band.RED),
            1,
        ),
        else_=0,
    )
    marked = (
        select_columns(
            col(AccountHistory.account_id).label("account_id"),
            col(AccountHistory.day).label("day"),
            col(AccountHistory.id).label("id"),
            red.label("red"),
            func.lag(red)
            .over(
                partition_by=col(AccountHistory.account_id),
                order_by=(col(AccountHistory.day), col(AccountHistory.id)),
            )
            .label("was"),
        )
        .where(col(AccountHistory.team_id) == team_id, col(AccountHistory.account_id).in_(ids))
        .subquery()
    )
    rows = (
        session.connection()
        .execute(
            select_columns(marked.c.account_id, marked.c.day, marked.c.red)
            .where(or_(marked.c.was.is_(None), marked.c.was != marked.c.red))
            .order_by(marked.c.account_id, marked.c.day, marked.c.id)
        )
        .all()
    )
    history: dict[int, list[tuple[date, bool]]] = {}
    for account_id, day, is_red in rows:
        history.setdefault(account_id, []).append((day, bool(is_red)))
    return [_seen(loss, history.get(loss.account_id, [])) for loss in losses]


def _seen(loss: Loss, records: Sequence[tuple[date, bool]]) -> Seen:
    """`records`: (day, red) oldest first, every record or only where redness changed (the
    same answer: a spell is walked back to its first record)."""
    before = [(day, red) for day, red in records if day <= loss.on]
    if not before:
        return Seen(loss, None, None)  # no history that far back
    last_red = max((i for i, (_, red) in enumerate(before) if red), default=None)
    if last_red is None:
        return Seen(loss, 0, None)  # never red before it happened
    start = last_red
    while start > 0 and before[start - 1][1]:
        start -= 1
    if start == 0:
        return Seen(loss, None, before[0][0])  # red since the first record: began earlier
    since = before[start][0]
    return Seen(loss, (loss.on - since).days, since)
