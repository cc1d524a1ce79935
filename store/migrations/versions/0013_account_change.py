"""Account changes: the renewal's moves kept in the account's history

`account_change` holds one row per renewal fact changed (renewal stage, signed date, notice date,
renewal date): old and new value, who, when. Written in the transaction of the change; the
account's history (`/account Acme history`) shows each ("renewal stage: proposal sent → verbal
yes"). Existing accounts start with no rows: their earlier moves were never recorded.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("changed_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("changed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_change_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_change")),
    )
    with op.batch_alter_table("account_change") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_change_account_id_changed_at"),
            ["account_id", "changed_at"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("account_change")
