"""Typed values the bot writes into Slack and reads back: row ids (one strict parser), what a
modal carries in its private metadata (`ModalMeta`), and what each button or menu option carries
(`ButtonValue` and its models: the view encodes one, the route decodes it before its listener
runs, see `commands.routes`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import cache, partial
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from commands.ui.errors import UserError
from commands.ui.ids import ItemMenu, StakeholderMenu
from store.enums import OpportunityStage, RenewalOutcome, Role
from store.settings import SettingsSection

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


def _strict_offset(value: object) -> int:
    parsed = payload_offset(value)
    if parsed is None:
        raise ValueError("not a page offset")
    return parsed


PayloadOffset = Annotated[int, BeforeValidator(_strict_offset)]
"""A page offset: 0 or a whole number by the rule of `payload_id`."""


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
    entry_id: PayloadId | None = None
    """The catalogue entry a settings form changes (none: a new entry)."""
    version: Annotated[int | None, Field(ge=0, le=LARGEST_ID)] = None
    """The version of the row being edited when the modal opened (see ChangedElsewhere)."""
    replace_card: bool = False
    """The modal was opened from a card: after saving, redraw that card in place."""
    renewal_on: date | None = None
    """The renewal a "Did it renew?" form answers."""
    outcome: RenewalOutcome | None = None
    """The answer that form records."""
    lead_id: PayloadId | None = None
    """The lead from a champion move a form is about (its outreach, its new logo, its account)."""
    opportunity_id: PayloadId | None = None
    """The opportunity an Opportunity form edits (none: a new one)."""
    hypothesis_id: PayloadId | None = None
    """The expansion hypothesis a form dismisses or turns into an opportunity (of `account_id`)."""
    stage: OpportunityStage | None = None
    """The stage a Move stage form moves the deal to."""
    replace_deals: bool = False
    """The modal was opened from `/account Acme deals`: after saving, redraw that list in place."""

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True, exclude_defaults=True)

    @classmethod
    def load(cls, view: dict[str, Any]) -> ModalMeta:
        """What the bot stored in the view; metadata it did not write is refused, clearly."""
        try:
            return cls.model_validate_json(view.get("private_metadata") or "{}")
        except ValidationError:
            raise UserError(STALE_FORM) from None


class StaleValue(UserError):
    """A button or menu value the bot did not write (tampered, or from a message so old that it
    no longer means anything): refused before any listener runs, saying what it pointed at."""


MAX_VALUE = 2000
"""Slack's limit on a button's or an option's value."""
SEPARATOR = ":"


class ButtonValue(BaseModel):
    """What one button or menu option carries, as a model: its fields in order, written as
    `12`, `edit:12` or `12:10:page` (each field's text, `:` between them, a trailing empty field
    left out; the last field takes the rest, colons and all). The same encoding as the values
    in messages posted before these models, so an old card's buttons still decode. Anything
    else is refused with `refused`: the same clear answer for a stale or a forged value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    refused: ClassVar[str] = "That button no longer points at anything."

    @classmethod
    def write(cls, **fields: Any) -> str:
        """The value a view writes into a button: its fields are the bot's own rows (validated
        when read back, `decode`), so writing never fails on data. Written straight from the
        fields, no model built (a card writes some 70 of them), in the order `_layout` read
        from the model once."""
        names, layout = _layout(cls)
        if unknown := fields.keys() - names:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        values = []
        for name, required, default in layout:
            if name in fields:
                values.append(fields[name])
            elif required:
                raise TypeError(f"{cls.__name__} needs {name}")
            else:
                values.append(default())
        return cls._joined(values)

    def encode(self) -> str:
        return self._joined([getattr(self, name) for name in type(self).model_fields])

    @classmethod
    def _joined(cls, values: list[Any]) -> str:
        parts = [_text(value) for value in values]
        while parts and parts[-1] == "":
            parts.pop()
        encoded = SEPARATOR.join(parts)
        if len(encoded) > MAX_VALUE:  # a model's fields are bounded so that this never happens
            raise ValueError(f"{cls.__name__} does not fit in a button's value")
        return encoded

    @classmethod
    def decode(cls, text: object) -> Self:
        """The value as the bot wrote it, or StaleValue (`refused`)."""
        if not isinstance(text, str) or len(text) > MAX_VALUE:
            raise StaleValue(cls.refused)
        names = list(cls.model_fields)
        parts = text.split(SEPARATOR, len(names) - 1) if text else []
        fields = {name: part for name, part in zip(names, parts, strict=False) if part != ""}
        try:
            return cls.model_validate(fields)
        except ValidationError:
            raise StaleValue(cls.refused) from None

    def target(self) -> ModalMeta:
        """The row the value points at, for the route's access check (none by default)."""
        return ModalMeta()


