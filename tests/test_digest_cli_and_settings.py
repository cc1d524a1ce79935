"""`accountbot digest` and `/account settings`, as an operator and a Slack admin would use them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from typer.testing import CliRunner

from bot.cli import cli
from store.db import Database
from store.settings import DigestSettings, digest_settings_of
from tests.conftest import BOT_TOKEN
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload

runner = CliRunner()
AT = "2026-11-23T10:00:00+00:00"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database: Database, slack: FakeSlack) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("DIGEST_PORTFOLIO_CHANNEL", "C0LEADS")
    monkeypatch.setenv("COLUMNS", "120")


def accounts(database: Database) -> None:
    with time_machine.travel(datetime(2026, 11, 23, 8, tzinfo=UTC), tick=True):
        make_account(database, "Acme", channel_id="C0ACME")
        make_account(database, "Globex", channel_id="C0GLOBEX")


def test_dry_run_prints_every_digest_and_posts_nothing(
    env: None, database: Database, slack: FakeSlack
) -> None:
    accounts(database)
    result = runner.invoke(cli, ["digest", "--dry-run", "--at", AT])
    assert result.exit_code == 0, result.output
    assert "Acme → #C0ACME" in result.output and "Globex → #C0GLOBEX" in result.output
    assert "Portfolio → #C0LEADS" in result.output
    assert "3 digest(s) shown; nothing was posted" in result.output
    assert slack.calls_to("chat.postMessage") == []


def test_now_posts_once_a_week_unless_forced(
    env: None, database: Database, slack: FakeSlack
) -> None:
    accounts(database)
    first = runner.invoke(cli, ["digest", "--now", "--at", AT])
    assert "T0TEST week of 2026-11-23: 3 sent, 0 failed, 0 already sent" in first.output
    second = runner.invoke(cli, ["digest", "--now", "--at", AT])
    assert "0 sent, 0 failed, 3 already sent" in second.output
    forced = runner.invoke(cli, ["digest", "--now", "--force", "--account", "acme", "--at", AT])
    assert "1 sent, 0 failed, 0 already sent" in forced.output
    channels = [c.params["channel"] for c in slack.calls_to("chat.postMessage")]
    assert sorted(channels) == ["C0ACME", "C0ACME", "C0GLOBEX", "C0LEADS"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["digest"], "choose one of --dry-run or --now"),
        (["digest", "--dry-run", "--now"], "choose one of --dry-run or --now"),
        (["digest", "--dry-run", "--force"], "--force goes with --now"),
        (["digest", "--dry-run", "--account", "nobody"], "no account matches nobody"),
        (["digest", "--dry-run", "--at", "yesterday"], "is not a time"),
    ],
)
def test_bad_digest_commands_explain_themselves(
    env: None, database: Database, args: list[str], message: str
) -> None:
    accounts(database)
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output


def settings_values(**overrides: object) -> dict[str, dict[str, object]]:
    values: dict[str, dict[str, object]] = {
        "weekday": {"type": "static_select", "selected_option": {"value": "2"}},
        "at": {"type": "timepicker", "selected_time": "08:30"},
        "timezone": {"type": "plain_text_input", "value": "Asia/Tokyo"},
        "portfolio_channel_id": {
            "type": "conversations_select",
            "selected_conversation": "C0LEADS",
        },
        "options": {"type": "checkboxes", "selected_options": [{"value": "owner_digests"}]},
    }
    for block, value in overrides.items():
        key = next(k for k in values[block] if k != "type")
        values[block] = {**values[block], key: value}
    return values


def test_an_admin_changes_the_digest_settings(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    bot.command("settings", user_id="U0ADMIN")
    view = slack.opened_view()
    assert view["callback_id"] == "team.settings"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["weekday"]["element"]["initial_option"]["value"] == "0"
    assert blocks["at"]["element"]["initial_time"] == "09:00"
    reply = bot.interaction(view_submission_payload(view, settings_values(), user_id="U0ADMIN"))
    assert (reply.status, reply.body) == (200, "")
    with database.transaction() as session:
        saved = digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())[TEAM_ID]
    assert (saved.weekday, saved.at.isoformat(), saved.timezone) == (2, "08:30:00", "Asia/Tokyo")
    assert (saved.portfolio_channel_id, saved.owner_digests, saved.all_clear) == (
        "C0LEADS",
        True,
        False,
    )


def test_a_bad_time_zone_is_refused_inline(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    bot.command("settings", user_id="U0ADMIN")
    view = slack.opened_view()
    body = bot.interaction(
        view_submission_payload(view, settings_values(timezone="Mars/Olympus"), user_id="U0ADMIN")
    ).json()
    assert body["response_action"] == "errors"
    assert "'Mars/Olympus' is not a time zone name" in body["errors"]["timezone"]


def test_someone_who_is_not_an_admin_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    bot.command("settings", user_id="U0ALICE")
    view = slack.opened_view()
    assert "Only workspace admins and owners" in json.dumps(view)
    forged = {
        "type": "modal",
        "callback_id": "team.settings",
        "private_metadata": "{}",
        "blocks": [],
    }
    body = bot.interaction(
        view_submission_payload(forged, settings_values(), user_id="U0ALICE")
    ).json()
    assert body["errors"] == {
        "weekday": "Only workspace admins and owners can change the digest settings."
    }
    with database.transaction() as session:
        assert (
            digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())[TEAM_ID]
            == DigestSettings()
        )


def test_environment_defaults_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv("DIGEST_DAY", "Funday")
    with pytest.raises(SettingsError, match="DIGEST_DAY is malformed"):
        load_settings()
    monkeypatch.setenv("DIGEST_DAY", "Wednesday")
    monkeypatch.setenv("DIGEST_TIME", "25:00")
    with pytest.raises(SettingsError, match="DIGEST_TIME is malformed"):
        load_settings()
    monkeypatch.setenv("DIGEST_TIME", "07:45")
    defaults = load_settings().digest_defaults()
    assert (defaults.weekday, defaults.at.isoformat()) == (2, "07:45:00")
