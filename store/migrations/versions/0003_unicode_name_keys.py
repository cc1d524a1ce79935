"""Names compared by one Unicode-aware key; a person on a map once

Accounts and stakeholders are compared by `store.names.name_key` (whitespace collapsed, NFKC
around case folding), stored in a `name_key` column that the database keeps unique: per team for
accounts (as before), per account for the people still on the map. Before this, SQLite's
`lower()` folded only ASCII and two people adding the same person at once could both succeed, so
the data may already hold duplicates. They are resolved here, each one reported:

- accounts whose names are the same by the new key: the older keeps its name, each newer one is
  renamed with a suffix (`Acme (2)`), since two customers' records cannot be merged blindly;
- people on the same map with the same key: the older record stays, each newer one is marked
  `merged` (off the map, kept with its own change history) after its contacts, the action items
  it owned and the people reporting to it are moved to the older one.

Everything happens in the migration's one transaction (SQLite: with foreign-key actions off
while tables are rebuilt, see `env.py`), so a failure leaves the database as it was. Keys are
computed with the bot's own `name_key`; should that function ever change, a new migration must
recompute them (this one then computes the new keys as well).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from store.names import NAME_KEY_LENGTH, NAME_LENGTH, name_key

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEY_LENGTH = NAME_LENGTH
STATUS_CHECK = "ck_stakeholder_stakeholderstatus"
LIVE = "status != 'merged'"
UNIQUE_PERSON = "uq_stakeholder_account_id_name_key"

account = sa.table(
    "account",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
stakeholder = sa.table(
    "stakeholder",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("account_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("status", sa.String),
    sa.column("reports_to_id", sa.Integer),
    sa.column("last_contacted_on", sa.Date),
    sa.column("version", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
contact_log = sa.table(
    "contact_log", sa.column("stakeholder_id", sa.Integer), sa.column("account_id", sa.Integer)
)
action_item = sa.table("action_item", sa.column("customer_owner_stakeholder_id", sa.Integer))
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


def _report(line: str) -> None:
    """Hand a line to whoever runs the upgrade (`accountbot db upgrade` prints them)."""
    context.config.attributes.setdefault("notes", []).append(line)


def _status_check(values: Sequence[str]) -> str:
    return "status IN ({})".format(", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    now = datetime.now(UTC)
    with op.batch_alter_table("account") as batch:
        batch.alter_column(
            "name_key",
            existing_type=sa.String(OLD_KEY_LENGTH),
            type_=sa.String(NAME_KEY_LENGTH),
            existing_nullable=False,
        )
    _rekey_accounts(now)
    with op.batch_alter_table("stakeholder") as batch:
        batch.add_column(sa.Column("name_key", sa.String(NAME_KEY_LENGTH), nullable=True))
        batch.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch.create_check_constraint(
            op.f(STATUS_CHECK), _status_check(("active", "departed", "merged"))
        )
    _key_and_merge_people(now)
    with op.batch_alter_table("stakeholder") as batch:
        batch.alter_column("name_key", existing_type=sa.String(NAME_KEY_LENGTH), nullable=False)
    op.create_index(
        UNIQUE_PERSON,
        "stakeholder",
        ["account_id", "name_key"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def _rekey_accounts(now: datetime) -> None:
    """New keys for every account; of two names now the same, the newer gets a free suffix."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(account.c.id, account.c.team_id, account.c.name, account.c.name_key).order_by(
            account.c.team_id, account.c.created_at, account.c.id
        )
    ).all()
    final = {row.id: name_key(row.name) for row in rows}
    taken = {(row.team_id, final[row.id]) for row in rows}
    first: dict[tuple[str, str], sa.Row[*tuple[Any, ...]]] = {}
    renamed: dict[int, str] = {}
    for row in rows:
        owner = first.setdefault((row.team_id, final[row.id]), row)
        if owner is row:
            continue
        new_name = _free_name(row.name, row.team_id, taken)
        taken.add((row.team_id, name_key(new_name)))
        renamed[row.id], final[row.id] = new_name, name_key(new_name)
        _report(
            f'renamed account #{row.id} "{row.name}" to "{new_name}": its name is the same as '
            f'account #{owner.id} "{owner.name}" once case, accents and letter widths are '
            f"ignored (team {row.team_id})"
        )
    changing = [row for row in rows if row.name_key != final[row.id] or row.id in renamed]
    # The unique (team, key) constraint is checked row by row: park the changing keys on values
    # no name can have (keys never hold a line break) before writing the final ones.
    key_of: Callable[[sa.Row[*tuple[Any, ...]]], str]
    for key_of in (lambda row: f"\n{row.id}", lambda row: final[row.id]):
        for row in changing:
            bind.execute(
                account.update().where(account.c.id == row.id).values(name_key=key_of(row))
            )
    for account_id, new_name in renamed.items():
        bind.execute(
            account.update()
            .where(account.c.id == account_id)
            .values(name=new_name, version=account.c.version + 1, updated_at=now)
        )


def _free_name(name: str, team_id: str, taken: set[tuple[str, str]]) -> str:
    """`name (2)`, `name (3)`, … the first whose key no account of the team has, within limits."""
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: NAME_LENGTH - len(suffix)].rstrip() + suffix
        if (team_id, name_key(candidate)) not in taken:
            return candidate
        number += 1


