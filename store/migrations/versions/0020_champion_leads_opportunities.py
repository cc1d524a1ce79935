"""Leads from champion moves, and the opportunity record

`champion_lead`: a champion or sponsor who left an account for a known company (one per
person), with its status and `lead_outreach` (each outreach logged). `opportunity`: a deal of an
account, or for a new logo of a lead (exactly one of the two, checked), with its stage, amount,
close date, owner, next step, trigger, business case and the hypothesis it came from;
`opportunity_stakeholder` the people involved, `opportunity_change` its history. New tables
only: nothing to carry over, downgrade drops them.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-01 03:50:49
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "champion_lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("person_name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=True),
        sa.Column(
            "role",
            _enum(
                "role",
                "champion",
                "economic_buyer",
                "decision_maker",
                "influencer",
                "end_user",
                "detractor",
                "executive_sponsor",
            ),
            nullable=False,
        ),
        sa.Column("company", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("company_key", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
        sa.Column("championed_from", sa.Date(), nullable=False),
        sa.Column("championed_to", sa.Date(), nullable=False),
        sa.Column(
            "status",
            _enum("leadstatus", "open", "contacted", "converted", "dismissed"),
            nullable=False,
        ),
        sa.Column("converted_account_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_champion_lead_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["converted_account_id"],
            ["account.id"],
            name=op.f("fk_champion_lead_converted_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name=op.f("fk_champion_lead_stakeholder_id_stakeholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_champion_lead")),
        sa.UniqueConstraint("stakeholder_id", name=op.f("uq_champion_lead_stakeholder_id")),
    )
    with op.batch_alter_table("champion_lead", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_champion_lead_team_id_company_key"),
            ["team_id", "company_key"],
            unique=False,
        )

    op.create_table(
        "lead_outreach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("reached_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=False),
        sa.Column("by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["champion_lead.id"],
            name=op.f("fk_lead_outreach_lead_id_champion_lead"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_outreach")),
    )
    with op.batch_alter_table("lead_outreach", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_outreach_lead_id_reached_on"),
            ["lead_id", "reached_on"],
            unique=False,
        )

    op.create_table(
        "opportunity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column(
            "type",
            _enum("opportunitytype", "upsell", "cross_sell", "renewal", "new_logo"),
            nullable=False,
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("close_date", sa.Date(), nullable=False),
        sa.Column(
            "stage",
            _enum(
                "opportunitystage",
                "prospect",
                "discovery",
                "evaluation",
                "proposal",
                "negotiation",
                "closed_won",
                "closed_lost",
            ),
            nullable=False,
        ),
        sa.Column("lost_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("owner_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("next_step", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("next_step_on", sa.Date(), nullable=True),
        sa.Column("trigger_signal", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("business_case", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("hypothesis_kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("hypothesis_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage != 'closed_lost' OR lost_reason IS NOT NULL",
            name=op.f("ck_opportunity_lost_with_reason"),
        ),
        sa.CheckConstraint(
            "(account_id IS NULL) != (lead_id IS NULL)", name=op.f("ck_opportunity_account_or_lead")
        ),
        sa.CheckConstraint(
            "(hypothesis_kind IS NULL) = (hypothesis_key IS NULL)",
            name=op.f("ck_opportunity_hypothesis_whole"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunity_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_opportunity_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["champion_lead.id"],
            name=op.f("fk_opportunity_lead_id_champion_lead"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
    )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_team_id_account_id"), ["team_id", "account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_opportunity_team_id_lead_id"), ["team_id", "lead_id"], unique=False
        )

    op.create_table(
        "opportunity_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("old_value", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("new_value", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("changed_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("changed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_change_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_change")),
    )
    with op.batch_alter_table("opportunity_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_change_opportunity_id_changed_at"),
            ["opportunity_id", "changed_at"],
            unique=False,
        )

    op.create_table(
        "opportunity_stakeholder",
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_stakeholder_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stakeholder_id"],
            ["stakeholder.id"],
            name=op.f("fk_opportunity_stakeholder_stakeholder_id_stakeholder"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "opportunity_id", "stakeholder_id", name=op.f("pk_opportunity_stakeholder")
        ),
    )
    with op.batch_alter_table("opportunity_stakeholder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_stakeholder_stakeholder_id"),
            ["stakeholder_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("opportunity_stakeholder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_stakeholder_stakeholder_id"))

    op.drop_table("opportunity_stakeholder")
    with op.batch_alter_table("opportunity_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_change_opportunity_id_changed_at"))

    op.drop_table("opportunity_change")
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_team_id_lead_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_team_id_account_id"))

    op.drop_table("opportunity")
    with op.batch_alter_table("lead_outreach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_outreach_lead_id_reached_on"))

    op.drop_table("lead_outreach")
    with op.batch_alter_table("champion_lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_champion_lead_team_id_company_key"))

    op.drop_table("champion_lead")
