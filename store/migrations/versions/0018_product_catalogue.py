"""Product catalogue per team, and the products in use on each account as rows

`catalogue_entry`: a team's products and modules (name unique per team by its key, kind, list
price with its basis and currency, the product a module needs). `account_product`: which
entries each account uses. The free-text `account.products` list is carried over: each name
becomes a product of its account's team (no price, in the team's reporting currency), one per
name key however often and however cased it was typed, and each account uses the entries its
list named; then the column goes. Carrying over reads what is there and inserts only what is
missing, so it writes the same rows however often it runs. Downgrade writes the names back into
the list (in use, by name) and drops both tables.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 00:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types
from store.names import NAME_LENGTH, clean_name, name_key

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


account = sa.table("account", sa.column("id"), sa.column("team_id"), sa.column("products", sa.JSON))
settings = sa.table("team_settings", sa.column("team_id"), sa.column("revenue", sa.JSON))
entry = sa.table(
    "catalogue_entry",
    *(sa.column(c) for c in ("id", "team_id", "name", "name_key", "kind", "currency")),
    sa.column("created_at", store.types.UTCDateTime()),
    sa.column("updated_at", store.types.UTCDateTime()),
)
in_use = sa.table(
    "account_product", sa.column("account_id"), sa.column("entry_id"), sa.column("team_id")
)


def upgrade() -> None:
    op.create_table(
        "catalogue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("kind", _enum("cataloguekind", "product", "module"), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "price_basis", _enum("pricebasis", "per_seat", "per_unit", "flat"), nullable=True
        ),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("requires_id", sa.Integer(), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "list_price IS NULL OR list_price >= 0",
            name=op.f("ck_catalogue_entry_price_not_negative"),
        ),
        sa.CheckConstraint(
            "(list_price IS NULL) = (price_basis IS NULL)",
            name=op.f("ck_catalogue_entry_price_with_basis"),
        ),
        sa.CheckConstraint(
            "(kind = 'module') = (requires_id IS NOT NULL)",
            name=op.f("ck_catalogue_entry_module_needs_product"),
        ),
        sa.ForeignKeyConstraint(
            ["requires_id"],
            ["catalogue_entry.id"],
            name=op.f("fk_catalogue_entry_requires_id_catalogue_entry"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_entry")),
        sa.UniqueConstraint(
            "team_id", "name_key", name=op.f("uq_catalogue_entry_team_id_name_key")
        ),
    )
    op.create_index(
        op.f("ix_catalogue_entry_requires_id"), "catalogue_entry", ["requires_id"], unique=False
    )
    op.create_table(
        "account_product",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_product_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalogue_entry.id"],
            name=op.f("fk_account_product_entry_id_catalogue_entry"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("account_id", "entry_id", name=op.f("pk_account_product")),
    )
    op.create_index(
        op.f("ix_account_product_team_id_entry_id"),
        "account_product",
        ["team_id", "entry_id"],
        unique=False,
    )
    carry_products(op.get_bind())
    with op.batch_alter_table("account") as batch:
        batch.drop_column("products")


def carry_products(connection: sa.Connection) -> None:
    """Each account's free-text products as catalogue entries of its team and rows in use:
    only what is missing is inserted (the same rows however often it runs)."""
    currencies = {
        team: (revenue or {}).get("currency") or "USD"
        for team, revenue in connection.execute(sa.select(settings.c.team_id, settings.c.revenue))
    }
    entries: dict[tuple[str, str], int] = {
        (team, key): entry_id
        for entry_id, team, key in connection.execute(
            sa.select(entry.c.id, entry.c.team_id, entry.c.name_key)
        )
    }
    used = {
        (a, e) for a, e in connection.execute(sa.select(in_use.c.account_id, in_use.c.entry_id))
    }
    now = store.types.utcnow()
    rows = connection.execute(
        sa.select(account.c.id, account.c.team_id, account.c.products).order_by(account.c.id)
    )
    for account_id, team, products in rows.all():
        for typed in _names(products):
            name = clean_name(typed)[:NAME_LENGTH]
            if not name:
                continue
            key = (team, name_key(name))
            if key not in entries:
                entries[key] = connection.execute(
                    sa.insert(entry)
                    .values(
                        team_id=team,
                        name=name,
                        name_key=key[1],
                        kind="product",
                        currency=currencies.get(team, "USD"),
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(entry.c.id)
                ).scalar_one()
            if (account_id, entries[key]) not in used:
                used.add((account_id, entries[key]))
                connection.execute(
                    sa.insert(in_use).values(
                        account_id=account_id, entry_id=entries[key], team_id=team
                    )
                )


def _names(products: Any) -> list[str]:
    """The names a stored list holds (anything else in it, or no list, holds none)."""
    if not isinstance(products, list):
        return []
    return [p for p in products if isinstance(p, str)]


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("products", sa.JSON(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    names: dict[int, list[str]] = {}
    for account_id, name in connection.execute(
        sa.select(in_use.c.account_id, entry.c.name)
        .join(entry, entry.c.id == in_use.c.entry_id)
        .order_by(in_use.c.account_id, entry.c.name)
    ):
        names.setdefault(account_id, []).append(name)
    for account_id, products in names.items():
        connection.execute(
            sa.update(account).where(account.c.id == account_id).values(products=products)
        )
    with op.batch_alter_table("account") as batch:
        batch.alter_column("products", server_default=None)
    op.drop_index(op.f("ix_account_product_team_id_entry_id"), table_name="account_product")
    op.drop_table("account_product")
    op.drop_index(op.f("ix_catalogue_entry_requires_id"), table_name="catalogue_entry")
    op.drop_table("catalogue_entry")
