"""What the user is told when something fails that is not a bug of ours: a refusal they can act
on (`UserError`), the store or Slack not answering."""

from __future__ import annotations

from commands.ui.slack_failures import classify
from store.db import is_unavailable


class UserError(Exception):
    """Something the user can fix; the message is shown to them as is."""


STORE_DOWN = (
    "The account store is not answering right now, so nothing was saved or shown. "
    "Please try again in a minute."
)
BUSY = "The bot is busy right now, so this was not done. Please try again in a moment."
SLACK_SLOW = "Slack did not answer in time, so this could not be finished. Please try again."
SLACK_TROUBLE = (
    "Slack is having trouble right now ({what}), so this could not be finished. "
    "Please try again in a minute."
)


def slack_trouble(error: BaseException) -> str | None:
    """What went wrong on Slack's side of a Web API call, in a few words (`it answered HTTP
    503`); None when the error is not Slack or the network failing: a refusal such as
    `not_in_channel`, a timeout (see SLACK_SLOW), or a bug of ours. Read from the one
    classifier of Slack's failures, `commands.ui.slack_failures`."""
    failure = classify(error)
    return None if failure is None else failure.trouble


def unavailable_message(error: BaseException) -> str | None:
    """What to tell the user when a service we depend on failed (not a bug of ours), else None."""
    if is_unavailable(error):
        return STORE_DOWN
    if (failure := classify(error)) is None or failure.said is not None:
        return None
    if failure.trouble:
        return SLACK_TROUBLE.format(what=failure.trouble)
    if failure.code:  # Slack refused the call: the bot asked for something it may not
        return None
    return SLACK_SLOW  # no answer in time, or Slack could not be reached
