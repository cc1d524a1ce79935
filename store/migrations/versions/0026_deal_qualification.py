"""A deal's qualification: MEDDIC and the scorecard

`opportunity` gains MEDDIC (metrics, decision criteria, decision process, identified pain as
text; the economic buyer and champion as people of the map, set to none if they are removed)
and the qualification scorecard (budget, authority, need, timeline, champion, competition,
1-5 each, checked by the database). New nullable columns: nothing to carry over (every
existing deal starts with its gaps and unscored); downgrade drops them. The exit criteria a
move of stage met or skipped are rows of `opportunity_change`, which needs nothing new.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXTS = ("metrics", "decision_criteria", "decision_process", "identified_pain")
PEOPLE = ("economic_buyer_id", "champion_id")
SCORES = (
    "score_budget",
    "score_authority",
    "score_need",
    "score_timeline",
    "score_champion",
    "score_competition",
)


def upgrade() -> None:
    with op.batch_alter_table("opportunity") as batch:
        for column in TEXTS:
            batch.add_column(
                sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
            )
        for column in PEOPLE:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_opportunity_{column}_stakeholder"),
                "stakeholder",
                [column],
                ["id"],
                ondelete="SET NULL",
            )
        for column in SCORES:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch.create_check_constraint(
                op.f(f"ck_opportunity_{column}_1_to_5"), f"{column} BETWEEN 1 AND 5"
            )


def downgrade() -> None:
    with op.batch_alter_table("opportunity") as batch:
        for column in reversed(SCORES):
            batch.drop_constraint(op.f(f"ck_opportunity_{column}_1_to_5"), type_="check")
            batch.drop_column(column)
        for column in reversed(PEOPLE):
            batch.drop_constraint(op.f(f"fk_opportunity_{column}_stakeholder"), type_="foreignkey")
            batch.drop_column(column)
        for column in reversed(TEXTS):
            batch.drop_column(column)