def _key_and_merge_people(now: datetime) -> None:
    """Key every person; merge each later record of someone into the oldest one on that map."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            stakeholder.c.id,
            stakeholder.c.team_id,
            stakeholder.c.account_id,
            stakeholder.c.name,
            stakeholder.c.status,
            stakeholder.c.reports_to_id,
            stakeholder.c.last_contacted_on,
        ).order_by(stakeholder.c.account_id, stakeholder.c.created_at, stakeholder.c.id)
    ).all()
    if rows:
        bind.execute(
            stakeholder.update()
            .where(stakeholder.c.id == sa.bindparam("person"))
            .values(name_key=sa.bindparam("key")),
            [{"person": row.id, "key": name_key(row.name)} for row in rows],
        )
    same: dict[tuple[int, str], list[sa.Row[*tuple[Any, ...]]]] = defaultdict(list)
    for row in rows:
        if row.status != "merged":
            same[(row.account_id, name_key(row.name))].append(row)
    names = dict(
        bind.execute(
            sa.select(account.c.id, account.c.name).where(
                account.c.id.in_({row.account_id for row in rows})
            )
        ).all()
    )
    for (account_id, _key), group in same.items():
        survivor, *duplicates = group
        for duplicate in duplicates:
            _merge(duplicate, into=survivor, account_name=names[account_id], now=now)


def _merge(
    duplicate: sa.Row[*tuple[Any, ...]],
    *,
    into: sa.Row[*tuple[Any, ...]],
    account_name: str,
    now: datetime,
) -> None:
    bind = op.get_bind()
    survivor = into.id
    contacts = bind.execute(
        contact_log.update()
        .where(contact_log.c.stakeholder_id == duplicate.id)
        .values(stakeholder_id=survivor)
    ).rowcount
    items = bind.execute(
        action_item.update()
        .where(action_item.c.customer_owner_stakeholder_id == duplicate.id)
        .values(customer_owner_stakeholder_id=survivor)
    ).rowcount
    above = _managers_of(survivor, account_id=into.account_id)
    # Whoever reported to the duplicate now reports to the survivor, unless the survivor already
    # reports (up its chain) to them: that would make a loop, so their line is cleared instead.
    cleared = bind.execute(
        stakeholder.update()
        .where(
            stakeholder.c.reports_to_id == duplicate.id,
            sa.or_(stakeholder.c.id == survivor, stakeholder.c.id.in_(above)),
        )
        .values(reports_to_id=None)
    ).rowcount
    reports = bind.execute(
        stakeholder.update()
        .where(stakeholder.c.reports_to_id == duplicate.id)
        .values(reports_to_id=survivor)
    ).rowcount
    latest = bind.execute(
        sa.select(sa.func.max(stakeholder.c.last_contacted_on)).where(
            stakeholder.c.id.in_([survivor, duplicate.id])
        )
    ).scalar()
    bind.execute(
        stakeholder.update().where(stakeholder.c.id == survivor).values(last_contacted_on=latest)
    )
    bind.execute(
        stakeholder.update()
        .where(stakeholder.c.id == duplicate.id)
        .values(status="merged", version=stakeholder.c.version + 1, updated_at=now)
    )
    bind.execute(
        stakeholder_change.insert().values(
            team_id=duplicate.team_id,
            account_id=duplicate.account_id,
            stakeholder_id=duplicate.id,
            field="status",
            old_value=duplicate.status,
            new_value="merged",
            changed_by_user_id=None,
            changed_at=now,
        )
    )
    loops = f"; {_count(cleared, 'reporting line')} cleared to avoid a loop" if cleared else ""
    _report(
        f'merged stakeholder #{duplicate.id} "{duplicate.name}" into #{survivor} "{into.name}" '
        f'on account #{duplicate.account_id} "{account_name}" (team {duplicate.team_id}): the '
        f"same person; {_count(contacts, 'contact')}, {_count(items, 'action item')} and "
        f"{_count(reports, 'report')} moved{loops}"
    )


def _managers_of(person: int, *, account_id: int) -> set[int]:
    """Everyone above `person` in the account's reporting chain."""
    lines = dict(
        op.get_bind()
        .execute(
            sa.select(stakeholder.c.id, stakeholder.c.reports_to_id).where(
                stakeholder.c.account_id == account_id
            )
        )
        .all()
    )
    above: set[int] = set()
    current = lines.get(person)
    while current is not None and current not in above and current != person:
        above.add(current)
        current = lines.get(current)
    return above


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def downgrade() -> None:
    """Back to 0002's rules: merged records return as departed people (their contacts stay with
    the record they were merged into), and keys are the old ASCII-blind case folding."""
    bind = op.get_bind()
    op.drop_index(UNIQUE_PERSON, table_name="stakeholder")
    bind.execute(
        stakeholder.update().where(stakeholder.c.status == "merged").values(status="departed")
    )
    with op.batch_alter_table("stakeholder") as batch:
        batch.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch.create_check_constraint(op.f(STATUS_CHECK), _status_check(("active", "departed")))
        batch.drop_column("name_key")
    rows = bind.execute(sa.select(account.c.id, account.c.name)).all()
    old_keys = {row.id: " ".join(row.name.split()).casefold()[:OLD_KEY_LENGTH] for row in rows}
    old_key_of: Callable[[int], str]
    for old_key_of in (lambda account_id: f"\n{account_id}", old_keys.__getitem__):
        for account_id in old_keys:
            bind.execute(
                account.update()
                .where(account.c.id == account_id)
                .values(name_key=old_key_of(account_id))
            )
    with op.batch_alter_table("account") as batch:
        batch.alter_column(
            "name_key",
            existing_type=sa.String(NAME_KEY_LENGTH),
            type_=sa.String(OLD_KEY_LENGTH),
            existing_nullable=False,
        )
