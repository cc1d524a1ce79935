"""Renewals answered: "Did Acme renew?" asked of the owner (the ledger of questions, each sent at
most once per renewal and round) and the answer recorded (the ARR entry, the renewal date rolled
forward by the contract term, churn), in one transaction."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.accounts import locked_account, update_account
from store.deliveries import interrupt_left_sending
from store.enums import RenewalOutcome, RenewalStage, RevenueKind, RevenueSource
from store.errors import StoreError
from store.models import Account, RenewalAnswer, RenewalAsk, saved_id
from store.revenue import RevenueRefused, check_kind
from store.unique import inserted_once

ASK_BEFORE = timedelta(days=14)
"""The owner is asked from this long before the renewal date (and after it passes)."""
FIRST = "first"
"""The round of the first question; a later one is the digest week it was asked again in."""
ASK_AGAIN_AFTER = timedelta(days=3)
"""A question asked this recently (the first, sent the days before the digest) is not asked
again by the weekly run; the round (the digest week) keeps it to once a week."""
ERROR_LENGTH = 200
KIND_OF = {
    RenewalOutcome.EXPANDED: RevenueKind.EXPANSION,
    RenewalOutcome.CONTRACTED: RevenueKind.CONTRACTION,
    RenewalOutcome.CHURNED: RevenueKind.CHURN,
}
"""The revenue kind of each outcome that moves ARR (a flat renewal moves nothing)."""


class RenewalRefused(StoreError):
    """An answer that cannot be recorded (already recorded, churned): nothing is written."""


def live_account() -> tuple[ColumnElement[bool], ...]:
    """An account that can still renew: not archived, not churned."""
    return (col(Account.archived).is_(False), col(Account.churned_on).is_(None))


@dataclass(frozen=True, slots=True)
class DueRenewal:
    """A renewal to ask about: the account, its owner, the date asked about."""

    team_id: str
    account_id: int
    name: str
    owner_user_id: str | None
    renewal_date: date
    arr: Decimal
    currency: str


def renewals_to_ask(
    session: Session, *, day: date, team_ids: Sequence[str] | None = None
) -> list[DueRenewal]:
    """Live accounts whose renewal is at most `ASK_BEFORE` away (or past) and whose first
    question about that renewal was never claimed: one statement for every team."""
    asked = exists().where(
        col(RenewalAsk.account_id) == col(Account.id),
        col(RenewalAsk.renewal_date) == col(Account.renewal_date),
        col(RenewalAsk.round) == FIRST,
    )
    query = select_columns(
        col(Account.team_id),
        col(Account.id),
        col(Account.name),
        col(Account.owner_user_id),
        col(Account.renewal_date),
        col(Account.arr),
        col(Account.currency),
    ).where(
        *live_account(),
        col(Account.renewal_date).is_not(None),
        col(Account.renewal_date) <= day + ASK_BEFORE,
        ~asked,
    )
    if team_ids is not None:
        query = query.where(col(Account.team_id).in_(team_ids))
    return [
        DueRenewal(team, saved_id(account_id), name, owner, renewal, arr, currency)
        for team, account_id, name, owner, renewal, arr, currency in session.execute(
            query.order_by(col(Account.team_id), col(Account.renewal_date), col(Account.id))
        )
        if renewal is not None
    ]


def unanswered(session: Session, *, team_id: str, now: datetime) -> list[DueRenewal]:
    """The team's live accounts whose renewal was asked about (the first question sent) and is
    still unanswered, not asked in the last `ASK_AGAIN_AFTER`: one statement."""
    first = exists().where(
        col(RenewalAsk.account_id) == col(Account.id),
        col(RenewalAsk.renewal_date) == col(Account.renewal_date),
        col(RenewalAsk.round) == FIRST,
    )
    recent = exists().where(
        col(RenewalAsk.account_id) == col(Account.id),
        col(RenewalAsk.renewal_date) == col(Account.renewal_date),
        col(RenewalAsk.claimed_at) > now - ASK_AGAIN_AFTER,
    )
    rows = session.execute(
        select_columns(
            col(Account.id),
            col(Account.name),
            col(Account.owner_user_id),
            col(Account.renewal_date),
            col(Account.arr),
            col(Account.currency),
        )
        .where(
            col(Account.team_id) == team_id,
            *live_account(),
            col(Account.renewal_date).is_not(None),
            col(Account.renewal_date) <= now.date() + ASK_BEFORE,
            first,
            ~recent,
        )
        .order_by(col(Account.renewal_date), col(Account.id))
    )
    return [
        DueRenewal(team_id, saved_id(account_id), name, owner, renewal, arr, currency)
        for account_id, name, owner, renewal, arr, currency in rows
        if renewal is not None
    ]


def claim_ask(
    session: Session,
    *,
    renewal: DueRenewal,
    round: str,
    user_id: str,
    now: datetime,
    holder: str | None = None,
) -> bool:
    """Take the right to ask one person about one renewal in one round: True for the first
    claim, False when it was sent, failed or is in flight."""
    return inserted_once(
        session,
        RenewalAsk(
            team_id=renewal.team_id,
            account_id=renewal.account_id,
            renewal_date=renewal.renewal_date,
            round=round,
            user_id=user_id,
            claimed_at=now,
            holder=holder,
        ),
    )


def _ask(renewal: DueRenewal, round: str, user_id: str) -> ColumnElement[bool]:
    return and_(
        col(RenewalAsk.team_id) == renewal.team_id,
        col(RenewalAsk.account_id) == renewal.account_id,
        col(RenewalAsk.renewal_date) == renewal.renewal_date,
        col(RenewalAsk.round) == round,
        col(RenewalAsk.user_id) == user_id,
    )


def finish_ask(
    session: Session,
    *,
    renewal: DueRenewal,
    round: str,
    user_id: str,
    status: str,
    now: datetime,
    channel_id: str | None = None,
    message_ts: str | None = None,
    error: str | None = None,
) -> None:
    session.execute(
        update(RenewalAsk)
        .where(_ask(renewal, round, user_id))
        .values(
            status=status,
            finished_at=now,
            channel_id=channel_id,
            message_ts=message_ts,
            error=error[:ERROR_LENGTH] if error else None,
        )
    )


def release_ask(session: Session, *, renewal: DueRenewal, round: str, user_id: str) -> None:
    """Give a claim back when Slack surely has nothing: the next run asks again."""
    session.execute(delete(RenewalAsk).where(_ask(renewal, round, user_id)))


def interrupt_asks(
    session: Session, *, now: datetime, team_id: str | None = None, holder: str | None = None
) -> list[tuple[int, str]]:
    """Questions left `sending` (`interrupt_left_sending`): returns their (account, person)."""
    rows = interrupt_left_sending(session, RenewalAsk, now=now, team_id=team_id, holder=holder)
    return sorted((row.account_id, row.user_id) for row in rows)


def questions_sent(
    session: Session, *, team_id: str, account_id: int, renewal_date: date
) -> list[tuple[str, str]]:
    """Where the questions about one renewal went (DM channel, message ts), to update them."""
    rows = session.exec(
        select(RenewalAsk.channel_id, RenewalAsk.message_ts).where(
            RenewalAsk.team_id == team_id,
            RenewalAsk.account_id == account_id,
            RenewalAsk.renewal_date == renewal_date,
            col(RenewalAsk.message_ts).is_not(None),
        )
    )
    return [(channel, ts) for channel, ts in rows if channel and ts]


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (31 Jan + 1
    month is 28 or 29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def already_recorded(session: Session, account: Account, renewal_date: date) -> str | None:
    """Why an answer about `renewal_date` cannot be recorded now, or None: recorded already, or
    the renewal date moved since the question (from the account form: nothing recorded, and the
    new date is asked about as it nears)."""
    if account.churned_on is not None:
        return f"{account.name} churned on {account.churned_on:%-d %b %Y}: nothing more to record."
    if account.renewal_date == renewal_date:
        return None
    asked = f"{renewal_date:%-d %b %Y}"
    if account.id is not None and not answer_of(
        session, team_id=account.team_id, account_id=account.id, renewal_date=renewal_date
    ):
        if account.renewal_date is None:
            return (
                f"{account.name}'s renewal of {asked} was cleared since this question: nothing "
                "was recorded."
            )
        return (
            f"{account.name}'s renewal of {asked} was moved to {account.renewal_date:%-d %b %Y} "
            "since this question: nothing was recorded. The question comes again as that date "
            "nears."
        )
    return f"The renewal of {asked} is already recorded" + (
        f": the next is on {account.renewal_date:%-d %b %Y}." if account.renewal_date else "."
    )


def record_renewal(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    renewal_date: date,
    outcome: RenewalOutcome,
    new_arr: Decimal | None = None,
    reason: str | None = None,
    by_user_id: str | None = None,
) -> tuple[Account, RenewalAnswer]:
    """Record the answer to one renewal, in the caller's transaction: the ARR entry (dated the
    renewal date), the renewal date rolled forward by the contract term (a new term: stage not
    started, no notice date yet), or, for churn, the account made inactive with its reason. An
    answer for a renewal already recorded (or by someone at the same moment) is refused; so is
    a new ARR its outcome contradicts (`new_arr` is reported)."""
    account = locked_account(session, team_id=team_id, account_id=account_id)
    if refused := already_recorded(session, account, renewal_date):
        raise RenewalRefused(refused)
    before = account.arr
    after = {
        RenewalOutcome.RENEWED: before,
        RenewalOutcome.CHURNED: Decimal("0"),
    }.get(outcome, new_arr if new_arr is not None else before)
    kind = KIND_OF.get(outcome)
    if kind is not None and kind is not RevenueKind.CHURN:
        try:
            check_kind(kind=kind, before=before, after=after)
        except RevenueRefused as wrong:
            raise RevenueRefused(wrong.message, field="new_arr") from None
    answer = RenewalAnswer(
        team_id=team_id,
        account_id=account_id,
        renewal_date=renewal_date,
        outcome=outcome,
        arr_before=before,
        arr_after=after,
        reason=reason,
        by_user_id=by_user_id,
    )
    if not inserted_once(session, answer):
        raise RenewalRefused(f"The renewal of {renewal_date:%-d %b %Y} is already recorded.")
    changes: dict[str, Any]
    if outcome is RenewalOutcome.CHURNED:
        changes = {"churned_on": renewal_date, "churn_reason": reason}
    else:
        changes = {
            "renewal_date": add_months(renewal_date, account.contract_months),
            "renewal_stage": RenewalStage.NOT_STARTED,
            "notice_date": None,
        }
    if after != before:
        changes["arr"] = after
    account = update_account(
        session,
        team_id=team_id,
        account_id=account_id,
        by_user_id=by_user_id,
        arr_kind=kind,
        arr_on=renewal_date,
        arr_note=reason,
        revenue_source=RevenueSource.RENEWAL,
        **changes,
    )
    return account, answer


def answer_of(
    session: Session, *, team_id: str, account_id: int, renewal_date: date
) -> RenewalAnswer | None:
    return session.exec(
        select(RenewalAnswer).where(
            RenewalAnswer.team_id == team_id,
            RenewalAnswer.account_id == account_id,
            RenewalAnswer.renewal_date == renewal_date,
        )
    ).one_or_none()
