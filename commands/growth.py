"""The account's growth view in Slack (`/account Acme grow`, the card's "Growth"), its
"Turn into opportunity" (the Opportunity form of an account's deal, prefilled from the
hypothesis) and "Dismiss" (with a reason). Viewing refreshes the account's stored hypotheses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form
from commands.leads import OpportunityForm, typed_opportunity
from commands.replies import AskedCommand, account_view, send_blocks
from commands.request import Request
from commands.submissions import save_submission
from commands.ui.delivery import answer_privately
from commands.ui.ids import DismissField
from commands.ui.ids import OpportunityField as OF
from commands.ui.ids import View as F
from commands.ui.text import escape
from commands.ui.values import STALE_FORM, AccountValue, HypothesisValue, ModalMeta, PayloadId
from commands.ui.views.blocks import Block
from commands.ui.views.growth import REASON_LENGTH, dismiss_form, growth_blocks, inactive_blocks
from commands.ui.views.leads import opportunity_form
from commands.ui.views.org import coverage_line
from store.db import Database
from store.departments import list_departments
from store.enums import Band, OpportunityType, StakeholderStatus
from store.errors import NotFound
from store.expansion import HELD_RED, HypothesisKind, expansion
from store.growth import growth_inputs, refresh_hypotheses, stored_hypotheses
from store.hypotheses import (
    HypothesisRefused,
    churned_words,
    convert_hypothesis,
    dismiss_hypothesis,
    open_hypothesis,
    opportunity_type,
)
from store.models import Account, ExpansionHypothesis, saved_id
from store.opportunities import OpportunityValues
from store.snapshots import load_snapshots
from store.stakeholders import list_stakeholders

View = dict[str, Any]
GONE = "That account no longer exists."
DEAL_WORDS = {
    HypothesisKind.SEATS: "more seats",
    HypothesisKind.USAGE_CONCENTRATED: "wider use beyond one department",
    HypothesisKind.DEPARTMENTS_NOT_USING: "departments not using it yet",
    HypothesisKind.WHITESPACE_MODULE: "a module not in use",
    HypothesisKind.NEW_LEADER: "a new leader's plans",
    HypothesisKind.CHAMPION_PROMOTED: "a champion's new role",
    HypothesisKind.GROWTH_EVENT: "their growth",
    HypothesisKind.MERGER_ACQUISITION: "a merger or acquisition",
    HypothesisKind.REGULATORY_CHANGE: "a regulatory change",
}
"""What a deal opened from a hypothesis of each kind is about, for its default name
(`Acme upsell: more seats`)."""


def growth_of(
    session: Session, *, team_id: str, account_id: int, today: date
) -> list[Block] | None:
    """Refresh the account's hypotheses (set-based, as the weekly run does) and draw the view;
    None when the account is gone. A churned account is inactive: nothing refreshed, nothing
    proposed."""
    snapshots = load_snapshots(session, team_id=team_id, account_ids=[account_id], today=today)
    if not snapshots:
        return None
    (snapshot,) = snapshots
    account = snapshot.account
    if account.churned_on is not None:
        return inactive_blocks(account.name, churned_words(account.name, account.churned_on))
    inputs = growth_inputs(
        session, team_id=team_id, today=today, account_ids=[account_id], snapshots=snapshots
    )
    if not inputs:
        return None
    found = refresh_hypotheses(session, team_id=team_id, inputs=inputs, today=today)
    stored = stored_hypotheses(session, team_id=team_id, account_ids=[account_id])
    departments = list_departments(session, team_id=team_id, account_id=account_id)
    facts = inputs[0].facts
    return growth_blocks(
        account_id=account_id,
        name=facts.name,
        found=found[account_id],
        stored={(h.kind.value, h.key): h for h in stored.get(account_id, [])},
        whitespace=facts.whitespace,
        coverage=coverage_line(departments, snapshot.stakeholders),
        department_usage=facts.usage_by_department is not None,
    )


def grow_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    """`/account Acme grow`: the growth view, privately."""
    assert account is not None
    return account_view(
        growth_of,
        request.db,
        team_id=request.team_id,
        account_id=saved_id(account.id),
        today=request.today,
        missing=GONE,
        write=True,
    )


def show_growth(
    value: AccountValue, respond: Callable[..., Any], db: Database, today: date, access: Access
) -> None:
    """The card's "Growth": the same view, below the card."""
    blocks = account_view(
        growth_of,
        db,
        team_id=access.team_id,
        account_id=value.account_id,
        today=today,
        missing=GONE,
        write=True,
    )
    send_blocks(respond, blocks, missing=GONE, replace_original=False)


def _redraw(db: Database, meta: ModalMeta, access: Access, *, today: date) -> None:
    """After a dismissal or a conversion: the growth view redrawn where it was, with it."""
    if not meta.response_url or meta.account_id is None:
        return
    with db.transaction() as session:
        blocks = growth_of(session, team_id=access.team_id, account_id=meta.account_id, today=today)
    if blocks is None:
        return
    answer_privately(meta.response_url, blocks, client=access.client, replace_original=True)


def _open(session: Session, value: HypothesisValue, request: Request) -> ExpansionHypothesis | str:
    """The open hypothesis a button names, or why it cannot be acted on (not this account's or
    team's, or settled since the view was drawn)."""
    try:
        return open_hypothesis(
            session,
            team_id=request.team_id,
            account_id=value.account_id,
            hypothesis_id=value.hypothesis_id,
            field=None,
        )
    except (NotFound, HypothesisRefused) as refused:
        return escape(refused.message)


