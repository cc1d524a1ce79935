"""Org coverage and business events

`account_department`: an account's known departments (name unique per account by its key,
whether it uses the product). `stakeholder.department_id` (set null when the department goes)
and `stakeholder.level` (executive, director, manager, individual contributor; none until
someone says). `business_event`: dated events at the customer (kind, day, note, link, how it was
logged), one per account, kind and day. Nothing is carried over: every new column starts empty.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = ("executive", "director", "manager", "individual")
KINDS = (
    "funding",
    "acquisition",
    "new_office",
    "headcount_growth",
    "new_leader",
    "regulatory",
    "reorganisation",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "account_department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("uses_product", sa.Boolean(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_account_department_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_department")),
        sa.UniqueConstraint(
            "account_id", "name_key", name=op.f("uq_account_department_account_id_name_key")
        ),
    )
    op.create_index(
        op.f("ix_account_department_team_id"), "account_department", ["team_id"], unique=False
    )
    op.create_table(
        "business_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("eventkind", *KINDS), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("source", _enum("eventsource", "form", "shortcut", "import"), nullable=False),
        sa.Column(
            "recorded_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("recorded_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_business_event_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_event")),
        sa.UniqueConstraint(
            "account_id",
            "kind",
            "happened_on",
            name=op.f("uq_business_event_account_id_kind_happened_on"),
        ),
    )
    op.create_index(
        op.f("ix_business_event_team_id_happened_on"),
        "business_event",
        ["team_id", "happened_on"],
        unique=False,
    )
    with op.batch_alter_table("stakeholder") as batch:
        batch.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("level", _enum("orglevel", *LEVELS), nullable=True))
        batch.create_index(batch.f("ix_stakeholder_department_id"), ["department_id"])
        batch.create_foreign_key(
            batch.f("fk_stakeholder_department_id_account_department"),
            "account_department",
            ["department_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("stakeholder") as batch:
        batch.drop_constraint(
            batch.f("fk_stakeholder_department_id_account_department"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_stakeholder_department_id"))
        batch.drop_constraint(batch.f("ck_stakeholder_orglevel"), type_="check")
        batch.drop_column("level")
        batch.drop_column("department_id")
    op.drop_index(op.f("ix_business_event_team_id_happened_on"), table_name="business_event")
    op.drop_table("business_event")
    op.drop_index(op.f("ix_account_department_team_id"), table_name="account_department")
    op.drop_table("account_department")
