"""Typed, validated contents of the bot's modals; errors are keyed by the modal's block ids."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from commands.ui.fields import CURRENCIES, SLACK_ID
from commands.ui.ids import FIELD_ACTION, AccountField
from store.enums import RevenueKind, Segment

MAX_ARR = Decimal("999999999999.99")
FormModel = TypeVar("FormModel", bound=BaseModel)
FORM_KINDS = (RevenueKind.EXPANSION, RevenueKind.CONTRACTION, RevenueKind.CORRECTION)
"""The kinds of ARR change the account form records (new is its creation, churn a renewal's
answer)."""


def arr_amount(value: Decimal) -> Decimal:
    """An ARR as typed in any form: a finite amount, not negative, within `MAX_ARR`, in cents."""
    if not value.is_finite():
        raise ValueError("ARR must be a number.")
    if value < 0:
        raise ValueError("ARR cannot be negative.")
    if value > MAX_ARR:
        raise ValueError("ARR is too large.")
    return value.quantize(Decimal("0.01"))


ArrAmount = Annotated[Decimal, AfterValidator(arr_amount)]


class AccountForm(BaseModel):
    """An account as typed in the modal; field names are the modal's block ids."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: Annotated[str, Field(max_length=150)]
    channel_id: Annotated[str | None, Field(pattern=SLACK_ID)] = None
    owner_user_id: Annotated[str | None, Field(pattern=SLACK_ID)] = None
    arr: ArrAmount = Decimal("0")
    arr_kind: RevenueKind | None = None
    """What a change of ARR is (the store checks it against the change)."""
    currency: str = "USD"
    contract_start: date | None = None
    contract_months: Annotated[int, Field(ge=1, le=60)] = 12
    renewal_date: date | None = None
    seats_licensed: Annotated[int | None, Field(le=10_000_000)] = None
    seats_active: Annotated[int | None, Field(le=10_000_000)] = None
    segment: Segment = Segment.MID_MARKET
    fiscal_year_start_month: int | None = None
    """The customer's fiscal year's first month (the form's select of months)."""
    products: Annotated[list[int], Field(max_length=100)] | None = None
    """Ids of the catalogue entries in use (None: the form had no catalogue to pick from)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return required_name(value, "Give the account a name.")

    @field_validator("fiscal_year_start_month")
    @classmethod
    def _a_month(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 12:
            raise ValueError("Pick one of the months.")
        return value

    @field_validator("arr_kind")
    @classmethod
    def _kind_of_the_form(cls, value: RevenueKind | None) -> RevenueKind | None:
        if value is not None and value not in FORM_KINDS:
            raise ValueError("Pick one of the options: expansion, contraction or correction.")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value.upper() not in CURRENCIES:
            raise ValueError(f"Pick one of {', '.join(CURRENCIES)}.")
        return value.upper()

    @field_validator("renewal_date")
    @classmethod
    def _renewal_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("contract_start")
        if value is not None and start is not None and value <= start:
            raise ValueError(f"The renewal must come after the contract start ({start:%-d %b %Y}).")
        return value

    @field_validator("seats_licensed", "seats_active")
    @classmethod
    def _seats_not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("Seats cannot be negative.")
        return value

    @field_validator("seats_active")
    @classmethod
    def _active_within_licensed(cls, value: int | None, info: ValidationInfo) -> int | None:
        licensed = info.data.get("seats_licensed")
        if value is not None and licensed is not None and value > licensed:
            raise ValueError(
                f"Active seats ({value:,}) cannot exceed licensed seats ({licensed:,})."
            )
        return value


def required_name(value: str, message: str = "Give a name.") -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError(message)
    return cleaned


class FormErrors(Exception):
    """Inline errors for a modal, block id -> message, for `response_action: errors`."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


MISSING = {
    "name": "Give a name.",
    "role": "Pick a role.",
    "stakeholder_ids": "Pick at least one person.",
    "account_id": "Pick the account.",
    "channel": "Pick how you were in touch.",
    "contacted_on": "Pick the date.",
    "sentiment": "Pick a sentiment.",
    "title": "Give the new title.",
}

PATTERNS = {
    "link": "Give a web address starting with https://",
    "channel_id": "That is not a Slack channel.",
    "owner_user_id": "That is not a Slack user.",
    "our_owner_user_id": "That is not a Slack user.",
    "relationship_owner_user_id": "That is not a Slack user.",
    "leads": "Pick people of the workspace.",
}

_MESSAGES = {
    "missing": "This field is required.",
    "string_too_long": "Too long: at most {max_length} characters.",
    "string_pattern_mismatch": "That is not in the expected form.",
    "decimal_parsing": "Enter a number, like 120000 or 120000.50.",
    "finite_number": "Enter a number, like 120000 or 120000.50.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "date_from_datetime_parsing": "Pick a date.",
    "date_parsing": "Pick a date.",
    "enum": "Pick one of the options.",
    "less_than_equal": "Too large: at most {le:,}.",
    "greater_than_equal": "Too small: at least {ge:,}.",
    "too_short": "Pick at least one.",
    "too_long": "Too many: at most {max_length}.",
}


def form_errors(error: ValidationError) -> dict[str, str]:
    """Turn pydantic's errors into one clear message per modal block."""
    errors: dict[str, str] = {}
    for item in error.errors():
        block = str(item["loc"][0]) if item["loc"] else AccountField.NAME.value
        if item["type"] == "value_error":
            message = str(item["ctx"]["error"]) if "ctx" in item else item["msg"]
        elif item["type"] == "missing" and block in MISSING:
            message = MISSING[block]
        elif item["type"] == "string_pattern_mismatch" and block in PATTERNS:
            message = PATTERNS[block]
        else:
            template = _MESSAGES.get(item["type"], item["msg"])
            message = template.format(**item.get("ctx", {}))
        errors.setdefault(block, message)
    return errors


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` flattened to block id -> the value of its one input element."""
    flat: dict[str, Any] = {}
    for block_id, elements in view.get("state", {}).get("values", {}).items():
        element: dict[str, Any] = elements.get(FIELD_ACTION) or next(iter(elements.values()), {})
        flat[block_id] = _element_value(element)
    return {k: v for k, v in flat.items() if v not in (None, "")}


def _element_value(element: dict[str, Any]) -> Any:
    kind = element.get("type")
    if kind == "datepicker":
        return element.get("selected_date")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "channels_select":
        return element.get("selected_channel")
    if kind == "users_select":
        return element.get("selected_user")
    if kind in ("static_select", "external_select", "radio_buttons"):
        option = element.get("selected_option")
        return option.get("value") if isinstance(option, dict) else option
    if kind == "multi_static_select":
        return [o["value"] for o in element.get("selected_options") or []]
    if kind == "timepicker":
        return element.get("selected_time")
    if kind == "checkboxes":
        return [o["value"] for o in element.get("selected_options") or []]
    if kind == "multi_users_select":
        return element.get("selected_users") or []
    return element.get("value")


def parse_form(
    model: type[FormModel], view: dict[str, Any], *, today: date | None = None
) -> FormModel:
    """Validate a submitted modal against its form model; raises FormErrors per bad field."""
    try:
        return model.model_validate(state_values(view), context={"today": today})
    except ValidationError as error:
        raise FormErrors(form_errors(error)) from None


def parse_account_form(view: dict[str, Any]) -> AccountForm:
    return parse_form(AccountForm, view)
