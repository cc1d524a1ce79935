"""Working an account's deal (extends the opportunity record of `store.opportunities`): the
stages' exit criteria asked when a deal moves forward (each unmet one needs a reason, kept in
its history), MEDDIC (each part filled or a gap; the economic buyer and champion are people of
the deal's own account), the qualification scorecard (1-5 each, /30, with its reading), and the
flags of a deal at proposal or later that is not qualified. Reads are set-based."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from store.enums import OPEN_STAGE_ORDER, ExitCriterion, OpportunityStage
from store.errors import NotFound, check_version
from store.models import SCORE_COLUMNS, Opportunity, Stakeholder
from store.opportunities import OpportunityRefused, field_text, record_change
from store.types import utcnow

S = OpportunityStage
EXIT_CRITERIA: dict[OpportunityStage, tuple[ExitCriterion, ...]] = {
    S.PROSPECT: (ExitCriterion.MEETING_SCHEDULED,),
    S.DISCOVERY: (ExitCriterion.QUALIFIED,),
    S.EVALUATION: (ExitCriterion.DEMO_DELIVERED, ExitCriterion.BUDGET_APPROVED),
    S.PROPOSAL: (ExitCriterion.PROPOSAL_ACCEPTED,),
    S.NEGOTIATION: (ExitCriterion.CONTRACT_AGREED,),
}
"""What each open stage asks before a deal leaves it (the practice's, `DOMAIN` "Deals"; the
budget approved before a proposal)."""
CRITERION_WORDS = {
    ExitCriterion.MEETING_SCHEDULED: "Meeting scheduled",
    ExitCriterion.QUALIFIED: "Qualified",
    ExitCriterion.DEMO_DELIVERED: "Demo delivered",
    ExitCriterion.BUDGET_APPROVED: "Budget approved",
    ExitCriterion.PROPOSAL_ACCEPTED: "Proposal accepted",
    ExitCriterion.CONTRACT_AGREED: "Contract agreed",
}
EXIT_FIELD = "exit_criteria"
"""The history's field for a move's criteria: met, unmet and the reason (JSON)."""
LATE_STAGES = frozenset({S.PROPOSAL, S.NEGOTIATION})
"""Open stages at which an unqualified deal is flagged."""
MEDDIC_PARTS = (
    ("metrics", "metrics"),
    ("economic_buyer_id", "economic buyer"),
    ("decision_criteria", "decision criteria"),
    ("decision_process", "decision process"),
    ("identified_pain", "identified pain"),
    ("champion_id", "champion"),
)
"""MEDDIC's parts in order: the record's column and its words."""
MEDDIC_PEOPLE = ("economic_buyer_id", "champion_id")
"""MEDDIC's parts that are people of the deal's account's map."""
QUALIFICATION_FIELDS = tuple(column for column, _ in MEDDIC_PARTS) + SCORE_COLUMNS
SCORE_MAX = 5 * len(SCORE_COLUMNS)
STRONG = 25
WORK_ON = 18
CLOSED = "This deal is closed: its stage no longer moves."
AT_STAGE = "The deal is at that stage already."


def is_open(stage: OpportunityStage) -> bool:
    return stage in OPEN_STAGE_ORDER


def is_forward(current: OpportunityStage, to: OpportunityStage) -> bool:
    """A move to a later open stage, or to closed won (which passes every stage left)."""
    if not is_open(current):
        return False
    if to is S.CLOSED_WON:
        return True
    return is_open(to) and OPEN_STAGE_ORDER.index(to) > OPEN_STAGE_ORDER.index(current)


def criteria_passed(current: OpportunityStage, to: OpportunityStage) -> tuple[ExitCriterion, ...]:
    """The exit criteria of every stage a move forward leaves behind (none moving back)."""
    if not is_forward(current, to):
        return ()
    start = OPEN_STAGE_ORDER.index(current)
    end = len(OPEN_STAGE_ORDER) if to is S.CLOSED_WON else OPEN_STAGE_ORDER.index(to)
    return tuple(c for stage in OPEN_STAGE_ORDER[start:end] for c in EXIT_CRITERIA[stage])


def account_deal(
    session: Session, *, team_id: str, account_id: int, opportunity_id: int, lock: bool = False
) -> Opportunity:
    """The account's deal; another account's, another team's, a lead's (or none) is not found.
    `lock` holds its row to the end of the transaction (PostgreSQL): a change made at the same
    moment from the same version waits, then is refused on the version, never lost."""
    deal = session.get(Opportunity, opportunity_id, with_for_update=lock)
    if deal is None or deal.team_id != team_id or deal.account_id != account_id:
        raise NotFound("That deal no longer exists.")
    return deal


def move_stage(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    opportunity_id: int,
    to: OpportunityStage,
    met: frozenset[ExitCriterion],
    reason: str | None,
    by_user_id: str | None,
    expected_version: int | None,
    reason_field: str,
) -> Opportunity:
    """Move an open deal to another open stage. Forward, each exit criterion of the stages it
    passes is met or the move says why not (refused otherwise, nothing written); the stage and
    the criteria (met, unmet, the reason) are rows of its history, in this transaction."""
    deal = account_deal(
        session, team_id=team_id, account_id=account_id, opportunity_id=opportunity_id, lock=True
    )
    check_version(expected_version, deal.version, what=deal.name, field=reason_field)
    if not is_open(deal.stage):
        raise OpportunityRefused(CLOSED, field=reason_field)
    if not is_open(to):
        raise OpportunityRefused(
            "Closing a deal is not done here: pick an open stage.", field=reason_field
        )
    if to is deal.stage:
        raise OpportunityRefused(AT_STAGE, field=reason_field)
    asked = criteria_passed(deal.stage, to)
    unmet = [c for c in asked if c not in met]
    if unmet and not reason:
        raise OpportunityRefused(
            "Tick each criterion met, or say why the deal moves on without "
            + ", ".join(CRITERION_WORDS[c].lower() for c in unmet)
            + ".",
            field=reason_field,
        )
    record_change(
        session, deal, field="stage", old=deal.stage.value, new=to.value, by_user_id=by_user_id
    )
    if asked:
        moved = {
            "from": deal.stage.value,
            "to": to.value,
            "met": [c.value for c in asked if c in met],
            "unmet": [c.value for c in unmet],
            "reason": reason if unmet else None,
        }
        record_change(
            session, deal, field=EXIT_FIELD, old=None, new=json.dumps(moved), by_user_id=by_user_id
        )
    deal.stage = to
    deal.updated_at = utcnow()
    deal.version += 1
    return deal


