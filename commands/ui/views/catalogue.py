"""The product catalogue as Slack shows it: its entries in the settings menu, the entry form,
and the card's products and whitespace lines (every name escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from commands.ui.fields import CURRENCIES
from commands.ui.ids import Action, View
from commands.ui.text import escape, money
from commands.ui.values import CatalogueEntryValue, ModalMeta
from commands.ui.views.blocks import Block, actions, context
from commands.ui.views.modal import initial, input_block, modal, option, text_input
from store.catalogue import (
    BASIS,
    CURRENCY,
    KIND,
    MAX_PRICE,
    NAME,
    PRICE,
    REMOVE,
    REQUIRES,
    AccountProducts,
    EntryRow,
    Whitespace,
)
from store.enums import CatalogueKind, PriceBasis
from store.names import NAME_LENGTH

BASES = {PriceBasis.PER_SEAT: "per seat", PriceBasis.PER_UNIT: "per unit", PriceBasis.FLAT: "flat"}
KINDS = {CatalogueKind.PRODUCT: "Product", CatalogueKind.MODULE: "Module (needs a product)"}
NO_PRODUCT = "none"
"""The needed-product select's one option while the catalogue has no product (it picks none)."""
SUMMARY_LENGTH = 2500
"""The catalogue's summary in the settings menu, cut to fit a section (3,000 characters)."""


def amount(value: Decimal, currency: str) -> str:
    """A price: compact (`$18`, `$4k`), or exact when compacting would lose cents (`0.1 USD`)."""
    if value == value.to_integral_value() or value >= 1000:
        return money(value, currency)
    return f"{value.normalize():f} {currency}"


def price_text(entry: EntryRow) -> str:
    """`$18/seat`, `$0.5 USD/unit`, `$4k flat`, or `no price`."""
    if entry.list_price is None or entry.price_basis is None:
        return "no price"
    shown = amount(entry.list_price, entry.currency)
    if entry.price_basis is PriceBasis.FLAT:
        return f"{shown} flat"
    return f"{shown}/{'seat' if entry.price_basis is PriceBasis.PER_SEAT else 'unit'}"


def entry_name(entry: EntryRow) -> str:
    """The entry's name, escaped; a module's says so (`SSO module`)."""
    name = escape(entry.name)
    return f"{name} module" if entry.kind is CatalogueKind.MODULE else name


def catalogue_summary(entries: Sequence[EntryRow]) -> str:
    if not entries:
        return "None yet: add the products and modules the team sells, with their list prices."
    names = {e.id: e.name for e in entries}
    parts = [
        f"{entry_name(e)}"
        + (f" of {escape(names.get(e.requires_id, '?'))}" if e.requires_id is not None else "")
        + f" ({price_text(e)})"
        for e in entries
    ]
    text = " · ".join(parts)
    return text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH].rsplit(" · ", 1)[0] + " …"


def catalogue_picker(entries: Sequence[EntryRow]) -> list[Block]:
    """The menu's "Edit or remove an entry": one option per entry (at most 100, Slack's limit
    and the catalogue's)."""
    if not entries:
        return []
    return [
        actions(
            {
                "type": "static_select",
                "action_id": Action.CATALOGUE_ENTRY.value,
                "placeholder": {"type": "plain_text", "text": "Edit or remove an entry"},
                "options": [
                    option(CatalogueEntryValue.write(entry_id=e.id), e.name) for e in entries[:100]
                ],
            }
        )
    ]


