"""The revenue ledger: every change of an account's ARR as a dated entry of one kind (new,
expansion, contraction, churn, correction). It is the one record of revenue movement: whatever
changes ARR (the account form, a renewal's answer, an import, a deal won) writes through here,
in the transaction of the change, and the revenue reports read only this."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from store.enums import RevenueKind, RevenueSource
from store.errors import StoreError
from store.models import RevenueEntry

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
