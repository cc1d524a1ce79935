"""Save plans from Slack: the form saved (its steps become internal tasks, its assessment is
kept with the plan) and the saved plan shown. The form is built in `commands.loaders`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session

from commands.access import Access
from commands.forms import ArrAmount, FormErrors, form_errors, required_name, state_values
from commands.plan_forms import not_past
from commands.replies import save_plan_of, send_blocks
from commands.submissions import Submission, card_form
from commands.ui.fields import SLACK_ID, TEXT, TITLE
from commands.ui.values import AccountValue
from commands.ui.views.save_plan import MAX_STEPS, RATIONALE, step_block
from store.accounts import get_account
from store.db import Database
from store.enums import Level, SavePhase
from store.save_plans import PlanStep, RiskAssessment, save_save_plan

GONE = "That account no longer exists."


class AssessmentForm(BaseModel):
    """The risk assessment as typed: field names are the form's block ids."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    churn_probability: Level
    rationale: Annotated[str, Field(max_length=TEXT)]
    arr_at_risk: ArrAmount
    difficulty: Level
    investment_hours: Annotated[int, Field(ge=0, le=100_000)]
    investment_people: Annotated[int, Field(ge=1, le=999)]
    executive_involvement: Annotated[str, Field(max_length=500)] = ""

    _rationale = field_validator("rationale")(
        lambda value: required_name(value, "Say why: the rationale of the churn probability.")
    )


class StepForm(BaseModel):
    """One step row with a title: it needs an owner on our side and a date today or later."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: Annotated[str, Field(max_length=TITLE)]
    phase: SavePhase = SavePhase.DAYS_30
    owner: Annotated[str, Field(pattern=SLACK_ID)]
    due: date

    _due = field_validator("due")(not_past)


STEP_MISSING = {"owner": "Give this step an owner on our side.", "due": "Give this step a date."}


def parse_save_plan(view: dict[str, Any], *, today: date) -> tuple[RiskAssessment, list[PlanStep]]:
    """The assessment and the steps with a title, or every error beside its block at once."""
    values = state_values(view)
    errors: dict[str, str] = {}
    assessment: AssessmentForm | None = None
    try:
        assessment = AssessmentForm.model_validate(
            {k: v for k, v in values.items() if not k.startswith("step")}
        )
    except ValidationError as error:
        errors.update(form_errors(error))
    steps: list[PlanStep] = []
    for index in range(MAX_STEPS):
        row = {
            field: values[step_block(index, field)]
            for field in ("title", "phase", "owner", "due")
            if step_block(index, field) in values
        }
        if not str(row.get("title", "")).strip():
            continue  # a blank row (or a step cleared to drop it)
        try:
            step = StepForm.model_validate(row, context={"today": today})
        except ValidationError as error:
            missing = {str(i["loc"][0]) for i in error.errors() if i["type"] == "missing"}
            for field, message in form_errors(error).items():
                said = STEP_MISSING.get(field, message) if field in missing else message
                errors.setdefault(step_block(index, field), said)
            continue
        steps.append(PlanStep(step.phase, step.title, step.owner, step.due))
    if (
        not steps
        and step_block(0, "title") not in errors
        and not any(k.startswith("step") for k in errors)
    ):
        errors[step_block(0, "title")] = "A save plan needs at least one step."
    if errors or assessment is None:
        raise FormErrors(errors or {RATIONALE: "Check the assessment."})
    return (
        RiskAssessment(
            churn_probability=assessment.churn_probability,
            rationale=assessment.rationale,
            arr_at_risk=assessment.arr_at_risk,
            difficulty=assessment.difficulty,
            investment_hours=assessment.investment_hours,
            investment_people=assessment.investment_people,
            executive_involvement=assessment.executive_involvement,
        ),
        steps,
    )


def _save_plan(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Save the plan: the assessment with it, each step an internal task of the plan; the
    current plan, if any, replaced (its open steps cancelled). Nothing is written on an error."""
    assessment, steps = parse_save_plan(view, today=today)
    account_id = sub.required(sub.meta.account_id, gone=GONE)
    account = get_account(session, team_id=sub.team_id, account_id=account_id)
    if account is None:
        raise FormErrors({RATIONALE: GONE})
    save_save_plan(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        currency=account.currency,
        assessment=assessment,
        steps=steps,
        by_user_id=sub.user_id,
        opened_on=sub.meta.version,
    )
    return account_id


save_plan_form = card_form(_save_plan, default_block=RATIONALE)


def show_save_plan(
    value: AccountValue,
    respond: Callable[..., Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """A red card's "View save plan": the plan, its assessment and its steps by phase."""
    with db.reading() as session:
        blocks = save_plan_of(
            session, team_id=access.team_id, account_id=value.account_id, today=today
        )
    send_blocks(respond, blocks, missing=GONE, replace_original=False)