# -- dismiss ----------------------------------------------------------------------------------


def dismiss_loader(session: Session, value: HypothesisValue, request: Request) -> View | str:
    """ "Dismiss" on the growth view: the form asking why (an already settled one is said)."""
    row = _open(session, value, request)
    if isinstance(row, str):
        return row
    meta = ModalMeta(
        account_id=value.account_id,
        hypothesis_id=saved_id(row.id),
        response_url=request.response_url,
    )
    return dismiss_form(
        meta=meta,
        evidence=row.evidence,
        observation=row.observation,
        kind=HypothesisKind(row.kind),
        measure=row.measure,
    )


class DismissForm(BaseModel):
    """A dismissal as typed: its reason, required."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    reason: Annotated[str, Field(max_length=REASON_LENGTH)] = ""


def save_dismissal(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Dismiss the hypothesis the form names, with its reason (blank: refused beside it); one of
    another account or team, or one settled since, is refused with nothing written."""
    account_id, hypothesis_id = value.account_id, value.hypothesis_id
    if account_id is None or hypothesis_id is None:
        ack(response_action="errors", errors={DismissField.REASON: STALE_FORM})
        return
    try:
        form = parse_form(DismissForm, view)
    except FormErrors as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    if not form.reason:
        ack(
            response_action="errors",
            errors={DismissField.REASON: "Say why you dismiss it: the team reads it later."},
        )
        return

    def write(session: Session) -> int:
        row = dismiss_hypothesis(
            session,
            team_id=access.team_id,
            account_id=account_id,
            hypothesis_id=hypothesis_id,
            reason=form.reason,
            by_user_id=access.user_id,
            field=DismissField.REASON,
        )
        return saved_id(row.id)

    saved = save_submission(
        ack, body=body, db=db, write=write, access=access, default_block=DismissField.REASON
    )
    if saved is not None:
        _redraw(db, value, access, today=today)


# -- turn into opportunity --------------------------------------------------------------------


def convert_loader(session: Session, value: HypothesisValue, request: Request) -> View | str:
    """ "Turn into opportunity": the Opportunity form of the account's deal, prefilled from the
    hypothesis (its type by kind, a name, the estimate as amount, the evidence as trigger, the
    stakeholder who cares among its people). Refused on an observation, a settled hypothesis or
    a red account."""
    row = _open(session, value, request)
    if isinstance(row, str):
        return row
    inputs = growth_inputs(
        session, team_id=request.team_id, today=request.today, account_ids=[value.account_id]
    )
    if not inputs:
        return GONE
    facts = inputs[0].facts
    if facts.band is Band.RED:
        return f"{escape(facts.name)} is red: {HELD_RED}."
    if row.observation:
        return "An observation says what to find out first: it is not an opportunity yet."
    found = expansion(facts, inputs[0].setting)
    engine = next(
        (h for h in found.hypotheses if (h.kind.value, h.key) == (row.kind, row.key)), None
    )
    people = [
        p
        for p in list_stakeholders(session, team_id=request.team_id, account_id=value.account_id)
        if p.status is StakeholderStatus.ACTIVE
    ]
    cares = engine.stakeholder if engine is not None else None
    chosen = [saved_id(p.id) for p in people if cares and cares.startswith(f"{p.name} (")][:1]
    kind = opportunity_type(HypothesisKind(row.kind))
    meta = ModalMeta(
        account_id=value.account_id,
        hypothesis_id=saved_id(row.id),
        response_url=request.response_url,
    )
    return opportunity_form(
        meta=meta,
        about=f"{kind.value.replace('_', '-').capitalize()} of {facts.name}, from the hypothesis:"
        f" {row.evidence}",
        owner=request.user_id,
        currency=row.currency,  # the estimate's: the team's reporting currency
        trigger=row.evidence,
        name=f"{facts.name} {kind.value.replace('_', '-')}: {DEAL_WORDS[HypothesisKind(row.kind)]}",
        amount=row.estimate,
        people=[(saved_id(p.id), p.name) for p in people],
        chosen=chosen,
        callback_id=F.ACCOUNT_OPPORTUNITY_FORM,
    )


class AccountOpportunityForm(OpportunityForm):
    """An account's opportunity as typed: the lead's form, with the people involved."""

    stakeholders: tuple[PayloadId, ...] = ()


def save_account_opportunity(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Create the account's opportunity from the hypothesis the form names, link it (kind and
    key) and mark the hypothesis converted, in one transaction. A hypothesis of another team or
    account, one settled since, an observation, or an account turned red since the view was
    drawn ("save it first"): refused, nothing written."""
    account_id, hypothesis_id = value.account_id, value.hypothesis_id
    if account_id is None or hypothesis_id is None:
        ack(response_action="errors", errors={OF.NAME: STALE_FORM})
        return
    form = typed_opportunity(AccountOpportunityForm, view, today=today, ack=ack)
    if form is None:
        return
    fields = form.model_dump(exclude={"stakeholders"})
    values = OpportunityValues(
        type=OpportunityType.UPSELL, stakeholder_ids=form.stakeholders, **fields
    )

    def write(session: Session) -> int:
        made = convert_hypothesis(
            session,
            team_id=access.team_id,
            account_id=account_id,
            hypothesis_id=hypothesis_id,
            values=values,
            by_user_id=access.user_id,
            today=today,
            field=OF.NAME,
        )
        session.flush()
        return saved_id(made.id)

    if save_submission(ack, body=body, db=db, write=write, access=access, default_block=OF.NAME):
        _redraw(db, value, access, today=today)
