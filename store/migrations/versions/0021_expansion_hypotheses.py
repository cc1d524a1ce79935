"""Stored expansion hypotheses

`expansion_hypothesis`: each account's hypotheses as last computed (one per account, kind and
key), with the evidence, its number, the estimate, readiness, score, status and when it was
first and last seen. A new table only: nothing to carry over, downgrade drops it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 05:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expansion_hypothesis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("measure", sa.Integer(), nullable=True),
        sa.Column("estimate", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("readiness", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("observation", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "dismissed",
                "converted",
                name="hypothesisstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("first_seen_on", sa.Date(), nullable=False),
        sa.Column("last_seen_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "kind", "key"),
    )
    op.create_index(
        op.f("ix_expansion_hypothesis_team_id_account_id"),
        "expansion_hypothesis",
        ["team_id", "account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_expansion_hypothesis_team_id_account_id"), table_name="expansion_hypothesis"
    )
    op.drop_table("expansion_hypothesis")
