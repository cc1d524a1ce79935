"""The revenue chart's title carries the account's name: matplotlib reads `$…$` in text as
mathtext, so a name with dollar signs was drawn as a formula (`Cash $5$ Inc`) or, when not a
valid formula, raised while drawing and the whole report was answered with a bug id. Driven
through the signed endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.db import Database
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_revenue_attacks import STEPS, chart_line
from tests.test_revenue_report import FIRST, answer


@pytest.mark.parametrize("name", ["Acme $x^$", "Money $_$ Co", "Cash $5$ Inc"])
def test_a_name_with_dollar_signs_is_drawn_as_text_and_the_report_answers(
    bot: SlackSender, slack: FakeSlack, database: Database, name: str
) -> None:
    make_account(database, name, arr_since=FIRST - timedelta(days=30))
    shown = answer(bot, slack, f"{name} revenue", user_id="U0ALICE", token="a")
    assert "NRR 100%" in shown
    assert chart_line(shown) == "The month-by-month chart is in your direct messages with the bot."
    assert [len(slack.calls_to(step)) for step in STEPS] == [1, 1, 1]
