"""Fixtures: a fresh SQLite store per test, the fake Slack Web API and the real bot over HTTP."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import build_app
from bot.server import HttpServer, make_web_app
from bot.settings import Settings, load_settings
from store.db import Database
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-0000-test-token"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell or a stray `.env`."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in {
            "DATABASE_URL",
            "PORT",
            "HTTP_THREADS",
            "LOG_LEVEL",
        }:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'accountbot-test.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def settings(database: Database, slack: FakeSlack) -> Settings:
    return load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=database.url,
    )


@pytest.fixture
def bot(settings: Settings, database: Database, slack: FakeSlack) -> Iterator[SlackSender]:
    """The real app in HTTP mode on 127.0.0.1, its WebClient pointed at the fake Slack."""
    server = HttpServer(
        make_web_app(build_app(settings, database), database),
        host="127.0.0.1",
        port=0,
        threads=4,
        asyncore_loop_timeout=0.05,
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.port}"
    yield SlackSender(base_url, SIGNING_SECRET, response_url=slack.response_url())
    server.stop()
    thread.join(timeout=5)
    assert not thread.is_alive(), "the HTTP server did not stop"