@cache
def _layout(
    model: type[ButtonValue],
) -> tuple[frozenset[str], tuple[tuple[str, bool, Callable[[], Any]], ...]]:
    """A value model's field names, and each field in order with whether it is required and
    its default: read from pydantic once per model (its `model_fields` a property each time)."""
    fields = model.model_fields
    return frozenset(fields), tuple(
        (name, info.is_required(), partial(info.get_default, call_default_factory=True))
        for name, info in fields.items()
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


class AccountValue(ButtonValue):
    """An account's buttons: show, share, edit, log contact, add action item (`12`)."""

    refused: ClassVar[str] = "That button no longer points at an account."
    account_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)


class AccountPick(AccountValue):
    """The account picked in the contact form (the option's value, `12`)."""

    refused: ClassVar[str] = "That choice no longer points at an account."


class NewAccountValue(ButtonValue):
    """ "Create …" after a name matched nothing: the name typed (the form cuts it to fit)."""

    name: Annotated[str, Field(max_length=MAX_VALUE)] = ""


class HistoryValue(ButtonValue):
    """The History button (`12:0`) and the history's Newer/Older buttons (`12:10:page`, which
    turn the page in place)."""

    refused: ClassVar[str] = "That button no longer points at an account."
    account_id: PayloadId
    offset: PayloadOffset
    page: Literal["page"] | None = None

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)


class NewPersonValue(ButtonValue):
    """ "Add stakeholder" on a card (`12`), or "Add their replacement" under a departure alert
    (`12:champion`: the role to fill)."""

    refused: ClassVar[str] = "That button no longer points at an account."
    account_id: PayloadId
    role: Role | None = None

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)


class PersonMenuValue(ButtonValue):
    """An option of the menu beside a person on the card (`sentiment:12`)."""

    refused: ClassVar[str] = "That menu no longer points at anyone on the map."
    choice: StakeholderMenu
    stakeholder_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(stakeholder_id=self.stakeholder_id)


class NewLeaderValue(ButtonValue):
    """ "Log as new leader event" under a saved stakeholder (`12`: the person)."""

    refused: ClassVar[str] = "That button no longer points at anyone on the map."
    stakeholder_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(stakeholder_id=self.stakeholder_id)


class ItemValue(ButtonValue):
    """An action item's Done button (`12`)."""

    refused: ClassVar[str] = "That button no longer points at an action item."
    item_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(item_id=self.item_id)


class ItemMenuValue(ButtonValue):
    """An option of the menu beside an action item (`reschedule:12`)."""

    refused: ClassVar[str] = "That menu no longer points at an action item."
    choice: ItemMenu
    item_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(item_id=self.item_id)


class SectionValue(ButtonValue):
    """A settings section's Change button (`digests`)."""

    refused: ClassVar[str] = "That button no longer points at a setting."
    section: SettingsSection


class CatalogueEntryValue(ButtonValue):
    """An entry of the product catalogue picked in the settings menu (`12`)."""

    refused: ClassVar[str] = "That choice no longer points at an entry of the catalogue."
    entry_id: PayloadId


class ChannelPick(ButtonValue):
    """The channel picked in the account form (Slack's `selected_conversation`; none when
    cleared)."""

    refused: ClassVar[str] = "That choice is not a channel."
    channel_id: Annotated[str | None, Field(pattern=r"^[CGD][A-Z0-9]{2,31}$")] = None


class FullCardValue(AccountValue):
    """A weekly digest's "Full card" button (`12`): the account's card, to whoever clicks."""


class RenewalAnswerValue(ButtonValue):
    """An answer button under "Did Acme renew?" (`expanded:12:2026-11-03`): the outcome, the
    account and the renewal it answers."""

    refused: ClassVar[str] = "That button no longer points at a renewal."
    outcome: RenewalOutcome
    account_id: PayloadId
    renewal_date: date

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)


class LeadValue(ButtonValue):
    """A lead's buttons on `/account leads` (`12`): create its account, log outreach, create
    an opportunity; and the offer to add the person to the account made from it."""

    refused: ClassVar[str] = "That button no longer points at a lead."
    lead_id: PayloadId


class OpportunityValue(ButtonValue):
    """An opportunity's Edit button (`12`)."""

    refused: ClassVar[str] = "That button no longer points at an opportunity."
    opportunity_id: PayloadId


class HypothesisValue(ButtonValue):
    """A hypothesis's buttons on the growth view (`12:40`): its account, then the hypothesis."""

    refused: ClassVar[str] = "That button no longer points at a hypothesis."
    account_id: PayloadId
    hypothesis_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)


class DealValue(ButtonValue):
    """A deal's buttons on `/account Acme deals` (`12:40`): its account, then the deal."""

    refused: ClassVar[str] = "That button no longer points at a deal."
    account_id: PayloadId
    opportunity_id: PayloadId

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)


class DealStageValue(ButtonValue):
    """An option of a deal's stage menu (`12:40:proposal`): its account, the deal, the stage."""

    refused: ClassVar[str] = "That menu no longer points at a deal."
    account_id: PayloadId
    opportunity_id: PayloadId
    stage: OpportunityStage

    def target(self) -> ModalMeta:
        return ModalMeta(account_id=self.account_id)
