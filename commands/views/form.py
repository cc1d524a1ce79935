"""The account modal, empty for `/account new` or filled in for `/account edit`."""

from __future__ import annotations

from typing import Any

from bot.ids import FIELD_ACTION, AccountField, View
from commands.forms import CURRENCIES, AccountFormMeta
from commands.views.blocks import plain
from store.enums import Segment, label
from store.models import Account

F = AccountField


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def _input(
    block_id: F, title: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id.value,
        "label": plain(title, 2000),
        "element": {**element, "action_id": FIELD_ACTION},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _initial(element: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**element, key: value} if value not in (None, "") else element


def account_form(
    *,
    meta: AccountFormMeta,
    account: Account | None = None,
    name: str = "",
    channel_id: str | None = None,
    owner_user_id: str | None = None,
) -> dict[str, Any]:
    """The modal; an `account` fills every field, otherwise the given defaults do."""
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
            _initial({"type": "plain_text_input", "max_length": 150}, "initial_value", name),
        ),
        _input(
            F.CHANNEL,
            "Linked channel",
            _initial(
                {
                    "type": "conversations_select",
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
                "initial_conversation",
                channel_id,
            ),
            optional=True,
            hint="The account's channel gets the card on /account and its Monday digest.",
        ),
        _input(
            F.OWNER,
            "Owner",
            _initial({"type": "users_select"}, "initial_user", owner_user_id),
            optional=True,
        ),
        _input(
            F.ARR,
            "ARR",
            _initial(
                {"type": "number_input", "is_decimal_allowed": True, "min_value": "0"},
                "initial_value",
                f"{account.arr:f}" if account else "",
            ),
            hint="Annual recurring revenue, in the currency below.",
        ),
        _input(
            F.CURRENCY,
            "Currency",
            {
                "type": "static_select",
                "options": [_option(c, c) for c in CURRENCIES],
                "initial_option": _option(currency, currency),
            },
        ),
        _input(
            F.CONTRACT_START,
            "Contract start",
            _initial(
                date_picker,
                "initial_date",
                account.contract_start.isoformat() if account and account.contract_start else None,
            ),
            optional=True,
        ),
        _input(
            F.RENEWAL,
            "Renewal date",
            _initial(
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
            _initial(
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
            _initial(
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
                "options": [_option(s.value, label(s)) for s in Segment],
                "initial_option": _option(segment.value, label(segment)),
            },
        ),
    ]
    return {
        "type": "modal",
        "callback_id": View.ACCOUNT_FORM.value,
        "title": plain("Edit account" if editing else "New account", 24),
        "submit": plain("Save" if editing else "Create", 24),
        "close": plain("Cancel", 24),
        "private_metadata": meta.model_dump_json(exclude_none=True),
        "blocks": blocks,
    }
