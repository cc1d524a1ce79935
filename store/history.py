"""Account history: an append-only, dated record of each account's state.

A record holds the band shown (and the override in force), the kinds of the signals firing
with their evidence, and the key figures (ARR, seats licensed and active). It is written only
when that state differs from the account's last record, compared in a normalised form
(`fingerprint`): the evidence with its numbers and relative days taken out, so that "last
contact 61 days ago" becoming "62 days ago" is no change, while a new name or a new signal is.

Two writers, one rule:
- every transaction of the store (`StoreSession`, what `Database.transaction()` hands out)
  notes the accounts whose rows it flushed (accounts, people, contacts, items, overrides, usage)
  and, just before it commits, records those that changed, in the same transaction;
- the scheduler's daily check (`check_team_day`) records every account of a team whose state
  moved with the passing of days (an item fell overdue, an override expired), once per team and
  day: its ledger row (`HistoryRun`) is written in the same transaction, first, so a second
  process (or a second run) finds it and writes nothing.

Records are never dated before an account's latest record, so the state of any past day is the
last record on or before it (`state_on`).

Both writers read an account's last record and append only when the state differs from it, so
two at once (the daily check and a change, or two changes to one account) must not both read
the same last record: under PostgreSQL's READ COMMITTED each would append, twice the same state
or each its own half of two changes. Every writer first takes its team's transaction-level
advisory lock (`hold_team_history`), held until it commits, before it reads the last record; the
second then reads what the first wrote. The rows of the accounts it records are taken before the
lock, so that no writer waits for a row while holding it (the deadlock of the daily check with
an account form's save, which locks its row and takes the lock as it commits). SQLite needs
none of it: its writers begin IMMEDIATE, one at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, event, func, text
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import Band
from store.models import Account, AccountHistory, HistoryRun, saved_id
from store.sessions import StoreSession, take_touched
from store.settings import thresholds_for
from store.signals import assess
from store.snapshots import stream_snapshots
from store.types import utcnow
from store.unique import dialect_insert

CHANGE, DAILY, SEEDED = "change", "daily", "seeded"
"""Sources of a record: a change made through the bot, the daily check, a seeded history."""
CATCH_UP_DAYS = 31
"""How many missed days the daily check catches up at most (older ones are gone for good)."""
_RECORDING = "accountbot_history_recording"
_DAY = "accountbot_history_day"


_LOCK_SPACE = "accountbot.history:"
"""Prefix of the advisory lock keys, so that they cannot meet another use of advisory locks."""


def history_lock_key(team_id: str) -> int:
    """The team's advisory lock key: a stable signed 64-bit hash of its id."""
    digest = hashlib.sha256(f"{_LOCK_SPACE}{team_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def hold_team_history(
    session: Session, *, team_id: str, account_ids: Collection[int] | None
) -> set[int] | None:
    """Wait for, then hold until this transaction ends, the right to append to the team's
    history (PostgreSQL's `pg_advisory_xact_lock`; taken again by the same transaction, it
    returns at once), for the accounts given (None: all the team's). Their rows are taken first
    (`FOR KEY SHARE`, what a history row's foreign key takes anyway): a change holding one of
    them (an account form's save locks its row) is waited for before the lock, never with it,
    since that change takes the lock in turn as it commits. Returns the accounts held, the only
    ones the caller may record. On SQLite, whose writers are one at a time: nothing to do
    (None)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    rows = select_columns(col(Account.id)).where(col(Account.team_id) == team_id)
    if account_ids is not None:
        rows = rows.where(col(Account.id).in_(sorted(account_ids)))
    held = set(session.execute(rows.with_for_update(read=True, key_share=True)).scalars())
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": history_lock_key(team_id)})
    return held


def record_as_of(session: Session, day: date) -> None:
    """Date this transaction's records `day` rather than the UTC day (the demo's pretend today)."""
    session.info[_DAY] = day


@event.listens_for(StoreSession, "before_commit")
def _record_before_commit(session: Session) -> None:
    """The accounts this transaction changed get their record, in it, if their state moved."""
    if session.info.get(_RECORDING) or session.in_nested_transaction():
        return  # a savepoint released inside the transaction: its outer commit records
    session.flush()
    touched = take_touched(session)
    if not touched:
        return
    by_team: dict[str, set[int]] = {}
    for team_id, account_id in touched:
        by_team.setdefault(team_id, set()).add(account_id)
    session.info[_RECORDING] = True
    try:
        today = session.info.get(_DAY) or utcnow().date()
        for team_id, account_ids in sorted(by_team.items()):
            record_states(
                session, team_id=team_id, account_ids=sorted(account_ids), day=today, source=CHANGE
            )
    finally:
        session.info.pop(_RECORDING, None)
        take_touched(session)


_NUMBER = re.compile(r"\d[\d,.]*")
_RELATIVE = re.compile(r"\bin # \w+|# \w+ ago\b|\b(?:today|tomorrow|yesterday)\b")
_PLURAL = re.compile(r"(# \w+?)s\b")


def normalised(text: str) -> str:
    """Evidence without what moves by itself with the days: numbers and relative days."""
    text = _RELATIVE.sub("#", _NUMBER.sub("#", text))
    return _PLURAL.sub(r"\1", text)


@dataclass(frozen=True, slots=True)
class State:
    """One account's state on one day, as a record holds it."""

    account_id: int
    band: Band
    rules_band: Band
    override_band: Band | None
    evidence: dict[str, str]
    """Per kind of signal firing: its reason and evidence."""
    arr: Any
    currency: str
    seats_licensed: int | None
    seats_active: int | None

    @property
    def signals(self) -> list[str]:
        return sorted(self.evidence)

    @property
    def fingerprint(self) -> str:
        """What is compared with the last record: the state, its evidence normalised."""
        form = {
            "band": self.band.value,
            "rules_band": self.rules_band.value,
            "override": self.override_band.value if self.override_band else None,
            "evidence": {kind: normalised(text) for kind, text in sorted(self.evidence.items())},
            "arr": f"{self.arr:.2f}",
            "currency": self.currency,
            "seats": [self.seats_licensed, self.seats_active],
        }
        return hashlib.sha256(json.dumps(form, sort_keys=True).encode()).hexdigest()


