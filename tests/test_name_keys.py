"""Names compare the same way on SQLite and PostgreSQL, whatever the script, and one person or
account is never stored twice: not by a differently folded name, not by two clicks at once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from commands.ui.views.people import stakeholder_form
from store.db import Database
from store.models import Account, Stakeholder
from store.names import name_key
from store.types import utcnow
from tests.factories import add_person, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import Reply, SlackSender, view_submission_payload
from tests.test_account_form import submit as submit_account
from tests.test_account_form import values as account_values
from tests.test_stakeholder_map import stakeholder_values

TODAY = utcnow().date()
ELISE = "Élise Dupont"
ELISE_TYPED_OTHERWISE = [
    "ÉLISE DUPONT",  # capitals: SQLite's lower() leaves É alone
    "E\u0301lise Dupont",  # the accent typed as a combining mark (NFD), as macOS often sends it
    "élise\u00a0 dupont",  # a no-break space and a double space
    "É\uff2c\uff29\uff33\uff25 \uff24\uff35\uff30\uff2f\uff2e\uff34",  # full-width letters
]


def people_named(database: Database, account_id: int) -> list[str]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(Stakeholder.name)
                .where(Stakeholder.account_id == account_id)
                .order_by(Stakeholder.id)
            )
        )


def add_form(account: Account, slack: FakeSlack, view_id: str) -> dict[str, Any]:
    """The add-stakeholder modal as Slack holds it once opened (its own view id)."""
    meta = ModalMeta(account_id=account.id, response_url=slack.response_url(view_id))
    view = stakeholder_form(meta=meta, account=account, people=[], today=TODAY)
    return {**view, "id": view_id, "hash": f"{view_id}.hash"}


def submit_person(bot: SlackSender, view: dict[str, Any], name: str, email: str = "") -> Reply:
    values = stakeholder_values(name=name, email=email or None)
    return bot.interaction(view_submission_payload(view, values))


def at_once(
    bot: SlackSender, submissions: list[tuple[dict[str, Any], str]], *, form: str = "person"
) -> list[Reply]:
    """Submit each (view, name) from its own thread, all released at the same moment."""
    start = threading.Barrier(len(submissions))
    replies: list[Reply] = []

    def send(view: dict[str, Any], name: str) -> None:
        start.wait()
        if form == "person":
            replies.append(submit_person(bot, view, name))
        else:
            values = account_values(name=name, channel_id=None)
            replies.append(bot.interaction(view_submission_payload(view, values)))

    threads = [threading.Thread(target=send, args=submission) for submission in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


@pytest.mark.parametrize("typed", ELISE_TYPED_OTHERWISE)
def test_a_person_already_on_the_map_is_refused_however_the_name_is_typed(
    bot: SlackSender, slack: FakeSlack, database: Database, typed: str
) -> None:
    acme = make_account(database, "Acme")
    assert submit_person(bot, add_form(acme, slack, "V1"), ELISE).body == ""
    reply = submit_person(bot, add_form(acme, slack, "V2"), typed)
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"name": f"{ELISE} is already on the map with that name."},
    }
    assert people_named(database, acme.id) == [ELISE]  # type: ignore[arg-type]


def test_renaming_someone_into_a_person_already_on_the_map_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    add_person(database, acme, ELISE)
    other = add_person(database, acme, "Raj Patel")
    with database.transaction() as session:
        people = list(session.scalars(select(Stakeholder).order_by(Stakeholder.id)))
    meta = ModalMeta(
        account_id=acme.id,
        stakeholder_id=other,
        version=1,
        response_url=slack.response_url("edit"),
    )
    view = stakeholder_form(meta=meta, account=acme, people=people, person=people[1], today=TODAY)
    reply = submit_person(bot, {**view, "id": "V9"}, "ÉLISE DUPONT")
    assert reply.json()["errors"] == {"name": f"{ELISE} is already on the map with that name."}
    assert people_named(database, acme.id) == [ELISE, "Raj Patel"]  # type: ignore[arg-type]


def test_two_people_adding_the_same_person_at_once_store_them_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Two colleagues submit the same new person at the same moment, twenty times over: each
    time one is saved and the other gets the inline error a sequential duplicate gets (on
    PostgreSQL the second insert meets the unique index, and is told the same)."""
    outcomes: list[tuple[list[str], list[Any]]] = []
    for trial in range(20):
        account = make_account(database, f"Trial {trial}", channel_id=f"C0T{trial}")
        views = [add_form(account, slack, f"V{trial}x{i}") for i in range(2)]
        replies = at_once(bot, list(zip(views, [ELISE, "élise dupont"], strict=True)))
        stored = people_named(database, account.id)  # type: ignore[arg-type]
        refusals = [r.json() for r in replies if r.body]
        outcomes.append((stored, refusals))
    for stored, refusals in outcomes:
        assert len(stored) == 1, outcomes
        assert refusals == [
            {
                "response_action": "errors",
                "errors": {"name": f"{stored[0]} is already on the map with that name."},
            }
        ], outcomes


def test_two_people_creating_the_same_account_at_once_create_it_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The account's own unique key settles the race the same way, twenty times over."""
    outcomes: list[tuple[list[str], list[Any]]] = []
    for trial in range(20):
        names = [f"Société Générale {trial}", f"SOCIE\u0301TE\u0301 GE\u0301NE\u0301RALE {trial}"]
        views = [
            {**account_form(meta=ModalMeta(response_url=slack.response_url(f"a{trial}{i}"))),
             "id": f"VA{trial}x{i}", "hash": f"{trial}.{i}"}
            for i in range(2)
        ]  # fmt: skip
        replies = at_once(bot, list(zip(views, names, strict=True)), form="account")
        with database.transaction() as session:
            stored = list(
                session.scalars(select(Account.name).where(Account.name_key == name_key(names[0])))
            )
        outcomes.append((stored, [r.json() for r in replies if r.body]))
    for stored, refusals in outcomes:
        assert len(stored) == 1, outcomes
        assert refusals == [
            {
                "response_action": "errors",
                "errors": {"name": f"An account named {stored[0]} already exists."},
            }
        ], outcomes


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Société Générale", "SOCIE\u0301TE\u0301 GE\u0301NE\u0301RALE"),  # combining accents
        ("Acme", "\uff21\uff43\uff4d\uff45"),  # full-width letters
        ("Straße Logistics", "STRASSE LOGISTICS"),
    ],
)
def test_an_account_name_already_used_is_refused_however_it_is_typed(
    bot: SlackSender, slack: FakeSlack, database: Database, first: str, second: str
) -> None:
    make_account(database, first)
    reply = submit_account(bot, slack, name=second)
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"name": f"An account named {first} already exists."},
    }
    with database.transaction() as session:
        assert list(session.scalars(select(Account.name))) == [first]
        assert list(session.scalars(select(Account.name_key))) == [name_key(second)]


def test_keys_fold_case_accents_width_and_spacing_but_nothing_else() -> None:
    assert {name_key(n) for n in [ELISE, *ELISE_TYPED_OTHERWISE]} == {"élise dupont"}
    assert name_key("Elise Dupont") != name_key(ELISE)  # an accent is part of the name
    assert name_key("ß" * 150) == "ss" * 150
    assert len(name_key("\ufdfa" * 150)) == 600  # expands 18-fold: cut to the column
    assert name_key(" Acme\tCorp ") == "acme corp"
