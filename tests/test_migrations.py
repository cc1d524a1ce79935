"""The Alembic migrations and the SQLModel models describe the same schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
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