def states_on(
    session: Session, *, team_id: str, account_ids: Sequence[int] | None, day: date
) -> list[State]:
    """The current facts of the team's live accounts (or of some), assessed on `day`: the
    snapshot queries and one more for the thresholds, whatever the number."""
    thresholds = thresholds_for(session, team_id=team_id)
    states = []
    for _, snapshot in stream_snapshots(
        session, team_id=team_id, account_ids=account_ids, today=day
    ):
        assessment = assess(snapshot, today=day, thresholds=thresholds)
        account = snapshot.account
        states.append(
            State(
                account_id=saved_id(account.id),
                band=assessment.band,
                rules_band=assessment.rules_band,
                override_band=assessment.override.band if assessment.override else None,
                evidence={
                    s.kind.value: f"{s.reason}: {s.evidence}" if s.evidence else s.reason
                    for s in assessment.signals
                },
                arr=account.arr,
                currency=account.currency,
                seats_licensed=account.seats_licensed,
                seats_active=account.seats_active,
            )
        )
    return states


@dataclass(frozen=True, slots=True)
class LastRecord:
    day: date
    fingerprint: str


def last_records(
    session: Session, *, team_id: str, account_ids: Collection[int] | None = None
) -> dict[int, LastRecord]:
    """Each account's latest record (its day and fingerprint): one statement."""
    latest = select_columns(func.max(AccountHistory.id)).where(
        col(AccountHistory.team_id) == team_id
    )
    if account_ids is not None:
        latest = latest.where(col(AccountHistory.account_id).in_(sorted(account_ids)))
    latest = latest.group_by(col(AccountHistory.account_id))
    rows = session.execute(
        select_columns(
            col(AccountHistory.account_id), col(AccountHistory.day), col(AccountHistory.fingerprint)
        ).where(col(AccountHistory.id).in_(latest))
    )
    return {account_id: LastRecord(_as_date(on), print_) for account_id, on, print_ in rows}


