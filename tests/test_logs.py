"""Logs carry the request and team ids, as JSON when asked, and never a token or a message."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import configure_logging
from bot.settings import Settings
from store.db import Database
from tests.conftest import BOT_TOKEN, serving
from tests.factories import corrupt_team_settings, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import FORM, SlackSender


def test_json_lines_name_the_request_and_team_and_hold_no_secrets(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    configure_logging("INFO", json=True)
    output = io.StringIO()  # not capfd: reading it while the bot's threads log loses lines
    [handler] = logging.getLogger().handlers
    handler.setStream(output)  # type: ignore[attr-defined]
    try:
        make_account(database, "<!channel> secret account name")
        corrupt_team_settings(database)
        bot.command("<!channel> secret account name")
        slack.wait_for("response_url")
        lines = [json.loads(line) for line in output.getvalue().splitlines()]
    finally:
        logging.getLogger().handlers.clear()
    [error] = [line for line in lines if line["message"].startswith("unhandled error")]
    assert error["team_id"] == TEAM_ID
    assert len(error["request_id"]) == 12 and error["request_id"] != "-"
    assert error["level"] == "ERROR" and error["logger"] == "accountbot.errors"
    everything = json.dumps(lines)
    assert BOT_TOKEN not in everything
    assert "secret account name" not in everything


def test_a_request_never_logs_with_the_ids_of_the_one_before(
    settings: Settings, database: Database, slack: FakeSlack
) -> None:
    """One server thread serves a command, then refuses an unsigned request: the refusal's line
    has an id of its own and no team (it was never vouched for)."""
    configure_logging("INFO", json=True)
    output = io.StringIO()
    [handler] = logging.getLogger().handlers
    handler.setStream(output)  # type: ignore[attr-defined]
    try:
        with serving(settings, database, slack, threads=1) as bot:
            assert bot.command("help").status == 200
            slack.wait_for("response_url")
            assert bot.post(bot.command_body("help"), content_type=FORM, signed=False).status == 401
        lines = [json.loads(line) for line in output.getvalue().splitlines()]
    finally:
        logging.getLogger().handlers.clear()
    served = {line["request_id"] for line in lines if line["team_id"] == TEAM_ID}
    [refused] = [line for line in lines if line["message"].startswith("request refused with 401")]
    assert refused["request_id"] not in {*served, "-"}
    assert refused["team_id"] == "-"
