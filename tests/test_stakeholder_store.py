"""Stakeholder store rules: duplicates, reporting lines, change history and its replay."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from store.db import Database
from store.enums import ContactChannel, Influence, Role, Sentiment, StakeholderStatus
from store.errors import NotFound, StoreError
from store.models import Account, ContactLog, Stakeholder, StakeholderChange
from store.stakeholders import (
    DuplicateStakeholder,
    InvalidReportsTo,
    account_history,
    add_stakeholder,
    current_fields,
    log_contact,
    mark_departed,
    replay,
    update_stakeholder,
)
from store.types import utcnow
from tests.factories import make_account

TODAY = date(2026, 11, 23)


def add(session, account, name: str, role: Role = Role.INFLUENCER, **fields):
    return add_stakeholder(
        session,
        team_id=account.team_id,
        account_id=account.id,
        name=name,
        role=role,
        by_user_id="U1",
        **fields,
    )


def test_same_name_ignoring_case_or_same_email_is_refused_naming_the_person(
    database: Database,
) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        add(session, account, "Dana Lee", email="dana@acme.test")
    with (
        pytest.raises(DuplicateStakeholder, match="Dana Lee is already on the map with that name"),
        database.transaction() as session,
    ):
        add(session, account, "  dana   LEE ")
    with (
        pytest.raises(
            DuplicateStakeholder, match="Dana Lee is already on the map with that email"
        ) as caught,
        database.transaction() as session,
    ):
        add(session, account, "D. Lee", email="DANA@acme.test")
    assert caught.value.field == "email"
    other = make_account(database, "Globex", channel_id="C2")
    with database.transaction() as session:
        add(session, other, "Dana Lee")  # another account's map may hold the same name


def test_renaming_onto_someone_else_is_refused(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        add(session, account, "Dana")
        raj = add(session, account, "Raj")
    with pytest.raises(DuplicateStakeholder), database.transaction() as session:
        update_stakeholder(
            session, team_id=account.team_id, stakeholder_id=raj.id, by_user_id="U1", name="DANA"
        )
    with database.transaction() as session:
        update_stakeholder(
            session,
            team_id=account.team_id,
            stakeholder_id=raj.id,
            by_user_id="U1",
            name="Raj Patel",
        )


def test_reports_to_must_be_on_the_same_map_and_never_loop(database: Database) -> None:
    acme = make_account(database, "Acme", channel_id="C1")
    globex = make_account(database, "Globex", channel_id="C2")
    with database.transaction() as session:
        ceo = add(session, acme, "Ceo")
        vp = add(session, acme, "Vp", reports_to_id=ceo.id)
        ic = add(session, acme, "Ic", reports_to_id=vp.id)
        outsider = add(session, globex, "Outsider")
    with pytest.raises(InvalidReportsTo, match="reporting loop"), database.transaction() as session:
        update_stakeholder(
            session,
            team_id=acme.team_id,
            stakeholder_id=ceo.id,
            by_user_id="U1",
            reports_to_id=ic.id,
        )
    with pytest.raises(InvalidReportsTo, match="reporting loop"), database.transaction() as session:
        update_stakeholder(
            session,
            team_id=acme.team_id,
            stakeholder_id=ceo.id,
            by_user_id="U1",
            reports_to_id=ceo.id,
        )
    with (
        pytest.raises(InvalidReportsTo, match="this account's map"),
        database.transaction() as session,
    ):
        add(session, acme, "New", reports_to_id=outsider.id)
    with database.transaction() as session:
        assert session.get(Stakeholder, ceo.id).reports_to_id is None


def test_only_changed_fields_are_recorded(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add(session, account, "Dana", sentiment=Sentiment.NEUTRAL)
        update_stakeholder(
            session,
            team_id=account.team_id,
            stakeholder_id=dana.id,
            by_user_id="U2",
            sentiment=Sentiment.NEGATIVE,
            title=None,
            influence=Influence.MEDIUM,
        )
        rows = (
            session.execute(select(StakeholderChange).order_by(StakeholderChange.id))
            .scalars()
            .all()
        )
    assert [(r.field, r.old_value, r.new_value, r.changed_by_user_id) for r in rows[1:]] == [
        ("sentiment", "neutral", "negative", "U2"),
    ]


def test_a_failed_change_leaves_no_history(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add(session, account, "Dana")
        add(session, account, "Raj")
    with pytest.raises(StoreError), database.transaction() as session:
        update_stakeholder(
            session,
            team_id=account.team_id,
            stakeholder_id=dana.id,
            by_user_id="U1",
            sentiment=Sentiment.POSITIVE,
            name="raj",
        )
    with database.transaction() as session:
        assert (
            session.execute(select(func.count()).select_from(StakeholderChange)).scalar_one() == 2
        )
        assert session.get(Stakeholder, dana.id).sentiment is Sentiment.NEUTRAL


def test_another_teams_stakeholder_cannot_be_changed(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add(session, account, "Dana")
    with pytest.raises(NotFound), database.transaction() as session:
        update_stakeholder(
            session, team_id="T0OTHER", stakeholder_id=dana.id, by_user_id="U9", name="Pwned"
        )


def test_history_is_newest_first_and_paged(database: Database) -> None:
    account = make_account(database, "Acme")
    with database.transaction() as session:
        dana = add(session, account, "Dana")
    for sentiment in (Sentiment.POSITIVE, Sentiment.NEGATIVE, Sentiment.NEUTRAL):
        with database.transaction() as session:
            update_stakeholder(
                session,
                team_id=account.team_id,
                stakeholder_id=dana.id,
                by_user_id="U1",
                sentiment=sentiment,
            )
    with database.transaction() as session:
        log_contact(
            session,
            team_id=account.team_id,
            account_id=account.id,
            stakeholder_ids=[dana.id],
            contacted_on=utcnow().date(),  # today: history goes by when things happened
            channel=ContactChannel.CALL,
            summary="Called",
            by_user_id="U1",
        )
    with database.transaction() as session:
        first, more = account_history(
            session, team_id=account.team_id, account_id=account.id, limit=2
        )
        second, more_after = account_history(
            session, team_id=account.team_id, account_id=account.id, offset=2, limit=2
        )
        last, none_after = account_history(
            session, team_id=account.team_id, account_id=account.id, offset=4, limit=2
        )
        other_team, _ = account_history(session, team_id="T0OTHER", account_id=account.id)
    assert first[0].contact is not None and first[0].contact.summary == "Called"
    assert first[1].change.new_value == "neutral"
    assert [e.change.new_value for e in second] == ["negative", "positive"]
    assert last[0].change.field == "created" and len(last) == 1
    assert (more, more_after, none_after) == (True, True, False)
    assert other_team == []


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.sampled_from(["Ann", "Bob", "Cy", "Dee"]),
            st.sampled_from(list(Role)),
        ),
        st.tuples(st.just("sentiment"), st.integers(0, 3), st.sampled_from(list(Sentiment))),
        st.tuples(st.just("influence"), st.integers(0, 3), st.sampled_from(list(Influence))),
        st.tuples(st.just("role"), st.integers(0, 3), st.sampled_from(list(Role))),
        st.tuples(st.just("title"), st.integers(0, 3), st.one_of(st.none(), st.text(max_size=20))),
        st.tuples(
            st.just("rename"), st.integers(0, 3), st.sampled_from(["Ann", "Bob", "Eve", "Fay"])
        ),
        st.tuples(st.just("reports_to"), st.integers(0, 3), st.integers(-1, 3)),
        st.tuples(st.just("depart"), st.integers(0, 3), st.integers(0, 400)),
        st.tuples(st.just("contact"), st.integers(0, 3), st.integers(0, 400)),
    ),
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_any_sequence_of_edits_replays_from_history_to_the_current_map(
    database: Database, operations
) -> None:
    """Refused edits write nothing; accepted ones leave the exact history that rebuilds the map."""
    with database.transaction() as session:
        for table in (StakeholderChange, ContactLog, Stakeholder, Account):
            session.execute(delete(table))
    account = make_account(database, "Acme")
    ids: list[int] = []
    for operation in operations:
        kind, target, value = operation
        try:
            with database.transaction() as session:
                if kind == "add":
                    ids.append(add(session, account, target, role=value).id)
                    continue
                if not ids:
                    continue
                person_id = ids[target % len(ids)]
                edit = {"team_id": account.team_id, "stakeholder_id": person_id, "by_user_id": "U1"}
                if kind == "depart":
                    mark_departed(session, on=TODAY - timedelta(days=value), **edit)
                elif kind == "contact":
                    log_contact(
                        session,
                        team_id=account.team_id,
                        account_id=account.id,
                        stakeholder_ids=[person_id],
                        contacted_on=TODAY - timedelta(days=value),
                        channel=ContactChannel.EMAIL,
                        summary="",
                        by_user_id="U1",
                    )
                elif kind == "reports_to":
                    update_stakeholder(
                        session, reports_to_id=None if value < 0 else ids[value % len(ids)], **edit
                    )
                elif kind == "rename":
                    update_stakeholder(session, name=value, **edit)
                else:
                    update_stakeholder(session, **{kind: value}, **edit)
        except StoreError:
            pass  # refused (duplicate name, reporting loop): nothing may have been written
    with database.transaction() as session:
        people = session.execute(select(Stakeholder)).scalars().all()
        history = session.execute(select(StakeholderChange)).scalars().all()
        contacts = session.execute(select(ContactLog)).scalars().all()
    assert replay(history) == current_fields(people)
    for person in people:
        latest = max(
            (c.contacted_on for c in contacts if c.stakeholder_id == person.id), default=None
        )
        assert person.last_contacted_on == latest
        assert (person.status is StakeholderStatus.DEPARTED) == (person.departed_on is not None)
