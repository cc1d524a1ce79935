"""The audit history of team settings changed in Slack

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_settings_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.String(length=200), nullable=True),
        sa.Column("new_value", sa.String(length=200), nullable=True),
        sa.Column("changed_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("changed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_settings_change")),
    )
    with op.batch_alter_table("team_settings_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_settings_change_team_id_changed_at"),
            ["team_id", "changed_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("team_settings_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_settings_change_team_id_changed_at"))
    op.drop_table("team_settings_change")
