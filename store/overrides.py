"""An owner's manual band for an account: set with a reason and an expiry at most 90 days
ahead, replaced or removed by marking the old one cleared. Nothing is deleted, so the rows are
the overrides' history; the rules' band is computed beside it and recorded when it is set."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from store.accounts import locked_account
from store.enums import Band
from store.errors import StoreError, check_version
from store.models import BandOverride
from store.settings import thresholds_for
from store.signals import assess
from store.snapshots import load_snapshots
from store.types import utcnow
from store.wording import day

MAX_OVERRIDE_DAYS = 90
REASON_LENGTH = 500


def reason_too_long(reason: str) -> str:
    """What a reason past `REASON_LENGTH` is told, counted as stored (whitespace collapsed),
    wherever it is refused: by the store, or by a form's wider bound against crafted input."""
    length = len(" ".join(reason.split()))
    return f"Keep the reason to {REASON_LENGTH} characters (it has {length:,})."


class OverrideRefused(StoreError):
    """An override the rules of overriding do not allow; `field` names the input at fault."""


def set_band_override(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    band: Band,
    reason: str,
    expires_on: date,
    by_user_id: str,
    today: date,
    expected: int | None = None,
) -> BandOverride:
    """Override the account's band until `expires_on` (today up to 90 days ahead), saying why.
    An override in place is replaced (marked cleared, by the same user). Refused, with nothing
    written: no reason, a reason too long, an expiry in the past or more than 90 days ahead, or
    a form opened over another override than the one in place now (`expected`, as
    `override_version` read it then: someone else set or cleared one meanwhile)."""
    text = " ".join(reason.split())
    if not text:
        raise OverrideRefused(
            "Say why you override the band: the reason is shown beside it.", field="reason"
        )
    if len(text) > REASON_LENGTH:
        raise OverrideRefused(reason_too_long(text), field="reason")
    latest = today + timedelta(days=MAX_OVERRIDE_DAYS)
    if expires_on < today:
        raise OverrideRefused(
            f"The override must last until today ({day(today, today)}) or later.",
            field="expires_on",
        )
    if expires_on > latest:
        raise OverrideRefused(
            f"An override lasts {MAX_OVERRIDE_DAYS} days at most: pick a day up to "
            f"{day(latest, today)}.",
            field="expires_on",
        )
    account = locked_account(session, team_id=team_id, account_id=account_id)
    seen = override_version(session, team_id=team_id, account_id=account_id)
    check_version(expected, seen, what=f"The band of {account.name}", field="band")
    _clear(session, account_id=account_id, by_user_id=by_user_id)
    snapshots = load_snapshots(session, team_id=team_id, account_ids=[account_id])
    rules = assess(snapshots[0], today=today, thresholds=thresholds_for(session, team_id=team_id))
    override = BandOverride(
        team_id=team_id,
        account_id=account.id,  # type: ignore[arg-type]
        band=Band(band),
        rules_band=rules.rules_band,
        reason=text,
        expires_on=expires_on,
        set_by_user_id=by_user_id,
    )
    session.add(override)
    session.flush()
    return override


def override_version(session: Session, *, team_id: str, account_id: int) -> int:
    """What an override form saves over: the id of the account's override in place (0: none).
    Each override is a new row, so a form opened before another was set or cleared sees a
    different number."""
    current = session.exec(
        select(BandOverride.id).where(
            BandOverride.team_id == team_id,
            BandOverride.account_id == account_id,
            col(BandOverride.cleared_at).is_(None),
        )
    ).one_or_none()
    return current or 0


def clear_band_override(
    session: Session, *, team_id: str, account_id: int, by_user_id: str
) -> BandOverride | None:
    """End the account's override now (the rules' band is shown again); the one cleared, or
    None when there was none."""
    locked_account(session, team_id=team_id, account_id=account_id)
    return _clear(session, account_id=account_id, by_user_id=by_user_id)


def override_history(
    session: Session, *, team_id: str, account_id: int, limit: int = 20
) -> list[BandOverride]:
    """The account's overrides, newest first: each with who set it, when, why, until when,
    what the rules said then, and who ended it early (cleared) if anyone did."""
    return list(
        session.exec(
            select(BandOverride)
            .where(BandOverride.team_id == team_id, BandOverride.account_id == account_id)
            .order_by(col(BandOverride.set_at).desc(), col(BandOverride.id).desc())
            .limit(limit)
        )
    )


def _clear(session: Session, *, account_id: int, by_user_id: str) -> BandOverride | None:
    current = session.exec(
        select(BandOverride).where(
            BandOverride.account_id == account_id,
            col(BandOverride.cleared_at).is_(None),
        )
    ).one_or_none()
    if current is not None:
        current.cleared_at, current.cleared_by_user_id = utcnow(), by_user_id
        session.flush()
    return current
