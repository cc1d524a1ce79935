"""One email once on a map, kept by the database as the name is: two people adding different names
with the same email (in any case) at the same moment store one, and the other gets the inline
error a sequential duplicate gets. Migration 0006 brings a database that already holds such
duplicates into the rule, through the real CLI, and says what it did; or changes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from store.db import Database, current_revision
from store.models import Stakeholder, StakeholderChange
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import Reply, SlackSender, view_submission_payload
from tests.test_name_key_migration import HEAD, cli, empty_url, upgrade_cli  # noqa: F401
from tests.test_name_keys import add_form
from tests.test_stakeholder_map import stakeholder_values

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def people(database: Database, account_id: int) -> list[tuple[str, str | None]]:
    with database.transaction() as session:
        found = session.execute(
            select(Stakeholder.name, Stakeholder.email)
            .where(Stakeholder.account_id == account_id)
            .order_by(Stakeholder.id)
        )
        return [(name, email) for name, email in found]


def add_at_once(bot: SlackSender, adds: list[tuple[dict[str, Any], str, str]]) -> list[Reply]:
    """Submit each (view, name, email) from its own thread, all released at the same moment."""
    start = threading.Barrier(len(adds))
    replies: list[Reply] = []

    def send(view: dict[str, Any], name: str, email: str) -> None:
        start.wait()
        values = stakeholder_values(name=name, email=email)
        replies.append(bot.interaction(view_submission_payload(view, values)))

    threads = [threading.Thread(target=send, args=add) for add in adds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return replies


def test_the_same_email_in_another_case_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    add_person(database, acme, "Dana Lee", email="dana@acme.test")
    values = stakeholder_values(name="D. Lee", email="  DANA@Acme.TEST ")
    reply = bot.interaction(view_submission_payload(add_form(acme, slack, "V1"), values))
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"email": "Dana Lee is already on the map with that email."},
    }


def test_two_people_adding_the_same_email_at_once_store_it_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Twenty times over, two colleagues add two differently named people with one email (cased
    differently) at the same moment: one is stored, the other is told who has that email."""
    outcomes: list[tuple[list[tuple[str, str | None]], list[Any]]] = []
    for trial in range(20):
        account = make_account(database, f"Trial {trial}", channel_id=f"C0T{trial}")
        views = [add_form(account, slack, f"V{trial}x{i}") for i in range(2)]
        adds = [(views[0], "Dana Lee", "dana@acme.test"), (views[1], "Dana L.", "DANA@ACME.test")]
        replies = add_at_once(bot, adds)
        outcomes.append((people(database, account.id), [r.json() for r in replies if r.body]))  # type: ignore[arg-type]
    for stored, refusals in outcomes:
        assert len(stored) == 1, outcomes
        assert refusals == [
            {
                "response_action": "errors",
                "errors": {"email": f"{stored[0][0]} is already on the map with that email."},
            }
        ], outcomes


# -- migration 0006 on a database that already holds the same email twice --------------------------

stakeholder = sa.table(
    "stakeholder",
    *(sa.column(c) for c in ("id", "team_id", "account_id", "name", "name_key", "role")),
    *(sa.column(c) for c in ("influence", "sentiment", "status", "email", "version")),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
account = sa.table(
    "account",
    *(sa.column(c) for c in ("id", "team_id", "name", "name_key", "currency", "segment")),
    *(sa.column(c) for c in ("arr", "archived", "version")),
    sa.column("products", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def database_at_0005(url: str) -> None:
    """A store at revision 0005 whose people share emails, as the bot's own check let in when
    two adds raced: on one map twice (and a merged record, off the map, too), on another once."""
    db = Database(url)
    db.upgrade(revision="0005")
    with db.engine.begin() as connection:
        for id_, name in ((1, "Acme"), (2, "Globex")):
            connection.execute(
                account.insert().values(
                    id=id_, team_id=TEAM_ID, name=name, name_key=name.lower(), currency="USD",
                    segment="mid_market", arr=0, archived=False, version=1, products=[],
                    created_at=T0, updated_at=T0,
                )
            )  # fmt: skip
        for id_, account_id, name, status, email, days in (
            (10, 1, "Dana Lee", "active", "dana@acme.test", 0),
            (11, 1, "Dana L.", "departed", " DANA@Acme.test", 3),  # newer: loses the email
            (12, 1, "D. Lee", "merged", "dana@acme.test", 5),  # off the map: left alone
            (13, 1, "Raj Patel", "active", "raj@acme.test", 1),
            (14, 2, "Dana Lee", "active", "dana@acme.test", 2),  # another map: fine
        ):
            at = T0 + timedelta(days=days)
            connection.execute(
                stakeholder.insert().values(
                    id=id_, team_id=TEAM_ID, account_id=account_id, name=name,
                    name_key=name.lower(), role="champion", influence="high",
                    sentiment="positive", status=status, email=email, version=1,
                    created_at=at, updated_at=at,
                )
            )  # fmt: skip
    db.dispose()


def emails(url: str) -> dict[int, str | None]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return dict(connection.execute(sa.text("SELECT id, email FROM stakeholder")).all())
    finally:
        engine.dispose()


def test_upgrade_clears_the_newer_of_two_same_emails_and_says_so(
    empty_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    database_at_0005(empty_url)
    done = upgrade_cli(empty_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        'cleared the email of stakeholder #11 "Dana L." on account #1 "Acme" (team T0TEST): it '
        'is the email of #10 "Dana Lee" on that map, ignoring case (the cleared address is in '
        "#11's history)",
        f"database at revision {HEAD}",
    ]
    assert emails(empty_url) == {
        10: "dana@acme.test",
        11: None,
        12: "dana@acme.test",
        13: "raj@acme.test",
        14: "dana@acme.test",
    }
    db = Database(empty_url)
    try:
        with db.transaction() as session:
            [cleared] = session.scalars(
                select(StakeholderChange).where(StakeholderChange.field == "email")
            )
            person = session.get(Stakeholder, 11)
            assert person is not None and person.version == 2
        assert (cleared.stakeholder_id, cleared.old_value, cleared.new_value) == (
            11,
            " DANA@Acme.test",
            None,
        )
        with pytest.raises(IntegrityError), db.engine.begin() as connection:  # the rule is kept
            connection.execute(
                sa.text(
                    "UPDATE stakeholder SET email = 'Dana@acme.test', email_key = 'dana@acme.test'"
                    " WHERE id = 13"
                )
            )
    finally:
        db.dispose()
    assert upgrade_cli(empty_url, tmp_path).stdout.splitlines() == [f"database at revision {HEAD}"]


def test_an_upgrade_that_fails_half_way_changes_nothing(
    empty_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Something the migration cannot foresee (a trigger an administrator left behind) stops it
    as it writes the history of a cleared email: the keys and the cleared email are undone."""
    database_at_0005(empty_url)
    engine = sa.create_engine(empty_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON stakeholder_change "
                "BEGIN SELECT RAISE(ABORT, 'history is frozen'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'history is frozen'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON stakeholder_change "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    try:
        before = emails(empty_url)
        done = upgrade_cli(empty_url, tmp_path)
        assert done.returncode == 1
        assert done.stderr.startswith("accountbot: the upgrade failed, so nothing was changed: ")
        assert "history is frozen" in done.stderr
        assert emails(empty_url) == before
        assert current_revision(engine) == "0005"
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("stakeholder")}
        assert "email_key" not in columns
    finally:
        engine.dispose()