def record_states(
    session: Session,
    *,
    team_id: str,
    account_ids: Sequence[int] | None,
    day: date,
    source: str,
) -> int:
    """Record the accounts (all the team's live ones with None) whose state on `day` differs
    from their last record and is not older than it; how many were recorded. A fixed number of
    statements whatever the number of accounts."""
    held = hold_team_history(session, team_id=team_id, account_ids=account_ids)
    states = _held(states_on(session, team_id=team_id, account_ids=account_ids, day=day), held)
    last = last_records(session, team_id=team_id, account_ids=account_ids)
    return _write(session, team_id=team_id, states=states, last=last, day=day, source=source)


def _held(states: list[State], held: set[int] | None) -> list[State]:
    """The states of the accounts whose rows this transaction holds (all, on SQLite): an
    account made since they were taken is recorded by its own change, or the next check."""
    return states if held is None else [s for s in states if s.account_id in held]


def _write(
    session: Session,
    *,
    team_id: str,
    states: Sequence[State],
    last: dict[int, LastRecord],
    day: date,
    source: str,
) -> int:
    now = utcnow()
    rows = []
    for state in states:
        before = last.get(state.account_id)
        fingerprint = state.fingerprint
        if before is not None and (before.fingerprint == fingerprint or before.day > day):
            continue
        rows.append(
            {
                "team_id": team_id,
                "account_id": state.account_id,
                "day": day,
                "source": source,
                "band": state.band,
                "rules_band": state.rules_band,
                "override_band": state.override_band,
                "signals": state.signals,
                "evidence": state.evidence,
                "fingerprint": fingerprint,
                "arr": state.arr,
                "currency": state.currency,
                "seats_licensed": state.seats_licensed,
                "seats_active": state.seats_active,
                "recorded_at": now,
            }
        )
        last[state.account_id] = LastRecord(day, fingerprint)
    if rows:
        table: Table = AccountHistory.__table__  # type: ignore[attr-defined]  # SQLModel tables are Tables
        session.execute(table.insert(), rows)
    return len(rows)


def seed_history(
    session: Session,
    *,
    team_id: str,
    day: date,
    spells: Mapping[int, Sequence[tuple[date, Band]]],
) -> int:
    """A past for accounts that have no history yet (a demo's sample, a portfolio loaded from
    elsewhere): for each account, records on the days given with the band given, oldest first,
    each its state on `day` with that band (the evidence only where the band is not green).
    Refused for an account that has records already: history is never rewritten."""
    held = hold_team_history(session, team_id=team_id, account_ids=list(spells))
    last = last_records(session, team_id=team_id, account_ids=list(spells))
    if last:
        raise ValueError(f"accounts {sorted(last)} have a history already: it is never rewritten")
    states = {
        state.account_id: state
        for state in _held(
            states_on(session, team_id=team_id, account_ids=sorted(spells), day=day), held
        )
    }
    written = 0
    for account_id, dated in sorted(spells.items()):
        if account_id not in states:
            raise ValueError(f"account {account_id} is not a live account of team {team_id}")
        for on, band in sorted(dated):
            now = states[account_id]
            past = replace(
                now,
                band=band,
                rules_band=band,
                override_band=None,
                evidence={} if band is Band.GREEN else now.evidence,
            )
            written += _write(
                session, team_id=team_id, states=[past], last=last, day=on, source=SEEDED
            )
    return written


def check_team_day(
    session: Session, *, team_id: str, day: date, holder: str | None = None
) -> int | None:
    """The daily check of one team: every missed day since its last check (at most
    `CATCH_UP_DAYS`), then `day`, each assessed on that day over the current facts (a change
    made through the bot in between was recorded when it was made, and no record is ever dated
    before an account's latest). Returns how many records it wrote, or None when this team's
    day was already checked (by this process or another). Claims the day first, in this
    transaction: a process that comes second waits for the first to commit, then finds it."""
    claimed = session.execute(
        dialect_insert(session)(HistoryRun)
        .values(team_id=team_id, day=day, recorded=0, holder=holder, ran_at=utcnow())
        .on_conflict_do_nothing()
        .returning(col(HistoryRun.day))
    ).first()
    if claimed is None:
        return None
    held = hold_team_history(session, team_id=team_id, account_ids=None)  # before any read
    previous = session.execute(
        select_columns(func.max(HistoryRun.day)).where(
            col(HistoryRun.team_id) == team_id, col(HistoryRun.day) < day
        )
    ).scalar_one_or_none()
    first = day
    if previous is not None:
        first = max(_as_date(previous) + timedelta(days=1), day - timedelta(days=CATCH_UP_DAYS))
    last = last_records(session, team_id=team_id)
    written = 0
    on = first
    while on <= day:
        states = _held(states_on(session, team_id=team_id, account_ids=None, day=on), held)
        written += _write(session, team_id=team_id, states=states, last=last, day=on, source=DAILY)
        on += timedelta(days=1)
    session.execute(
        HistoryRun.__table__.update()  # type: ignore[attr-defined]  # SQLModel tables are Tables
        .where(
            HistoryRun.__table__.c.team_id == team_id,  # type: ignore[attr-defined]
            HistoryRun.__table__.c.day == day,  # type: ignore[attr-defined]
        )
        .values(recorded=written)
    )
    return written


