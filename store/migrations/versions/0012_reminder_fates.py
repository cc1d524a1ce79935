"""Reminder fates: the due-day reminder ledger records how each send went

`action_reminder` was only a claim (a row meant "taken for that day"). It now records the fate
of the send, as the digest ledger does: `sending` while in flight, then `sent`, or `failed` with
why (an uncertain answer, or `interrupted`: the process stopped while sending it); `holder` names
the process that claimed it, so that a take-over reports the send it had in flight. `sent_at`
becomes `claimed_at` (it was always set at the claim) and `finished_at` is when the fate was
known. Rows written before this revision were sent (or deliberately kept after an uncertain
answer): they become `sent` with no `finished_at`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_reminder") as batch:
        batch.alter_column("sent_at", new_column_name="claimed_at")
        batch.add_column(
            sa.Column(
                "status",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="sent",
            )
        )
        batch.add_column(
            sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch.add_column(
            sa.Column("finished_at", store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
    with op.batch_alter_table("action_reminder") as batch:
        batch.alter_column("status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("action_reminder") as batch:
        batch.drop_column("holder")
        batch.drop_column("finished_at")
        batch.drop_column("error")
        batch.drop_column("status")
        batch.alter_column("claimed_at", new_column_name="sent_at")
