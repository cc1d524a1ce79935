"""Store functions on a real SQLite database: scoping, uniqueness, money, time, history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from store.accounts import (
    create_account,
    find_account_by_channel,
    find_account_by_name,
    get_account,
)
from store.actions import add_action_item
from store.db import Database
from store.enums import ActionStatus, ContactChannel, Role, StakeholderStatus
from store.errors import DuplicateAccountName, NotFound
from store.models import Account, ContactLog, Stakeholder, StakeholderChange
from store.snapshots import load_snapshots
from store.stakeholders import add_stakeholder, log_contact, mark_departed
from tests.factories import make_account

TODAY = date(2026, 11, 23)


def test_account_names_are_unique_per_team_ignoring_case(database: Database) -> None:
    make_account(database, "Acme Corp")
    with pytest.raises(DuplicateAccountName, match="Acme Corp already exists"):
        make_account(database, "  acme   CORP ")
    make_account(database, "Acme Corp", team_id="T0OTHER")  # another workspace may use the name


def test_duplicate_name_rolls_back_only_itself(database: Database) -> None:
    with database.transaction() as session:
        create_account(session, team_id="T1", name="Acme")
        with pytest.raises(DuplicateAccountName):
            create_account(session, team_id="T1", name="ACME")
        create_account(session, team_id="T1", name="Globex")
    with database.transaction() as session:
        names = session.execute(select(Account.name).order_by(Account.name)).scalars().all()
    assert names == ["Acme", "Globex"]


def test_failed_transaction_writes_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        create_account(session, team_id="T1", name="Acme")
        raise RuntimeError("boom")
    with database.transaction() as session:
        assert find_account_by_name(session, team_id="T1", name="Acme") is None


def test_lookups_are_scoped_by_team(database: Database) -> None:
    account = make_account(database, "Acme", team_id="T1", channel_id="C1")
    with database.transaction() as session:
        assert get_account(session, team_id="T2", account_id=account.id) is None
        assert find_account_by_name(session, team_id="T2", name="Acme") is None
        assert find_account_by_channel(session, team_id="T2", channel_id="C1") is None
        assert find_account_by_channel(session, team_id="T1", channel_id="C1").id == account.id


def test_money_is_decimal_and_exact(database: Database) -> None:
    account = make_account(database, "Acme", arr=Decimal("1234567.89"), currency="eur")
    with database.transaction() as session:
        stored = get_account(session, team_id=account.team_id, account_id=account.id)
    assert stored.arr == Decimal("1234567.89")
    assert isinstance(stored.arr, Decimal)
    assert stored.currency == "EUR"


def test_negative_arr_is_refused_by_the_database(database: Database) -> None:
    with pytest.raises(IntegrityError), database.transaction() as session:
        create_account(session, team_id="T1", name="Acme", arr=Decimal("-1"))


def test_timestamps_are_utc_aware(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        stored = get_account(session, team_id=account.team_id, account_id=account.id)
    assert stored.created_at.tzinfo is UTC
    assert abs(stored.created_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_naive_timestamps_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), database.transaction() as session:
        session.add(Account(team_id="T1", name="X", name_key="x", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
        session.flush()


def test_unknown_enum_value_is_refused(database: Database) -> None:
    account = make_account(database, "Acme")
    with pytest.raises(StatementError), database.transaction() as session:
        session.add(
            Stakeholder(team_id=account.team_id, account_id=account.id, name="X", role="boss")
        )
        session.flush()


def test_contact_log_moves_last_contact_forward_only(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add_stakeholder(
            session,
            team_id=account.team_id,
            account_id=account.id,
            name="Dana",
            role=Role.CHAMPION,
            by_user_id="U1",
        )
        raj = add_stakeholder(
            session,
            team_id=account.team_id,
            account_id=account.id,
            name="Raj",
            role=Role.ECONOMIC_BUYER,
            by_user_id="U1",
        )
        common = {
            "team_id": account.team_id,
            "account_id": account.id,
            "channel": ContactChannel.CALL,
            "by_user_id": "U1",
        }
        log_contact(
            session, stakeholder_ids=[dana.id, raj.id], contacted_on=TODAY, summary="QBR", **common
        )
        log_contact(
            session,
            stakeholder_ids=[dana.id],
            contacted_on=TODAY - timedelta(days=9),
            summary="late log",
            **common,
        )
    with database.transaction() as session:
        people = {p.name: p for p in session.execute(select(Stakeholder)).scalars()}
        logs = session.execute(select(ContactLog)).scalars().all()
    assert people["Dana"].last_contacted_on == TODAY
    assert people["Raj"].last_contacted_on == TODAY
    assert len(logs) == 3


def test_contact_with_someone_of_another_account_is_refused(database: Database) -> None:
    acme = make_account(database, "Acme", channel_id="C1")
    globex = make_account(database, "Globex", channel_id="C2")
    with database.transaction() as session:
        outsider = add_stakeholder(
            session,
            team_id=globex.team_id,
            account_id=globex.id,
            name="Olga",
            role=Role.INFLUENCER,
            by_user_id="U1",
        )
    with pytest.raises(NotFound), database.transaction() as session:
        log_contact(
            session,
            team_id=acme.team_id,
            account_id=acme.id,
            stakeholder_ids=[outsider.id],
            contacted_on=TODAY,
            channel=ContactChannel.EMAIL,
            summary="x",
            by_user_id="U1",
        )
    with database.transaction() as session:
        assert session.execute(select(ContactLog)).first() is None


def test_departure_keeps_the_person_and_remembers_the_change(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add_stakeholder(
            session,
            team_id=account.team_id,
            account_id=account.id,
            name="Dana",
            role=Role.CHAMPION,
            by_user_id="U1",
        )
    with database.transaction() as session:
        for _ in range(2):  # marking twice changes nothing the second time
            mark_departed(
                session,
                team_id=account.team_id,
                stakeholder_id=dana.id,
                on=TODAY,
                by_user_id="U2",
                left_for_company="Globex",
                left_for_title="COO",
            )
    with database.transaction() as session:
        person = session.get(Stakeholder, dana.id)
        changes = (
            session.execute(select(StakeholderChange).order_by(StakeholderChange.id))
            .scalars()
            .all()
        )
    assert person.status is StakeholderStatus.DEPARTED
    assert person.departed_on == TODAY
    assert changes[0].field == "created"
    assert json.loads(changes[0].new_value)["name"] == "Dana"
    assert [(c.field, c.old_value, c.new_value, c.changed_by_user_id) for c in changes[1:]] == [
        ("status", "active", "departed", "U2"),
        ("departed_on", None, TODAY.isoformat(), "U2"),
        ("left_for_company", None, "Globex", "U2"),
        ("left_for_title", None, "COO", "U2"),
    ]


def test_departure_in_another_team_is_not_found(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add_stakeholder(
            session,
            team_id=account.team_id,
            account_id=account.id,
            name="Dana",
            role=Role.CHAMPION,
            by_user_id="U1",
        )
    with pytest.raises(NotFound), database.transaction() as session:
        mark_departed(session, team_id="T0OTHER", stakeholder_id=dana.id, on=TODAY, by_user_id="U2")


def test_snapshots_hold_people_open_plan_and_last_activity(database: Database) -> None:
    acme = make_account(database, "Acme", channel_id="C1")
    make_account(database, "Globex", channel_id="C2", owner_user_id="U0BOB")
    with database.transaction() as session:
        ids = [
            add_stakeholder(
                session, team_id=acme.team_id, account_id=acme.id, name=n, role=r, by_user_id="U1"
            ).id
            for n, r in [
                ("Dana", Role.CHAMPION),
                ("Lee", Role.CHAMPION),
                ("Raj", Role.ECONOMIC_BUYER),
            ]
        ]
        mark_departed(
            session, team_id=acme.team_id, stakeholder_id=ids[0], on=TODAY, by_user_id="U1"
        )
        log_contact(
            session,
            team_id=acme.team_id,
            account_id=acme.id,
            stakeholder_ids=[ids[2]],
            contacted_on=date(2099, 1, 1),
            channel=ContactChannel.CALL,
            summary="",
            by_user_id="U1",
        )
        for title, due, status in [
            ("late", -3, None),
            ("soon", 4, None),
            ("done", -10, ActionStatus.DONE),
        ]:
            item = add_action_item(
                session,
                team_id=acme.team_id,
                account_id=acme.id,
                title=title,
                due_on=TODAY + timedelta(days=due),
                by_user_id="U1",
            )
            if status:
                item.status = status
    with database.transaction() as session:
        snapshots = {s.account.name: s for s in load_snapshots(session, team_id=acme.team_id)}
        mine = load_snapshots(session, team_id=acme.team_id, owner_user_id="U0BOB")
        other_team = load_snapshots(session, team_id="T0OTHER")
    acme_snapshot = snapshots["Acme"]
    assert [p.name for p in acme_snapshot.stakeholders] == ["Dana", "Lee", "Raj"]
    assert [a.title for a in acme_snapshot.open_actions] == ["late", "soon"]
    assert acme_snapshot.last_map_activity == date(2099, 1, 1)
    assert snapshots["Globex"].stakeholders == () and snapshots["Globex"].last_map_activity is None
    assert [s.account.name for s in mine] == ["Globex"]
    assert other_team == []


@pytest.mark.parametrize("accounts", [3, 30])
def test_snapshots_take_the_same_statements_whatever_the_count(
    database: Database, accounts: int
) -> None:
    from sqlalchemy import event

    for index in range(accounts):
        account = make_account(database, f"Account {index}", channel_id=f"C{index}")
        with database.transaction() as session:
            add_stakeholder(
                session,
                team_id=account.team_id,
                account_id=account.id,
                name="P",
                role=Role.CHAMPION,
                by_user_id="U1",
            )
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with database.transaction() as session:
        snapshots = load_snapshots(session, team_id="T0TEST")
    assert len(snapshots) == accounts
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(reads) == 5  # accounts with their map activity, people, items, usage, save plans


@pytest.mark.parametrize(
    ("typed", "exact", "candidates"),
    [
        ("acme logistics", "Acme Logistics", []),
        ("  ACME   Logistics ", "Acme Logistics", []),
        ("acme", None, ["Acme Health", "Acme Logistics"]),
        ("logistics", "Acme Logistics", []),
        ("Acme Logstics", "Acme Logistics", []),
        ("initek", "Initech", []),
        ("100%", "100% Widgets", []),
        ("under_", "Under_score Co", []),
        ("%", "100% Widgets", []),
        ("zzzz", None, []),
        ("archived co", None, []),
    ],
)
def test_search_by_name_substring_and_small_typos(
    database: Database, typed: str, exact: str | None, candidates: list[str]
) -> None:
    from store.accounts import search_accounts, update_account

    for index, name in enumerate(
        [
            "Acme Logistics",
            "Acme Health",
            "Initech",
            "100% Widgets",
            "Under_score Co",
            "Archived Co",
        ]
    ):
        account = make_account(database, name, channel_id=f"C{index}")
    make_account(database, "Acme Logistics", team_id="T0OTHER")
    with database.transaction() as session:
        update_account(session, team_id=account.team_id, account_id=account.id, archived=True)
    with database.transaction() as session:
        found = search_accounts(session, team_id="T0TEST", text=typed)
    assert (found.exact.name if found.exact else None) == exact
    assert [a.name for a in found.candidates] == candidates


def test_thresholds_default_and_per_team(database: Database) -> None:
    from store.settings import SettingsSection, Thresholds, save_settings, thresholds_for

    with database.transaction() as session:
        assert thresholds_for(session, team_id="T1") == Thresholds()
        save_settings(
            session,
            team_id="T1",
            section=SettingsSection.THRESHOLDS,
            values=Thresholds(min_threads=4, stale_map_days=21),
        )
    with database.transaction() as session:
        assert thresholds_for(session, team_id="T1").min_threads == 4
        assert thresholds_for(session, team_id="T1").stale_map_days == 21
        assert thresholds_for(session, team_id="T2") == Thresholds()


def test_update_account_refuses_unknown_fields_and_other_teams(database: Database) -> None:
    from store.accounts import update_account

    account = make_account(database, "Acme")
    with (
        pytest.raises(ValueError, match="created_at cannot be changed"),
        database.transaction() as session,
    ):
        update_account(session, team_id=account.team_id, account_id=account.id, created_at=None)
    with pytest.raises(NotFound), database.transaction() as session:
        update_account(session, team_id="T0OTHER", account_id=account.id, name="Mine now")
    with database.transaction() as session:
        assert get_account(session, team_id=account.team_id, account_id=account.id).name == "Acme"
