"""Every bad setting is reported at once, one line each, and a command only reports the settings
it uses: an operator fixes the environment in one go, and `digest --dry-run` (which posts
nothing) is not stopped by a malformed PORT."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from store.db import Database


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`accountbot run` with exactly these settings (none from the test's own environment)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PORT", "DIGEST"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_reports_every_malformed_setting_one_line_each(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        PORT="http",
        DIGEST_DAY="Funday",
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "accountbot: SLACK_SIGNING_SECRET is malformed: expected the app's signing secret "
        "(Basic Information page)",
        "accountbot: PORT is malformed (got 'http'): expected a TCP port from 1 to 65535",
        "accountbot: DIGEST_DAY is malformed (got 'Funday'): expected a day of the week, like "
        "monday",
    ]


def test_run_reports_missing_and_malformed_settings_together(tmp_path: Path) -> None:
    result = run_bot(tmp_path, PORT="http")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "accountbot: PORT is malformed (got 'http'): expected a TCP port from 1 to 65535",
        "accountbot: SLACK_BOT_TOKEN is missing: expected a bot token starting with xoxb- (or "
        "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET to serve many workspaces)",
        "accountbot: SLACK_SIGNING_SECRET is missing: expected the app's signing secret (or set "
        "SLACK_APP_TOKEN for Socket Mode)",
    ]


def test_many_workspaces_lists_everything_it_still_needs(tmp_path: Path) -> None:
    result = run_bot(tmp_path, SLACK_CLIENT_ID="1234567890.0987654321")
    assert result.returncode == 2
    said = result.stderr.splitlines()
    assert [line.split(" is ")[0] for line in said] == [
        "accountbot: SLACK_CLIENT_SECRET",
        "accountbot: SLACK_STATE_SECRET",
        "accountbot: SLACK_SIGNING_SECRET",
        "accountbot: TOKEN_ENCRYPTION_KEY",
    ]
    assert all(" is missing: " in line for line in said), said


def test_a_secret_is_never_echoed_even_among_several(tmp_path: Path) -> None:
    result = run_bot(
        tmp_path, SLACK_BOT_TOKEN="not-a-token-secret-value", SLACK_SIGNING_SECRET="short"
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 2
    assert "secret-value" not in result.stderr and "short" not in result.stderr


@pytest.fixture
def migrated(monkeypatch: pytest.MonkeyPatch, database: Database) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)


def test_digest_dry_run_does_not_stop_on_settings_it_does_not_use(
    monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    for name, value in {"PORT": "http", "SLACK_API_TIMEOUT": "soon", "LOG_LEVEL": "LOUD"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["digest", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "0 digest(s) shown; nothing was posted" in result.output


def test_digest_dry_run_reports_the_settings_it_uses(
    monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("PORT", "http")
    monkeypatch.setenv("DIGEST_DAY", "Funday")
    monkeypatch.setenv("DIGEST_TIME", "25:00")
    result = CliRunner().invoke(cli, ["digest", "--dry-run"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "accountbot: DIGEST_DAY is malformed (got 'Funday'): expected a day of the week, like "
        "monday",
        "accountbot: DIGEST_TIME is malformed (got '25:00'): expected a time like 09:00",
    ]


def test_remind_reports_what_it_needs_and_nothing_else(
    monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("PORT", "http")
    monkeypatch.setenv("DIGEST_DAY", "Funday")
    monkeypatch.setenv("SLACK_API_TIMEOUT", "soon")
    result = CliRunner().invoke(cli, ["remind"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "accountbot: SLACK_API_TIMEOUT is malformed (got 'soon'): expected seconds, more than 0 "
        "and at most 120",
        "accountbot: SLACK_BOT_TOKEN is missing: reminders are sent through Slack (or set "
        "SLACK_CLIENT_ID and the rest, for workspaces installed by OAuth)",
    ]


def test_db_commands_need_only_the_database(
    monkeypatch: pytest.MonkeyPatch, migrated: None
) -> None:
    monkeypatch.setenv("PORT", "http")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-not-a-bot-token")
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code == 0, result.output
