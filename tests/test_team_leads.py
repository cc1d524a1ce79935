"""Team leads: admins name them in `/account settings` (every change in the settings' history);
leads, and admins, see the team's portfolio at risk (`/account portfolio`) and each lead gets the
weekly portfolio digest by DM, once a week."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from typer.testing import CliRunner

from bot.cli import cli
from commands.needs import ADMINS_ONLY, LEADS_ONLY
from store.db import Database
from store.leads import TeamLeads, save_leads, team_leads
from store.settings import settings_history
from tests.conftest import BOT_TOKEN
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender
from tests.test_team_settings import ADMIN, menu_redrawn, open_menu, open_section, submit

LEAD, MEMBER = "U0LEAD", "U0MEMBER"


def picked(*users: str) -> dict[str, dict[str, Any]]:
    return {"leads": {"type": "multi_users_select", "selected_users": list(users)}}


def name_leads(database: Database, *users: str) -> None:
    with database.transaction() as session:
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=users), by_user_id=ADMIN)


def stored(database: Database) -> tuple[list[str], list[tuple[str | None, str | None]]]:
    with database.transaction() as session:
        history = settings_history(session, team_id=TEAM_ID)
        return team_leads(session, team_id=TEAM_ID), [(c.old_value, c.new_value) for c in history]


# -- the settings section -------------------------------------------------------------------------


def test_an_admin_names_the_leads_and_each_change_is_recorded(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    menu = open_menu(bot, slack)
    assert "*Team leads*\\nNone named" in json.dumps(menu)
    form = open_section(bot, slack, menu, "leads")
    assert form["callback_id"] == "team.leads"
    [select] = [b["element"] for b in form["blocks"] if b.get("block_id") == "leads"]
    assert select["type"] == "multi_users_select" and "initial_users" not in select
    assert submit(bot, form, picked(LEAD, "U0OTHER", LEAD)) is None
    assert "<@U0LEAD>, <@U0OTHER>" in json.dumps(menu_redrawn(slack, menu).json_param("view"))
    slack.calls.clear()
    second_menu = open_menu(bot, slack)
    again = open_section(bot, slack, second_menu, "leads")
    [select] = [b["element"] for b in again["blocks"] if b.get("block_id") == "leads"]
    assert select["initial_users"] == [LEAD, "U0OTHER"]
    assert submit(bot, again, picked("U0OTHER")) is None
    menu_redrawn(slack, second_menu)
    leads, history = stored(database)
    assert leads == ["U0OTHER"]
    assert sorted(history, key=str) == sorted(
        [(None, LEAD), (None, "U0OTHER"), (LEAD, None)], key=str
    )
    slack.calls.clear()
    shown = json.dumps(open_menu(bot, slack), ensure_ascii=False)
    assert "Team lead: <@U0LEAD> → none" in shown and "Team lead: none → <@U0OTHER>" in shown


@pytest.mark.parametrize(
    ("users", "error"),
    [
        (["not a user"], "Pick people of the workspace."),
        (["C0CHANNEL"], "Pick people of the workspace."),
        ([f"U{i:04d}" for i in range(101)], "Too many: at most 100."),
    ],
)
def test_bad_leads_are_refused_beside_the_field_and_nothing_is_saved(
    bot: SlackSender, slack: FakeSlack, database: Database, users: list[str], error: str
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "leads")
    assert submit(bot, form, picked(*users)) == {
        "response_action": "errors",
        "errors": {"leads": error},
    }
    assert stored(database) == ([], [])


def test_someone_who_is_not_an_admin_cannot_name_leads(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    name_leads(database, LEAD)  # a lead is no admin either
    forged = {"type": "modal", "callback_id": "team.leads", "private_metadata": "{}", "blocks": []}
    for user in (MEMBER, LEAD):
        assert submit(bot, forged, picked(user), user_id=user) == {
            "response_action": "errors",
            "errors": {"leads": ADMINS_ONLY},
        }
    assert stored(database) == ([LEAD], [(None, LEAD)])


# -- /account portfolio ---------------------------------------------------------------------------


def portfolio(bot: SlackSender, slack: FakeSlack, user: str, text: str = "portfolio") -> str:
    assert bot.command(text, user_id=user, response_url=slack.response_url(user)).status == 200
    [reply] = slack.wait_for("response_url", where=lambda c: c.path.endswith(user))
    return json.dumps(reply.params["blocks"], ensure_ascii=False)


def test_leads_and_admins_see_the_teams_portfolio_riskiest_first_and_others_are_told(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Globex", arr=Decimal("100000"), owner_user_id="U0BOB")
    make_account(database, "Acme", arr=Decimal("500000"), owner_user_id="U0CAROL")
    name_leads(database, LEAD)
    slack.users[ADMIN] = {"is_admin": True}
    for user in (LEAD, ADMIN):
        shown = portfolio(bot, slack, user)
        assert "Team portfolio at risk (2)" in shown, shown
        assert shown.index("Acme") < shown.index("Globex")  # more at stake first
    refused = portfolio(bot, slack, MEMBER)
    assert LEADS_ONLY in refused and "Acme" not in refused
    assert "takes nothing after it" in portfolio(bot, slack, "U0X", "portfolio Acme")


def test_an_account_cannot_be_named_like_the_new_word(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    bot.command("new")
    form = slack.opened_view()
    values = {"name": {"type": "plain_text_input", "value": "Portfolio"}}
    answer = submit(bot, form, values, user_id="U0ALICE")
    assert answer is not None and "That name is a command of /account" in answer["errors"]["name"]


# -- the leads' weekly digest ---------------------------------------------------------------------

runner = CliRunner()
AT = "2026-11-23T10:00:00+00:00"


def test_each_lead_gets_the_portfolio_digest_by_dm_once_a_week(
    monkeypatch: pytest.MonkeyPatch, database: Database, slack: FakeSlack
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    with time_machine.travel(datetime(2026, 11, 23, 8, tzinfo=UTC), tick=True):
        make_account(database, "Acme", channel_id="C0ACME")
    name_leads(database, LEAD, "U0LEAD2")
    first = runner.invoke(cli, ["digest", "--now", "--at", AT])
    assert "T0TEST week of 2026-11-23: 3 sent, 0 failed, 0 already sent" in first.output
    second = runner.invoke(cli, ["digest", "--now", "--at", AT])
    assert "0 sent, 0 failed, 3 already sent" in second.output, second.output
    posts = slack.calls_to("chat.postMessage")
    assert sorted(c.params["channel"] for c in posts) == ["C0ACME", LEAD, "U0LEAD2"]
    to_lead = next(c for c in posts if c.params["channel"] == LEAD)
    assert "Acme" in json.dumps(to_lead.params)
