"""The expansion engine's facts read from the record for any number of accounts, and its
hypotheses kept as a stable record (`expansion_hypothesis`): both in a fixed number of
statements, whatever the number of accounts (`store/expansion.py` stays pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, update
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from store.catalogue import ENTRY_COLUMNS, EntryRow, whitespace
from store.champion_leads import champion_promotions
from store.enums import Band, HypothesisStatus, StakeholderStatus
from store.events import events_of
from store.expansion import (
    FRESH_EVENT_DAYS,
    SEAT_RETURN_POINTS,
    AccountFacts,
    BusinessEvent,
    Department,
    DepartmentUsage,
    Expansion,
    HypothesisKind,
    Person,
    Setting,
    expansion,
)
from store.idempotency import claim
from store.models import (
    Account,
    AccountDepartment,
    AccountProduct,
    CatalogueEntry,
    ExpansionHypothesis,
    ProcessedRequest,
    Stakeholder,
    UsageReading,
)
from store.revenue import Rates
from store.settings import revenue_settings, thresholds_for
from store.signals import AccountSnapshot, assess
from store.snapshots import account_scope, load_snapshots
from store.unique import skipping_insert
from store.usage import OLDEST_DAYS

NO_ESTIMATE_LENGTH = 200
"""What is missing for an estimate, as the record keeps it (`expansion_hypothesis.no_estimate`)."""
NO_DEPARTMENT_USAGE = "no per-department usage"
"""An account none of whose departments has a reading: the engine is told so (None), never a
guess."""


@dataclass(frozen=True, slots=True)
class GrowthInput:
    """One account's facts and its team's setting, with the band the rules gave it."""

    facts: AccountFacts
    setting: Setting


def growth_inputs(
    session: Session,
    *,
    team_id: str,
    today: date,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
    snapshots: Sequence[AccountSnapshot] | None = None,
) -> list[GrowthInput]:
    """The engine's input for the chosen accounts (as `account_scope` chooses them), by name:
    the band from the risk rules (an override in force included), seats, departments with and
    without the product, whitespace with catalogue prices, business events, champion
    promotions of the last 90 days, the people on the map and their notes, the renewal date,
    the customer's fiscal year's first month, and the team's reporting currency and rates.
    Thirteen statements whatever their number. Usage by department is each department's latest
    reading (None, "no per-department usage", when no department of the account has one).
    `snapshots`, when the caller has read those accounts' already (`load_snapshots`), are used
    rather than read again."""
    if snapshots is None:
        snapshots = load_snapshots(
            session,
            team_id=team_id,
            account_ids=account_ids,
            owner_user_id=owner_user_id,
            today=today,
        )
    if not snapshots:
        return []
    thresholds = thresholds_for(session, team_id=team_id)
    money = revenue_settings(session, team_id=team_id)
    rates = Rates(currency=money.currency, rates=dict(money.rates))
    scope = account_scope(team_id=team_id, account_ids=account_ids, owner_user_id=owner_user_id)
    entries, used = _catalogue(session, team_id=team_id, scope=scope)
    departments, usage = _departments(session, scope=scope, today=today)
    notes = _notes(session, scope=scope)
    events = events_of(session, team_id=team_id, account_ids=scope)
    promotions = champion_promotions(
        session, team_id=team_id, account_ids=scope, since=today - timedelta(FRESH_EVENT_DAYS)
    )
    found = []
    for snapshot in snapshots:
        account = snapshot.account
        in_use = used.get(account.id, set())
        found.append(
            GrowthInput(
                facts=AccountFacts(
                    account_id=account.id,
                    name=account.name,
                    band=_band(snapshot, today=today, thresholds=thresholds),
                    seats_licensed=account.seats_licensed,
                    seats_active=account.seats_active,
                    renewal_date=account.renewal_date,
                    products_in_use=tuple(e for e in entries if e.id in in_use),
                    whitespace=tuple(
                        whitespace(entries, in_use, seats_licensed=account.seats_licensed)
                    ),
                    people=tuple(
                        Person(
                            name=p.name,
                            role=p.role,
                            sentiment=p.sentiment,
                            last_contacted_on=p.last_contacted_on,
                            level=p.level,
                        )
                        for p in snapshot.stakeholders
                        if p.status is StakeholderStatus.ACTIVE
                    ),
                    events=tuple(
                        BusinessEvent(kind=e.kind, on=e.happened_on, note=e.note)
                        for e in events.get(account.id, [])
                    ),
                    promotions=tuple(promotions.get(account.id, [])),
                    usage_by_department=usage.get(account.id),
                    departments=departments.get(account.id),
                    notes=tuple(notes.get(account.id, [])),
                    fiscal_year_start_month=account.fiscal_year_start_month,
                ),
                setting=Setting(
                    today=today,
                    recent_contact_days=thresholds.recent_contact_days,
                    renewal_window_days=thresholds.renewal_window(account.segment),
                    rates=rates,
                ),
            )
        )
    return found


def _band(snapshot: AccountSnapshot, *, today: date, thresholds: Any) -> Band:
    return assess(snapshot, today=today, thresholds=thresholds).band


def _catalogue(
    session: Session, *, team_id: str, scope: Select[Any]
) -> tuple[list[EntryRow], dict[int, set[int]]]:
    """The team's catalogue by name, and the entries each account in scope uses (two
    statements)."""
    entries = [
        EntryRow._make(row)
        for row in session.execute(
            select_columns(*ENTRY_COLUMNS)
            .where(col(CatalogueEntry.team_id) == team_id)
            .order_by(col(CatalogueEntry.name_key))
        )
    ]
    used: dict[int, set[int]] = defaultdict(set)
    for account_id, entry_id in session.execute(
        select_columns(col(AccountProduct.account_id), col(AccountProduct.entry_id)).where(
            col(AccountProduct.account_id).in_(scope)
        )
    ):
        used[account_id].add(entry_id)
    return entries, used


def _departments(
    session: Session, *, scope: Select[Any], today: date
) -> tuple[dict[int, tuple[Department, ...]], dict[int, tuple[DepartmentUsage, ...]]]:
    """Each account's known departments, by name (none known: absent, never an empty guess),
    and the active seats of each department's latest reading of the last 180 days (an account
    none of whose departments has one: absent, "no per-department usage"); a department with
    active seats there counts as using the product. One statement.
    Departments carry no headcount yet, so their estimate says it is unknown."""
    ranked = (
        select_columns(
            col(UsageReading.department_id).label("department_id"),
            col(UsageReading.seats_active).label("seats_active"),
            func.row_number()
            .over(
                partition_by=col(UsageReading.department_id),
                order_by=col(UsageReading.read_on).desc(),
            )
            .label("newest"),
        )
        .where(
            col(UsageReading.account_id).in_(scope),
            col(UsageReading.department_id).is_not(None),
            col(UsageReading.read_on) >= today - timedelta(days=OLDEST_DAYS),
            col(UsageReading.read_on) <= today,
        )
        .subquery("ranked")
    )
    found: dict[int, list[Department]] = defaultdict(list)
    used: dict[int, list[DepartmentUsage]] = defaultdict(list)
    for account_id, name, uses, seats in session.execute(
        select_columns(
            col(AccountDepartment.account_id),
            col(AccountDepartment.name),
            col(AccountDepartment.uses_product),
            ranked.c.seats_active,
        )
        .outerjoin(
            ranked,
            and_(ranked.c.department_id == col(AccountDepartment.id), ranked.c.newest == 1),
        )
        .where(col(AccountDepartment.account_id).in_(scope))
        .order_by(col(AccountDepartment.account_id), col(AccountDepartment.name_key))
    ):
        # a department with active seats in its latest reading uses the product, marked or not
        found[account_id].append(Department(name=name, uses_product=uses or bool(seats)))
        if seats is not None:
            used[account_id].append(DepartmentUsage(department=name, active_users=seats))
    return (
        {account_id: tuple(rows) for account_id, rows in found.items()},
        {account_id: tuple(rows) for account_id, rows in used.items()},
    )


def _notes(session: Session, *, scope: Select[Any]) -> dict[int, list[str]]:
    """The notes the team wrote on each account's active stakeholders: evidence for a module."""
    found: dict[int, list[str]] = defaultdict(list)
    for account_id, note in session.execute(
        select_columns(col(Stakeholder.account_id), col(Stakeholder.notes))
        .where(
            col(Stakeholder.account_id).in_(scope),
            col(Stakeholder.status) == StakeholderStatus.ACTIVE,
            col(Stakeholder.notes).is_not(None),
        )
        .order_by(col(Stakeholder.account_id), col(Stakeholder.id))
    ):
        if note.strip():
            found[account_id].append(note)
    return found


