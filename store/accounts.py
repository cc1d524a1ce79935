"""Accounts: create, find and summarise, always scoped by team."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, bindparam, func, or_
from sqlmodel import Session, col, select

from store.enums import RenewalStage, RevenueKind, RevenueSource, Segment
from store.errors import DuplicateAccountName, NotFound, StoreError, check_version
from store.models import Account, AccountChange, saved_id
from store.names import NAME_LENGTH, clean_name, name_key
from store.revenue import RevenueRefused, check_kind, record_entry
from store.types import utcnow
from store.unique import saved_once


class RenewalRefused(StoreError):
    """Renewal facts that cannot all be true; `field` names the input at fault."""


def check_renewal(
    *,
    renewal_date: date | None,
    notice_date: date | None,
    stage: RenewalStage,
    signed_on: date | None,
    changed: frozenset[str] = frozenset(),
) -> None:
    """A notice date after the renewal date, or a renewal signed without its signed date, is
    refused; the field named is the one changed (the notice date when both are)."""
    if notice_date is not None and renewal_date is not None and notice_date > renewal_date:
        field = (
            "renewal_date"
            if "renewal_date" in changed and "notice_date" not in changed
            else "notice_date"
        )
        raise RenewalRefused(
            f"The notice date ({notice_date:%-d %b %Y}) must be on or before the renewal date "
            f"({renewal_date:%-d %b %Y}): it is the last day the customer may give notice.",
            field=field,
        )
    if stage is RenewalStage.SIGNED and signed_on is None:
        raise RenewalRefused(
            "A signed renewal needs the day it was signed.", field="renewal_signed_on"
        )


def create_account(
    session: Session,
    *,
    team_id: str,
    name: str,
    owner_user_id: str | None = None,
    channel_id: str | None = None,
    arr: Decimal = Decimal("0"),
    currency: str = "USD",
    renewal_date: date | None = None,
    contract_start: date | None = None,
    segment: Segment = Segment.MID_MARKET,
    seats_licensed: int | None = None,
    seats_active: int | None = None,
    external_crm_id: str | None = None,
    renewal_stage: RenewalStage = RenewalStage.NOT_STARTED,
    renewal_signed_on: date | None = None,
    notice_date: date | None = None,
    contract_months: int = 12,
    fiscal_year_start_month: int | None = None,
    arr_since: date | None = None,
    by_user_id: str | None = None,
    revenue_source: RevenueSource = RevenueSource.FORM,
) -> Account:
    """Insert an account; a name the team already uses (by its key: ignoring case, accents typed
    apart, letter widths and spacing) is refused, also when created at the same moment, and so
    are renewal facts that cannot all be true (`check_renewal`). A signed date is kept only
    with the signed stage. Its ARR goes in the revenue ledger as new, from `arr_since` (the day
    it is created, unless said)."""
    name = clean_name(name)
    stage = RenewalStage(renewal_stage)
    signed_on = renewal_signed_on if stage is RenewalStage.SIGNED else None
    check_renewal(
        renewal_date=renewal_date, notice_date=notice_date, stage=stage, signed_on=signed_on
    )
    account = Account(
        team_id=team_id,
        name=name,
        name_key=name_key(name),
        owner_user_id=owner_user_id,
        channel_id=channel_id,
        arr=arr,
        currency=currency.upper(),
        renewal_date=renewal_date,
        contract_start=contract_start,
        segment=segment,
        seats_licensed=seats_licensed,
        seats_active=seats_active,
        external_crm_id=external_crm_id,
        renewal_stage=stage,
        renewal_signed_on=signed_on,
        notice_date=notice_date,
        contract_months=contract_months,
        fiscal_year_start_month=fiscal_year_start_month,
    )

    def check() -> None:
        if existing := find_account_by_name(session, team_id=team_id, name=name):
            raise _duplicate(existing)

    check()
    saved_once(session, write=lambda: session.add(account), check=check)
    record_entry(
        session,
        team_id=team_id,
        account_id=saved_id(account.id),
        kind=RevenueKind.NEW,
        before=Decimal("0"),
        arr_after=account.arr,
        currency=account.currency,
        effective_on=arr_since or utcnow().date(),
        source=revenue_source,
        by_user_id=by_user_id,
    )
    return account


def _duplicate(existing: Account) -> DuplicateAccountName:
    return DuplicateAccountName(f"An account named {existing.name} already exists.", field="name")


def locked_account(session: Session, *, team_id: str, account_id: int) -> Account:
    """The account, locked for the rest of this transaction (two changes at once go in turn);
    `NotFound` when the team has no such account."""
    account = session.exec(
        select(Account)
        .where(Account.team_id == team_id, Account.id == account_id)
        .with_for_update()
    ).one_or_none()
    if account is None:
        raise NotFound("That account no longer exists.")
    return account


def update_account(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    expected_version: int | None = None,
    by_user_id: str | None = None,
    arr_kind: RevenueKind | None = None,
    arr_on: date | None = None,
    arr_note: str | None = None,
    revenue_source: RevenueSource = RevenueSource.FORM,
    **changes: Any,
) -> Account:
    """Change an account's fields; a name another account of the team uses is refused, and so is
    an edit made on a version someone else has changed since (`expected_version`), and renewal
    facts that cannot all be true once changed (`check_renewal`). Moving the stage off signed
    clears the signed date. Each renewal fact that changes is kept in the account's history
    (`AccountChange`, by `by_user_id`), in the same transaction. A change of ARR needs its kind
    (`arr_kind`, checked against the change: `store.revenue.check_kind`) and goes in the revenue
    ledger from `arr_on` (today unless said); a change of currency alone is a correction."""
    account = locked_account(session, team_id=team_id, account_id=account_id)
    check_version(expected_version, account.version, what=account.name)
    if unknown := set(changes) - _EDITABLE:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be changed this way")

    def check_name() -> None:
        if "name" not in changes:
            return
        other = find_account_by_name(session, team_id=team_id, name=changes["name"])
        if other is not None and other.id != account.id:
            raise _duplicate(other)

    if "name" in changes:
        changes["name"] = clean_name(str(changes["name"]))
        changes["name_key"] = name_key(changes["name"])
    check_name()
    if "currency" in changes:
        changes["currency"] = str(changes["currency"]).upper()
    if _RENEWAL_FIELDS & changes.keys():
        final = {f: changes.get(f, getattr(account, f)) for f in _RENEWAL_FIELDS}
        stage = RenewalStage(final["renewal_stage"] or RenewalStage.NOT_STARTED)
        changes["renewal_stage"] = stage
        if stage is not RenewalStage.SIGNED:
            changes["renewal_signed_on"] = final["renewal_signed_on"] = None
        check_renewal(
            renewal_date=final["renewal_date"],
            notice_date=final["notice_date"],
            stage=stage,
            signed_on=final["renewal_signed_on"],
            changed=frozenset(changes),
        )
    arr_after = Decimal(changes.get("arr", account.arr))
    currency = str(changes.get("currency", account.currency))
    restated = currency.upper() != account.currency
    revenue_moved = arr_after != account.arr or restated
    if account.churned_on is not None and arr_after != account.arr:
        raise RevenueRefused(  # inactive: the revenue reports would count it again
            f"{account.name} churned on {account.churned_on:%-d %b %Y}: its ARR stays at "
            f"{account.arr:,.2f} while it is inactive.",
            field="arr",
        )
    if restated:  # the figure restated in another currency: no movement, whatever was said
        arr_kind = RevenueKind.CORRECTION
    elif revenue_moved:
        arr_kind = check_kind(kind=arr_kind, before=account.arr, after=arr_after)

    def write() -> None:
        at = utcnow()  # one moment for the changes made together: one line of history
        for field in sorted(_RENEWAL_FIELDS & changes.keys()):
            old, new = _as_text(getattr(account, field)), _as_text(changes[field])
            if old != new:
                session.add(
                    AccountChange(
                        team_id=team_id,
                        account_id=account_id,
                        field=field,
                        old_value=old,
                        new_value=new,
                        changed_by_user_id=by_user_id,
                        changed_at=at,
                    )
                )
        if revenue_moved and arr_kind is not None:
            record_entry(
                session,
                team_id=team_id,
                account_id=account_id,
                kind=arr_kind,
                before=arr_after if restated else account.arr,
                arr_after=arr_after,
                currency=currency,
                effective_on=arr_on or at.date(),
                source=revenue_source,
                by_user_id=by_user_id,
                note=f"restated from {account.arr:f} {account.currency}" if restated else arr_note,
            )
        for field, value in changes.items():
            setattr(account, field, value)
        account.updated_at = at
        account.version += 1

    saved_once(session, write=write, check=check_name)
    return account


_EDITABLE = frozenset(
    {
        "name", "name_key", "owner_user_id", "channel_id", "arr", "currency", "renewal_date",
        "contract_start", "segment", "seats_licensed", "seats_active",
        "external_crm_id", "archived", "renewal_stage", "renewal_signed_on", "notice_date",
        "contract_months", "churned_on", "churn_reason", "fiscal_year_start_month",
    }
)  # fmt: skip
_RENEWAL_FIELDS = frozenset({"renewal_date", "notice_date", "renewal_stage", "renewal_signed_on"})
"""The renewal facts: checked together, and each change kept in the account's history."""


