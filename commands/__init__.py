"""Slack listeners: `register(app)` is the one place that wires them."""

from slack_bolt import App

from bot.ids import Command, Event
from commands.account import handle_account_command
from commands.home import handle_app_home_opened


def register(app: App) -> None:
    app.command(Command.ACCOUNT.value)(handle_account_command)
    app.event(Event.APP_HOME_OPENED.value)(handle_app_home_opened)