def measure_of(kind: HypothesisKind, facts: AccountFacts) -> int | None:
    """The evidence's number a dismissal is compared against: seat use in percent of the
    licence for the seat signal, the number of events for an event (none for other kinds)."""
    if kind is HypothesisKind.SEATS and facts.seats_licensed and facts.seats_active is not None:
        return facts.seats_active * 100 // facts.seats_licensed
    return None


def refresh_hypotheses(
    session: Session,
    *,
    team_id: str,
    inputs: Sequence[GrowthInput],
    today: date,
    scope: Select[Any] | None = None,
) -> dict[int, Expansion]:
    """Run the engine over `inputs` and keep what it finds: a new hypothesis is inserted
    (open, first seen today), one found again has its evidence, estimate, readiness and score
    brought up to date and its last-seen day moved (its status kept: a dismissal or a
    conversion outlives the refresh, until a dismissed one's evidence crosses its kind's
    threshold again: then it is open again, `comes_back`), one no longer found stays, no longer
    `current` (a red account is held: none of its hypotheses is current). At most five
    statements, whatever the number of accounts. `scope`, the accounts' subquery the inputs were
    read with (`refresh_accounts`), chooses their rows: a whole team's ids are never bound one
    value each; without it, the inputs' ids are (a view's few accounts)."""
    results = {i.facts.account_id: expansion(i.facts, i.setting) for i in inputs}
    if not results:
        return results
    chosen: Select[Any] | list[int] = list(results) if scope is None else scope
    table = ExpansionHypothesis.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    existing: dict[tuple[int, str, str], int] = {}
    dismissed: dict[int, int | None] = {}
    for row_id, account_id, kind, key, status, at_dismissal in session.execute(
        select_columns(
            col(ExpansionHypothesis.id),
            col(ExpansionHypothesis.account_id),
            col(ExpansionHypothesis.kind),
            col(ExpansionHypothesis.key),
            col(ExpansionHypothesis.status),
            col(ExpansionHypothesis.dismissed_measure),
        ).where(
            col(ExpansionHypothesis.team_id) == team_id,
            col(ExpansionHypothesis.account_id).in_(chosen),
        )
    ):
        existing[(account_id, kind, key)] = row_id
        if status == HypothesisStatus.DISMISSED:
            dismissed[row_id] = at_dismissal
    if existing:
        session.execute(
            update(table)
            .where(
                table.c.team_id == team_id,
                table.c.account_id.in_(chosen),
                table.c.current.is_(True),
            )
            .values(current=False)
        )
    new: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    back: list[int] = []
    for item in inputs:
        account_id = item.facts.account_id
        found = results[account_id]
        for hypothesis in (*found.hypotheses, *found.observations):
            measure = measure_of(hypothesis.kind, item.facts)
            values = {
                "evidence": hypothesis.evidence,
                "measure": measure,
                "estimate": hypothesis.estimate.amount,
                "no_estimate": None
                if hypothesis.estimate.amount is not None
                else (hypothesis.estimate.why_none or "")[:NO_ESTIMATE_LENGTH] or None,
                "currency": hypothesis.estimate.currency,
                "readiness": hypothesis.readiness.value,
                "score": hypothesis.score,
                "observation": hypothesis.observation,
                "current": True,
                "last_seen_on": today,
            }
            row_id = existing.get((account_id, hypothesis.kind.value, hypothesis.key))
            if row_id is None:
                new.append(
                    {
                        **values,
                        "team_id": team_id,
                        "account_id": account_id,
                        "kind": hypothesis.kind.value,
                        "key": hypothesis.key,
                        "status": HypothesisStatus.OPEN,
                        "first_seen_on": today,
                    }
                )
            else:
                seen.append({**values, "row_id": row_id})
                if row_id in dismissed and comes_back(measure, at_dismissal=dismissed[row_id]):
                    back.append(row_id)
    if new:  # another process refreshing the same account may have inserted some: skipped
        session.execute(skipping_insert(session, table), new)
    if seen:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(name) for name in seen[0] if name != "row_id"}),
            seen,
        )
    if back:  # still dismissed when the update runs: a dismissal made meanwhile is kept
        session.execute(
            update(table)
            .where(table.c.id.in_(back), table.c.status == HypothesisStatus.DISMISSED)
            .values(status=HypothesisStatus.OPEN)
        )
    return results


