"""OAuth states that finished an install, so a replay is refused

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "used_oauth_state",
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_used_oauth_state")),
    )
    with op.batch_alter_table("used_oauth_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_used_oauth_state_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("used_oauth_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_oauth_state_expires_at"))

    op.drop_table("used_oauth_state")
