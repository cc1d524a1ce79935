"""What a user does with one stored expansion hypothesis: dismiss it with a reason, or turn it
into an opportunity on its account. Each checks the hypothesis is the team's, of the account the
form names, and still open, so a crafted or stale form writes nothing."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from store.enums import Band, HypothesisStatus, OpportunityType
from store.errors import NotFound, StoreError
from store.expansion import HELD_RED, HELD_YELLOW, HypothesisKind, expansion
from store.growth import growth_inputs
from store.models import Account, ExpansionHypothesis, Opportunity
from store.opportunities import OpportunityValues, create_opportunity
from store.types import utcnow

GONE = "That hypothesis no longer exists."
CROSS_SELL_KINDS = frozenset({HypothesisKind.WHITESPACE_MODULE})
"""A module the account does not use is a cross-sell; every other kind sells more of what it
uses (an upsell)."""


class HypothesisRefused(StoreError):
    """The hypothesis cannot take this action (already settled, or its account is red)."""


def churned_words(name: str, churned_on: date) -> str:
    """Why a churned account's growth is not talked about (it is inactive)."""
    return (
        f"{name} churned ({churned_on:%-d %b %Y}): it is inactive, with no expansion to talk "
        "about. Its history is kept (`History` on its card)."
    )


def opportunity_type(kind: HypothesisKind) -> OpportunityType:
    return OpportunityType.CROSS_SELL if kind in CROSS_SELL_KINDS else OpportunityType.UPSELL


def open_hypothesis(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    hypothesis_id: int,
    field: str | None,
    lock: bool = False,
) -> ExpansionHypothesis:
    """The team's hypothesis of this account, still open; another team's or account's is not
    found, a settled one refused saying how it was settled, one of an account churned since
    refused (it is inactive). With `lock` (a dismissal or a conversion) its row is locked until
    the transaction ends: two clicks at once settle it once."""
    row = session.get(ExpansionHypothesis, hypothesis_id, with_for_update=lock)
    if row is None or row.team_id != team_id or row.account_id != account_id:
        raise NotFound(GONE, field=field)
    account = session.get(Account, account_id)
    if account is None or account.archived:
        raise NotFound("That account no longer exists.", field=field)
    if account.churned_on is not None:
        raise HypothesisRefused(churned_words(account.name, account.churned_on), field=field)
    if row.status is HypothesisStatus.CONVERTED:
        raise HypothesisRefused(
            "This hypothesis is already an opportunity: nothing changed.", field=field
        )
    if row.status is HypothesisStatus.DISMISSED:
        raise HypothesisRefused(
            "This hypothesis was already dismissed: nothing changed.", field=field
        )
    return row


def dismiss_hypothesis(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    hypothesis_id: int,
    reason: str,
    by_user_id: str | None,
    field: str | None = None,
) -> ExpansionHypothesis:
    """Dismiss an open hypothesis or observation: the reason, who and when, and its evidence's
    number now (it comes back only past its kind's threshold over it)."""
    row = open_hypothesis(
        session,
        team_id=team_id,
        account_id=account_id,
        hypothesis_id=hypothesis_id,
        field=field,
        lock=True,
    )
    row.status = HypothesisStatus.DISMISSED
    row.dismissed_reason = reason
    row.dismissed_by_user_id = by_user_id
    row.dismissed_at = utcnow()
    row.dismissed_measure = row.measure
    session.add(row)
    return row


def convert_hypothesis(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    hypothesis_id: int,
    values: OpportunityValues,
    by_user_id: str | None,
    today: date,
    field: str | None = None,
) -> Opportunity:
    """Open the account's opportunity from an open hypothesis (never an observation, never on
    a red account: save it first; nor on a yellow one, or one the account's facts no longer
    give: the engine is asked again), linked to it by kind and key; the hypothesis is
    converted. The caller's transaction holds all three."""
    row = open_hypothesis(
        session,
        team_id=team_id,
        account_id=account_id,
        hypothesis_id=hypothesis_id,
        field=field,
        lock=True,
    )
    if row.observation:
        raise HypothesisRefused(
            "An observation says what to find out first: it is not an opportunity yet.",
            field=field,
        )
    found = growth_inputs(session, team_id=team_id, today=today, account_ids=[account_id])
    if not found:
        raise NotFound("That account no longer exists.", field=field)
    facts = found[0].facts
    if facts.band is Band.RED:
        raise HypothesisRefused(f"The account turned red: {HELD_RED}.", field=field)
    if facts.band is Band.YELLOW:
        raise HypothesisRefused(
            f"The account turned yellow: {HELD_YELLOW}, observations only.", field=field
        )
    now = expansion(facts, found[0].setting).hypotheses
    if not row.current or all((h.kind.value, h.key) != (row.kind, row.key) for h in now):
        raise HypothesisRefused(
            "The account's facts no longer give this hypothesis: open its growth view again.",
            field=field,
        )
    kind = HypothesisKind(row.kind)
    linked = values.model_copy(
        update={
            "type": opportunity_type(kind),
            "hypothesis_kind": kind.value,
            "hypothesis_key": row.key,
        }
    )
    opportunity = create_opportunity(
        session, team_id=team_id, values=linked, by_user_id=by_user_id, account_id=account_id
    )
    row.status = HypothesisStatus.CONVERTED
    session.add(row)
    return opportunity
