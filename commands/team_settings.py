"""`/account settings`: each section's form saved, every change recorded (the menu and the forms
are built in `commands.loaders`). Workspace admins only: their routes declare it, checked when a
form opens and again when it is saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from commands.forms import FormErrors, parse_form, required_name, state_values
from commands.loaders import settings_menu_of
from commands.submissions import save_submission
from commands.ui.fields import CURRENCIES
from commands.ui.values import ModalMeta
from commands.ui.views.catalogue import NO_PRODUCT
from commands.ui.views.settings import (
    ALL_CLEAR,
    CURRENCY_BLOCK,
    LEADS_BLOCK,
    OWNER_DMS,
    RATE_BLOCK,
    WEEKLY_ALL_CLEAR,
)
from store.catalogue import MAX_PRICE, NAME, REMOVE, EntryValues, remove_entry, save_entry
from store.db import Database
from store.enums import CatalogueKind, PriceBasis
from store.leads import MAX_LEADS, USER_ID, TeamLeads, save_leads
from store.names import NAME_LENGTH
from store.settings import (
    DigestSettings,
    RevenueSettings,
    SettingsSection,
    Thresholds,
    save_settings,
)

REQUIRED = "This field is required."


class SettingsForm(BaseModel):
    """The digest settings modal as typed (field names are its block ids)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    weekday: Annotated[int, Field(ge=0, le=6)]
    at: time
    timezone: str
    portfolio_channel_id: Annotated[str | None, Field(pattern=r"^[CG][A-Z0-9]{2,31}$")] = None
    options: list[str] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return DigestSettings.model_validate({"timezone": value}).timezone

    def settings(self) -> DigestSettings:
        return DigestSettings(
            weekday=self.weekday,
            at=self.at,
            timezone=self.timezone,
            portfolio_channel_id=self.portfolio_channel_id,
            all_clear=ALL_CLEAR in self.options,
            weekly_all_clear=WEEKLY_ALL_CLEAR in self.options,
            owner_digests=OWNER_DMS in self.options,
        )


