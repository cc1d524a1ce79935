"""Typed values the bot writes into Slack and reads back: row ids in buttons and options (one
strict parser), and what a modal carries in its private metadata (`ModalMeta`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from commands.ui.errors import UserError

URL = r"^https?://[^\s<>|]+$"
_WHOLE = re.compile(r"0|[1-9][0-9]{0,9}")
"""A whole number as the bot writes it: ASCII digits, no sign, space, point or leading zero."""
LARGEST_ID = 2**31 - 1
"""Ids and versions are INTEGER columns: PostgreSQL refuses a larger number (SQLite would not)."""


def payload_id(value: object) -> int | None:
    """The one parser of a row id read from a payload: a button's value (or the number in it),
    an option picked in a form, a modal's private metadata. It accepts exactly what the bot
    writes: a positive whole number up to LARGEST_ID, in ASCII digits with no sign, space,
    decimal point or leading zero (or that number as a JSON integer). Anything else (`" 2"`,
    `"+2"`, `"2.0"`, `"02"`, `"²"`) is None, so a value can never be read as another row than
    the one that is checked: parse once with this, then check and write that same int."""
    number = _whole(value)
    return number if number else None


def payload_offset(value: object) -> int | None:
    """A page offset in a button's value: 0 or a number by the same rule as `payload_id`."""
    return _whole(value)


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= LARGEST_ID else None
    if isinstance(value, str) and _WHOLE.fullmatch(value) and int(value) <= LARGEST_ID:
        return int(value)
    return None


def _strict_id(value: object) -> int | None:
    if value is None:
        return None
    parsed = payload_id(value)
    if parsed is None:
        raise ValueError("Pick one of the options offered.")
    return parsed


PayloadId = Annotated[int, BeforeValidator(_strict_id)]
"""A pydantic field holding a row id, parsed by `payload_id` (pydantic's own int parsing would
also take `" 2"`, `"+2"` or `2.0`, and numbers too large for the database)."""


STALE_FORM = (
    "This form no longer matches what the bot knows, so nothing was saved. "
    "Close it and open it again."
)


class ModalMeta(BaseModel):
    """What a modal carries in `private_metadata` (at most 3,000 characters)."""

    model_config = ConfigDict(frozen=True)

    account_id: PayloadId | None = None
    stakeholder_id: PayloadId | None = None
    response_url: Annotated[str | None, Field(max_length=1000, pattern=URL)] = None
    message_link: Annotated[str | None, Field(max_length=500, pattern=URL)] = None
    item_id: PayloadId | None = None
    version: Annotated[int | None, Field(ge=0, le=LARGEST_ID)] = None
    """The version of the row being edited when the modal opened (see ChangedElsewhere)."""
    replace_card: bool = False
    """The modal was opened from a card: after saving, redraw that card in place."""

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True, exclude_defaults=True)

    @classmethod
    def load(cls, view: dict[str, Any]) -> ModalMeta:
        """What the bot stored in the view; metadata it did not write is refused, clearly."""
        try:
            return cls.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            raise UserError(STALE_FORM) from None


NO_ACCOUNT = "That button no longer points at an account."


class FullCardValue(BaseModel):
    """The value of a digest's "Full card" button: the account, as its id in plain digits."""

    model_config = ConfigDict(frozen=True)

    account_id: PayloadId

    def dump(self) -> str:
        return str(self.account_id)

    @classmethod
    def load(cls, value: object) -> FullCardValue:
        """The account of a click; a value the bot did not write is refused, clearly."""
        try:
            return cls(account_id=value)  # type: ignore[arg-type]
        except ValidationError:
            raise UserError(NO_ACCOUNT) from None
