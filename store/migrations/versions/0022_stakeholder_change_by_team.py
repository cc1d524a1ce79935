"""The map's changes by team and time

An index on `stakeholder_change (team_id, changed_at)`: a team's weekly digest reads the map's
changes of its week by team and time, and without it PostgreSQL scanned every team's changes
for each team (at 1,000 workspaces of 100 accounts, 1,850 scans of 1.5 million rows, most of a
Monday morning's database time). Downgrade drops it.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_stakeholder_change_team_id_changed_at"),
        "stakeholder_change",
        ["team_id", "changed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stakeholder_change_team_id_changed_at"), table_name="stakeholder_change")
