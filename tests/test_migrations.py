"""The Alembic migrations and the SQLModel models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from store.db import Database, alembic_config, current_revision, upgrade


def test_latest_migration_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], f"models and migrations disagree; write a migration: {differences}"


def test_database_is_at_the_single_head(database: Database) -> None:
    heads = ScriptDirectory.from_config(alembic_config(database.engine)).get_heads()
    assert len(heads) == 1
    assert current_revision(database.engine) == heads[0]


def test_upgrade_is_idempotent_and_downgrade_reverses_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade()
    db.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"account", "stakeholder", "contact_log", "stakeholder_change", "action_item"} <= tables
    upgrade(db.engine, "head")
    from alembic import command

    command.downgrade(alembic_config(db.engine), "base")
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    db.upgrade()
    assert "account" in inspect(db.engine).get_table_names()


def test_stored_regulatory_hypotheses_keep_their_keys_in_the_records_event_names(
    tmp_path: Path,
) -> None:
    """0023: the engine names events as the record does, so a stored regulatory-event key is
    rewritten (`event:regulatory_change:…` to `event:regulatory:…`), other keys left alone, and
    back on downgrade."""
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.upgrade(revision="0021")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account (team_id, name, name_key, arr, currency, segment,"
                " renewal_stage, contract_months, archived, version, created_at, updated_at)"
                " VALUES ('T0', 'Acme', 'acme', 0, 'USD', 'mid_market', 'not_started', 12, 0, 1,"
                " '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
            )
        )
        for kind, key in (
            ("regulatory_change", "event:regulatory_change:2026-11-02"),
            ("seats", "seats"),
        ):
            connection.execute(
                text(
                    "INSERT INTO expansion_hypothesis (team_id, account_id, kind, key, evidence,"
                    " currency, readiness, score, observation, status, current, first_seen_on,"
                    " last_seen_on) VALUES ('T0', 1, :kind, :key, 'e', 'USD', 'low', 1, 0,"
                    " 'dismissed', 1, '2026-11-02', '2026-11-02')"
                ),
                {"kind": kind, "key": key},
            )

    def keys() -> list[str]:
        with db.engine.connect() as connection:
            query = text("SELECT key FROM expansion_hypothesis ORDER BY id")
            return list(connection.execute(query).scalars())

    db.upgrade()
    assert keys() == ["event:regulatory:2026-11-02", "seats"]
    from alembic import command

    command.downgrade(alembic_config(db.engine), "0021")
    assert keys() == ["event:regulatory_change:2026-11-02", "seats"]
