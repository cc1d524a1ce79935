"""Slack listeners: `register(app)` is the one place that wires them."""

from slack_bolt import App

from commands.account import (
    handle_account_channel,
    handle_account_command,
    handle_account_form,
    handle_create_account,
    handle_edit_account,
    handle_share_card,
    handle_show_account,
)
from commands.contacts import (
    handle_account_chosen,
    handle_account_options,
    handle_contact_form,
    handle_log_contact,
    handle_log_message,
)
from commands.errors import guarded
from commands.history import handle_history_page
from commands.home import handle_app_home_opened
from commands.people import (
    handle_add_stakeholder,
    handle_departed_form,
    handle_promoted_form,
    handle_sentiment_form,
    handle_stakeholder_form,
    handle_stakeholder_menu,
)
from commands.plan import (
    handle_action_done,
    handle_action_form,
    handle_action_menu,
    handle_add_action,
    handle_block_form,
    handle_reschedule_form,
)
from commands.team_settings import (
    handle_settings_form,
    handle_settings_section,
    handle_thresholds_form,
)
from commands.ui.ids import Action, Command, Event, Shortcut, View
from commands.workspace import handle_channel_sharing, handle_uninstalled

ACTIONS = {
    Action.SHOW_ACCOUNT: handle_show_account,
    Action.SHARE_CARD: handle_share_card,
    Action.EDIT_ACCOUNT: handle_edit_account,
    Action.CREATE_ACCOUNT: handle_create_account,
    Action.ADD_STAKEHOLDER: handle_add_stakeholder,
    Action.STAKEHOLDER_MENU: handle_stakeholder_menu,
    Action.LOG_CONTACT: handle_log_contact,
    Action.CONTACT_ACCOUNT: handle_account_chosen,
    Action.HISTORY_PAGE: handle_history_page,
    Action.ADD_ACTION: handle_add_action,
    Action.ACTION_DONE: handle_action_done,
    Action.ACTION_MENU: handle_action_menu,
    Action.SETTINGS_SECTION: handle_settings_section,
    Action.ACCOUNT_CHANNEL: handle_account_channel,
}
VIEWS = {
    View.ACCOUNT_FORM: handle_account_form,
    View.STAKEHOLDER_FORM: handle_stakeholder_form,
    View.SENTIMENT_FORM: handle_sentiment_form,
    View.DEPARTED_FORM: handle_departed_form,
    View.PROMOTED_FORM: handle_promoted_form,
    View.CONTACT_FORM: handle_contact_form,
    View.ACTION_FORM: handle_action_form,
    View.RESCHEDULE_FORM: handle_reschedule_form,
    View.BLOCK_FORM: handle_block_form,
    View.SETTINGS_FORM: handle_settings_form,
    View.THRESHOLDS_FORM: handle_thresholds_form,
}


def register(app: App, *, many_workspaces: bool = False) -> None:
    """Every entry point of the bot; each listener's errors go to the one error handler."""
    app.command(Command.ACCOUNT.value)(guarded(handle_account_command))
    app.event(Event.APP_HOME_OPENED.value)(guarded(handle_app_home_opened))
    for event in (Event.CHANNEL_SHARED, Event.CHANNEL_UNSHARED):
        app.event(event.value)(guarded(handle_channel_sharing))
    if many_workspaces:  # Bolt deletes the workspace's stored tokens
        app.enable_token_revocation_listeners()
    else:
        for event in (Event.APP_UNINSTALLED, Event.TOKENS_REVOKED):
            app.event(event.value)(guarded(handle_uninstalled))
    app.shortcut(Shortcut.LOG_MESSAGE.value)(guarded(handle_log_message))
    app.options(Action.CONTACT_ACCOUNT.value)(guarded(handle_account_options))
    for action, listener in ACTIONS.items():
        app.action(action.value)(guarded(listener))
    for view, listener in VIEWS.items():
        app.view(view.value)(guarded(listener))
