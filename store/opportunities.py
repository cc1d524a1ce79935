"""The opportunity record: a deal of an account (upsell, cross-sell, renewal), or a new logo of a
lead from a champion move, until it closes. Defined whole here so the deals work extends it:
type, name, amount and currency, close date, stage (with its probability; closed lost with its
reason), owner, next step with its date, trigger signal, business case, the people involved (of
the opportunity's own account), and the expansion hypothesis it came from. Every change is a
row of `opportunity_change`, written in the transaction of the change."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete
from sqlmodel import Session, col, select

from store.enums import OpportunityStage, OpportunityType
from store.errors import NotFound, StoreError, check_version
from store.models import (
    Account,
    ChampionLead,
    Opportunity,
    OpportunityChange,
    OpportunityStakeholder,
    Stakeholder,
    saved_id,
)
from store.names import NAME_LENGTH, clean_name
from store.types import utcnow

MAX_AMOUNT = Decimal("999999999999.99")
CREATED = "created"
STAKEHOLDERS = "stakeholders"
"""The history's field for the people involved (their ids, sorted), and the form's block."""
TRACKED = (
    "type",
    "name",
    "amount",
    "currency",
    "close_date",
    "stage",
    "lost_reason",
    "owner_user_id",
    "next_step",
    "next_step_on",
    "trigger_signal",
    "business_case",
    "hypothesis_kind",
    "hypothesis_key",
)
"""The fields whose every change is remembered (and the form's block ids)."""


class OpportunityRefused(StoreError):
    """An opportunity the record's rules refuse; `field` names the input at fault."""


class OpportunityValues(BaseModel):
    """An opportunity as saved. The form checks each input; this checks what holds them
    together (closed lost needs its reason, a next step's date needs the step, a hypothesis is
    its kind and key), and the store what needs the database (the account or lead, the people)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    type: OpportunityType
    name: Annotated[str, Field(min_length=1, max_length=NAME_LENGTH)]
    amount: Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, decimal_places=2)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    close_date: date
    stage: OpportunityStage = OpportunityStage.PROSPECT
    lost_reason: Annotated[str | None, Field(max_length=500)] = None
    owner_user_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,32}$")]
    next_step: Annotated[str | None, Field(max_length=500)] = None
    next_step_on: date | None = None
    trigger_signal: Annotated[str | None, Field(max_length=500)] = None
    business_case: Annotated[str | None, Field(max_length=3000)] = None
    hypothesis_kind: Annotated[str | None, Field(max_length=32)] = None
    hypothesis_key: Annotated[str | None, Field(max_length=200)] = None
    stakeholder_ids: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _whole(self) -> OpportunityValues:
        if self.stage is OpportunityStage.CLOSED_LOST and not self.lost_reason:
            raise OpportunityRefused("Say why it was lost.", field="lost_reason")
        if self.next_step_on is not None and not self.next_step:
            raise OpportunityRefused("Say what the next step is.", field="next_step")
        if (self.hypothesis_kind is None) != (self.hypothesis_key is None):
            raise ValueError("a hypothesis is its kind and its key together")
        return self


def field_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def record_change(
    session: Session,
    opportunity: Opportunity,
    *,
    field: str,
    old: str | None,
    new: str | None,
    by_user_id: str | None,
) -> None:
    session.add(
        OpportunityChange(
            team_id=opportunity.team_id,
            opportunity_id=saved_id(opportunity.id),
            field=field,
            old_value=old,
            new_value=new,
            changed_by_user_id=by_user_id,
            changed_at=utcnow(),
        )
    )


def _check_people(
    session: Session, *, team_id: str, account_id: int | None, stakeholder_ids: Sequence[int]
) -> None:
    """The people involved are on the opportunity's own account's map (a lead has no map)."""
    if not stakeholder_ids:
        return
    if account_id is None:
        raise OpportunityRefused(
            "A new logo has no map yet: involve people once its account exists.",
            field=STAKEHOLDERS,
        )
    found = session.exec(
        select(Stakeholder.id).where(
            col(Stakeholder.id).in_(stakeholder_ids),
            col(Stakeholder.team_id) == team_id,
            col(Stakeholder.account_id) == account_id,
        )
    ).all()
    if len(set(found)) != len(set(stakeholder_ids)):
        raise OpportunityRefused(
            "Pick people on this account's map: someone picked is not.", field=STAKEHOLDERS
        )


def _check_owner(
    session: Session, *, team_id: str, account_id: int | None, lead_id: int | None
) -> None:
    """Exactly one of an account and a lead, of this team."""
    if (account_id is None) == (lead_id is None):
        raise ValueError("an opportunity belongs to an account or to a lead, exactly one")
    row = (
        session.get(Account, account_id)
        if account_id is not None
        else session.get(ChampionLead, lead_id)
    )
    if row is None or row.team_id != team_id:
        raise NotFound("That account or lead no longer exists.")


def lead_customer(session: Session, *, team_id: str, lead_id: int) -> Account | None:
    """The team's account the lead's company is already: the one made from the lead, or a live
    account of the company's name (by its key). Such a lead takes no new logo."""
    lead = session.get(ChampionLead, lead_id)
    if lead is None or lead.team_id != team_id:
        return None
    if lead.converted_account_id is not None:
        made = session.get(Account, lead.converted_account_id)
        if made is not None and not made.archived:
            return made
    return session.exec(
        select(Account).where(
            col(Account.team_id) == team_id,
            col(Account.name_key) == lead.company_key,
            col(Account.archived).is_(False),
        )
    ).first()


def new_logo_refusal(account: Account) -> str:
    """Why a lead whose company is the team's account `account` takes no new logo."""
    return (
        f"{account.name} is one of the team's accounts already: a deal there is an upsell or "
        f"cross-sell, turned from its growth view (`/account {account.name} grow`), not a new logo."
    )


def _check_type(values: OpportunityValues, *, lead_id: int | None) -> None:
    if (values.type is OpportunityType.NEW_LOGO) != (lead_id is not None):
        raise OpportunityRefused(
            "A new logo belongs to a lead; an account's deal is an upsell, cross-sell or renewal.",
            field="type",
        )


def create_opportunity(
    session: Session,
    *,
    team_id: str,
    values: OpportunityValues,
    by_user_id: str | None,
    account_id: int | None = None,
    lead_id: int | None = None,
) -> Opportunity:
    """Open an opportunity on an account, or (a new logo) on a lead, with its people; its
    history starts with every field it was created with."""
    _check_owner(session, team_id=team_id, account_id=account_id, lead_id=lead_id)
    _check_type(values, lead_id=lead_id)
    if lead_id is not None and (
        customer := lead_customer(session, team_id=team_id, lead_id=lead_id)
    ):
        raise OpportunityRefused(new_logo_refusal(customer), field="name")
    _check_people(
        session, team_id=team_id, account_id=account_id, stakeholder_ids=values.stakeholder_ids
    )
    now = utcnow()
    fields = values.model_dump(exclude={"stakeholder_ids"})
    fields["name"] = clean_name(values.name)
    opportunity = Opportunity(
        team_id=team_id,
        account_id=account_id,
        lead_id=lead_id,
        created_by_user_id=by_user_id,
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(opportunity)
    session.flush()
    for person_id in sorted(set(values.stakeholder_ids)):
        session.add(
            OpportunityStakeholder(
                opportunity_id=saved_id(opportunity.id), stakeholder_id=person_id, team_id=team_id
            )
        )
    snapshot = {field: field_text(getattr(opportunity, field)) for field in TRACKED}
    snapshot[STAKEHOLDERS] = _people_text(values.stakeholder_ids)
    record_change(
        session,
        opportunity,
        field=CREATED,
        old=None,
        new=json.dumps(snapshot),
        by_user_id=by_user_id,
    )
    return opportunity


def _people_text(ids: Sequence[int]) -> str | None:
    return ",".join(str(i) for i in sorted(set(ids))) or None


def get_opportunity(session: Session, *, team_id: str, opportunity_id: int) -> Opportunity:
    """The team's opportunity; another team's (or none) is not found."""
    opportunity = session.get(Opportunity, opportunity_id)
    if opportunity is None or opportunity.team_id != team_id:
        raise NotFound("That opportunity no longer exists.")
    return opportunity


def involved(session: Session, *, opportunity_id: int) -> list[int]:
    """The ids of the people involved in an opportunity."""
    return sorted(
        session.exec(
            select(OpportunityStakeholder.stakeholder_id).where(
                col(OpportunityStakeholder.opportunity_id) == opportunity_id
            )
        ).all()
    )


def update_opportunity(
    session: Session,
    *,
    team_id: str,
    opportunity_id: int,
    values: OpportunityValues,
    by_user_id: str | None,
    expected_version: int | None = None,
) -> Opportunity:
    """Save an edited opportunity: each changed field (and the people involved) is one history
    row. Opened on an older version, it is refused rather than overwriting someone's change."""
    opportunity = get_opportunity(session, team_id=team_id, opportunity_id=opportunity_id)
    check_version(expected_version, opportunity.version, what=opportunity.name, field="name")
    _check_type(values, lead_id=opportunity.lead_id)
    _check_people(
        session,
        team_id=team_id,
        account_id=opportunity.account_id,
        stakeholder_ids=values.stakeholder_ids,
    )
    new = values.model_dump(exclude={"stakeholder_ids"})
    new["name"] = clean_name(values.name)
    changed = False
    for field in TRACKED:
        old, value = field_text(getattr(opportunity, field)), field_text(new[field])
        if old != value:
            record_change(
                session, opportunity, field=field, old=old, new=value, by_user_id=by_user_id
            )
            setattr(opportunity, field, new[field])
            changed = True
    before = involved(session, opportunity_id=opportunity_id)
    after = sorted(set(values.stakeholder_ids))
    if before != after:
        session.execute(
            delete(OpportunityStakeholder).where(
                col(OpportunityStakeholder.opportunity_id) == opportunity_id
            )
        )
        for person_id in after:
            session.add(
                OpportunityStakeholder(
                    opportunity_id=opportunity_id, stakeholder_id=person_id, team_id=team_id
                )
            )
        record_change(
            session,
            opportunity,
            field=STAKEHOLDERS,
            old=_people_text(before),
            new=_people_text(after),
            by_user_id=by_user_id,
        )
        changed = True
    if changed:
        opportunity.updated_at = utcnow()
        opportunity.version += 1
    return opportunity


def opportunity_history(
    session: Session, *, team_id: str, opportunity_id: int
) -> list[OpportunityChange]:
    """Every change of one opportunity, oldest first."""
    return list(
        session.exec(
            select(OpportunityChange)
            .where(
                col(OpportunityChange.team_id) == team_id,
                col(OpportunityChange.opportunity_id) == opportunity_id,
            )
            .order_by(col(OpportunityChange.changed_at), col(OpportunityChange.id))
        ).all()
    )


def lead_opportunities(
    session: Session, *, team_id: str, lead_ids: Sequence[int]
) -> dict[int, list[Opportunity]]:
    """The leads' opportunities (their new logos), each lead's oldest first: one statement for
    any number of leads."""
    found: dict[int, list[Opportunity]] = {}
    if not lead_ids:
        return found
    for opportunity in session.exec(
        select(Opportunity)
        .where(col(Opportunity.team_id) == team_id, col(Opportunity.lead_id).in_(lead_ids))
        .order_by(col(Opportunity.id))
    ):
        found.setdefault(opportunity.lead_id or 0, []).append(opportunity)
    return found
