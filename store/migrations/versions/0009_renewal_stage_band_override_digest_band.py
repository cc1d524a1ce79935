"""Renewal stage and notice date on accounts; owners' band overrides; the band each digest showed

`account` gains `renewal_stage` (not started, proposal sent, verbal yes, signed; existing
accounts start as not started), `renewal_signed_on` (required once signed) and `notice_date`
(on or before the renewal date): both rules are checked by the database too.
`band_override` keeps every manual band an owner set (never deleted: a replaced or removed one
is marked cleared; at most one uncleared per account). `digest_band` keeps, per account, the
band and signals of its latest weekly digest and of the one before, for "since last week";
`action_item_change` gets an index by team and time, for the items a digest says were closed or
slipped that week.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNCLEARED = sa.text("cleared_at IS NULL")


def _band(name: str) -> sa.Enum:
    return sa.Enum(
        "green", "yellow", "red", name=name, native_enum=False, create_constraint=True, length=32
    )


def upgrade() -> None:
    op.create_table(
        "band_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("band", _band("band"), nullable=False),
        sa.Column("rules_band", _band("rules_band"), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("set_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("set_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cleared_by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_band_override_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_band_override")),
    )
    with op.batch_alter_table("band_override") as batch:
        batch.create_index(
            batch.f("ix_band_override_account_id_set_at"), ["account_id", "set_at"], unique=False
        )
        batch.create_index(
            "uq_band_override_account_id",
            ["account_id"],
            unique=True,
            sqlite_where=UNCLEARED,
            postgresql_where=UNCLEARED,
        )
    op.create_table(
        "digest_band",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("band", _band("band"), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("previous_week", sa.Date(), nullable=True),
        sa.Column("previous_band", _band("previous_band"), nullable=True),
        sa.Column("previous_signals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_digest_band_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_digest_band")),
    )
    with op.batch_alter_table("digest_band") as batch:
        batch.create_index(batch.f("ix_digest_band_team_id"), ["team_id"], unique=False)
    with op.batch_alter_table("action_item_change") as batch:
        batch.create_index(
            batch.f("ix_action_item_change_team_id_changed_at"), ["team_id", "changed_at"]
        )
    stage = sa.Enum(
        "not_started",
        "proposal_sent",
        "verbal_yes",
        "signed",
        name="renewalstage",
        native_enum=False,
        create_constraint=True,
        length=32,
    )
    with op.batch_alter_table("account") as batch:
        batch.add_column(
            sa.Column("renewal_stage", stage, nullable=False, server_default="not_started")
        )
        batch.add_column(sa.Column("renewal_signed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("notice_date", sa.Date(), nullable=True))
        batch.create_check_constraint(
            "notice_before_renewal",
            "notice_date IS NULL OR renewal_date IS NULL OR notice_date <= renewal_date",
        )
        batch.create_check_constraint(
            "signed_on_when_signed", "renewal_stage != 'signed' OR renewal_signed_on IS NOT NULL"
        )
    with op.batch_alter_table("account") as batch:
        batch.alter_column("renewal_stage", existing_type=stage, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.drop_constraint(batch.f("ck_account_signed_on_when_signed"), type_="check")
        batch.drop_constraint(batch.f("ck_account_notice_before_renewal"), type_="check")
        batch.drop_constraint(batch.f("ck_account_renewalstage"), type_="check")
        batch.drop_column("notice_date")
        batch.drop_column("renewal_signed_on")
        batch.drop_column("renewal_stage")
    with op.batch_alter_table("action_item_change") as batch:
        batch.drop_index(batch.f("ix_action_item_change_team_id_changed_at"))
    with op.batch_alter_table("digest_band") as batch:
        batch.drop_index(batch.f("ix_digest_band_team_id"))
    op.drop_table("digest_band")
    with op.batch_alter_table("band_override") as batch:
        batch.drop_index("uq_band_override_account_id")
        batch.drop_index(batch.f("ix_band_override_account_id_set_at"))
    op.drop_table("band_override")