def _as_text(value: object) -> str | None:
    """A renewal fact as the history keeps it: a stage's value, a date in ISO form."""
    if value is None:
        return None
    if isinstance(value, RenewalStage):
        return value.value
    return value.isoformat() if isinstance(value, date) else str(value)


def set_renewal_stage(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    stage: RenewalStage,
    signed_on: date | None = None,
    expected_version: int | None = None,
    by_user_id: str | None = None,
) -> Account:
    """Move the renewal to a stage; signed needs the day it was signed (refused otherwise)."""
    return update_account(
        session,
        team_id=team_id,
        account_id=account_id,
        expected_version=expected_version,
        by_user_id=by_user_id,
        renewal_stage=stage,
        renewal_signed_on=signed_on,
    )


def get_account(session: Session, *, team_id: str, account_id: int) -> Account | None:
    return session.exec(
        select(Account).where(Account.team_id == team_id, Account.id == account_id)
    ).one_or_none()


def find_account_by_name(session: Session, *, team_id: str, name: str) -> Account | None:
    """The team's account with exactly this name, by its key (archived ones too)."""
    return session.exec(
        select(Account).where(Account.team_id == team_id, Account.name_key == name_key(name))
    ).one_or_none()


def find_account_by_channel(session: Session, *, team_id: str, channel_id: str) -> Account | None:
    return session.exec(
        select(Account)
        .where(
            Account.team_id == team_id,
            Account.channel_id == channel_id,
            col(Account.archived).is_(False),
        )
        .order_by(col(Account.id))
        .limit(1)
    ).one_or_none()


