"""A red account's save plan: the form (pre-filled with the draft), the plan as a message, and the
one line that says how far it has got (card, portfolio digest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from commands.ui.fields import TEXT, TITLE
from commands.ui.ids import Action, View
from commands.ui.text import escape, money, user_mention
from commands.ui.values import AccountValue, ModalMeta
from commands.ui.views.blocks import Block, actions, button, context, fields, header, section
from commands.ui.views.modal import date_input, enum_select, initial, input_block, modal
from commands.ui.views.modal import text_input as text_field
from commands.ui.views.plan import Origin, item_blocks
from store.enums import ActionStatus, Level, SavePhase
from store.models import ActionItem, SavePlan
from store.plays import PHASE_WORDS, SaveDraft
from store.rows import ItemRow
from store.signals import SavePlanStatus
from store.wording import day, plural

MAX_STEPS = 12
"""Rows of the form: the draft's steps, then blank rows to add more (a blank title drops a row)."""
LEVEL_WORDS = {Level.LOW: "Low", Level.MEDIUM: "Medium", Level.HIGH: "High"}
PHASE_SHORT = {
    SavePhase.THIS_WEEK: "This week",
    SavePhase.DAYS_30: "30 days",
    SavePhase.DAYS_90: "90 days",
}
CHURN = "churn_probability"
RATIONALE = "rationale"
ARR_AT_RISK = "arr_at_risk"
DIFFICULTY = "difficulty"
HOURS = "investment_hours"
PEOPLE = "investment_people"
EXECUTIVE = "executive_involvement"
"""Block ids of the assessment (the form's field names)."""


def step_block(index: int, field: str) -> str:
    """`step3_title`: the block id of one input of one step row."""
    return f"step{index}_{field}"


def progress_words(status: SavePlanStatus, tasks: Sequence[ItemRow], today: date) -> str:
    """`2 of 5 steps done, next: Meet Sam Ortiz this week by 4 Dec` (plain text: escape it)."""
    said = f"{status.done} of {plural(status.steps, 'step')} done"
    ahead = sorted(
        (t for t in tasks if t.save_plan_id == status.id), key=lambda t: (t.due_on, t.id)
    )
    if ahead:
        step = ahead[0]
        late = " (overdue)" if step.due_on < today else ""
        said += f", next: {step.title} by {day(step.due_on, today)}{late}"
    elif status.steps and status.done == status.steps:
        said += ": every step done"
    return said


def save_plan_line(status: SavePlanStatus | None, tasks: Sequence[ItemRow], today: date) -> str:
    """What a red account's portfolio digest line says of its save plan (plain text)."""
    if status is None:
        return ":rotating_light: no save plan yet"
    return (
        f"Save plan: {progress_words(status, tasks, today)} · churn risk "
        f"{status.churn_probability.value}, save difficulty {status.difficulty.value}"
    )


def save_plan_form(
    *, meta: ModalMeta, account_name: str, draft: SaveDraft, today: date, replacing: bool
) -> dict[str, Any]:
    """The save plan, pre-filled with the draft: the risk assessment, then each step (what,
    when, who on our side, by when). Saved, the steps become internal tasks."""
    blocks: list[dict[str, Any]] = [
        section(
            f"*Save plan for {escape(account_name)}*, drafted from the signals that fire. "
            "Edit anything; each step names a person, a meeting or a deliverable, with an owner "
            "on our side and a date. Clear a step's title to drop it."
        )
    ]
    if replacing:
        blocks.append(
            context(
                ":warning: Saving replaces the current plan: its open steps are cancelled "
                "(done ones are kept)."
            )
        )
    blocks += [
        input_block(
            CHURN,
            "Churn probability",
            enum_select(list(Level), value=draft.churn_probability, words=LEVEL_WORDS),
        ),
        input_block(
            RATIONALE,
            "Why (the rationale)",
            text_field(max_length=TEXT, value=draft.rationale, multiline=True),
        ),
        input_block(
            ARR_AT_RISK, "ARR at risk", text_field(max_length=20, value=f"{draft.arr_at_risk:f}")
        ),
        input_block(
            DIFFICULTY,
            "Save difficulty",
            enum_select(list(Level), value=draft.difficulty, words=LEVEL_WORDS),
        ),
        input_block(
            HOURS, "Investment: hours", text_field(max_length=6, value=str(draft.investment_hours))
        ),
        input_block(
            PEOPLE,
            "Investment: people on our side",
            text_field(max_length=3, value=str(draft.investment_people)),
        ),
        input_block(
            EXECUTIVE,
            "Investment: executive involvement",
            text_field(max_length=500, value=draft.executive_involvement),
            optional=True,
        ),
    ]
    steps = list(draft.steps[:MAX_STEPS])
    for index in range(MAX_STEPS):
        step = steps[index] if index < len(steps) else None
        number = index + 1
        blocks += [
            input_block(
                step_block(index, "title"),
                f"Step {number}",
                text_field(max_length=TITLE, value=step.title if step else None),
                optional=True,
            ),
            input_block(
                step_block(index, "phase"),
                f"Step {number}: when",
                enum_select(
                    list(SavePhase),
                    value=step.phase if step else SavePhase.DAYS_30,
                    words=PHASE_SHORT,
                ),
                optional=True,
            ),
            input_block(
                step_block(index, "owner"),
                f"Step {number}: owner on our side",
                initial(
                    {"type": "users_select"}, "initial_user", step.owner_user_id if step else None
                ),
                optional=True,
            ),
            input_block(
                step_block(index, "due"),
                f"Step {number}: by",
                date_input(step.due_on if step else None),
                optional=True,
            ),
        ]
    return modal(callback_id=View.SAVE_PLAN_FORM, title="Save plan", blocks=blocks, meta=meta)


def save_plan_blocks(
    *, account_id: int, account_name: str, plan: SavePlan, steps: Sequence[ActionItem], today: date
) -> list[Block]:
    """The saved plan: its assessment, then its steps by phase, each with Done (or Reopen)."""
    done = sum(s.status is ActionStatus.DONE for s in steps)
    blocks: list[Block] = [
        header(f"Save plan: {account_name}"),
        section(
            f"{done} of {plural(len(steps), 'step')} done · saved "
            f"{day(plan.created_at.date(), today)} by {user_mention(plan.created_by_user_id)}"
        ),
        fields(
            f"*Churn probability*\n{LEVEL_WORDS[plan.churn_probability]}",
            f"*ARR at risk*\n{money(plan.arr_at_risk, plan.currency)}",
            f"*Save difficulty*\n{LEVEL_WORDS[plan.difficulty]}",
            f"*Investment*\n{plural(plan.investment_hours, 'hour')}, "
            f"{plural(plan.investment_people, 'person', 'people')}",
        ),
        section(f"*Why*: {escape(plan.rationale)}"),
    ]
    if plan.executive_involvement:
        blocks.append(context(f"Executive involvement: {escape(plan.executive_involvement)}"))
    for phase in SavePhase:
        mine = [s for s in steps if s.phase is phase]
        if not mine:
            continue
        blocks.append(section(f"*{PHASE_WORDS[phase]}*"))
        for step in mine:
            if step.status in (ActionStatus.OPEN, ActionStatus.BLOCKED, ActionStatus.DONE):
                blocks += item_blocks(step, today, origin=Origin.SAVE_PLAN)
    blocks.append(
        actions(
            button(
                "Redraft save plan",
                action_id=Action.SAVE_PLAN,
                value=AccountValue.write(account_id=account_id),
            )
        )
    )
    return blocks[:50]
