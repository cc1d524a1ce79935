"""Validated contents of the stakeholder and contact modals (field names are block ids)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from commands.forms import required_name
from commands.ui.fields import EMAIL, NAME, SLACK_ID, TEXT
from commands.ui.values import PayloadId
from store.enums import ContactChannel, Influence, OrgLevel, Role, Sentiment

MAX_YEARS_BACK = 10
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def _today(info: ValidationInfo) -> date:
    return (info.context or {}).get("today") or date.today()  # noqa: DTZ011


def past_date(value: date | None, info: ValidationInfo) -> date | None:
    """A contact happened: not in the future, and not more than ten years ago."""
    if value is None:
        return None
    today = _today(info)
    if value > today:
        raise ValueError("That date is in the future.")
    if value < today - timedelta(days=365 * MAX_YEARS_BACK):
        raise ValueError(f"That is more than {MAX_YEARS_BACK} years ago.")
    return value


def optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    return cleaned or None


class StakeholderForm(BaseModel):
    """A person as typed in the stakeholder modal."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: Annotated[str, Field(max_length=NAME)]
    title: Annotated[str | None, Field(max_length=NAME)] = None
    role: Role
    influence: Influence = Influence.MEDIUM
    sentiment: Sentiment = Sentiment.NEUTRAL
    reports_to_id: PayloadId | None = None
    relationship_owner_user_id: Annotated[str | None, Field(pattern=SLACK_ID)] = None
    last_contacted_on: date | None = None
    email: Annotated[str | None, Field(max_length=EMAIL)] = None
    notes: Annotated[str | None, Field(max_length=TEXT)] = None
    department_id: PayloadId | None = None
    """One of the account's departments (the store refuses any other, `check_department`)."""
    level: OrgLevel | None = None

    _name = field_validator("name")(required_name)
    _text = field_validator("title", "notes")(optional_text)
    _contact = field_validator("last_contacted_on")(past_date)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        value = optional_text(value)
        if value is not None and not _EMAIL.match(value):
            raise ValueError("That does not look like an email address.")
        return value


class ContactForm(BaseModel):
    """A touchpoint as typed in the contact modal (the account picked, if any, is read once by
    `commands.contacts._chosen_account`)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    stakeholder_ids: Annotated[list[PayloadId], Field(min_length=1, max_length=100)]
    contacted_on: date
    channel: ContactChannel
    summary: Annotated[str, Field(max_length=TEXT)] = ""

    _date = field_validator("contacted_on")(past_date)


class SentimentForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    sentiment: Sentiment


class DepartedForm(BaseModel):
    """Where a departed person went: a champion who leaves is a lead elsewhere."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    departed_on: date
    left_for_company: Annotated[str | None, Field(max_length=NAME)] = None
    left_for_title: Annotated[str | None, Field(max_length=NAME)] = None

    _date = field_validator("departed_on")(past_date)
    _text = field_validator("left_for_company", "left_for_title")(optional_text)


class PromotedForm(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: Annotated[str, Field(max_length=NAME)]

    _title = field_validator("title")(lambda value: required_name(value, "Give the new title."))