FUZZY_CUTOFF = 75
PREFIX = 3


@dataclass(frozen=True, slots=True)
class AccountMatches:
    """What a typed name found: one account, several to choose from, or none."""

    exact: Account | None
    candidates: tuple[Account, ...]


_NAMED = select(Account).where(
    col(Account.team_id) == bindparam("team_id"),
    col(Account.archived).is_(False),
    col(Account.name_key).in_(bindparam("keys", expanding=True)),
)
"""Built once: every `/account <name>` reads it (its keys a list bound at execution)."""


def accounts_named(session: Session, *, team_id: str, names: Iterable[str]) -> dict[str, Account]:
    """The team's live accounts with exactly one of these names (by key), keyed by name key: one
    query for every reading of a command's text."""
    keys = {name_key(name) for name in names}
    if not keys:
        return {}
    found = session.execute(_NAMED, {"team_id": team_id, "keys": sorted(keys)}).scalars()
    return {account.name_key: account for account in found}


def search_accounts(session: Session, *, team_id: str, text: str, limit: int = 5) -> AccountMatches:
    """Find accounts by name: exact (by key), then containing the text, then small typos."""
    key = name_key(text)
    exact = accounts_named(session, team_id=team_id, names=[text]).get(key) if key else None
    if exact is not None or not key:
        return AccountMatches(exact=exact, candidates=())
    return near_accounts(session, team_id=team_id, text=text, limit=limit)