class CatalogueForm(BaseModel):
    """A catalogue entry as typed (field names are its block ids): a name without mentions, a
    price that is a price, its basis with it, a currency of the list, a module with its
    product and a product without one."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    catalogue_name: Annotated[str, Field(max_length=NAME_LENGTH)]
    catalogue_kind: CatalogueKind
    catalogue_requires: Annotated[int | None, Field(validate_default=True)] = None
    catalogue_price: Decimal | None = None
    catalogue_basis: Annotated[PriceBasis | None, Field(validate_default=True)] = None
    catalogue_currency: str
    catalogue_remove: list[str] = []

    @field_validator("catalogue_name")
    @classmethod
    def _name(cls, value: str) -> str:
        name = required_name(value, "Give the entry a name.")
        if any(mark in name for mark in "<>@"):
            raise ValueError("A name cannot hold a mention, nor < or >: type the name alone.")
        return name

    @field_validator("catalogue_requires", mode="before")
    @classmethod
    def _no_product_yet(cls, value: object) -> object:
        """The select's one option while the catalogue has no product (`none`) picks nothing."""
        return None if value == NO_PRODUCT else value

    @field_validator("catalogue_requires")
    @classmethod
    def _needs(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("catalogue_kind")
        if kind is CatalogueKind.MODULE and value is None:
            raise ValueError("A module needs one product of the catalogue: pick it.")
        if kind is CatalogueKind.PRODUCT and value is not None:
            raise ValueError(
                "A product needs no other entry: leave this empty, or make it a module."
            )
        return value

    @field_validator("catalogue_price")
    @classmethod
    def _price(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        if not value.is_finite() or value < 0:
            raise ValueError("A list price is a number, 0 or more.")
        if value > MAX_PRICE:
            raise ValueError(f"That is not a list price: at most {MAX_PRICE:,.2f}.")
        if value != value.quantize(Decimal("0.01")):
            raise ValueError("A list price has at most two decimals.")
        return value

    @field_validator("catalogue_basis")
    @classmethod
    def _basis(cls, value: PriceBasis | None, info: ValidationInfo) -> PriceBasis | None:
        priced = info.data.get("catalogue_price") is not None
        if priced and value is None:
            raise ValueError("Say what the price is per: a seat, a unit, or flat.")
        if not priced and value is not None and "catalogue_price" in info.data:
            raise ValueError("A basis goes with a list price: give the price, or leave this empty.")
        return value

    @field_validator("catalogue_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"Pick one of {', '.join(CURRENCIES)}.")
        return value

    def change(self) -> CatalogueChange:
        return CatalogueChange(
            values=EntryValues(
                name=self.catalogue_name,
                kind=self.catalogue_kind,
                list_price=self.catalogue_price,
                price_basis=self.catalogue_basis,
                currency=self.catalogue_currency,
                requires_id=self.catalogue_requires,
            ),
            remove=bool(self.catalogue_remove),
        )


class CatalogueChange(BaseModel):
    """An entry saved, or (`remove`) taken out of the catalogue."""

    model_config = ConfigDict(frozen=True)

    values: EntryValues
    remove: bool = False


SettingsValues = Thresholds | DigestSettings | TeamLeads | RevenueSettings | CatalogueChange


def _settings_listener(
    section: SettingsSection, read: Callable[[dict[str, Any]], SettingsValues], *, first_block: str
) -> Callable[..., None]:
    """The listener of a section's form (`read` types what was submitted; the user is an admin:
    the route checked): saved with its history in one transaction unless the settings changed
    since the form opened, then the menu underneath redrawn with the change in it."""

    def listener(
        value: ModalMeta,
        ack: Callable[..., None],
        body: dict[str, Any],
        view: dict[str, Any],
        client: WebClient,
        db: Database,
        team_id: str,
        digest_defaults: DigestSettings,
        access: Access,
        today: date,
    ) -> None:
        def write(session: Session) -> bool:
            values = read(view)
            if isinstance(values, CatalogueChange):
                _save_catalogue(session, values, meta=value, team_id=team_id, by=access.user_id)
                return True
            if isinstance(values, TeamLeads):
                save_leads(
                    session,
                    team_id=team_id,
                    leads=values,
                    by_user_id=access.user_id,
                    expected_version=value.version,
                )
                return True
            save_settings(
                session,
                team_id=team_id,
                section=section,
                values=values,
                defaults=digest_defaults,
                by_user_id=access.user_id,
                expected_version=value.version,
            )
            return True

        saved = save_submission(
            ack, body=body, db=db, write=write, access=access, default_block=first_block
        )
        if saved and (menu_id := view.get("root_view_id")) and menu_id != view.get("id"):
            with db.reading() as session:
                menu = settings_menu_of(
                    session, team_id=team_id, defaults=digest_defaults, today=today
                )
            client.views_update(view_id=menu_id, view=menu)

    listener.__name__, listener.__doc__ = read.__name__.lstrip("_"), read.__doc__
    return listener


def _save_catalogue(
    session: Session, change: CatalogueChange, *, meta: ModalMeta, team_id: str, by: str | None
) -> None:
    if change.remove:
        if meta.entry_id is None:  # the form of a new entry has no such box
            raise FormErrors({REMOVE: "There is nothing to remove yet."})
        remove_entry(
            session,
            team_id=team_id,
            entry_id=meta.entry_id,
            by_user_id=by,
            expected_version=meta.version,
        )
        return
    save_entry(
        session,
        team_id=team_id,
        entry_id=meta.entry_id,
        values=change.values,
        by_user_id=by,
        expected_version=meta.version,
    )


class ThresholdsForm(Thresholds):
    """The thresholds as an admin saves them: every number within its bounds, and low adoption
    starting below the expansion signal (checked here, when saving, never when reading what is
    stored)."""

    @field_validator("adoption_risk_seat_percent")
    @classmethod
    def _below_expansion(cls, value: int, info: ValidationInfo) -> int:
        expansion = info.data.get("expansion_seat_percent")
        if expansion is not None and value >= expansion:
            raise ValueError(
                f"Low adoption must start below the expansion signal ({expansion}%), "
                "or an account could be both at once."
            )
        return value


def _digest_settings(view: dict[str, Any]) -> DigestSettings:
    """Save when and where the team's digests go out."""
    return parse_form(SettingsForm, view).settings()


def _thresholds(view: dict[str, Any]) -> Thresholds:
    """Save when each of the method's warning signals fires, for the whole team."""
    typed = state_values(view)
    if missing := {name: REQUIRED for name in Thresholds.model_fields if name not in typed}:
        raise FormErrors(missing)  # never a default in place of what the form left out
    return parse_form(ThresholdsForm, view)


def _leads(view: dict[str, Any]) -> TeamLeads:
    """Save who the team's leads are (they see the team's portfolio, as admins do)."""
    return parse_form(LeadsForm, view).team_leads()


class LeadsForm(BaseModel):
    """The leads' form as typed (its one block id): people of the workspace, at most 100."""

    model_config = ConfigDict(frozen=True)

    leads: Annotated[list[Annotated[str, Field(pattern=USER_ID)]], Field(max_length=MAX_LEADS)] = []

    def team_leads(self) -> TeamLeads:
        return TeamLeads(user_ids=tuple(self.leads))


def _revenue(view: dict[str, Any]) -> RevenueSettings:
    """Save the reporting currency and the rates other currencies convert at."""
    typed = state_values(view)
    currency = str(typed.get(CURRENCY_BLOCK, ""))
    errors: dict[str, str] = {}
    if currency not in CURRENCIES:
        errors[CURRENCY_BLOCK] = f"Pick one of {', '.join(CURRENCIES)}."
    opened = _initial_values(view)  # what the form showed: the currency, each rate
    was = opened.get(CURRENCY_BLOCK)
    rates: dict[str, Decimal] = {}
    for block, text in typed.items():
        code = block.removeprefix(RATE_BLOCK)
        if not block.startswith(RATE_BLOCK) or code == currency:
            continue
        if was and was != currency and text is not None and str(text) == opened.get(block):
            errors[block] = (
                f"This rate is what 1 {code} is worth in {was}: with {currency} as the reporting "
                f"currency, enter what it is worth in {currency}."
            )
            continue
        if code not in CURRENCIES:  # only a crafted submission names one the form never shows
            errors[block] = f"Not a currency the bot knows: pick one of {', '.join(CURRENCIES)}."
            continue
        try:
            rate = Decimal(str(text))
        except InvalidOperation:
            errors[block] = "Enter a number, like 1.08."
            continue
        if not rate.is_finite() or not MIN_RATE <= rate <= MAX_RATE:
            errors[block] = f"A rate is a number from {MIN_RATE:f} to {MAX_RATE:,}."
            continue
        rates[code] = rate.normalize()
    if errors:
        raise FormErrors(errors)
    return RevenueSettings(currency=currency, rates=rates)


def _catalogue(view: dict[str, Any]) -> CatalogueChange:
    """Save an entry of the product catalogue (a product or a module, its list price), or
    remove it."""
    return parse_form(CatalogueForm, view).change()


def _initial_values(view: dict[str, Any]) -> dict[str, str]:
    """Each input's value as the form showed it when opened (Slack sends the view back whole)."""
    shown: dict[str, str] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        value = element.get("initial_value") or (element.get("initial_option") or {}).get("value")
        if block.get("block_id") and value is not None:
            shown[block["block_id"]] = str(value)
    return shown


MIN_RATE = Decimal("0.000001")
MAX_RATE = Decimal(1_000_000)
"""What one unit of a currency may be worth in another: a millionth to a million (a rate
outside is a typo, and would make the report's figures nonsense)."""
FIRST_BLOCKS = {
    SettingsSection.DIGESTS: "weekday",
    SettingsSection.THRESHOLDS: "min_threads",
    SettingsSection.LEADS: LEADS_BLOCK,
    SettingsSection.REVENUE: CURRENCY_BLOCK,
    SettingsSection.CATALOGUE: NAME,
}
"""Each section's first input: a refusal at submission is shown beside it."""
save_digest_settings = _settings_listener(
    SettingsSection.DIGESTS, _digest_settings, first_block=FIRST_BLOCKS[SettingsSection.DIGESTS]
)
save_thresholds = _settings_listener(
    SettingsSection.THRESHOLDS, _thresholds, first_block=FIRST_BLOCKS[SettingsSection.THRESHOLDS]
)
save_leads_form = _settings_listener(
    SettingsSection.LEADS, _leads, first_block=FIRST_BLOCKS[SettingsSection.LEADS]
)
save_revenue_settings = _settings_listener(
    SettingsSection.REVENUE, _revenue, first_block=FIRST_BLOCKS[SettingsSection.REVENUE]
)
save_catalogue_entry = _settings_listener(
    SettingsSection.CATALOGUE, _catalogue, first_block=FIRST_BLOCKS[SettingsSection.CATALOGUE]
)