def comes_back(measure: int | None, *, at_dismissal: int | None) -> bool:
    """A dismissed hypothesis returns when its evidence's number is at least
    `SEAT_RETURN_POINTS` over the one it was dismissed at (only the seat signal has one; a kind
    keyed by its event returns as a new hypothesis when a newer event comes: `RETURNS`)."""
    return (
        measure is not None
        and at_dismissal is not None
        and measure >= at_dismissal + SEAT_RETURN_POINTS
    )


@dataclass(frozen=True, slots=True)
class StoredHypothesis:
    """A stored hypothesis as the growth view, the pipeline and the digests read it."""

    id: int
    account_id: int
    kind: HypothesisKind
    key: str
    evidence: str
    measure: int | None
    estimate: Any
    currency: str
    readiness: str
    score: int
    observation: bool
    status: HypothesisStatus
    first_seen_on: date
    last_seen_on: date
    no_estimate: str | None
    """Without an estimate, what is missing for one (None on one stored before it was kept)."""
    dismissed_reason: str | None = None
    dismissed_measure: int | None = None
    """Set on a dismissed one, and kept on one that came back (what it came back from)."""


def stored_hypotheses(
    session: Session, *, team_id: str, account_ids: Sequence[int] | Select[Any]
) -> dict[int, list[StoredHypothesis]]:
    """Each account's current hypotheses (seen on its latest refresh), hypotheses before
    observations, each best first (score, then estimate, kind and key): one statement. The
    accounts: some ids, or a subquery of them (an owner's or a team's, never bound one value
    per account)."""
    if isinstance(account_ids, Sequence) and not account_ids:
        return {}
    rows = session.execute(
        select_columns(
            *_STORED_COLUMNS,
            col(ExpansionHypothesis.dismissed_reason),
            col(ExpansionHypothesis.dismissed_measure),
        ).where(
            col(ExpansionHypothesis.team_id) == team_id,
            col(ExpansionHypothesis.account_id).in_(account_ids),
            col(ExpansionHypothesis.current).is_(True),
        )
    ).all()
    found: dict[int, list[StoredHypothesis]] = defaultdict(list)
    for row in rows:
        found[row[1]].append(StoredHypothesis(row[0], row[1], HypothesisKind(row[2]), *row[3:]))
    for hypotheses in found.values():
        hypotheses.sort(
            key=lambda h: (
                h.observation,
                -h.score,
                -(h.estimate if h.estimate is not None else -1),
                h.kind.value,
                h.key,
            )
        )
    return dict(found)


