"""What only reads takes no write lock: with another program holding SQLite's write lock (a long
write, a migration), the card, the plan, the history, `/account` outside an account channel,
the App Home, the type-ahead and the buttons that redraw a card still answer, and the store's
read-only sessions really are read-only on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store.db import Database
from tests.conftest import POSTGRES_URL, bot_settings, serving
from tests.factories import add_person, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import block_actions_payload, block_suggestion_payload
from tests.test_app_home import home_event
from tests.test_faults import write_locked


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file whose writers give up after a fifth of a second (readers need not wait)."""
    db = Database(f"sqlite:///{tmp_path / 'reading.db'}", busy_seconds=0.2)
    db.upgrade()
    yield db
    db.dispose()


def test_reads_answer_while_another_program_holds_the_write_lock(
    store: Database, slack: FakeSlack
) -> None:
    acme = make_account(store, "Acme Zanzibar")
    add_person(store, acme, "Dana Lee", contacted_days_ago=3)
    with serving(bot_settings(store, slack), store, slack) as bot, write_locked(store):
        answers = {}
        for token, text_ in [
            ("card", "acme zanzibar"),
            ("near", "zanzibar"),
            ("plan", "acme zanzibar plan"),
            ("history", "acme zanzibar history"),
            ("mine", ""),
        ]:
            assert bot.command(text_, response_url=slack.response_url(token)).status == 200
            [reply] = slack.wait_for("response_url", where=lambda c, t=token: c.path.endswith(t))
            answers[token] = json.dumps(reply.params, ensure_ascii=False)
        click = block_actions_payload(
            "account.show", str(acme.id), response_url=slack.response_url("shown")
        )
        assert bot.interaction(click).status == 200
        [shown] = slack.wait_for("response_url", where=lambda c: c.path.endswith("shown"))
        assert bot.event(home_event("U0ALICE")).status == 200
        [home] = slack.wait_for("views.publish")
        view = {"type": "modal", "callback_id": "contact.form", "private_metadata": "{}"}
        suggestion = block_suggestion_payload(
            {**view, "blocks": []}, action_id="contact.account", block_id="account_id", value="zan"
        )
        options = bot.interaction(suggestion).json()["options"]
    assert "not answering" not in "".join(answers.values())
    assert answers["card"].count("Acme Zanzibar") and "Dana Lee" in answers["card"]
    assert "Dana Lee" in answers["near"]
    assert "Mutual action plan: Acme Zanzibar" in answers["plan"]
    assert "Dana Lee" in answers["history"]
    assert "Acme Zanzibar" in answers["mine"]
    assert "Acme Zanzibar" in json.dumps(shown.params)
    assert "Acme Zanzibar" in json.dumps(home.json_param("view"))
    assert [o["text"]["text"] for o in options] == ["Acme Zanzibar"]


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL (set TEST_DATABASE_URL)")
def test_read_only_sessions_are_read_only_transactions_on_postgresql(database: Database) -> None:
    for session_of in (database.reading, database.glance):
        with session_of() as session:
            assert session.execute(text("SHOW transaction_read_only")).scalar() == "on"
        with pytest.raises(DBAPIError, match="read-only transaction"), session_of() as session:
            session.execute(text("UPDATE alembic_version SET version_num = version_num"))
    with database.transaction() as session:  # the pool hands writers a writable connection
        assert session.execute(text("SHOW transaction_read_only")).scalar() == "off"