MAX_PREFIXES = 10
"""Words of a typed name whose first letters narrow the typo search (more add nothing)."""


def near_accounts(session: Session, *, team_id: str, text: str, limit: int = 5) -> AccountMatches:
    """Accounts whose name contains the text, or else is within a small typo of it (the caller
    knows no name is exactly the text). Text longer than a name matches nothing."""
    key = name_key(text)
    if not key or len(clean_name(text)) > NAME_LENGTH:
        return AccountMatches(exact=None, candidates=())
    live = (col(Account.team_id) == team_id, col(Account.archived).is_(False))
    containing = session.exec(
        select(Account)
        .where(*live, _contains(key))
        .order_by(func.length(Account.name_key), Account.name_key)
        .limit(limit)
    ).all()
    if containing:
        return _matches(containing)
    # Typos rarely hit the first letters of every word: try names sharing a word's first three
    # letters before scoring the whole portfolio.
    prefixes = dict.fromkeys(word[:PREFIX] for word in key.split() if len(word) >= PREFIX)
    starts = [_word_starting(prefix) for prefix in list(prefixes)[:MAX_PREFIXES]]
    ids = _close_names(session, key, where=(*live, or_(*starts)), limit=limit) if starts else []
    if not ids:
        ids = _close_names(session, key, where=live, limit=limit)
    found = {a.id: a for a in session.exec(select(Account).where(col(Account.id).in_(ids)))}
    return _matches([found[i] for i in ids if i in found])


def _close_names(
    session: Session, key: str, *, where: Sequence[ColumnElement[bool]], limit: int
) -> list[int]:
    """Ids of the names within a small edit of `key`, best first."""
    names = session.exec(select(col(Account.id), Account.name_key).where(*where)).all()
    close = process.extract(
        key,
        {saved_id(account_id): name for account_id, name in names},
        scorer=fuzz.WRatio,
        limit=limit,
        score_cutoff=FUZZY_CUTOFF,
    )
    return [account_id for _name, _score, account_id in close]


def _word_starting(prefix: str) -> ColumnElement[bool]:
    """A name with a word starting with `prefix` (its own `%`, `_`, `\\` taken literally)."""
    escaped = _escape_like(prefix)
    return or_(
        col(Account.name_key).like(f"{escaped}%", escape="\\"),
        col(Account.name_key).like(f"% {escaped}%", escape="\\"),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(key: str) -> ColumnElement[bool]:
    """`name_key LIKE %key%`, with the user's own `%`, `_` and `\\` taken literally."""
    return col(Account.name_key).like(f"%{_escape_like(key)}%", escape="\\")


def suggest_accounts(
    session: Session, *, team_id: str, text: str, limit: int = 20
) -> list[Account]:
    """Accounts for a type-ahead menu: names containing the text (all, when it is empty)."""
    key = name_key(text)
    return list(
        session.exec(
            select(Account)
            .where(
                Account.team_id == team_id,
                col(Account.archived).is_(False),
                _contains(key),
            )
            .order_by(func.length(Account.name_key), Account.name_key)
            .limit(limit)
        )
    )


def _matches(found: Sequence[Account]) -> AccountMatches:
    if len(found) == 1:
        return AccountMatches(exact=found[0], candidates=())
    return AccountMatches(exact=None, candidates=tuple(found))
