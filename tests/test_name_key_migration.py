"""Migration 0003 on a database the old name rules let duplicates into, through the real CLI
(`accountbot db upgrade`), on SQLite and on PostgreSQL: it names every duplicate it resolves,
keeps the older as the live one, and either finishes or changes nothing."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from store.db import MIGRATIONS, Database, current_revision
from store.enums import Role, StakeholderStatus
from store.models import Account as AccountRow
from store.models import ActionItem, ContactLog, Stakeholder, StakeholderChange
from store.stakeholders import DuplicateStakeholder, add_stakeholder
from store.types import UTCDateTime
from tests.conftest import POSTGRES_URL, bot_settings, serving
from tests.slack_fake import TEAM_ID, FakeSlack

_NAMES = itertools.count()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
WIDE_ACME = "\uff21\uff43\uff4d\uff45"
"""Acme in full-width letters."""

account = sa.table(
    "account",
    *(sa.column(c) for c in ("id", "team_id", "name", "name_key", "channel_id", "owner_user_id")),
    *(sa.column(c) for c in ("arr", "currency", "segment", "archived", "version")),
    sa.column("products", sa.JSON),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
stakeholder = sa.table(
    "stakeholder",
    *(sa.column(c) for c in ("id", "team_id", "account_id", "name", "role", "influence")),
    *(sa.column(c) for c in ("sentiment", "status", "reports_to_id", "email", "version")),
    sa.column("name_key"),
    sa.column("last_contacted_on", sa.Date),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)
contact_log = sa.table(
    "contact_log",
    *(sa.column(c) for c in ("id", "team_id", "account_id", "stakeholder_id", "channel")),
    sa.column("summary"),
    sa.column("contacted_on", sa.Date),
    sa.column("created_at", UTCDateTime()),
)
change = sa.table(
    "stakeholder_change",
    *(sa.column(c) for c in ("team_id", "account_id", "stakeholder_id", "field", "new_value")),
    sa.column("changed_at", UTCDateTime()),
)
action_item = sa.table(
    "action_item",
    *(sa.column(c) for c in ("id", "team_id", "account_id", "title", "status", "version")),
    sa.column("customer_owner_stakeholder_id"),
    sa.column("due_on", sa.Date),
    sa.column("created_at", UTCDateTime()),
    sa.column("updated_at", UTCDateTime()),
)


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it yet: a SQLite file, or a new PostgreSQL database."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"accountbot_m{os.getpid()}_{next(_NAMES)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def old_database(url: str) -> None:
    """A store at revision 0002 holding what the old rules let in: the same person three times
    (SQLite's lower() folds only ASCII; two adds raced on PostgreSQL) and account names that
    differ only by how their accents or letters were typed."""
    db = Database(url)
    db.upgrade(revision="0002")
    with db.engine.begin() as connection:
        insert = connection.execute

        def add_account(id_: int, name: str, days: int) -> None:
            at = T0 + timedelta(days=days)
            old_key = " ".join(name.split()).casefold()
            insert(
                account.insert().values(
                    id=id_, team_id=TEAM_ID, name=name, name_key=old_key, channel_id=f"C{id_}",
                    owner_user_id="U0ALICE", arr=1000, currency="USD", segment="mid_market",
                    archived=False, version=1, products=[], created_at=at, updated_at=at,
                )
            )  # fmt: skip

        add_account(1, "Acme", 0)
        add_account(2, "Société Générale", 1)
        add_account(3, "Socie\u0301te\u0301 Ge\u0301ne\u0301rale", 2)  # same, accents combining
        add_account(4, WIDE_ACME, 3)  # full-width: the same name as Acme
        add_account(5, "Acme (2)", 4)  # the first suffix is taken already

        def add_person(id_: int, name: str, days: int, **fields: object) -> None:
            at = T0 + timedelta(days=days)
            insert(
                stakeholder.insert().values(
                    id=id_, team_id=TEAM_ID, account_id=1, name=name, role="champion",
                    influence="high", sentiment="positive", status="active", version=1,
                    created_at=at, updated_at=at, **fields,
                )
            )  # fmt: skip
            insert(
                change.insert().values(
                    team_id=TEAM_ID, account_id=1, stakeholder_id=id_, field="created",
                    new_value=json.dumps({"name": name}), changed_at=at,
                )
            )  # fmt: skip

        add_person(10, "Élise Dupont", 0, last_contacted_on=date(2026, 3, 2))
        add_person(11, "Élise Dupont", 0, last_contacted_on=date(2026, 4, 20))  # the race
        add_person(12, "ÉLISE DUPONT", 5, email="elise@acme.test")
        add_person(13, "Raj Patel", 1, reports_to_id=12)
        for id_, person, day in [(1, 11, date(2026, 4, 20)), (2, 12, date(2026, 4, 1))]:
            insert(
                contact_log.insert().values(
                    id=id_, team_id=TEAM_ID, account_id=1, stakeholder_id=person, channel="call",
                    summary="QBR", contacted_on=day, created_at=T0,
                )
            )  # fmt: skip
        insert(
            action_item.insert().values(
                id=1, team_id=TEAM_ID, account_id=1, title="Security review", status="open",
                version=1, customer_owner_stakeholder_id=11, due_on=date(2026, 6, 1),
                created_at=T0, updated_at=T0,
            )
        )  # fmt: skip
    db.dispose()


def upgrade_cli(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return cli(url, cwd, "db", "upgrade")


def cli(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=base | {"DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


REPORT = [
    'renamed account #3 "Socie\u0301te\u0301 Ge\u0301ne\u0301rale" to '
    '"Socie\u0301te\u0301 Ge\u0301ne\u0301rale (2)": its name is the same as account #2 '
    '"Société Générale" once case, accents and letter widths are ignored (team T0TEST)',
    f'renamed account #4 "{WIDE_ACME}" to "{WIDE_ACME} (3)": its name is the same as account #1 '
    '"Acme" once case, accents and letter widths are ignored (team T0TEST)',
    'merged stakeholder #11 "Élise Dupont" into #10 "Élise Dupont" on account #1 "Acme" '
    "(team T0TEST): the same person; 1 contact, 1 action item and 0 reports moved",
    'merged stakeholder #12 "ÉLISE DUPONT" into #10 "Élise Dupont" on account #1 "Acme" '
    "(team T0TEST): the same person; 1 contact, 0 action items and 1 report moved",
]


def test_upgrade_reports_and_resolves_the_duplicates_the_old_rules_let_in(
    empty_url: str, tmp_path: Path, slack: FakeSlack
) -> None:
    old_database(empty_url)
    done = upgrade_cli(empty_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [*REPORT, f"database at revision {HEAD}"]

    db = Database(empty_url)
    try:
        with db.transaction() as session:
            people = {p.id: p for p in session.scalars(sa.select(Stakeholder))}
            accounts = dict(session.execute(sa.select(AccountRow.id, AccountRow.name)).all())
            contacts = set(session.execute(sa.select(ContactLog.id, ContactLog.stakeholder_id)))
            [item] = session.scalars(sa.select(ActionItem))
            merges = session.execute(
                sa.select(StakeholderChange.stakeholder_id, StakeholderChange.new_value).where(
                    StakeholderChange.field == "status"
                )
            ).all()
        assert {i: p.status for i, p in people.items()} == {
            10: StakeholderStatus.ACTIVE,
            11: StakeholderStatus.MERGED,
            12: StakeholderStatus.MERGED,
            13: StakeholderStatus.ACTIVE,
        }
        survivor = people[10]
        assert survivor.last_contacted_on == date(2026, 4, 20)  # the latest of the three
        assert people[13].reports_to_id == 10
        assert contacts == {(1, 10), (2, 10)} and item.customer_owner_stakeholder_id == 10
        assert sorted(merges) == [(11, "merged"), (12, "merged")]  # in each one's history
        assert accounts == {
            1: "Acme",
            2: "Société Générale",
            3: "Socie\u0301te\u0301 Ge\u0301ne\u0301rale (2)",
            4: f"{WIDE_ACME} (3)",
            5: "Acme (2)",
        }
        # the rule is now the database's own: a duplicate cannot get in, by the store or not
        with pytest.raises(DuplicateStakeholder), db.transaction() as session:
            add_stakeholder(
                session, team_id=TEAM_ID, account_id=1, name="élise dupont",
                role=Role.CHAMPION, by_user_id="U0ALICE",
            )  # fmt: skip
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(
                stakeholder.insert().values(
                    team_id=TEAM_ID, account_id=1, name="Élise D.", role="champion",
                    influence="high", sentiment="positive", status="active", version=1,
                    created_at=T0, updated_at=T0, name_key="élise dupont",
                )
            )  # fmt: skip
        # the card lists the person once; the history says what became of the duplicates
        with serving(bot_settings(db, slack), db, slack) as bot:
            for token, text in [("card", "acme"), ("history", "acme history")]:
                assert bot.command(text, response_url=slack.response_url(token)).status == 200
            [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
            [history] = slack.wait_for(
                "response_url", where=lambda c: c.path == "/response/history"
            )
        text = json.dumps(card.params["blocks"], ensure_ascii=False)
        assert text.count("· *Élise Dupont*") == 1 and "ÉLISE" not in text
        merged = "merged into the earlier record of the same person (a duplicate)"
        text = json.dumps(history.params["blocks"], ensure_ascii=False)
        assert f"*ÉLISE DUPONT*: {merged}" in text and f"*Élise Dupont*: {merged}" in text
        # that week's digest announces the person once, and nobody unnamed
        week = cli(empty_url, tmp_path, "digest", "--dry-run", "--at", "2026-03-09T10:00:00Z")
        assert week.stdout.count("Élise Dupont joined the map") == 1, week.stdout
        assert "someone joined" not in week.stdout and "ÉLISE" not in week.stdout
        # a second upgrade finds nothing more to do
        again = upgrade_cli(empty_url, tmp_path)
        assert again.stdout.splitlines() == [f"database at revision {HEAD}"]
    finally:
        db.dispose()


def test_an_upgrade_that_fails_half_way_changes_nothing(empty_url: str, tmp_path: Path) -> None:
    """Something the migration cannot foresee stops it while it moves contacts (here a trigger
    an administrator left behind): every rename, key and merge before it is undone too."""
    old_database(empty_url)
    engine = sa.create_engine(empty_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE UPDATE ON contact_log "
                "BEGIN SELECT RAISE(ABORT, 'contact logs are frozen'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'contact logs are frozen'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE UPDATE ON contact_log "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )

    def state() -> tuple[object, ...]:
        with engine.connect() as connection:
            return (
                current_revision(engine),
                sorted(c["name"] for c in sa.inspect(connection).get_columns("stakeholder")),
                connection.execute(sa.text("SELECT id, name, name_key FROM account")).all(),
                connection.execute(sa.text("SELECT id, name, status FROM stakeholder")).all(),
                connection.execute(sa.text("SELECT id, stakeholder_id FROM contact_log")).all(),
            )

    before = state()
    try:
        done = upgrade_cli(empty_url, tmp_path)
        assert done.returncode == 1
        assert done.stderr.startswith("accountbot: the upgrade failed, so nothing was changed: ")
        assert "contact logs are frozen" in done.stderr
        assert state() == before
        assert before[0] == "0002"
    finally:
        engine.dispose()
