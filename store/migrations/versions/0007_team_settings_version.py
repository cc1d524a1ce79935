"""A version on each team's settings, so a save over a change made meanwhile is refused

Every save raises it; a settings form carries the version it was opened on. Teams that saved
before this start at version 1 (a team that never saved has no row: version 0).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_settings") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("team_settings") as batch:
        batch.alter_column("version", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("team_settings") as batch:
        batch.drop_column("version")
