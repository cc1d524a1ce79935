"""A person's email once per map, kept by the database

Stakeholders get an `email_key` column (the email trimmed and case-folded) with a unique index
per account over everyone still on the map, like the name key: two people adding the same
email at the same moment (in any case) can no longer both succeed. Before this only the bot
checked, so the data may hold such duplicates. Of two people on one map with the same email key,
the older keeps the email; each newer one's email is cleared (the old value stays in its change
history, which gets a line) and reported. Everything happens in the migration's one
transaction: a failure leaves the database as it was.

The key is computed here by a copy of the rule as it is today (`store.names.email_key`), so
this migration means the same thing whatever that function later becomes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMAIL_KEY_LENGTH = 762
LIVE = "status != 'merged'"
UNIQUE_EMAIL = "uq_stakeholder_account_id_email_key"

account = sa.table("account", sa.column("id", sa.Integer), sa.column("name", sa.String))
stakeholder = sa.table(
    "stakeholder",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("status", sa.String),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
    sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
stakeholder_change = sa.table(
    "stakeholder_change",
    sa.column("team_id", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("stakeholder_id", sa.Integer),
    sa.column("field", sa.String),
    sa.column("old_value", sa.String),
    sa.column("new_value", sa.String),
    sa.column("changed_by_user_id", sa.String),
    sa.column("changed_at", sa.DateTime(timezone=True)),
)


def _email_key(email: str | None) -> str | None:
    """`store.names.email_key` as of this revision."""
    if email is None or not email.strip():
        return None
    return email.strip().casefold()[:EMAIL_KEY_LENGTH]


def _report(line: str) -> None:
    """Hand a line to whoever runs the upgrade (`accountbot db upgrade` prints them)."""
    context.config.attributes.setdefault("notes", []).append(line)


def upgrade() -> None:
    with op.batch_alter_table("stakeholder") as batch:
        batch.add_column(sa.Column("email_key", sa.String(EMAIL_KEY_LENGTH), nullable=True))
    _key_emails(datetime.now(UTC))
    op.create_index(
        UNIQUE_EMAIL,
        "stakeholder",
        ["account_id", "email_key"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def _key_emails(now: datetime) -> None:
    """Key every email; of people on one map with the same key, the newer ones lose theirs."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            stakeholder.c.id,
            stakeholder.c.team_id,
            stakeholder.c.account_id,
            stakeholder.c.name,
            stakeholder.c.status,
            stakeholder.c.email,
        )
        .where(stakeholder.c.email.is_not(None))
        .order_by(stakeholder.c.account_id, stakeholder.c.created_at, stakeholder.c.id)
    ).all()
    keeper: dict[tuple[int, str], sa.Row[*tuple[Any, ...]]] = {}
    cleared: list[tuple[sa.Row[*tuple[Any, ...]], sa.Row[*tuple[Any, ...]]]] = []
    keys: list[dict[str, object]] = []
    for row in rows:
        key = _email_key(row.email)
        if key is None:
            continue
        first = keeper.setdefault((row.account_id, key), row) if row.status != "merged" else row
        if first is row:
            keys.append({"person": row.id, "key": key})
        else:
            cleared.append((row, first))
    if keys:
        bind.execute(
            stakeholder.update()
            .where(stakeholder.c.id == sa.bindparam("person"))
            .values(email_key=sa.bindparam("key")),
            keys,
        )
    if not cleared:
        return
    names = defaultdict(
        str,
        bind.execute(
            sa.select(account.c.id, account.c.name).where(
                account.c.id.in_({row.account_id for row, _ in cleared})
            )
        ).all(),
    )
    for row, kept in cleared:
        bind.execute(
            stakeholder.update()
            .where(stakeholder.c.id == row.id)
            .values(email=None, version=stakeholder.c.version + 1, updated_at=now)
        )
        bind.execute(
            stakeholder_change.insert().values(
                team_id=row.team_id,
                account_id=row.account_id,
                stakeholder_id=row.id,
                field="email",
                old_value=row.email,
                new_value=None,
                changed_by_user_id=None,
                changed_at=now,
            )
        )
        _report(
            f'cleared the email of stakeholder #{row.id} "{row.name}" on account '
            f'#{row.account_id} "{names[row.account_id]}" (team {row.team_id}): it is the email '
            f'of #{kept.id} "{kept.name}" on that map, ignoring case (the cleared address is in '
            f"#{row.id}'s history)"
        )


def downgrade() -> None:
    op.drop_index(UNIQUE_EMAIL, table_name="stakeholder")
    with op.batch_alter_table("stakeholder") as batch:
        batch.drop_column("email_key")
