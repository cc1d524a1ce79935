"""Leads from champion moves in Slack: `/account leads` (the whole team's), "Log outreach", the
account made from a lead (its person then offered as the first stakeholder), and the
Opportunity form of a lead's new logo. The forms' typed contents are here too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form, required_name
from commands.people_forms import MAX_YEARS_BACK
from commands.replies import AskedCommand
from commands.request import Request
from commands.submissions import save_submission
from commands.ui.delivery import answer_privately
from commands.ui.fields import CURRENCIES, NAME, SLACK_ID, TEXT
from commands.ui.ids import OpportunityField, OutreachField
from commands.ui.values import STALE_FORM, LeadValue, ModalMeta
from commands.ui.views.blocks import Block
from commands.ui.views.leads import NEXT_STEP, leads_blocks, person_offer
from store.champion_leads import get_lead, lead_rows, log_outreach
from store.db import Database
from store.deals import is_open
from store.enums import OpportunityStage, OpportunityType
from store.errors import NotFound
from store.models import Account, saved_id
from store.opportunities import (
    MAX_AMOUNT,
    OpportunityValues,
    create_opportunity,
    get_opportunity,
    lead_opportunities,
    update_opportunity,
)

OF = OpportunityField


def leads_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    """`/account leads`: every lead of the team by new company (anyone on the team: a former
    champion is a person we know, not a customer's internals): four statements whatever the
    number of leads (the leads, the accounts their companies name, the outreaches, the deals)."""
    with request.db.reading() as session:
        leads = lead_rows(session, team_id=request.team_id)
        deals = lead_opportunities(
            session, team_id=request.team_id, lead_ids=[lead.id for lead in leads]
        )
    return leads_blocks(leads, deals, today=request.today)


class OutreachForm(BaseModel):
    """An outreach as typed: its date (not in the future) and what happened."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    outreach_date: date
    outreach_note: Annotated[str, Field(min_length=1, max_length=TEXT)]

    @field_validator("outreach_date")
    @classmethod
    def _not_ahead(cls, value: date, info: ValidationInfo) -> date:
        today = (info.context or {}).get("today")
        if today is not None and value > today:
            raise ValueError("The outreach cannot be in the future.")
        return value


def save_outreach(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Record an outreach to the lead the form names (the team's own: another team's is not
    found, nothing written); an open lead becomes contacted."""

    def write(session: Session) -> int:
        if value.lead_id is None:
            raise NotFound(STALE_FORM, field=OutreachField.DATE)
        form = parse_form(OutreachForm, view, today=today)
        outreach = log_outreach(
            session,
            team_id=access.team_id,
            lead_id=value.lead_id,
            on=form.outreach_date,
            note=form.outreach_note,
            today=today,
            by_user_id=access.user_id,
        )
        session.flush()
        return outreach.lead_id

    if value.lead_id is None:
        ack(response_action="errors", errors={OutreachField.DATE: STALE_FORM})
        return
    lead_id = save_submission(
        ack, body=body, db=db, write=write, access=access, default_block=OutreachField.DATE
    )
    if lead_id is not None:
        _answer(db, value, access, today=today)


def _answer(db: Database, meta: ModalMeta, access: Access, *, today: date) -> None:
    """Redraw `/account leads` where it was asked, with the change in it."""
    if not meta.response_url:
        return
    with db.reading() as session:
        leads = lead_rows(session, team_id=access.team_id)
        deals = lead_opportunities(
            session, team_id=access.team_id, lead_ids=[lead.id for lead in leads]
        )
    blocks = leads_blocks(leads, deals, today=today)
    answer_privately(meta.response_url, blocks, client=access.client, replace_original=True)


def offer_person(db: Database, meta: ModalMeta, access: Access) -> None:
    """After the account form made an account from a lead: offer its person as the account's
    first stakeholder, where the user was (the form's response URL)."""
    if meta.lead_id is None or not meta.response_url:
        return
    with db.reading() as session:
        lead = get_lead(session, team_id=access.team_id, lead_id=meta.lead_id)
        blocks = person_offer(
            person=lead.person_name,
            company=lead.company,
            value=LeadValue.write(lead_id=meta.lead_id),
        )
    answer_privately(meta.response_url, blocks, client=access.client, replace_original=False)


def _amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("The amount must be a number.")
    if value < 0:
        raise ValueError("The amount cannot be negative.")
    if value > MAX_AMOUNT:
        raise ValueError("The amount is too large.")
    return value.quantize(Decimal("0.01"))


class OpportunityForm(BaseModel):
    """An opportunity as typed (the form's block ids); checked as revenue figures are: an
    amount not negative, one of the bot's currencies; an open deal's close date not past; its
    dates within ten years of today."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: Annotated[str, Field(max_length=NAME)]
    amount: Decimal
    currency: str = "USD"
    close_date: date
    stage: OpportunityStage
    lost_reason: Annotated[str | None, Field(max_length=NEXT_STEP)] = None
    owner_user_id: Annotated[str, Field(pattern=SLACK_ID)]
    next_step: Annotated[str | None, Field(max_length=NEXT_STEP)] = None
    next_step_on: date | None = None
    trigger_signal: Annotated[str | None, Field(max_length=NEXT_STEP)] = None
    business_case: Annotated[str | None, Field(max_length=TEXT)] = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return required_name(value, "Give the deal a name.")

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: Decimal) -> Decimal:
        return _amount(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value.upper() not in CURRENCIES:
            raise ValueError(f"Pick one of {', '.join(CURRENCIES)}.")
        return value.upper()

    def refusals(self, today: date) -> dict[str, str]:
        """What holds the fields together, said beside the field at fault."""
        errors: dict[str, str] = {}
        if self.stage is OpportunityStage.CLOSED_LOST and not self.lost_reason:
            errors[OF.LOST_REASON] = "Say why it was lost."
        far = timedelta(days=365 * MAX_YEARS_BACK)
        for field, day in ((OF.CLOSE_DATE, self.close_date), (OF.NEXT_STEP_ON, self.next_step_on)):
            if day is not None and not today - far <= day <= today + far:
                errors[field] = f"Pick a day within {MAX_YEARS_BACK} years of today."
        if is_open(self.stage) and self.close_date < today:
            errors.setdefault(OF.CLOSE_DATE, "An open deal's close date cannot be in the past.")
        if self.next_step_on is not None and not self.next_step:
            errors[OF.NEXT_STEP] = "Say what the next step is."
        return errors


Typed = TypeVar("Typed", bound=OpportunityForm)


def typed_opportunity(
    model: type[Typed], view: dict[str, Any], *, today: date, ack: Callable[..., None]
) -> Typed | None:
    """The Opportunity form as typed, or None once its refusals are acked beside their fields
    (each input's, then what holds them together)."""
    try:
        form = parse_form(model, view)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return None
    if errors := form.refusals(today):
        ack(response_action="errors", errors=errors)
        return None
    return form


def save_opportunity(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Create a lead's new-logo opportunity, or save one edited (refused if changed since the
    form opened). An account's deals come with the deals work: a form naming an account, or no
    lead, is refused whole, nothing written."""
    if value.account_id is not None or value.lead_id is None:
        ack(response_action="errors", errors={OF.NAME: STALE_FORM})
        return
    lead_id = value.lead_id
    form = typed_opportunity(OpportunityForm, view, today=today, ack=ack)
    if form is None:
        return
    values = OpportunityValues(type=OpportunityType.NEW_LOGO, **form.model_dump())

    def write(session: Session) -> int:
        get_lead(session, team_id=access.team_id, lead_id=lead_id)
        if value.opportunity_id is None:
            made = create_opportunity(
                session,
                team_id=access.team_id,
                values=values,
                by_user_id=access.user_id,
                lead_id=lead_id,
            )
            return saved_id(made.id)
        edited = get_opportunity(
            session, team_id=access.team_id, opportunity_id=value.opportunity_id
        )
        if edited.lead_id != lead_id:  # a form naming one lead and another's deal
            raise NotFound(STALE_FORM, field=OF.NAME)
        update_opportunity(
            session,
            team_id=access.team_id,
            opportunity_id=value.opportunity_id,
            values=values,
            by_user_id=access.user_id,
            expected_version=value.version,
        )
        return saved_id(edited.id)

    if save_submission(ack, body=body, db=db, write=write, access=access, default_block=OF.NAME):
        _answer(db, value, access, today=today)
