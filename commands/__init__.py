"""Slack listeners: `register(app)` is the one place that wires them."""

from slack_bolt import App

from bot.errors import guarded
from bot.ids import Action, Command, Event, View
from commands.account_actions import (
    handle_create_account,
    handle_edit_account,
    handle_share_card,
    handle_show_account,
)
from commands.account_command import handle_account_command
from commands.account_form import handle_account_form
from commands.home import handle_app_home_opened


def register(app: App) -> None:
    """Every entry point of the bot; each listener's errors go to the one error handler."""
    app.command(Command.ACCOUNT.value)(guarded(handle_account_command))
    app.action(Action.SHOW_ACCOUNT.value)(guarded(handle_show_account))
    app.action(Action.SHARE_CARD.value)(guarded(handle_share_card))
    app.action(Action.EDIT_ACCOUNT.value)(guarded(handle_edit_account))
    app.action(Action.CREATE_ACCOUNT.value)(guarded(handle_create_account))
    app.view(View.ACCOUNT_FORM.value)(guarded(handle_account_form))
    app.event(Event.APP_HOME_OPENED.value)(guarded(handle_app_home_opened))
