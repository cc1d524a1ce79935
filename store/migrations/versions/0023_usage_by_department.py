"""Usage by department, the customer's fiscal year

`usage_reading.department_id`: a reading may be of one of the account's departments (None: the
whole account, as every reading so far). One reading per account, day and department: the unique
key on (account, day) becomes two partial unique indexes, one for the whole account's readings
and one per department and day (NULL never equals NULL, so one composite key could not say it).
Downgrade drops the departments' readings (the old key has no room for them) and restores it.
`account.fiscal_year_start_month`: the customer's fiscal year's first month (1-12, or none).
The expansion engine now names events as the record does (`regulatory`, not
`regulatory_change`), so the keys of stored regulatory-event hypotheses are rewritten to match
(`event:regulatory_change:2026-11-02` becomes `event:regulatory:2026-11-02`), and back on
downgrade: a refresh finds them again, their status kept.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_EVENT_KEY, NEW_EVENT_KEY = "event:regulatory_change:", "event:regulatory:"
WHOLE = sa.text("department_id IS NULL")
PER_DEPARTMENT = sa.text("department_id IS NOT NULL")


def _rekey(old: str, new: str) -> None:
    """Event hypotheses' keys from one event name to the other (the rest of the key kept)."""
    hypotheses = sa.table("expansion_hypothesis", sa.column("key", sa.String))
    op.execute(
        hypotheses.update()
        .where(hypotheses.c.key.startswith(old, autoescape=True))
        .values(key=sa.literal(new) + sa.func.substr(hypotheses.c.key, len(old) + 1))
    )


def upgrade() -> None:
    _rekey(OLD_EVENT_KEY, NEW_EVENT_KEY)
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("fiscal_year_start_month", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            "fiscal_year_start_month",
            "fiscal_year_start_month IS NULL OR"
            " (fiscal_year_start_month >= 1 AND fiscal_year_start_month <= 12)",
        )
    with op.batch_alter_table("usage_reading") as batch:
        batch.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_usage_reading_department_id_account_department"),
            "account_department",
            ["department_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.drop_constraint(batch.f("uq_usage_reading_account_id_read_on"), type_="unique")
    op.create_index(
        "uq_usage_reading_account_day",
        "usage_reading",
        ["account_id", "read_on"],
        unique=True,
        sqlite_where=WHOLE,
        postgresql_where=WHOLE,
    )
    op.create_index(
        "uq_usage_reading_department_day",
        "usage_reading",
        ["department_id", "read_on"],
        unique=True,
        sqlite_where=PER_DEPARTMENT,
        postgresql_where=PER_DEPARTMENT,
    )


def downgrade() -> None:
    _rekey(NEW_EVENT_KEY, OLD_EVENT_KEY)
    op.execute("DELETE FROM usage_reading WHERE department_id IS NOT NULL")
    op.drop_index("uq_usage_reading_department_day", table_name="usage_reading")
    op.drop_index("uq_usage_reading_account_day", table_name="usage_reading")
    with op.batch_alter_table("usage_reading") as batch:
        batch.create_unique_constraint(
            batch.f("uq_usage_reading_account_id_read_on"), ["account_id", "read_on"]
        )
        batch.drop_constraint(
            batch.f("fk_usage_reading_department_id_account_department"), type_="foreignkey"
        )
        batch.drop_column("department_id")
    with op.batch_alter_table("account") as batch:
        batch.drop_constraint(batch.f("ck_account_fiscal_year_start_month"), type_="check")
        batch.drop_column("fiscal_year_start_month")
