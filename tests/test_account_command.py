"""`/account` through the signed endpoint: lookup, portfolio, channel account, help, escaping."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from store.db import Database, make_engine
from store.enums import Role
from store.stakeholders import add_stakeholder
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender


def answer_text(slack: FakeSlack) -> str:
    [call] = slack.wait_for("response_url")
    return json.dumps(call.params["blocks"])


def test_account_by_name_ignores_case_and_spacing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(
        database, "Acme Logistics", arr=Decimal("480000"), seats_licensed=900, seats_active=610
    )
    assert bot.command("  ACME   logistics ").status == 200
    [call] = slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    text = json.dumps(call.params["blocks"])
    assert "Acme Logistics" in text
    assert "USD 480,000" in text
    assert "610 of 900 (68%)" in text


def test_card_counts_people_and_plan(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        for name, role in [("Dana", Role.CHAMPION), ("Raj", Role.ECONOMIC_BUYER)]:
            add_stakeholder(
                session,
                team_id=account.team_id,
                account_id=account.id,
                name=name,
                role=role,
                by_user_id="U0ALICE",
            )
    bot.command("acme")
    text = answer_text(slack)
    assert "2 active" in text
    assert "1 champion" in text


def test_unknown_account_says_so(bot: SlackSender, slack: FakeSlack, database: Database) -> None:
    make_account(database, "Acme")
    bot.command("Globex")
    text = answer_text(slack)
    assert "No account is named *Globex*" in text


def test_other_teams_accounts_are_invisible(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", team_id="T0OTHER")
    bot.command("acme")
    assert "No account is named *acme*" in answer_text(slack)


def test_no_text_in_linked_channel_shows_that_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", channel_id="C0ACME")
    make_account(database, "Globex", channel_id="C0GLOBEX")
    bot.command("", channel_id="C0GLOBEX")
    text = answer_text(slack)
    assert "Globex" in text
    assert "Acme" not in text


def test_no_text_elsewhere_lists_my_accounts_soonest_renewal_first(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    today = date.today()  # noqa: DTZ011
    make_account(
        database,
        "Later Corp",
        owner_user_id="U0ALICE",
        renewal_date=today + timedelta(days=200),
        channel_id="C1",
    )
    make_account(
        database,
        "Sooner Inc",
        owner_user_id="U0ALICE",
        renewal_date=today + timedelta(days=20),
        channel_id="C2",
    )
    make_account(database, "Bobs Account", owner_user_id="U0BOB", channel_id="C3")
    bot.command("", user_id="U0ALICE", channel_id="D0ALICE")
    text = answer_text(slack)
    assert text.index("Sooner Inc") < text.index("Later Corp")
    assert "Bobs Account" not in text


def test_portfolio_of_someone_with_no_accounts(bot: SlackSender, slack: FakeSlack) -> None:
    bot.command("", user_id="U0NEW", channel_id="D0NEW")
    assert "No accounts yet" in answer_text(slack)


def test_help_explains_the_forms(bot: SlackSender, slack: FakeSlack) -> None:
    bot.command("help")
    text = answer_text(slack)
    assert "/account Acme" in text
    assert "/account help" in text


def test_account_name_with_mentions_is_escaped(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "<!channel> & <@U0BOSS>", owner_user_id="U0ALICE")
    bot.command("", user_id="U0ALICE", channel_id="D0ALICE")
    text = answer_text(slack)
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in text
    assert "<!channel>" not in text
    assert "<@U0BOSS>" not in text


def test_unknown_name_with_markup_is_escaped(bot: SlackSender, slack: FakeSlack) -> None:
    bot.command("<!here>")
    text = answer_text(slack)
    assert "&lt;!here&gt;" in text
    assert "<!here>" not in text


def test_unexpected_failure_gives_an_error_id_and_is_logged(
    bot: SlackSender, slack: FakeSlack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    database.engine.dispose()
    database.engine = make_engine("sqlite:////nonexistent-dir/accountbot.db")
    with caplog.at_level(logging.ERROR, logger="accountbot.errors"):
        assert bot.command("acme").status == 200
        [call] = slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    match = re.search(r"error id `([0-9a-f]{8})`", call.params["text"])
    assert match, call.params["text"]
    assert any(
        match.group(1) in record.getMessage() and record.exc_info for record in caplog.records
    )
