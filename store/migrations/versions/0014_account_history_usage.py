"""Account history and usage readings

`account_history`: an append-only, dated record of each account's band (and override), firing
signals with their evidence and key figures, written whenever they differ from the last record.
`history_run`: the daily check of each team, once per team and day. `usage_reading`: dated
usage readings, one per account and date.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = ("green", "yellow", "red")


def _band(name: str, *, nullable: bool) -> sa.Column[str]:
    kind = sa.Enum(*BANDS, name=name, native_enum=False, create_constraint=True, length=32)
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "account_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        _band("band", nullable=False),
        _band("rules_band", nullable=False),
        _band("override_band", nullable=True),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("arr", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("seats_licensed", sa.Integer(), nullable=True),
        sa.Column("seats_active", sa.Integer(), nullable=True),
        sa.Column("recorded_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_history_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_history")),
    )
    op.create_index(
        op.f("ix_account_history_account_id_day_id"),
        "account_history",
        ["account_id", "day", "id"],
    )
    op.create_index(op.f("ix_account_history_team_id_day"), "account_history", ["team_id", "day"])
    op.create_table(
        "history_run",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("ran_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "day", name=op.f("pk_history_run")),
    )
    op.create_table(
        "usage_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("seats_active", sa.Integer(), nullable=False),
        sa.Column("monthly_active_users", sa.Integer(), nullable=True),
        sa.Column("adoption_percent", sa.Integer(), nullable=True),
        sa.Column("satisfaction", sa.Numeric(precision=2, scale=1), nullable=True),
        sa.Column("escalations", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column(
            "recorded_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("recorded_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seats_active >= 0", name=op.f("ck_usage_reading_seats_active")),
        sa.CheckConstraint(
            "monthly_active_users IS NULL OR monthly_active_users >= 0",
            name=op.f("ck_usage_reading_mau"),
        ),
        sa.CheckConstraint(
            "adoption_percent IS NULL OR (adoption_percent >= 0 AND adoption_percent <= 100)",
            name=op.f("ck_usage_reading_adoption_percent"),
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 0 AND satisfaction <= 5)",
            name=op.f("ck_usage_reading_satisfaction"),
        ),
        sa.CheckConstraint(
            "escalations IS NULL OR escalations >= 0", name=op.f("ck_usage_reading_escalations")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_usage_reading_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_reading")),
        sa.UniqueConstraint(
            "account_id", "read_on", name=op.f("uq_usage_reading_account_id_read_on")
        ),
    )
    op.create_index(
        op.f("ix_usage_reading_team_id_read_on"), "usage_reading", ["team_id", "read_on"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_usage_reading_team_id_read_on"), table_name="usage_reading")
    op.drop_table("usage_reading")
    op.drop_table("history_run")
    op.drop_index(op.f("ix_account_history_team_id_day"), table_name="account_history")
    op.drop_index(op.f("ix_account_history_account_id_day_id"), table_name="account_history")
    op.drop_table("account_history")
