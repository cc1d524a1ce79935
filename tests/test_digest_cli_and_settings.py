"""`accountbot digest` and the digest defaults from the environment, as an operator uses them."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import cli
from store.db import Database
from store.models import ExpansionHypothesis
from tests.conftest import BOT_TOKEN
from tests.factories import app_today, make_account
from tests.slack_fake import FakeSlack
from tests.test_growth_facts import catalogue, grown

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
    assert "Portfolio → #C0LEADS (no private-channel accounts) and the leads' DMs" in result.output
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


def test_dry_run_shows_the_growth_the_weekly_run_would_post_and_writes_nothing(
    env: None, database: Database, slack: FakeSlack
) -> None:
    """Before the week's refresh, the dry run finds the hypotheses as the weekly run will (a
    Growth section, the identified expansion), then drops them: nothing stored."""
    catalogue(database)
    grown(database, "Acme")
    at = datetime.combine(app_today(), time(10), UTC).isoformat()
    result = runner.invoke(cli, ["digest", "--dry-run", "--at", at])
    assert result.exit_code == 0, result.output
    assert "Growth (high readiness, internal)" in result.output, result.output
    assert "More seats: 95 of 100 seats" in result.output
    assert "Identified expansion: $0 ARR" not in result.output
    with database.reading() as session:
        assert session.execute(select(func.count()).select_from(ExpansionHypothesis)).scalar() == 0
    assert slack.calls_to("chat.postMessage") == []
