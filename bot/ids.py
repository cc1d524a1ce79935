"""Every slash command, event, action, view and block id the bot answers to."""

from enum import StrEnum


class Command(StrEnum):
    ACCOUNT = "/account"


class Event(StrEnum):
    APP_HOME_OPENED = "app_home_opened"
