"""Dismissed expansion hypotheses

`expansion_hypothesis` gains the dismissal: its reason, who and when, and the evidence's number
at dismissal (what a return is compared against). New nullable columns: nothing to carry over,
downgrade drops them.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 08:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("expansion_hypothesis") as batch:
        batch.add_column(
            sa.Column(
                "dismissed_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch.add_column(
            sa.Column(
                "dismissed_by_user_id",
                sqlmodel.sql.sqltypes.AutoString(length=32),
                nullable=True,
            )
        )
        batch.add_column(
            sa.Column("dismissed_at", store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("dismissed_measure", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("expansion_hypothesis") as batch:
        batch.drop_column("dismissed_measure")
        batch.drop_column("dismissed_at")
        batch.drop_column("dismissed_by_user_id")
        batch.drop_column("dismissed_reason")
