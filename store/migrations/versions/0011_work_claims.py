"""Work claims: a team's scheduled work claimed by one process at a time; who claimed a digest

`work_claim` (kind, team) holds the process working on that team's digests or reminders and
until when (renewed while it works; anyone takes over once it has expired), and the digest week
already finished. `digest_delivery.holder` names the process that claimed a post, so that a
take-over reports the post the dead process had in flight instead of posting it again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "work_claim",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("expires_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_for", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "team_id", name=op.f("pk_work_claim")),
    )
    with op.batch_alter_table("digest_delivery") as batch:
        batch.add_column(
            sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("digest_delivery") as batch:
        batch.drop_column("holder")
    op.drop_table("work_claim")