def entry_form(
    *,
    meta: ModalMeta,
    entries: Sequence[EntryRow],
    current: EntryRow | None,
    reporting_currency: str,
) -> dict[str, Any]:
    """A catalogue entry, new (`current` None) or to change or remove."""
    kinds = [option(k.value, text) for k, text in KINDS.items()]
    bases = [option(b.value, text) for b, text in BASES.items()]
    products = [
        option(str(e.id), e.name)
        for e in entries
        if e.kind is CatalogueKind.PRODUCT and (current is None or e.id != current.id)
    ][:100]
    kind = current.kind if current else CatalogueKind.PRODUCT
    currency = current.currency if current else reporting_currency
    if currency not in CURRENCIES:
        currency = CURRENCIES[0]
    needed = next((o for o in products if current and o["value"] == str(current.requires_id)), None)
    basis = current.price_basis if current else None
    blocks: list[Block] = [
        context(
            "A product, or a module that needs one product. The list price and its basis give "
            "each account's whitespace an estimate (per seat: times the seats licensed; flat: "
            "as it is)."
        ),
        input_block(
            NAME, "Name", text_input(max_length=NAME_LENGTH, value=current and current.name)
        ),
        input_block(
            KIND,
            "Kind",
            {
                "type": "radio_buttons",
                "options": kinds,
                "initial_option": kinds[list(KINDS).index(kind)],
            },
        ),
        input_block(
            REQUIRES,
            "Needs product",
            initial(
                {
                    "type": "static_select",
                    "placeholder": {"type": "plain_text", "text": "A module's product"},
                    "options": products or [option(NO_PRODUCT, "No product in the catalogue yet")],
                },
                "initial_option",
                needed,
            ),
            optional=True,
            hint="Modules only: the one product it needs. Leave empty for a product.",
        ),
        input_block(
            PRICE,
            "List price",
            initial(
                {
                    "type": "number_input",
                    "is_decimal_allowed": True,
                    "min_value": "0",
                    "max_value": f"{MAX_PRICE:f}",
                },
                "initial_value",
                f"{current.list_price:f}" if current and current.list_price is not None else None,
            ),
            optional=True,
            hint="Leave empty when there is no list price: its whitespace has no estimate.",
        ),
        input_block(
            BASIS,
            "Price per",
            initial(
                {"type": "static_select", "options": bases},
                "initial_option",
                bases[list(BASES).index(basis)] if basis else None,
            ),
            optional=True,
        ),
        input_block(
            CURRENCY,
            "Currency",
            {
                "type": "static_select",
                "options": [option(c, c) for c in CURRENCIES],
                "initial_option": option(currency, currency),
            },
        ),
    ]
    if current is not None:
        blocks.append(
            input_block(
                REMOVE,
                "Remove",
                {
                    "type": "checkboxes",
                    "options": [option("remove", "Remove this entry from the catalogue")],
                },
                optional=True,
                hint="Refused while a module needs it or an account uses it.",
            )
        )
    return modal(
        callback_id=View.CATALOGUE_FORM, title="Product catalogue", blocks=blocks, meta=meta
    )


def whitespace_part(row: Whitespace) -> str:
    """`Analytics ($18/seat)`, `SSO module ($4k flat)`."""
    return f"{entry_name(row.entry)} ({price_text(row.entry)})"


LINE_LENGTH = 900
"""Each of the card's two catalogue lines, at most (the card's context holds 2,000)."""


def products_lines(products: AccountProducts) -> list[str]:
    """The card's `Products: …` and `Whitespace: …` (or `no catalogue yet`)."""
    used = _listed([entry_name(e) for e in products.in_use]) or "_none recorded_"
    if not products.catalogued:
        return [f"Products: {used}", "Whitespace: no catalogue yet"]
    gaps = _listed([whitespace_part(r) for r in products.whitespace]) or "none"
    return [f"Products: {used}", f"Whitespace: {gaps}"]


def _listed(parts: Sequence[str]) -> str:
    """`a, b, c`, or as many as fit in `LINE_LENGTH` and `…and 12 more`."""
    shown: list[str] = []
    length = 0
    for part in parts:
        if length + len(part) + 2 > LINE_LENGTH - 20:
            return ", ".join(shown) + f" …and {len(parts) - len(shown)} more"
        shown.append(part)
        length += len(part) + 2
    return ", ".join(shown)
