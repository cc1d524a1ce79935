"""Why a stored expansion hypothesis has no estimate

`expansion_hypothesis` gains `no_estimate`: what is missing for one (`no price in the
catalogue`, `the event names no units`, ...), so the pipeline and the digests say it rather than
a bare "no estimate". A new nullable column, filled by the next refresh: nothing to carry over,
downgrade drops it.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("expansion_hypothesis") as batch:
        batch.add_column(
            sa.Column("no_estimate", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("expansion_hypothesis") as batch:
        batch.drop_column("no_estimate")
