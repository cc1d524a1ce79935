"""Leads from champion moves: a champion or sponsor who departs for a known company becomes a
lead for the team (`/account leads`), in the transaction of the departure, whatever path marked
it (the departure form, an edit, an import, the demo). One lead per person: departing again or
editing the departure updates it. (`store/leads.py` is another thing: the team's leads, people.)

Also the champion promotions the expansion rules read: a title changed on an active champion or
sponsor, from the map's history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy import select as select_columns
from sqlalchemy import true as sa_true
from sqlmodel import Session, col, select

from store.enums import LeadStatus, Role, StakeholderStatus
from store.errors import NotFound, StoreError
from store.expansion import Promotion
from store.models import (
    Account,
    ChampionLead,
    LeadOutreach,
    Stakeholder,
    StakeholderChange,
    saved_id,
)
from store.names import name_key
from store.types import utcnow
from store.unique import inserted_once

LEAD_ROLES = (Role.CHAMPION, Role.ECONOMIC_BUYER, Role.EXECUTIVE_SPONSOR)
"""The roles whose move to another company is a lead: they bought from us, or made us bought."""
OUTREACH_DATE = "outreach_date"
OUTREACH_NOTE = "outreach_note"
"""The outreach form's block ids: a refusal names the input at fault."""
OUTREACH_BACK_DAYS = 3650


class LeadRefused(StoreError):
    """A lead change the rules refuse (a date in the future, a lead already converted)."""


def _championed_from(session: Session, person: Stakeholder) -> date:
    """The day the person last took one of the lead roles, from the map's history: their last
    role change into one, else the day they were put on the map."""
    changes = session.exec(
        select(StakeholderChange)
        .where(
            col(StakeholderChange.stakeholder_id) == saved_id(person.id),
            col(StakeholderChange.field) == "role",
        )
        .order_by(col(StakeholderChange.changed_at), col(StakeholderChange.id))
    ).all()
    since = person.created_at.date()
    roles = {role.value for role in LEAD_ROLES}
    for change in changes:
        if change.new_value in roles and change.old_value not in roles:
            since = change.changed_at.date()
    return since


def lead_from_departure(session: Session, *, person: Stakeholder) -> ChampionLead | None:
    """The person's lead, made or brought up to date, when they departed from a lead role for a
    known company; None otherwise. A converted or dismissed lead keeps its status."""
    company = (person.left_for_company or "").strip()
    if (
        person.status is not StakeholderStatus.DEPARTED
        or person.role not in LEAD_ROLES
        or not company
    ):
        return None
    person_id = saved_id(person.id)
    now = utcnow()
    facts: dict[str, Any] = {
        "person_name": person.name,
        "title": person.left_for_title,
        "role": person.role,
        "company": company,
        "company_key": name_key(company),
        "championed_to": person.departed_on or now.date(),
    }
    existing = _lead_of(session, person_id)
    if existing is None:
        lead = ChampionLead(
            team_id=person.team_id,
            account_id=person.account_id,
            stakeholder_id=person_id,
            championed_from=_championed_from(session, person),
            created_at=now,
            updated_at=now,
            **facts,
        )
        if inserted_once(session, lead):
            return lead
        existing = _lead_of(session, person_id)  # made a moment ago by another departure
        if existing is None:
            raise LookupError(f"the lead of stakeholder {person_id} was refused and is not there")
    for field, value in facts.items():
        setattr(existing, field, value)
    existing.updated_at = now
    existing.version += 1
    return existing


def _lead_of(session: Session, stakeholder_id: int) -> ChampionLead | None:
    return session.exec(
        select(ChampionLead).where(col(ChampionLead.stakeholder_id) == stakeholder_id)
    ).first()


def get_lead(session: Session, *, team_id: str, lead_id: int) -> ChampionLead:
    """The team's lead; another team's (or none) is not found."""
    lead = session.get(ChampionLead, lead_id)
    if lead is None or lead.team_id != team_id:
        raise NotFound("That lead no longer exists.")
    return lead


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead as `/account leads` shows it: the person, their new company and whether it is
    already one of the team's accounts, where they championed us and for how long."""

    id: int
    person_name: str
    title: str | None
    role: Role
    company: str
    status: LeadStatus
    from_account_id: int
    from_account: str
    championed_from: date
    championed_to: date
    account_id: int | None
    """The team's account named as the new company (by name key), if there is one."""
    account_name: str | None
    outreaches: int
    last_outreach: date | None

    @property
    def championed_days(self) -> int:
        return max((self.championed_to - self.championed_from).days, 0)


def lead_rows(session: Session, *, team_id: str, lead_id: int | None = None) -> list[LeadRow]:
    """Every lead of the team (or the one `lead_id`) by new company then person: three
    statements whatever their number (the leads with their former account, the accounts their
    companies name, the outreaches)."""
    rows = session.execute(
        select(ChampionLead, Account.name)
        .join(Account, col(Account.id) == col(ChampionLead.account_id))
        .where(
            col(ChampionLead.team_id) == team_id,
            col(ChampionLead.id) == lead_id if lead_id is not None else sa_true(),
        )
        .order_by(
            col(ChampionLead.company_key), col(ChampionLead.person_name), col(ChampionLead.id)
        )
    ).all()
    keys = {lead.company_key for lead, _ in rows}
    accounts = {
        key: (account_id, name)
        for account_id, name, key in session.execute(
            select(Account.id, Account.name, Account.name_key).where(
                col(Account.team_id) == team_id, col(Account.name_key).in_(keys)
            )
        )
    }
    ids = [saved_id(lead.id) for lead, _ in rows]
    reached = {
        lead_id: (count, last)
        for lead_id, count, last in session.execute(
            select(LeadOutreach.lead_id, func.count(), func.max(LeadOutreach.reached_on))
            .where(col(LeadOutreach.lead_id).in_(ids))
            .group_by(col(LeadOutreach.lead_id))
        )
    }
    found = []
    for lead, from_name in rows:
        account = accounts.get(lead.company_key)
        count, last = reached.get(saved_id(lead.id), (0, None))
        found.append(
            LeadRow(
                id=saved_id(lead.id),
                person_name=lead.person_name,
                title=lead.title,
                role=lead.role,
                company=lead.company,
                status=lead.status,
                from_account_id=lead.account_id,
                from_account=from_name,
                championed_from=lead.championed_from,
                championed_to=lead.championed_to,
                account_id=account[0] if account else None,
                account_name=account[1] if account else None,
                outreaches=count,
                last_outreach=last,
            )
        )
    return found


