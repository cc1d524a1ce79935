"""Opening modals inside Slack's 3-second trigger window, whatever the database is doing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from commands.access import Access
from commands.errors import explain
from commands.payloads import BlockAction
from commands.ui.errors import STORE_DOWN, unavailable_message
from commands.ui.ids import View
from commands.ui.slack_failures import classify
from commands.ui.views.account import channel_warning, linked_channel, with_channel_warning
from commands.ui.views.modal import loading_view, notice_view
from store.db import UNAVAILABLE

logger = logging.getLogger("accountbot.modals")

Fill = Callable[[], dict[str, Any] | str]
"""What fills the modal in, once the loading view is up: the access check the route declares,
then its loader in a read-only session (`commands.contract`); a string is a notice to show in
the form's place."""


def open_modal(
    client: WebClient,
    *,
    trigger_id: str | None,
    title: str,
    fill: Fill,
    access: Access,
    over: dict[str, Any] | None = None,
) -> None:
    """Open a loading modal at once (no database work nor Slack call first), then fill it in
    with views.update. An account form linked to a channel shared with another organisation
    warns under the channel. `over`: the block action of a click inside a modal, to push the
    form on top of that modal rather than open a new one (see `push_modal`).

    When filling it in fails (Slack failing to say who may change the account, a bug), the
    modal says what the error handler says of it. When Slack fails to take the filled-in form,
    the modal says so rather than stay on
    "Loading…" (unless the form did arrive after all: the second update then finds the hash
    moved on, and Slack refuses it)."""
    opened: SlackResponse | None
    if over is None:
        opened = client.views_open(trigger_id=trigger_id, view=loading_view(title))
    elif (opened := push_modal(client, over, title=title, view=loading_view(title))) is None:
        return
    try:
        built = fill()
    except UNAVAILABLE:  # say so in the modal rather than leave it loading
        built = STORE_DOWN
    except Exception as error:  # Slack failing the rights check, a bug: said where they look
        built = explain(error)  # the one error handler's words (and its one log line)
    if isinstance(built, dict) and built.get("callback_id") == View.ACCOUNT_FORM.value:
        built = warn_if_shared(built, access, linked_channel(built))
    view = notice_view(title, built) if isinstance(built, str) else built
    loading = opened["view"]
    try:
        client.views_update(view_id=loading["id"], hash=loading["hash"], view=view)
    except Exception as error:
        message = unavailable_message(error)
        if message is None:  # a bug, or Slack turning it down (closed): for the error handler
            raise
        logger.warning("modal not filled in (%s): saying so in it", _why(error))
        try:
            client.views_update(
                view_id=loading["id"], hash=loading["hash"], view=notice_view(title, message)
            )
        except SlackApiError as again:
            if again.response.get("error") != "hash_conflict":
                raise
            logger.info("the form reached the modal after all")


def update_modal(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the modal a block action came from, unless someone changed it meanwhile."""
    current = body["view"]
    client.views_update(view_id=current["id"], hash=current.get("hash"), view=view)


def push_modal(
    client: WebClient, body: dict[str, Any], *, title: str, view: dict[str, Any]
) -> SlackResponse | None:
    """Push `view` on top of the modal a block action came from (Slack's answer, or None). Such
    a click has no response URL, so when Slack does not take the view (it failed, or the
    trigger expired), what went wrong replaces the modal underneath, rather than nothing
    happening."""
    click = BlockAction.model_validate(body)
    try:
        return client.views_push(trigger_id=click.trigger_id, view=view)
    except Exception as error:
        message = explain(error)  # logged for what it is: Slack's failure, or a bug with its id
        update_modal(client, body, notice_view(title, message))
        return None


def warn_if_shared(view: dict[str, Any], access: Access, channel_id: str | None) -> dict[str, Any]:
    """The account form, warning under its linked channel when Slack says the channel is shared
    with another organisation (without the warning when it is not, or Slack cannot say)."""
    shared = access.shared_outside(channel_id)
    warning = channel_warning(channel_id) if shared and channel_id is not None else None
    return with_channel_warning(view, warning)


def _why(error: BaseException) -> str:
    failure = classify(error)
    return failure.cause if failure is not None else type(error).__name__
