"""Team leads: the Slack users a team's admins name to see the team's portfolio

A JSON list of user ids on each team's settings row, empty for every team until an admin names
someone in `/account settings`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_settings") as batch:
        batch.add_column(sa.Column("leads", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("team_settings") as batch:
        batch.alter_column("leads", existing_type=sa.JSON(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("team_settings") as batch:
        batch.drop_column("leads")