def log_outreach(
    session: Session,
    *,
    team_id: str,
    lead_id: int,
    on: date,
    note: str,
    today: date,
    by_user_id: str | None,
) -> LeadOutreach:
    """Record an outreach to a lead; an open lead becomes contacted. A date in the future, or
    more than ten years back, is refused."""
    if on > today:
        raise LeadRefused("The outreach cannot be in the future.", field=OUTREACH_DATE)
    if (today - on).days > OUTREACH_BACK_DAYS:
        raise LeadRefused("The outreach is more than ten years back.", field=OUTREACH_DATE)
    if not note.strip():
        raise LeadRefused("Say what happened.", field=OUTREACH_NOTE)
    lead = get_lead(session, team_id=team_id, lead_id=lead_id)
    outreach = LeadOutreach(
        team_id=team_id, lead_id=lead_id, reached_on=on, note=note.strip(), by_user_id=by_user_id
    )
    session.add(outreach)
    if lead.status is LeadStatus.OPEN:
        lead.status = LeadStatus.CONTACTED
        lead.updated_at = utcnow()
        lead.version += 1
    return outreach


def convert_lead(session: Session, *, team_id: str, lead_id: int, account_id: int) -> ChampionLead:
    """Mark the lead converted: its company is now the team's account `account_id`. A lead
    converted already (two *Create account* forms open at once) is refused, so the second form
    makes no second account."""
    lead = get_lead(session, team_id=team_id, lead_id=lead_id)
    if lead.converted_account_id is not None and lead.converted_account_id != account_id:
        made = session.get(Account, lead.converted_account_id)
        named = f": {made.name}" if made is not None else ""
        raise LeadRefused(f"An account was made from this lead already{named}.", field="name")
    account = session.get(Account, account_id)
    if account is None or account.team_id != team_id:
        raise NotFound("That account no longer exists.")
    lead.status = LeadStatus.CONVERTED
    lead.converted_account_id = account_id
    lead.updated_at = utcnow()
    lead.version += 1
    return lead


def champion_promotions(
    session: Session, *, team_id: str, account_ids: Collection[int] | Select[Any], since: date
) -> dict[int, list[Promotion]]:
    """Each account's champions and sponsors promoted since `since`: a title changed (from one
    title to another, not the same one retyped in other case or spacing) on a person who is
    active and holds a lead role now. The accounts: some ids, or a subquery of them (a whole
    team's). One statement for any number of accounts."""
    if isinstance(account_ids, Collection) and not account_ids:
        return {}
    rows = session.execute(
        select_columns(
            col(StakeholderChange.account_id),
            col(Stakeholder.name),
            col(StakeholderChange.old_value),
            col(StakeholderChange.new_value),
            col(StakeholderChange.changed_at),
        )
        .join(Stakeholder, col(Stakeholder.id) == col(StakeholderChange.stakeholder_id))
        .where(
            col(StakeholderChange.team_id) == team_id,
            col(StakeholderChange.account_id).in_(account_ids),
            col(StakeholderChange.field) == "title",
            col(StakeholderChange.old_value).is_not(None),
            col(StakeholderChange.new_value).is_not(None),
            col(StakeholderChange.changed_at) >= datetime.combine(since, time(), UTC),
            col(Stakeholder.status) == StakeholderStatus.ACTIVE,
            col(Stakeholder.role).in_(LEAD_ROLES),
        )
        .order_by(col(StakeholderChange.changed_at), col(StakeholderChange.id))
    ).all()
    found: dict[int, list[Promotion]] = defaultdict(list)
    for account_id, name, old, new, at in rows:
        if name_key(old) == name_key(new):  # the same title retyped (case, spaces): no promotion
            continue
        found[account_id].append(Promotion(name=name, old_title=old, new_title=new, on=at.date()))
    return dict(found)


def leads_since(
    session: Session,
    *,
    team_id: str,
    since: datetime,
    until: datetime,
    account_ids: Sequence[int] | None = None,
) -> dict[int, list[str]]:
    """The leads made from champion moves between `since` and `until`, by the account they
    championed us at, oldest first, each in words (`Lucius Fox left for Gotham Biotech`): the
    portfolio digest's leads of the week. One statement."""
    query = (
        select_columns(
            col(ChampionLead.account_id), col(ChampionLead.person_name), col(ChampionLead.company)
        )
        .where(
            col(ChampionLead.team_id) == team_id,
            col(ChampionLead.created_at) >= since,
            col(ChampionLead.created_at) < until,
        )
        .order_by(col(ChampionLead.created_at), col(ChampionLead.id))
    )
    if account_ids is not None:
        query = query.where(col(ChampionLead.account_id).in_(account_ids))
    found: dict[int, list[str]] = defaultdict(list)
    for account_id, person, company in session.execute(query):
        found[account_id].append(f"{person} left for {company}")
    return dict(found)
