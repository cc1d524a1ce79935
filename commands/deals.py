"""An account's deals in Slack: `/account Acme deals` (and the card's *Deals*), "Add deal" and
Edit (the Opportunity form of an account's deal), *Move stage* (the exit criteria of the stages
passed, each met or skipped with a reason) and *MEDDIC / score*. The forms' typed contents are
here too; the rules are `store.deals`'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form
from commands.growth import GONE, AccountOpportunityForm
from commands.leads import typed_opportunity
from commands.replies import AskedCommand, account_view, send_blocks
from commands.request import Request
from commands.submissions import save_submission
from commands.ui.delivery import answer_privately
from commands.ui.ids import OpportunityField as OF
from commands.ui.ids import QualifyField, StageField
from commands.ui.ids import View as F
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
    AT_STAGE,
    CLOSED,
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
from store.models import Account, Opportunity, saved_id
from store.opportunities import (
    OpportunityValues,
    create_opportunity,
    involved,
    update_opportunity,
)
from store.stakeholders import list_stakeholders

ACCOUNT_TYPES = (OpportunityType.UPSELL, OpportunityType.CROSS_SELL, OpportunityType.RENEWAL)
FORM_STAGES = (*OPEN_STAGE_ORDER, OpportunityStage.CLOSED_LOST)
"""What the Opportunity form of an account's deal offers: a new deal starts at an open stage;
an edited one moves back, or is lost; forward is *Move stage* (its exit criteria); closing won
is a later step."""
REOPEN = "This deal is closed: its stage is not changed here."
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
    return account_view(
        deals_of,
        request.db,
        team_id=request.team_id,
        account_id=saved_id(account.id),
        today=request.today,
        missing=GONE,
    )


def show_deals(
    value: AccountValue, respond: Callable[..., Any], db: Database, today: date, access: Access
) -> None:
    """The card's *Deals*: the same list, below the card."""
    blocks = account_view(
        deals_of, db, team_id=access.team_id, account_id=value.account_id, today=today, missing=GONE
    )
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
    answer_privately(
        meta.response_url, blocks, client=access.client, replace_original=meta.replace_deals
    )


def _people(session: Session, request: Request, account_id: int) -> list[tuple[int, str, Role]]:
    return [
        (saved_id(p.id), p.name, p.role)
        for p in list_stakeholders(session, team_id=request.team_id, account_id=account_id)
        if p.status is StakeholderStatus.ACTIVE
    ]


def _opened(
    session: Session, value: DealValue | DealStageValue, request: Request
) -> tuple[Opportunity, ModalMeta] | str:
    """The deal a button names (found in its account only) and the meta of the form it opens
    (its version, redrawing the list it came from), or why it is gone."""
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
    return deal, meta


def _save(
    *,
    ack: Callable[..., None],
    body: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
    meta: ModalMeta,
    write: Callable[[Session], int],
    block: str,
) -> None:
    """Save once per submitted view (a refusal beside `block` or its own field, nothing
    written), then redraw the deals where the form came from."""
    if save_submission(ack, body=body, db=db, write=write, access=access, default_block=block):
        _redraw(db, meta, access, today=today)


@dataclass(frozen=True)
class DealAt:
    """The deal a submitted form is about: its account and id, with the form's meta."""

    account_id: int
    opportunity_id: int
    meta: ModalMeta


DealWrite = Callable[[Session, DealAt, dict[str, Any], Access], int]


