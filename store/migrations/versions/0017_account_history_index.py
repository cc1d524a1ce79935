"""One account's history read through (team, account, day, id)

The index on (account, day, id) becomes (team, account, day, id): every read of one account's
history is scoped by its team too, and SQLite, without statistics, chose the (team, day) index
for those reads, scanning the team's whole history (280 ms a card at 10,000 accounts with two
years of it).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_account_history_account_id_day_id"), table_name="account_history")
    op.create_index(
        op.f("ix_account_history_team_id_account_id_day_id"),
        "account_history",
        ["team_id", "account_id", "day", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_account_history_team_id_account_id_day_id"), table_name="account_history"
    )
    op.create_index(
        op.f("ix_account_history_account_id_day_id"),
        "account_history",
        ["account_id", "day", "id"],
    )
