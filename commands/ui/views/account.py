"""The account modal, empty for `/account new` or filled in for `/account edit`."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from typing import Any

from commands.ui.fields import CURRENCIES
from commands.ui.ids import AccountField, Action, View
from commands.ui.text import channel_mention
from commands.ui.values import ModalMeta
from commands.ui.views.blocks import Block, context
from commands.ui.views.modal import initial, input_block, modal, option
from store.catalogue import PRODUCTS, EntryRow
from store.enums import RevenueKind, Segment, label
from store.models import Account
from store.names import NAME_LENGTH

F = AccountField
CHANNEL_WARNING = "channel_warning"
"""Block id of the warning under the linked channel when that channel is shared outside."""
VIEW_KEYS = frozenset(
    {"type", "title", "blocks", "close", "submit", "private_metadata", "callback_id"}
)
"""What of a view Slack sent back may be sent to views.update again."""


def _months(chosen: int | None) -> dict[str, Any]:
    """A select of the twelve months (January is 1), the chosen one picked."""
    options = [option(str(n), calendar.month_name[n]) for n in range(1, 13)]
    picked = options[chosen - 1] if chosen else None
    return initial({"type": "static_select", "options": options}, "initial_option", picked)


def _input(
    block_id: F,
    title: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str = "",
    dispatch: bool = False,
) -> dict[str, Any]:
    return input_block(
        block_id.value, title, element, optional=optional, hint=hint, dispatch=dispatch
    )


def linked_channel(view: dict[str, Any]) -> str | None:
    """The channel the account form names at first (its initial conversation)."""
    for block in view.get("blocks") or []:
        if block.get("block_id") == F.CHANNEL.value:
            return (block.get("element") or {}).get("initial_conversation")
    return None


def channel_warning(channel_id: str) -> str:
    return (
        f":warning: {channel_mention(channel_id)} is shared with another organisation. The bot "
        "will post nothing internal there: this account's digests go to its owner by DM "
        "instead, and its card cannot be shared there."
    )


def with_channel_warning(view: dict[str, Any], warning: str | None) -> dict[str, Any]:
    """The account form with `warning` under its linked channel (None: without one), ready
    for views.update (what Slack added to the view it sent back is left out)."""
    blocks = [b for b in view.get("blocks") or [] if b.get("block_id") != CHANNEL_WARNING]
    if warning:
        at = next(
            (i + 1 for i, b in enumerate(blocks) if b.get("block_id") == F.CHANNEL.value),
            len(blocks),
        )
        blocks.insert(at, {**context(warning), "block_id": CHANNEL_WARNING})
    return {k: v for k, v in view.items() if k in VIEW_KEYS} | {"blocks": blocks}


CHANGE_KINDS = {
    RevenueKind.EXPANSION: "Expansion (they buy more)",
    RevenueKind.CONTRACTION: "Contraction (they pay less)",
    RevenueKind.CORRECTION: "Correction (the figure was wrong)",
}
"""What a change of ARR made on the form may be (new is the account's creation; churn is a
renewal's answer)."""


def _kind_select() -> dict[str, Any]:
    return _input(
        F.ARR_KIND,
        "Kind of ARR change",
        {
            "type": "static_select",
            "placeholder": {"type": "plain_text", "text": "Only when ARR changes"},
            "options": [option(kind.value, text) for kind, text in CHANGE_KINDS.items()],
        },
        optional=True,
        hint="Needed when you change ARR: a correction does not count as revenue movement.",
    )


def _products(catalogue: Sequence[EntryRow] | None, in_use: Collection[int]) -> list[Block]:
    """The products in use, a multi-select of the catalogue; or why there is none."""
    if catalogue is None:
        return [context("Products in use: pick them with *Edit account* once it is created.")]
    if not catalogue:
        return [
            context(
                "Products in use: the team has no product catalogue yet. A workspace admin adds "
                "products and modules in `/account settings`."
            )
        ]
    options = [option(str(e.id), e.name) for e in catalogue[:100]]
    chosen = [o for o in options if int(o["value"]) in in_use]
    return [
        input_block(
            PRODUCTS,
            "Products in use",
            initial(
                {"type": "multi_static_select", "options": options},
                "initial_options",
                chosen,
            ),
            optional=True,
            hint="From the team's catalogue; a module only with its product.",
        )
    ]


def account_form(
    *,
    meta: ModalMeta,
    account: Account | None = None,
    name: str = "",
    channel_id: str | None = None,
    owner_user_id: str | None = None,
    catalogue: Sequence[EntryRow] | None = None,
    in_use: Collection[int] = (),
) -> dict[str, Any]:
    """The modal; an `account` fills every field, otherwise the given defaults do. Its products
    are picked from the team's `catalogue` (None: not read, as for a form built from a click
    alone, then they are set on Edit account)."""
    editing = account is not None
    name = account.name if account else name
    channel_id = account.channel_id if account else channel_id
    owner_user_id = account.owner_user_id if account else owner_user_id
    currency = account.currency if account else "USD"
    segment = account.segment if account else Segment.MID_MARKET
    number = {"type": "number_input", "is_decimal_allowed": False, "min_value": "0"}
    date_picker = {"type": "datepicker"}
    blocks = [
        _input(
            F.NAME,
            "Account name",
            initial({"type": "plain_text_input", "max_length": NAME_LENGTH}, "initial_value", name),
        ),
        _input(
            F.CHANNEL,
            "Linked channel",
            initial(
                {
                    "type": "conversations_select",
                    "action_id": Action.ACCOUNT_CHANNEL.value,
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
                "initial_conversation",
                channel_id,
            ),
            optional=True,
            hint="The account's channel gets the card on /account and its Monday digest.",
            dispatch=True,  # picking a channel tells the bot, which warns if it is shared
        ),
        _input(
            F.OWNER,
            "Owner",
            initial({"type": "users_select"}, "initial_user", owner_user_id),
            optional=True,
        ),
        _input(
            F.ARR,
            "ARR",
            initial(
                {"type": "number_input", "is_decimal_allowed": True, "min_value": "0"},
                "initial_value",
                f"{account.arr:f}" if account else "",
            ),
            hint="Annual recurring revenue, in the currency below.",
        ),
        *([_kind_select()] if editing else []),
        _input(
            F.CURRENCY,
            "Currency",
            {
                "type": "static_select",
                "options": [option(c, c) for c in CURRENCIES],
                "initial_option": option(currency, currency),
            },
        ),
        _input(
            F.CONTRACT_START,
            "Contract start",
            initial(
                date_picker,
                "initial_date",
                account.contract_start.isoformat() if account and account.contract_start else None,
            ),
            optional=True,
        ),
        _input(
            F.CONTRACT_MONTHS,
            "Contract term (months)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "60",
                "initial_value": str(account.contract_months if account else 12),
            },
            hint="A renewal recorded moves the renewal date on by this.",
        ),
        _input(
            F.RENEWAL,
            "Renewal date",
            initial(
                date_picker,
                "initial_date",
                account.renewal_date.isoformat() if account and account.renewal_date else None,
            ),
            optional=True,
            hint="Act at least 90 days before it.",
        ),
        _input(
            F.SEATS_LICENSED,
            "Seats licensed",
            initial(
                number,
                "initial_value",
                str(account.seats_licensed)
                if account and account.seats_licensed is not None
                else None,
            ),
            optional=True,
        ),
        _input(
            F.SEATS_ACTIVE,
            "Seats active",
            initial(
                number,
                "initial_value",
                str(account.seats_active) if account and account.seats_active is not None else None,
            ),
            optional=True,
        ),
        _input(
            F.SEGMENT,
            "Segment",
            {
                "type": "static_select",
                "options": [option(s.value, label(s)) for s in Segment],
                "initial_option": option(segment.value, label(segment)),
            },
        ),
        _input(
            F.FISCAL_YEAR,
            "Customer's fiscal year starts in",
            _months(account.fiscal_year_start_month if account else None),
            optional=True,
            hint="Their budget cycle: expansion is timed by it.",
        ),
        *_products(catalogue, in_use),
    ]
    return modal(
        callback_id=View.ACCOUNT_FORM,
        title="Edit account" if editing else "New account",
        submit="Save" if editing else "Create",
        blocks=blocks,
        meta=meta,
    )