def refresh_accounts(
    session: Session,
    *,
    team_id: str,
    today: date,
    account_ids: Sequence[int] | None = None,
    owner_user_id: str | None = None,
) -> dict[int, Expansion]:
    """Read the chosen accounts' facts and refresh their stored hypotheses (the weekly run: a
    whole team; a view: one account or an owner's): a fixed number of statements."""
    inputs = growth_inputs(
        session,
        team_id=team_id,
        today=today,
        account_ids=account_ids,
        owner_user_id=owner_user_id,
    )
    scope = account_scope(team_id=team_id, account_ids=account_ids, owner_user_id=owner_user_id)
    return refresh_hypotheses(session, team_id=team_id, inputs=inputs, today=today, scope=scope)


TEAM_REFRESH = "hypotheses-refreshed:"
"""The key (`processed_request`, with the week's digest day) of a team's weekly refresh."""


def claim_team_refresh(session: Session, *, team_id: str, week: date) -> bool:
    """True for the first whole-team refresh of the week (`week`: its digest day), which then
    refreshes every account in the same transaction; False when it is done (or under way in
    another process, which holds the claim until it commits)."""
    return claim(session, team_id=team_id, key=_refresh_key(week))


def team_refreshed(session: Session, *, team_id: str, week: date) -> bool:
    """Whether the team's refresh of the week (`week`: its digest day) is done (claimed)."""
    return session.get(ProcessedRequest, (team_id, _refresh_key(week))) is not None


