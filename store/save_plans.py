"""Save plans: a red account's save play as saved, its steps kept as internal tasks.

A plan is its risk assessment (`SavePlan`) and its steps (`ActionItem` rows of kind internal,
with the plan's id and the step's phase). Saving a plan over the account's current one marks the
old one replaced and cancels its open steps, in the same transaction: nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.accounts import locked_account
from store.actions import add_internal_task, cancel_action_item
from store.enums import OPEN_ACTION_STATUSES, ActionStatus, Level, SavePhase
from store.errors import ChangedElsewhere, StoreError
from store.models import ActionItem, SavePlan, saved_id
from store.signals import SavePlanStatus
from store.types import utcnow


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One step as saved: when (its phase), what (a named person, a meeting or a deliverable),
    who on our side, by when."""

    phase: SavePhase
    title: str
    owner_user_id: str
    due_on: date


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """Churn probability and why, ARR at risk, save difficulty, the investment asked for."""

    churn_probability: Level
    rationale: str
    arr_at_risk: Decimal
    difficulty: Level
    investment_hours: int
    investment_people: int
    executive_involvement: str = ""


def save_plan_query(scope: Select[int | None]) -> Select[*tuple[Any, ...]]:
    """The current save plan of each account in `scope`, with its steps counted (cancelled ones
    apart) and those done: one statement whatever the number of accounts, read by
    `save_plans_of`."""
    done = func.sum(case((col(ActionItem.status) == ActionStatus.DONE, 1), else_=0))
    steps = func.sum(
        case(
            (
                col(ActionItem.id).is_not(None)
                & (col(ActionItem.status) != ActionStatus.CANCELLED),
                1,
            ),
            else_=0,
        )
    )
    return (
        select_columns(
            col(SavePlan.account_id),
            col(SavePlan.id),
            col(SavePlan.churn_probability),
            col(SavePlan.difficulty),
            col(SavePlan.created_at),
            steps,
            done,
        )
        .outerjoin(ActionItem, col(ActionItem.save_plan_id) == col(SavePlan.id))
        .where(col(SavePlan.account_id).in_(scope), col(SavePlan.replaced_at).is_(None))
        .group_by(
            col(SavePlan.account_id),
            col(SavePlan.id),
            col(SavePlan.churn_probability),
            col(SavePlan.difficulty),
            col(SavePlan.created_at),
        )
        .order_by(col(SavePlan.id))
    )


def save_plans_of(rows: Sequence[Any]) -> dict[int, SavePlanStatus]:
    """Each account's plan in `save_plan_query`'s rows (Core rows, fetched at once)."""
    return {
        account_id: SavePlanStatus(
            id=plan_id,
            steps=int(total or 0),
            done=int(finished or 0),
            churn_probability=probability,
            difficulty=difficulty,
            created_at=created_at,
        )
        for account_id, plan_id, probability, difficulty, created_at, total, finished in rows
    }


def current_save_plan(
    session: Session, *, team_id: str, account_id: int
) -> tuple[SavePlan, list[ActionItem]] | None:
    """The account's current plan and its steps (cancelled ones apart), earliest due first."""
    plan = session.exec(
        select(SavePlan)
        .where(
            SavePlan.team_id == team_id,
            SavePlan.account_id == account_id,
            col(SavePlan.replaced_at).is_(None),
        )
        .order_by(col(SavePlan.id).desc())
    ).first()
    if plan is None:
        return None
    steps = session.exec(
        select(ActionItem)
        .where(
            ActionItem.team_id == team_id,
            ActionItem.save_plan_id == plan.id,
            ActionItem.status != ActionStatus.CANCELLED,
        )
        .order_by(col(ActionItem.due_on), col(ActionItem.id))
    ).all()
    return plan, list(steps)


def save_save_plan(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    currency: str,
    assessment: RiskAssessment,
    steps: Sequence[PlanStep],
    by_user_id: str,
    opened_on: int | None = None,
) -> SavePlan:
    """Save the account's plan (its assessment, its steps as internal tasks) in the caller's
    transaction; a current plan is marked replaced and its open steps cancelled. `opened_on` is
    the current plan's id when the form was opened (0: none): a plan saved since by someone
    else is refused (`ChangedElsewhere`), never replaced unseen. The account's row is locked
    first, so two saves at once are taken one after the other."""
    account = locked_account(session, team_id=team_id, account_id=account_id)
    if account.churned_on is not None:  # a form opened before the churn was recorded
        raise StoreError(f"{account.name} churned: it is inactive, with no plan to save.")
    now = utcnow()
    current = session.exec(
        select(SavePlan)
        .where(
            SavePlan.team_id == team_id,
            SavePlan.account_id == account_id,
            col(SavePlan.replaced_at).is_(None),
        )
        .with_for_update()
    ).all()
    if opened_on is not None and opened_on != max((saved_id(p.id) for p in current), default=0):
        raise ChangedElsewhere("The save plan")
    for old in current:
        old.replaced_at = now
        open_steps = session.exec(
            select(ActionItem.id).where(
                ActionItem.team_id == team_id,
                ActionItem.save_plan_id == old.id,
                col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
            )
        ).all()
        for step_id in open_steps:
            cancel_action_item(
                session, team_id=team_id, item_id=saved_id(step_id), by_user_id=by_user_id
            )
    plan = SavePlan(
        team_id=team_id,
        account_id=account_id,
        churn_probability=assessment.churn_probability,
        rationale=assessment.rationale,
        arr_at_risk=assessment.arr_at_risk,
        currency=currency,
        difficulty=assessment.difficulty,
        investment_hours=assessment.investment_hours,
        investment_people=assessment.investment_people,
        executive_involvement=assessment.executive_involvement,
        created_by_user_id=by_user_id,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    for step in steps:
        add_internal_task(
            session,
            team_id=team_id,
            account_id=account_id,
            title=step.title,
            due_on=step.due_on,
            owner_user_id=step.owner_user_id,
            by_user_id=by_user_id,
            save_plan_id=plan.id,
            phase=step.phase,
        )
    return plan
