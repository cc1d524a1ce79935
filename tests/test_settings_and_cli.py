"""Settings load from the environment and `.env`; bad ones stop start-up with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from bot.cli import cli
from bot.settings import SLACK_API_URL_DEFAULT, SettingsError, load_settings
from store.db import MIGRATIONS

runner = CliRunner()


def test_defaults_need_no_slack_workspace(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.port == 3000
    assert settings.slack_api_url == SLACK_API_URL_DEFAULT
    assert settings.database_url == f"sqlite:///{tmp_path / 'accountbot.db'}"
    assert not settings.socket_mode


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=4000\n")
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-from-dotenv"
    assert settings.port == 5000  # the environment wins over .env
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PORT", "eighty", "PORT is malformed (got 'eighty'): expected a TCP port from 1 to 65535"),
        ("PORT", "70000", "PORT is malformed (got '70000'): expected a TCP port from 1 to 65535"),
        (
            "SLACK_BOT_TOKEN",
            "xoxp-user",
            "SLACK_BOT_TOKEN is malformed: expected a bot token starting with xoxb-",
        ),
        (
            "SLACK_APP_TOKEN",
            "nope",
            "SLACK_APP_TOKEN is malformed: expected an app-level token starting with xapp-",
        ),
        (
            "SLACK_API_URL",
            "slack.com",
            "SLACK_API_URL is malformed (got 'slack.com'): expected an http(s) URL",
        ),
        (
            "DATABASE_URL",
            "mysql://x",
            "DATABASE_URL is malformed (got 'mysql://x'): expected a SQLAlchemy URL",
        ),
        ("SLACK_API_TIMEOUT", "0", "SLACK_API_TIMEOUT is malformed (got '0'): expected seconds"),
        ("SLACK_API_TIMEOUT", "soon", "SLACK_API_TIMEOUT is malformed (got 'soon'): expected"),
        ("SLACK_CLIENT_ID", "acme", "SLACK_CLIENT_ID is malformed (got 'acme'): expected the app"),
    ],
)
def test_malformed_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "not-a-token-secret-value")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "secret-value" not in str(caught.value)


def test_serving_needs_a_token_and_a_signing_secret() -> None:
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is missing"):
        load_settings().require_slack()
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is missing"):
        load_settings(slack_bot_token="xoxb-1").require_slack()
    load_settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1").require_slack()  # Socket Mode


def test_run_without_token_exits_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")} | {"PORT": "3000"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [  # everything missing, one line each
        "accountbot: SLACK_BOT_TOKEN is missing: expected a bot token starting with xoxb-"
        " (or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET to serve many"
        " workspaces)",
        "accountbot: SLACK_SIGNING_SECRET is missing: expected the app's signing secret (or set"
        " SLACK_APP_TOKEN for Socket Mode)",
    ]


def test_run_with_malformed_port_exits_with_one_line(tmp_path: Path) -> None:
    env = dict(os.environ) | {"PORT": "http", "SLACK_BOT_TOKEN": "xoxb-1"}
    env |= {"SLACK_SIGNING_SECRET": "a-signing-secret"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "accountbot: PORT is malformed (got 'http'): expected a TCP port from 1 to 65535"
    )


@pytest.mark.parametrize(
    "args",
    [[], ["run"], ["demo"], ["db"], ["db", "upgrade"], ["db", "current"], ["db", "revision"]],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = runner.invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_db_upgrade_and_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert runner.invoke(cli, ["db", "current"]).exit_code == 2  # no file: none is made up
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert f"database at revision {head}" in upgraded.output
    assert runner.invoke(cli, ["db", "current"]).output.strip() == head


def test_python_dash_m_bot_is_the_same_cli(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    for command in ("run", "demo", "db"):
        assert command in result.stdout
