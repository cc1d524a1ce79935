"""Internal tasks and save plans

`action_item.kind` tells a mutual-action item (an owner on each side, the mutual action plan)
from an internal task (an owner on our side only); existing items are mutual. A red account's
save plan (`save_plan`: churn probability and its rationale, ARR at risk, save difficulty, the
investment asked for) keeps its steps as internal tasks (`action_item.save_plan_id`, with the
step's `phase`: this week, 30 days, 90 days). A plan saved over another marks it replaced.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "save_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "churn_probability", _enum("churn_probability", "low", "medium", "high"), nullable=False
        ),
        sa.Column("rationale", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("arr_at_risk", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("difficulty", _enum("difficulty", "low", "medium", "high"), nullable=False),
        sa.Column("investment_hours", sa.Integer(), nullable=False),
        sa.Column("investment_people", sa.Integer(), nullable=False),
        sa.Column(
            "executive_involvement", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column("created_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_save_plan_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_save_plan")),
    )
    with op.batch_alter_table("save_plan") as batch:
        batch.create_index(
            batch.f("ix_save_plan_account_id_replaced_at"), ["account_id", "replaced_at"]
        )
    kind = _enum("itemkind", "mutual", "internal")
    with op.batch_alter_table("action_item") as batch:
        batch.add_column(sa.Column("kind", kind, nullable=False, server_default="mutual"))
        batch.add_column(sa.Column("save_plan_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("phase", _enum("savephase", "this_week", "days_30", "days_90"), nullable=True)
        )
        batch.create_foreign_key(
            batch.f("fk_action_item_save_plan_id_save_plan"),
            "save_plan",
            ["save_plan_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_action_item_save_plan_id"), ["save_plan_id"])
    with op.batch_alter_table("action_item") as batch:
        batch.alter_column("kind", existing_type=kind, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("action_item") as batch:
        batch.drop_index(batch.f("ix_action_item_save_plan_id"))
        batch.drop_constraint(batch.f("fk_action_item_save_plan_id_save_plan"), type_="foreignkey")
        batch.drop_constraint(batch.f("ck_action_item_savephase"), type_="check")
        batch.drop_constraint(batch.f("ck_action_item_itemkind"), type_="check")
        batch.drop_column("phase")
        batch.drop_column("save_plan_id")
        batch.drop_column("kind")
    op.drop_table("save_plan")
