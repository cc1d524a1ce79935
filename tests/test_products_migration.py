"""Migration 0018 on a store whose accounts kept their products as free text: each name becomes
a product of its account's team (one per name key, in the team's reporting currency, no price),
each account uses what its list named; downgrading writes the lists back, upgrading again makes
the same rows. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from store.db import Database, alembic_config
from tests.test_name_key_migration import empty_url  # noqa: F401  # the fixture

ACCOUNTS = [
    # id, team, name, products as they were typed
    (1, "T1", "Acme", ["Core", "Analytics"]),
    (2, "T1", "Globex", ["core", "  Analytics ", "Core"]),  # same names, typed otherwise
    (3, "T1", "Initech", []),
    (4, "T2", "Umbrella", ["Core", "", 7, "SSO"]),  # another team; junk in the list
    (5, "T2", "Hooli", "Core"),  # not a list at all
]


def old_store(url: str) -> Database:
    db = Database(url)
    db.upgrade(revision="0017")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO team_settings (team_id, thresholds, digest, leads, revenue, version, "
                "updated_at) VALUES ('T2', '{}', '{}', '[]', :revenue, 1, '2026-01-01 00:00:00')"
            ),
            {"revenue": json.dumps({"currency": "EUR", "rates": {}})},
        )
        for id_, team, name, products in ACCOUNTS:
            connection.execute(
                sa.text(
                    "INSERT INTO account (id, team_id, name, name_key, arr, currency, segment, "
                    "products, renewal_stage, contract_months, archived, version, created_at, "
                    "updated_at) VALUES (:id, :team, :name, :key, 0, 'USD', 'smb', :products, "
                    "'not_started', 12, false, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {
                    "id": id_,
                    "team": team,
                    "name": name,
                    "key": name.casefold(),
                    "products": json.dumps(products),
                },
            )
    return db


def catalogue_rows(db: Database) -> list[tuple[str, str, str, str, object, object]]:
    with db.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT team_id, name, kind, currency, list_price, requires_id "
                    "FROM catalogue_entry ORDER BY team_id, name_key"
                )
            )
        ]


def in_use_rows(db: Database) -> list[tuple[int, str]]:
    with db.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT p.account_id, e.name FROM account_product p "
                    "JOIN catalogue_entry e ON e.id = p.entry_id "
                    "WHERE p.team_id = e.team_id ORDER BY p.account_id, e.name_key"
                )
            )
        ]


@pytest.fixture
def migrated(empty_url: str) -> Iterator[Database]:  # noqa: F811  # the fixture
    db = old_store(empty_url)
    db.upgrade(revision="0018")
    yield db
    db.engine.dispose()


def test_free_text_products_become_catalogue_entries_and_rows_in_use(migrated: Database) -> None:
    assert catalogue_rows(migrated) == [
        ("T1", "Analytics", "product", "USD", None, None),
        ("T1", "Core", "product", "USD", None, None),
        ("T2", "Core", "product", "EUR", None, None),  # the team's reporting currency
        ("T2", "SSO", "product", "EUR", None, None),
    ]
    assert in_use_rows(migrated) == [
        (1, "Analytics"),
        (1, "Core"),
        (2, "Analytics"),  # "core" and "Core" twice: one row
        (2, "Core"),
        (4, "Core"),
        (4, "SSO"),
    ]
    with migrated.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("account")}
    assert "products" not in columns


def test_downgrade_writes_the_lists_back_and_upgrading_again_makes_the_same_rows(
    migrated: Database,
) -> None:
    entries, used = catalogue_rows(migrated), in_use_rows(migrated)
    command.downgrade(alembic_config(migrated.engine), "0017")
    with migrated.engine.connect() as connection:
        found = connection.execute(sa.text("SELECT id, products FROM account ORDER BY id"))
        lists = {account_id: products for account_id, products in found}
    decoded = {k: v if isinstance(v, list) else json.loads(v) for k, v in lists.items()}
    assert decoded == {
        1: ["Analytics", "Core"],
        2: ["Analytics", "Core"],
        3: [],
        4: ["Core", "SSO"],
        5: [],
    }
    migrated.upgrade(revision="0018")
    assert (catalogue_rows(migrated), in_use_rows(migrated)) == (entries, used)
