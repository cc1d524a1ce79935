"""The revenue ledger and the contract term

`revenue_entry`: every change of an account's ARR, dated, with its kind (new, expansion,
contraction, churn, correction), the signed change, the ARR after it, who and where from.
`account.contract_months`: the contract term (1-60 months, 12 unless said), by which a renewal
recorded rolls the renewal date forward; `account.churned_on` and `churn_reason`: a churned
account is inactive. `renewal_answer`: the one answer to each renewal. `renewal_ask`: the
ledger of "Did Acme renew?" questions, each sent at most once. `team_settings.revenue`: the
team's reporting currency and the rates other currencies convert at.

Backfill: the ledger starts with one `new` entry per existing account, dated the day the account
was created in the bot, for the ARR and currency it has now (source `migration`): what it moved
before the ledger existed was never recorded, so its revenue counts as present since then.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import store.types

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "revenue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            _enum("revenuekind", "new", "expansion", "contraction", "churn", "correction"),
            nullable=False,
        ),
        sa.Column("change", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("arr_after", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column(
            "source",
            _enum("revenuesource", "form", "renewal", "import", "migration"),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=3000), nullable=True),
        sa.Column("recorded_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("arr_after >= 0", name=op.f("ck_revenue_entry_arr_after_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_revenue_entry_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revenue_entry")),
    )
    op.create_index(
        op.f("ix_revenue_entry_team_id_effective_on"), "revenue_entry", ["team_id", "effective_on"]
    )
    op.create_index(
        op.f("ix_revenue_entry_account_id_effective_on_id"),
        "revenue_entry",
        ["account_id", "effective_on", "id"],
    )
    op.create_table(
        "renewal_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column(
            "outcome",
            _enum("renewaloutcome", "renewed", "expanded", "contracted", "churned"),
            nullable=False,
        ),
        sa.Column("arr_before", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("arr_after", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("by_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("answered_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_renewal_answer_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_answer")),
        sa.UniqueConstraint(
            "account_id", "renewal_date", name=op.f("uq_renewal_answer_account_id_renewal_date")
        ),
    )
    op.create_table(
        "renewal_ask",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column("round", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("message_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("claimed_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_renewal_ask_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "team_id", "account_id", "renewal_date", "round", "user_id", name=op.f("pk_renewal_ask")
        ),
    )
    op.create_index(
        op.f("ix_renewal_ask_team_id_account_id_renewal_date"),
        "renewal_ask",
        ["team_id", "account_id", "renewal_date"],
    )
    with op.batch_alter_table("account") as batch:
        batch.add_column(
            sa.Column("contract_months", sa.Integer(), nullable=False, server_default="12")
        )
        batch.add_column(sa.Column("churned_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("churn_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )
        batch.create_check_constraint(
            "contract_months", "contract_months >= 1 AND contract_months <= 60"
        )
    with op.batch_alter_table("account") as batch:
        batch.alter_column("contract_months", existing_type=sa.Integer(), server_default=None)
    with op.batch_alter_table("team_settings") as batch:
        batch.add_column(sa.Column("revenue", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("team_settings") as batch:
        batch.alter_column("revenue", existing_type=sa.JSON(), server_default=None)
    created_on = (
        "CAST(created_at AT TIME ZONE 'UTC' AS DATE)"
        if op.get_bind().dialect.name == "postgresql"
        else "DATE(created_at)"
    )
    op.execute(
        sa.text(
            "INSERT INTO revenue_entry (team_id, account_id, effective_on, kind, change, "
            "arr_after, currency, source, note, recorded_at) "
            f"SELECT team_id, id, {created_on}, 'new', arr, arr, currency, "
            "'migration', 'ARR when the ledger began', CURRENT_TIMESTAMP FROM account"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("team_settings") as batch:
        batch.drop_column("revenue")
    with op.batch_alter_table("account") as batch:
        batch.drop_constraint(batch.f("ck_account_contract_months"), type_="check")
        batch.drop_column("churn_reason")
        batch.drop_column("churned_on")
        batch.drop_column("contract_months")
    op.drop_index(op.f("ix_renewal_ask_team_id_account_id_renewal_date"), table_name="renewal_ask")
    op.drop_table("renewal_ask")
    op.drop_table("renewal_answer")
    op.drop_index(op.f("ix_revenue_entry_account_id_effective_on_id"), table_name="revenue_entry")
    op.drop_index(op.f("ix_revenue_entry_team_id_effective_on"), table_name="revenue_entry")
    op.drop_table("revenue_entry")