Score = Annotated[int | None, Field(ge=1, le=5)]
Text = Annotated[str | None, Field(max_length=500)]


class Qualification(BaseModel):
    """A deal's MEDDIC and scorecard as saved: an empty part is a gap, an empty score unscored."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    metrics: Text = None
    economic_buyer_id: int | None = None
    decision_criteria: Text = None
    decision_process: Text = None
    identified_pain: Text = None
    champion_id: int | None = None
    score_budget: Score = None
    score_authority: Score = None
    score_need: Score = None
    score_timeline: Score = None
    score_champion: Score = None
    score_competition: Score = None


def qualify(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    opportunity_id: int,
    values: Qualification,
    by_user_id: str | None,
    expected_version: int | None,
) -> Opportunity:
    """Save a deal's MEDDIC and scorecard: the economic buyer and champion must be people on
    the deal's own account's map (another's is refused beside its field, nothing written);
    each changed part is a row of its history."""
    deal = account_deal(
        session, team_id=team_id, account_id=account_id, opportunity_id=opportunity_id, lock=True
    )
    check_version(expected_version, deal.version, what=deal.name, field="metrics")
    picked = {
        field: person for field in MEDDIC_PEOPLE if (person := getattr(values, field)) is not None
    }
    if picked:
        found = set(
            session.exec(
                select(Stakeholder.id).where(
                    col(Stakeholder.id).in_(set(picked.values())),
                    col(Stakeholder.team_id) == team_id,
                    col(Stakeholder.account_id) == account_id,
                )
            ).all()
        )
        for field, person in picked.items():
            if person not in found:
                raise OpportunityRefused(
                    "Pick someone on this account's map: this person is not.", field=field
                )
    changed = False
    for field in QUALIFICATION_FIELDS:
        old, new = getattr(deal, field), getattr(values, field)
        if field_text(old) != field_text(new):
            record_change(
                session,
                deal,
                field=field,
                old=field_text(old),
                new=field_text(new),
                by_user_id=by_user_id,
            )
            setattr(deal, field, new)
            changed = True
    if changed:
        deal.updated_at = utcnow()
        deal.version += 1
    return deal


@dataclass(frozen=True)
class Scorecard:
    """A deal's scorecard read: the total of the scores given, how many, and its reading."""

    total: int
    scored: int

    @property
    def whole(self) -> bool:
        return self.scored == len(SCORE_COLUMNS)

    @property
    def reading(self) -> str:
        if not self.whole:
            return f"{self.scored} of {len(SCORE_COLUMNS)} scored"
        if self.total >= STRONG:
            return "strong"
        if self.total >= WORK_ON:
            return "work on the weak areas"
        return "needs qualification"

    def words(self) -> str:
        """`22/30 (work on the weak areas)`, `not scored`, `9/30 so far (2 of 6 scored)`."""
        if not self.scored:
            return "not scored"
        so_far = "" if self.whole else " so far"
        return f"{self.total}/{SCORE_MAX}{so_far} ({self.reading})"


def scorecard(deal: Opportunity) -> Scorecard:
    scores = [s for column in SCORE_COLUMNS if (s := getattr(deal, column)) is not None]
    return Scorecard(total=sum(scores), scored=len(scores))


def meddic_gaps(deal: Opportunity) -> list[str]:
    """MEDDIC's parts not filled, in order (words)."""
    return [words for column, words in MEDDIC_PARTS if not getattr(deal, column)]


def deal_flags(deal: Opportunity) -> list[str]:
    """Why a deal at proposal or later is not qualified: a score under 18 (or none yet), no
    economic buyer, no champion. Earlier stages and closed deals are not flagged."""
    if deal.stage not in LATE_STAGES:
        return []
    flags = []
    card = scorecard(deal)
    if not card.whole:
        flags.append("not fully scored" if card.scored else "not scored")
    elif card.total < WORK_ON:
        flags.append(f"score {card.total}/{SCORE_MAX}")
    if deal.economic_buyer_id is None:
        flags.append("no economic buyer")
    if deal.champion_id is None:
        flags.append("no champion")
    return flags


def account_deals(
    session: Session, *, team_id: str, account_id: int, open_only: bool = False
) -> list[Opportunity]:
    """The account's deals, open ones first, then by close date: one statement."""
    query = select(Opportunity).where(
        col(Opportunity.team_id) == team_id, col(Opportunity.account_id) == account_id
    )
    if open_only:
        query = query.where(col(Opportunity.stage).in_(OPEN_STAGE_ORDER))
    deals = list(session.exec(query.order_by(col(Opportunity.close_date), col(Opportunity.id))))
    return sorted(deals, key=lambda d: not is_open(d.stage))
