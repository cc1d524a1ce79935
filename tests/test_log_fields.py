"""No field of a text log line can be forged: a team id, request id or logger name carrying a
newline is escaped like a message's, so every line at the margin is a record of ours."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.logs import configure_logging
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_account_form import values as account_values
from tests.test_hostile_requests import FORGED, LOG_LINE

TEAM_CLAIMS = ["team", "view.app_installed_team_id"]
"""Where Bolt finds the team id it puts in the context (and so in the log line)."""


@contextmanager
def logged(*, json_lines: bool) -> Iterator[io.StringIO]:
    """The production format, written to a buffer (the bot's threads log into it)."""
    configure_logging("INFO", json=json_lines)
    output = io.StringIO()
    [handler] = logging.getLogger().handlers
    handler.setStream(output)  # type: ignore[attr-defined]
    try:
        yield output
    finally:
        logging.getLogger().handlers.clear()


def forged_submission(claim: str) -> dict:
    """The account form, submitted with a team id that carries a forged log record."""
    payload = view_submission_payload(account_form(meta=ModalMeta()), account_values())
    forged = "T0EVIL\n" + FORGED
    if claim == "team":
        payload["team"]["id"] = forged
    else:
        payload["view"][claim.removeprefix("view.")] = forged
    return payload


def assert_all_ours(lines: list[str]) -> None:
    """Every line is a record of ours: none is the forged one (which looks like a record)."""
    assert lines and all(LOG_LINE.match(line) for line in lines), lines
    assert not any(line.startswith(FORGED[:10]) for line in lines), lines


@pytest.mark.parametrize("claim", TEAM_CLAIMS)
def test_a_team_id_with_a_newline_cannot_start_a_text_log_line(
    bot: SlackSender, slack: FakeSlack, claim: str
) -> None:
    with logged(json_lines=False) as output:
        assert bot.interaction(forged_submission(claim)).status == 400
        lines = output.getvalue().splitlines()
    [refusal] = [line for line in lines if "team ids it names disagree" in line]
    assert_all_ours(lines)
    if claim == "team":  # the team id Bolt took from the payload is the record's own field
        assert "T0EVIL\\n" + FORGED in refusal, refusal


def test_a_slash_commands_team_id_cannot_start_a_text_log_line(bot: SlackSender) -> None:
    with logged(json_lines=False) as output:
        assert bot.command("help", team_id="T0EVIL\n" + FORGED).status == 400
        lines = output.getvalue().splitlines()
    assert_all_ours(lines)


def test_json_lines_stay_one_object_each(bot: SlackSender) -> None:
    with logged(json_lines=True) as output:
        assert bot.interaction(forged_submission("team")).status == 400
        lines = [json.loads(line) for line in output.getvalue().splitlines()]
    [refusal] = [line for line in lines if "team ids it names disagree" in line["message"]]
    assert refusal["team_id"] == "T0EVIL\n" + FORGED  # escaped by JSON itself, on one line