def _refresh_key(week: date) -> str:
    return f"{TEAM_REFRESH}{week.isoformat()}"


def not_refreshed(session: Session, *, team_id: str, scope: Select[Any]) -> list[int]:
    """The accounts in `scope` the engine has not run over yet: no stored hypothesis of any
    status, and made since the team's last weekly refresh began (every such account before the
    team's first). One with a refresh that found nothing may be among them: asking again costs
    it one more refresh, never a wrong "nothing found". One statement."""
    last = (
        select_columns(func.max(col(ProcessedRequest.created_at)))
        .where(
            col(ProcessedRequest.team_id) == team_id,
            col(ProcessedRequest.key).startswith(TEAM_REFRESH),
        )
        .scalar_subquery()
    )
    stored = select_columns(col(ExpansionHypothesis.id)).where(
        col(ExpansionHypothesis.account_id) == col(Account.id)
    )
    return list(
        session.scalars(
            select_columns(col(Account.id))
            .where(
                col(Account.id).in_(scope),
                ~stored.exists(),
                or_(last.is_(None), col(Account.created_at) >= last),
            )
            .order_by(col(Account.id))
        )
    )


def open_hypotheses(
    session: Session, *, team_id: str, account_ids: Sequence[int] | None = None
) -> dict[int, list[StoredHypothesis]]:
    """Each account's current, open hypotheses (never observations, nor dismissed or converted
    ones), best first, for a whole team (or some accounts): what the weekly digests say of
    growth (a green account's Growth section, the identified ARR, the new ones). One statement."""
    query = select_columns(*_STORED_COLUMNS).where(
        col(ExpansionHypothesis.team_id) == team_id,
        col(ExpansionHypothesis.current).is_(True),
        col(ExpansionHypothesis.observation).is_(False),
        col(ExpansionHypothesis.status) == HypothesisStatus.OPEN,
    )
    if account_ids is not None:
        query = query.where(col(ExpansionHypothesis.account_id).in_(account_ids))
    found: dict[int, list[StoredHypothesis]] = defaultdict(list)
    for row in session.execute(query):
        found[row[1]].append(StoredHypothesis(row[0], row[1], HypothesisKind(row[2]), *row[3:]))
    for hypotheses in found.values():
        hypotheses.sort(
            key=lambda h: (
                -h.score,
                -(h.estimate if h.estimate is not None else -1),
                h.kind.value,
                h.key,
            )
        )
    return dict(found)


_STORED_COLUMNS = (
    col(ExpansionHypothesis.id),
    col(ExpansionHypothesis.account_id),
    col(ExpansionHypothesis.kind),
    col(ExpansionHypothesis.key),
    col(ExpansionHypothesis.evidence),
    col(ExpansionHypothesis.measure),
    col(ExpansionHypothesis.estimate),
    col(ExpansionHypothesis.currency),
    col(ExpansionHypothesis.readiness),
    col(ExpansionHypothesis.score),
    col(ExpansionHypothesis.observation),
    col(ExpansionHypothesis.status),
    col(ExpansionHypothesis.first_seen_on),
    col(ExpansionHypothesis.last_seen_on),
    col(ExpansionHypothesis.no_estimate),
)
"""A `StoredHypothesis`'s columns, in its fields' order."""
