"""An account's deals in Slack: `/account Acme deals` (and the card's *Deals*), "Add deal" and
Edit (the Opportunity form of an account's deal), *Move stage* (the exit criteria of the stages
passed, each met or skipped with a reason) and *MEDDIC / score*. The forms' typed contents are
here too; the rules are `store.deals`'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form
from commands.growth import AccountOpportunityForm
from commands.replies import AskedCommand, send_blocks
from commands.request import Request
from commands.submissions import save_submission
from commands.ui.delivery import DEFAULT_TIMEOUT, webhook
from commands.ui.ids import OpportunityField as OF
from commands.ui.ids import QualifyField, StageField
from commands.ui.ids import View as F
from commands.ui.text import fallback_text
from commands.ui.values import (
    STALE_FORM,
    AccountValue,
    DealStageValue,
    DealValue,
    ModalMeta,
    PayloadId,
)
from commands.ui.views.blocks import Block
from commands.ui.views.deals import deals_blocks, qualify_form, stage_form
from commands.ui.views.leads import NEXT_STEP, opportunity_form
from store.accounts import get_account
from store.db import Database
from store.deals import (
    Qualification,
    account_deal,
    account_deals,
    is_forward,
    is_open,
    move_stage,
    qualify,
)
from store.enums import (
    OPEN_STAGE_ORDER,
    ExitCriterion,
    OpportunityStage,
    OpportunityType,
    Role,
    StakeholderStatus,
)
from store.errors import NotFound
from store.models import Account, saved_id
from store.opportunities import (
    OpportunityValues,
    create_opportunity,
    involved,
    update_opportunity,
)
from store.stakeholders import list_stakeholders

GONE = "That account no longer exists."
ACCOUNT_TYPES = (OpportunityType.UPSELL, OpportunityType.CROSS_SELL, OpportunityType.RENEWAL)
FORM_STAGES = (*OPEN_STAGE_ORDER, OpportunityStage.CLOSED_LOST)
"""What the Opportunity form of an account's deal offers: a new deal starts at an open stage;
an edited one moves back, or is lost; forward is *Move stage* (its exit criteria); closing won
is a later step."""
MOVE_ON = "Move it forward with *Move stage* on /account deals: its exit criteria are asked there."


def deals_of(session: Session, *, team_id: str, account_id: int, today: date) -> list[Block] | None:
    """`/account Acme deals`: two statements (the account with its deals, the map's names)."""
    account = get_account(session, team_id=team_id, account_id=account_id)
    if account is None:
        return None
    deals = account_deals(session, team_id=team_id, account_id=account_id)
    people = {
        saved_id(p.id): p.name
        for p in list_stakeholders(session, team_id=team_id, account_id=account_id)
    }
    return deals_blocks(
        account_id=account_id, account_name=account.name, deals=deals, people=people, today=today
    )


def deals_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    """`/account Acme deals`, privately."""
    assert account is not None
    with request.db.reading() as session:
        blocks = deals_of(
            session, team_id=request.team_id, account_id=saved_id(account.id), today=request.today
        )
    if blocks is None:
        raise NotFound(GONE)
    return blocks


def show_deals(
    value: AccountValue, respond: Callable[..., Any], db: Database, today: date, access: Access
) -> None:
    """The card's *Deals*: the same list, below the card."""
    with db.reading() as session:
        blocks = deals_of(session, team_id=access.team_id, account_id=value.account_id, today=today)
    send_blocks(respond, blocks, missing=GONE, replace_original=False)


def _redraw(db: Database, meta: ModalMeta, access: Access, *, today: date) -> None:
    """After a save: the account's deals, in place of the list the form came from, or (from
    the card) below it."""
    if not meta.response_url or meta.account_id is None:
        return
    with db.reading() as session:
        blocks = deals_of(session, team_id=access.team_id, account_id=meta.account_id, today=today)
    if blocks is None:
        return
    timeout = access.client.timeout if access.client else DEFAULT_TIMEOUT
    webhook(meta.response_url, timeout=timeout).send(
        text=fallback_text(blocks),
        blocks=blocks,
        response_type="ephemeral",
        replace_original=meta.replace_deals,
    )


def _people(session: Session, request: Request, account_id: int) -> list[tuple[int, str, Role]]:
    return [
        (saved_id(p.id), p.name, p.role)
        for p in list_stakeholders(session, team_id=request.team_id, account_id=account_id)
        if p.status is StakeholderStatus.ACTIVE
    ]


# -- add and edit --------------------------------------------------------------------------------


def add_deal(session: Session, value: AccountValue, request: Request) -> dict[str, Any] | str:
    """ "Add deal": the account's Opportunity form, empty, with its type and people."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return GONE
    meta = ModalMeta(account_id=value.account_id, response_url=request.response_url)
    return opportunity_form(
        meta=meta,
        about=f"A deal of {account.name}.",
        owner=request.user_id,
        currency=account.currency,
        people=[(i, name) for i, name, _ in _people(session, request, value.account_id)],
        callback_id=F.DEAL_FORM,
        types=ACCOUNT_TYPES,
        stages=OPEN_STAGE_ORDER,
    )


def edit_deal(session: Session, value: DealValue, request: Request) -> dict[str, Any] | str:
    """A deal's Edit: its Opportunity form filled in (a new logo is edited on `/account leads`)."""
    try:
        deal = account_deal(
            session,
            team_id=request.team_id,
            account_id=value.account_id,
            opportunity_id=value.opportunity_id,
        )
    except NotFound as gone:
        return gone.message
    meta = ModalMeta(
        account_id=value.account_id,
        opportunity_id=value.opportunity_id,
        version=deal.version,
        response_url=request.response_url,
        replace_deals=True,
    )
    return opportunity_form(
        meta=meta,
        about=f"A deal of this account, at {deal.stage.value.replace('_', ' ')}.",
        owner=request.user_id,
        currency=deal.currency,
        current=deal,
        people=[(i, name) for i, name, _ in _people(session, request, value.account_id)],
        chosen=involved(session, opportunity_id=value.opportunity_id),
        callback_id=F.DEAL_FORM,
        types=ACCOUNT_TYPES if deal.type in ACCOUNT_TYPES else (),
        stages=FORM_STAGES if is_open(deal.stage) else tuple(OpportunityStage),
    )


class DealForm(AccountOpportunityForm):
    """An account's deal as typed: the opportunity's inputs, its people, and its type."""

    type: OpportunityType


def save_deal(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Create the account's deal, or save one edited (refused if changed since the form opened,
    and a stage moved forward here: that is *Move stage*, with its criteria). Bad input (a
    negative amount, an open deal's close date past, someone of another account) is refused
    beside its field, nothing written."""
    account_id = value.account_id
    if account_id is None:
        ack(response_action="errors", errors={OF.NAME: STALE_FORM})
        return
    try:
        form = parse_form(DealForm, view)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    if errors := form.refusals(today):
        ack(response_action="errors", errors=errors)
        return
    fields = form.model_dump(exclude={"stakeholders"})
    values = OpportunityValues(stakeholder_ids=form.stakeholders, **fields)

    def write(session: Session) -> int:
        if value.opportunity_id is None:
            if form.stage not in OPEN_STAGE_ORDER:
                raise FormErrors({OF.STAGE: "A new deal starts at an open stage."})
            made = create_opportunity(
                session,
                team_id=access.team_id,
                values=values,
                by_user_id=access.user_id,
                account_id=account_id,
            )
            session.flush()
            return saved_id(made.id)
        deal = account_deal(
            session,
            team_id=access.team_id,
            account_id=account_id,
            opportunity_id=value.opportunity_id,
        )
        if form.stage is not deal.stage and is_forward(deal.stage, form.stage):
            raise FormErrors({OF.STAGE: MOVE_ON})
        update_opportunity(
            session,
            team_id=access.team_id,
            opportunity_id=value.opportunity_id,
            values=values,
            by_user_id=access.user_id,
            expected_version=value.version,
        )
        return saved_id(deal.id)

    if save_submission(ack, body=body, db=db, write=write, access=access, default_block=OF.NAME):
        _redraw(db, value, access, today=today)


# -- move stage ----------------------------------------------------------------------------------


def stage_loader(session: Session, value: DealStageValue, request: Request) -> dict[str, Any] | str:
    """A stage picked in a deal's menu: the Move stage form, with the criteria it passes."""
    try:
        deal = account_deal(
            session,
            team_id=request.team_id,
            account_id=value.account_id,
            opportunity_id=value.opportunity_id,
        )
    except NotFound as gone:
        return gone.message
    if not is_open(deal.stage):
        return "This deal is closed: its stage no longer moves."
    if value.stage is deal.stage or value.stage not in OPEN_STAGE_ORDER:
        return "The deal is at that stage already." if value.stage is deal.stage else GONE
    meta = ModalMeta(
        account_id=value.account_id,
        opportunity_id=value.opportunity_id,
        version=deal.version,
        stage=value.stage,
        response_url=request.response_url,
        replace_deals=True,
    )
    return stage_form(meta=meta, deal=deal, to=value.stage)


class StageForm(BaseModel):
    """A move as typed: the criteria ticked, and why it moves on without the others."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    criteria: tuple[ExitCriterion, ...] = ()
    reason: Annotated[str | None, Field(max_length=NEXT_STEP)] = None


def save_stage(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Move the deal: an unticked criterion without a reason is refused beside the reason,
    nothing written; the move and its criteria are the deal's history."""
    account_id, deal_id, to = value.account_id, value.opportunity_id, value.stage
    if account_id is None or deal_id is None or to is None:
        ack(response_action="errors", errors={StageField.REASON: STALE_FORM})
        return
    try:
        form = parse_form(StageForm, view)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return

    def write(session: Session) -> int:
        deal = move_stage(
            session,
            team_id=access.team_id,
            account_id=account_id,
            opportunity_id=deal_id,
            to=to,
            met=frozenset(form.criteria),
            reason=form.reason,
            by_user_id=access.user_id,
            expected_version=value.version,
            reason_field=StageField.REASON,
        )
        return saved_id(deal.id)

    saved = save_submission(
        ack, body=body, db=db, write=write, access=access, default_block=StageField.REASON
    )
    if saved is not None:
        _redraw(db, value, access, today=today)


# -- MEDDIC and scorecard ------------------------------------------------------------------------


def qualify_loader(session: Session, value: DealValue, request: Request) -> dict[str, Any] | str:
    """ "MEDDIC / score": the deal's form, the map's economic buyer and champion offered."""
    try:
        deal = account_deal(
            session,
            team_id=request.team_id,
            account_id=value.account_id,
            opportunity_id=value.opportunity_id,
        )
    except NotFound as gone:
        return gone.message
    people = _people(session, request, value.account_id)
    meta = ModalMeta(
        account_id=value.account_id,
        opportunity_id=value.opportunity_id,
        version=deal.version,
        response_url=request.response_url,
        replace_deals=True,
    )

    def first(role: Role) -> int | None:
        return next((i for i, _, r in people if r is role), None)

    return qualify_form(
        meta=meta,
        deal=deal,
        people=[(i, name) for i, name, _ in people],
        map_buyer=first(Role.ECONOMIC_BUYER),
        map_champion=first(Role.CHAMPION),
    )


class QualifyForm(Qualification):
    """The MEDDIC and scorecard form as typed: the people picked are read as row ids are."""

    economic_buyer_id: PayloadId | None = None
    champion_id: PayloadId | None = None


def save_qualification(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Save the deal's MEDDIC and scorecard; someone of another account is refused beside their
    field, nothing written."""
    account_id, deal_id = value.account_id, value.opportunity_id
    if account_id is None or deal_id is None:
        ack(response_action="errors", errors={QualifyField.METRICS: STALE_FORM})
        return
    try:
        form = parse_form(QualifyForm, view)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return

    def write(session: Session) -> int:
        deal = qualify(
            session,
            team_id=access.team_id,
            account_id=account_id,
            opportunity_id=deal_id,
            values=form,
            by_user_id=access.user_id,
            expected_version=value.version,
        )
        return saved_id(deal.id)

    saved = save_submission(
        ack, body=body, db=db, write=write, access=access, default_block=QualifyField.METRICS
    )
    if saved is not None:
        _redraw(db, value, access, today=today)