def checked_days(session: Session, *, team_id: str) -> list[date]:
    """The days the daily check ran for a team, oldest first."""
    return [
        _as_date(on)
        for on in session.execute(
            select_columns(col(HistoryRun.day))
            .where(col(HistoryRun.team_id) == team_id)
            .order_by(col(HistoryRun.day))
        ).scalars()
    ]


def state_on(
    session: Session, *, team_id: str, account_id: int, day: date
) -> AccountHistory | None:
    """The account's state on `day`: its last record on or before it (None: no record yet)."""
    return session.exec(
        select(AccountHistory)
        .where(
            AccountHistory.team_id == team_id,
            AccountHistory.account_id == account_id,
            col(AccountHistory.day) <= day,
        )
        .order_by(col(AccountHistory.day).desc(), col(AccountHistory.id).desc())
        .limit(1)
    ).one_or_none()


def records_of(session: Session, *, team_id: str, account_id: int) -> list[AccountHistory]:
    """An account's records, oldest first."""
    return list(
        session.exec(
            select(AccountHistory)
            .where(AccountHistory.team_id == team_id, AccountHistory.account_id == account_id)
            .order_by(col(AccountHistory.day), col(AccountHistory.id))
        )
    )


@dataclass(frozen=True, slots=True)
class BandSpell:
    """How long an account has had its band: since `since`; before it, `before` (the band it
    had until the day before `since`), None when history does not reach further back."""

    band: Band
    since: date
    before: Band | None


_MINE = (
    col(AccountHistory.team_id) == bindparam("team_id"),
    col(AccountHistory.account_id) == bindparam("account_id"),
    col(AccountHistory.day) <= bindparam("today"),
)
# Built once with named parameters: a card runs them on every request, and building a statement
# (and running it through the ORM session) cost several times what SQLite takes to answer it.
_LAST_OTHER_BAND = (
    select_columns(col(AccountHistory.id), col(AccountHistory.band))
    .where(*_MINE, col(AccountHistory.band) != bindparam("band"))
    .order_by(col(AccountHistory.day).desc(), col(AccountHistory.id).desc())
    .limit(1)
)
_FIRST_DAY = select_columns(func.min(AccountHistory.day)).where(*_MINE)
_FIRST_DAY_AFTER = _FIRST_DAY.where(col(AccountHistory.id) > bindparam("after"))


def band_spell(
    session: Session, *, team_id: str, account_id: int, band: Band, today: date
) -> BandSpell | None:
    """Since when the account's band has been `band` (its band now), from its history: two
    small statements. None without any record."""
    connection = session.connection()
    mine = {"team_id": team_id, "account_id": account_id, "today": today}
    other = connection.execute(_LAST_OTHER_BAND, {**mine, "band": band}).first()
    if other is None:
        since = connection.execute(_FIRST_DAY, mine).scalar_one_or_none()
    else:
        since = connection.execute(_FIRST_DAY_AFTER, {**mine, "after": other[0]}).scalar_one()
    if since is None:  # no record, or the band moved since the last one (not recorded yet)
        return None if other is None else BandSpell(band=band, since=today, before=other[1])
    return BandSpell(band=band, since=_as_date(since), before=other[1] if other else None)


def _as_date(value: object) -> date:
    """Aggregates come back untyped on SQLite (ISO text)."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
