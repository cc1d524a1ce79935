"""Validated contents of the mutual-action modals (field names are block ids)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from commands.forms import FormErrors, required_name
from commands.people_forms import optional_text
from commands.ui.fields import NAME, SLACK_ID, TEXT, TITLE
from commands.ui.values import URL, PayloadId


def _today(info: ValidationInfo) -> date:
    return (info.context or {}).get("today") or date.today()  # noqa: DTZ011


def not_past(value: date, info: ValidationInfo) -> date:
    """A commitment is due today or later when it is made or moved."""
    if value < _today(info):
        raise ValueError("That date is in the past: pick today or later.")
    return value


class ActionForm(BaseModel):
    """A commitment: what, an owner on each side, a date."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: Annotated[str, Field(max_length=TITLE)]
    our_owner_user_id: Annotated[str, Field(pattern=SLACK_ID)]
    customer_owner_stakeholder_id: PayloadId | None = None
    customer_owner_name: Annotated[str | None, Field(max_length=NAME)] = None
    due_on: date
    link: Annotated[str | None, Field(max_length=500, pattern=URL)] = None

    _title = field_validator("title")(lambda value: required_name(value, "Say what will be done."))
    _name = field_validator("customer_owner_name")(optional_text)

    @model_validator(mode="after")
    def _owner_on_their_side(self) -> ActionForm:
        if self.customer_owner_stakeholder_id is None and not self.customer_owner_name:
            raise FormErrors(
                {"customer_owner_stakeholder_id": "Pick their owner, or type a name below."}
            )
        return self


class NewActionForm(ActionForm):
    """On creation the due date may not lie in the past."""

    _due = field_validator("due_on")(not_past)


class TaskForm(BaseModel):
    """An internal task: what, our owner (a Slack user), a date; nobody on the customer's side.
    As edited: an overdue task keeps its date unless it is moved (`moved_not_past`)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: Annotated[str, Field(max_length=TITLE)]
    our_owner_user_id: Annotated[str, Field(pattern=SLACK_ID)]
    due_on: date

    _title = field_validator("title")(lambda value: required_name(value, "Say what will be done."))

    def moved_not_past(self, *, was: date, today: date) -> None:
        """An edit may keep the date the task had (overdue or not) but not move it into the
        past, the rule of a new task's date."""
        if self.due_on != was and self.due_on < today:
            raise FormErrors({"due_on": "That date is in the past: pick today or later."})


class NewTaskForm(TaskForm):
    """On creation the due date may not lie in the past."""

    _due = field_validator("due_on")(not_past)


class RescheduleForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    due_on: date

    _due = field_validator("due_on")(not_past)


class BlockForm(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    blocked_reason: Annotated[str, Field(max_length=TEXT)]

    _reason = field_validator("blocked_reason")(
        lambda value: required_name(value, "Say what it is waiting for.")
    )