def deal_form(write: DealWrite, *, block: str) -> Callable[..., None]:
    """The listener of a form about one deal: `write` parses the view and saves (a refusal
    beside its field, or `block`, nothing written), once per submitted view; the deals are
    redrawn after."""

    def listener(
        value: ModalMeta,
        ack: Callable[..., None],
        body: dict[str, Any],
        view: dict[str, Any],
        db: Database,
        today: date,
        access: Access,
    ) -> None:
        if value.account_id is None or value.opportunity_id is None:
            ack(response_action="errors", errors={block: STALE_FORM})
            return
        deal = DealAt(value.account_id, value.opportunity_id, value)
        _save(
            ack=ack,
            body=body,
            db=db,
            today=today,
            access=access,
            meta=value,
            write=lambda session: write(session, deal, view, access),
            block=block,
        )

    listener.__name__, listener.__doc__ = write.__name__.lstrip("_"), write.__doc__
    return listener


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
    opened = _opened(session, value, request)
    if isinstance(opened, str):
        return opened
    deal, meta = opened
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
    form = typed_opportunity(DealForm, view, today=today, ack=ack)
    if form is None:
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
            lock=True,  # held through the update below
        )
        if form.stage is not deal.stage and not is_open(deal.stage):
            raise FormErrors({OF.STAGE: REOPEN})
        if form.stage is not deal.stage and is_forward(deal.stage, form.stage):
            raise FormErrors({OF.STAGE: MOVE_ON})
        kept = {"hypothesis_kind": deal.hypothesis_kind, "hypothesis_key": deal.hypothesis_key}
        update_opportunity(
            session,
            team_id=access.team_id,
            opportunity_id=value.opportunity_id,
            values=values.model_copy(update=kept),  # the form has no hypothesis: keep its link
            by_user_id=access.user_id,
            expected_version=value.version,
        )
        return saved_id(deal.id)

    _save(
        ack=ack,
        body=body,
        db=db,
        today=today,
        access=access,
        meta=value,
        write=write,
        block=OF.NAME,
    )


# -- move stage ----------------------------------------------------------------------------------


def stage_loader(session: Session, value: DealStageValue, request: Request) -> dict[str, Any] | str:
    """A stage picked in a deal's menu: the Move stage form, with the criteria it passes."""
    opened = _opened(session, value, request)
    if isinstance(opened, str):
        return opened
    deal, meta = opened
    if not is_open(deal.stage):
        return CLOSED
    if value.stage is deal.stage or value.stage not in OPEN_STAGE_ORDER:
        return AT_STAGE if value.stage is deal.stage else GONE
    return stage_form(
        meta=meta.model_copy(update={"stage": value.stage}), deal=deal, to=value.stage
    )


class StageForm(BaseModel):
    """A move as typed: the criteria ticked, and why it moves on without the others."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    criteria: tuple[ExitCriterion, ...] = ()
    reason: Annotated[str | None, Field(max_length=NEXT_STEP)] = None


def _move(session: Session, deal: DealAt, view: dict[str, Any], access: Access) -> int:
    """Move the deal: an unticked criterion without a reason is refused beside the reason,
    nothing written; the move and its criteria are the deal's history."""
    if deal.meta.stage is None:
        raise NotFound(STALE_FORM, field=StageField.REASON)
    form = parse_form(StageForm, view)
    moved = move_stage(
        session,
        team_id=access.team_id,
        account_id=deal.account_id,
        opportunity_id=deal.opportunity_id,
        to=deal.meta.stage,
        met=frozenset(form.criteria),
        reason=form.reason,
        by_user_id=access.user_id,
        expected_version=deal.meta.version,
        reason_field=StageField.REASON,
    )
    return saved_id(moved.id)


# -- MEDDIC and scorecard ------------------------------------------------------------------------


def qualify_loader(session: Session, value: DealValue, request: Request) -> dict[str, Any] | str:
    """ "MEDDIC / score": the deal's form, the map's economic buyer and champion offered."""
    opened = _opened(session, value, request)
    if isinstance(opened, str):
        return opened
    deal, meta = opened
    people = _people(session, request, value.account_id)

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


def _qualify(session: Session, deal: DealAt, view: dict[str, Any], access: Access) -> int:
    """Save the deal's MEDDIC and scorecard; someone of another account is refused beside their
    field, nothing written."""
    form = parse_form(QualifyForm, view)
    saved = qualify(
        session,
        team_id=access.team_id,
        account_id=deal.account_id,
        opportunity_id=deal.opportunity_id,
        values=form,
        by_user_id=access.user_id,
        expected_version=deal.meta.version,
    )
    return saved_id(saved.id)


save_stage = deal_form(_move, block=StageField.REASON)
save_qualification = deal_form(_qualify, block=QualifyField.METRICS)
