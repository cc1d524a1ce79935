"""Fixtures: a fresh SQLite store per test, the fake Slack Web API and the real bot over HTTP."""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.server import HttpServer, make_web_app
from bot.settings import Settings, load_settings
from store.db import Database
from tests import clock
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
_DATABASES = itertools.count()
BOT_TOKEN = "xoxb-0000-test-token"
_HELD: list[time_machine.travel] = []


def pytest_configure(config: pytest.Config) -> None:
    """One UTC date for the whole run, held before any test module computes its `TODAY`."""
    traveller = clock.hold()
    if traveller is not None:
        _HELD.append(traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    for traveller in _HELD:
        traveller.stop()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell or a stray `.env`."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in {
            "DATABASE_URL",
            "PORT",
            "HTTP_THREADS",
            "LOG_LEVEL",
            "TOKEN_ENCRYPTION_KEY",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
"""A server's admin URL (as `scripts/postgres start` prints): runs the suite on PostgreSQL."""


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """On PostgreSQL: one migrated template database, copied for every test (fast and isolated)."""
    if not POSTGRES_URL:
        yield None
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    template = f"accountbot_template_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{template}"'))
    migrated = Database(
        make_url(POSTGRES_URL).set(database=template).render_as_string(hide_password=False)
    )
    migrated.upgrade()
    migrated.dispose()
    yield template
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database(tmp_path: Path, postgres_template: str | None) -> Iterator[Database]:
    """A fresh, migrated database per test: a SQLite file, or a PostgreSQL copy of the template."""
    if postgres_template is None:
        db = Database(f"sqlite:///{tmp_path / 'accountbot-test.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    name = f"accountbot_test_{os.getpid()}_{next(_DATABASES)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    db = Database(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))  # type: ignore[arg-type]
    yield db
    db.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def bot_settings(database: Database, slack: FakeSlack, **fields: object) -> Settings:
    """One workspace (a bot token), on this database and this fake Slack."""
    return load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database.url,
        **fields,
    )


@pytest.fixture
def settings(database: Database, slack: FakeSlack) -> Settings:
    return bot_settings(database, slack)


@pytest.fixture
def bot(settings: Settings, database: Database, slack: FakeSlack) -> Iterator[SlackSender]:
    """The real app in HTTP mode on 127.0.0.1, its WebClient pointed at the fake Slack."""
    with serving(settings, database, slack) as sender:
        yield sender


TOKEN_KEY = "cw_0x689RpI-jtRR7oWOVLdVBNmiYnbRvoRfoaqoHmk="
CLIENT_ID = "1234567890.0987654321"


def many_workspaces_settings(database: Database, **fields: object) -> Settings:
    """Many workspaces: no bot token; each installed workspace's token is in the database."""
    return load_settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret="test-client-secret",
        slack_state_secret="test-state-secret-0123456789",
        slack_signing_secret=SIGNING_SECRET,
        token_encryption_key=TOKEN_KEY,
        database_url=database.url,
        **fields,
    )


@pytest.fixture
def oauth_settings(database: Database, slack: FakeSlack) -> Settings:
    return many_workspaces_settings(database, slack_api_url=slack.api_url)


@pytest.fixture
def oauth_bot(
    oauth_settings: Settings, database: Database, slack: FakeSlack
) -> Iterator[SlackSender]:
    """The real app serving every workspace installed through OAuth."""
    with serving(oauth_settings, database, slack) as sender:
        yield sender


@contextmanager
def serving(
    settings: Settings, database: Database, slack: FakeSlack, *, threads: int = 4
) -> Iterator[SlackSender]:
    """The real app over HTTP on 127.0.0.1 (`threads` waitress threads take the requests)."""
    server = HttpServer(
        make_web_app(
            build_app(settings, database),
            database,
            signing_secret=settings.slack_signing_secret or "",
        ),
        host="127.0.0.1",
        port=0,
        threads=threads,
        asyncore_loop_timeout=0.05,
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.port}"
    try:
        yield SlackSender(base_url, SIGNING_SECRET, response_url=slack.response_url())
    finally:
        server.stop()
        thread.join(timeout=5)
    assert not thread.is_alive(), "the HTTP server did not stop"
