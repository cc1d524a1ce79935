"""Every slash command, event, action, view and block id the bot answers to."""

from enum import StrEnum


class Command(StrEnum):
    ACCOUNT = "/account"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"


class Action(StrEnum):
    """Buttons and menus on the bot's messages and views."""

    SHARE_CARD = "account.share"
    SHOW_ACCOUNT = "account.show"
    EDIT_ACCOUNT = "account.edit"
    CREATE_ACCOUNT = "account.create"


class View(StrEnum):
    ACCOUNT_FORM = "account.form"


class AccountField(StrEnum):
    """Block ids of the account modal; errors are reported against them."""

    NAME = "name"
    CHANNEL = "channel_id"
    OWNER = "owner_user_id"
    ARR = "arr"
    CURRENCY = "currency"
    CONTRACT_START = "contract_start"
    RENEWAL = "renewal_date"
    SEATS_LICENSED = "seats_licensed"
    SEATS_ACTIVE = "seats_active"
    SEGMENT = "segment"


FIELD_ACTION = "value"
"""The action id of the single input element inside each modal block."""
