"""Org coverage through the signed endpoint, as Slack sends it: the account's departments (the
card's button, `/account Acme departments`), a stakeholder's department and level, the card's
coverage line and the watch on threads across few levels; refusals write nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from store.db import Database
from store.enums import EventKind, EventSource, OrgLevel, Role
from store.events import log_event
from store.models import AccountDepartment, Stakeholder
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload


def open_departments(
    bot: SlackSender, slack: FakeSlack, account_id: int, *, user_id: str = "U0ALICE", nth: int = 1
) -> dict[str, Any]:
    click = block_actions_payload(
        "account.departments",
        str(account_id),
        response_url=slack.response_url("card"),
        user_id=user_id,
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view(nth=nth)


def submit(
    bot: SlackSender, view: dict[str, Any], values: dict[str, Any], *, user_id: str = "U0ALICE"
) -> Any:
    reply = bot.interaction(view_submission_payload(view, values, user_id=user_id))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def uses(yes: bool) -> dict[str, Any]:
    chosen = [{"value": "uses", "text": {"type": "plain_text", "text": "Yes"}}] if yes else []
    return {"type": "checkboxes", "selected_options": chosen}


def departments(database: Database, account_id: int | None = None) -> list[tuple[str, bool]]:
    with database.transaction() as session:
        query = select(AccountDepartment.name, AccountDepartment.uses_product)
        if account_id is not None:
            query = query.where(AccountDepartment.account_id == account_id)
        return [tuple(row) for row in session.execute(query.order_by(AccountDepartment.name))]  # type: ignore[misc]


def department_ids(database: Database, account_id: int) -> dict[str, int]:
    with database.transaction() as session:
        return {
            name: department_id
            for department_id, name in session.execute(
                select(AccountDepartment.id, AccountDepartment.name).where(
                    AccountDepartment.account_id == account_id
                )
            )
        }


def test_the_owner_adds_renames_and_removes_departments_from_the_card(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    form = open_departments(bot, slack, account.id)
    assert form["callback_id"] == "account.departments"
    values = {
        "department_name_new1": text("Finance"),
        "department_uses_new1": uses(True),
        "department_name_new2": text("  IT  "),
        "department_uses_new2": uses(False),
        "department_name_new3": text(""),
    }
    assert submit(bot, form, values) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    assert departments(database) == [("Finance", True), ("IT", False)]
    ids = department_ids(database, account.id)
    again = open_departments(bot, slack, account.id, nth=2)
    shown = json.dumps(again)
    assert f"department_name_{ids['Finance']}" in shown and "department_name_new1" in shown
    renamed = {
        f"department_name_{ids['Finance']}": text("Finance & Legal"),
        f"department_uses_{ids['Finance']}": uses(True),
        f"department_name_{ids['IT']}": text(""),  # cleared: removed
        "department_name_new1": text("Ops"),
        "department_uses_new1": uses(True),
    }
    assert submit(bot, again, renamed) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card", count=2)
    assert departments(database) == [("Finance & Legal", True), ("Ops", True)]
    assert department_ids(database, account.id)["Finance & Legal"] == ids["Finance"]


def test_two_departments_swap_names_in_one_save_and_keep_their_people(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Each keeps its id (its people) under the other's name: the unique key never trips."""
    account = make_account(database, "Acme")
    set_departments(database, account.id, "Finance", "IT")
    ids = department_ids(database, account.id)
    form = open_departments(bot, slack, account.id)
    swapped = {
        f"department_name_{ids['Finance']}": text("IT"),
        f"department_name_{ids['IT']}": text("Finance"),
    }
    assert submit(bot, form, swapped) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    assert department_ids(database, account.id) == {"IT": ids["Finance"], "Finance": ids["IT"]}


def test_a_name_twice_ignoring_case_or_too_long_is_refused_beside_it_and_nothing_written(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    form = open_departments(bot, slack, account.id)
    twice = {"department_name_new1": text("Finance"), "department_name_new2": text("FINANCE")}
    reply = submit(bot, form, twice)
    assert reply["response_action"] == "errors"
    assert reply["errors"] == {"department_name_new2": "FINANCE is listed twice."}
    long = {"department_name_new1": text("x" * 81)}
    reply = submit(bot, {**form, "hash": "2"}, long)
    assert "at most 80 characters" in reply["errors"]["department_name_new1"]
    assert departments(database) == []


def test_a_crafted_row_naming_another_accounts_department_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    other = make_account(database, "Globex", channel_id="C0GLOBEX")
    with database.transaction() as session:
        session.add(
            AccountDepartment(team_id=TEAM_ID, account_id=other.id, name="Legal", name_key="legal")
        )
    [legal] = department_ids(database, other.id).values()
    form = open_departments(bot, slack, acme.id)
    crafted = {f"department_name_{legal}": text("Stolen"), "department_name_x9": text("Odd")}
    reply = submit(bot, form, {f"department_name_{legal}": text("Stolen")})
    assert reply["errors"] == {f"department_name_{legal}": "That department is not this account's."}
    reply = submit(bot, {**form, "hash": "2"}, crafted)
    assert reply["response_action"] == "errors"
    assert departments(database, acme.id) == []
    assert departments(database, other.id) == [("Legal", False)]


def test_only_the_owner_or_an_admin_opens_the_departments(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Bob is in the account's channel (he may change the account) but owns it not."""
    account = make_account(database, "Acme", owner_user_id="U0ALICE")
    click = block_actions_payload(
        "account.departments",
        str(account.id),
        response_url=slack.response_url("card"),
        user_id="U0BOB",
    )
    assert bot.interaction(click).status == 200
    slack.wait_until(
        lambda calls: "only the account's owner" in json.dumps([c.params for c in calls]).lower()
    )
    assert not [
        c for c in slack.calls_to("views.update") if "account.departments" in json.dumps(c.params)
    ]
    slack.users["U0CAROL"] = {"is_admin": True}
    form = open_departments(bot, slack, account.id, user_id="U0CAROL", nth=2)
    assert submit(bot, form, {"department_name_new1": text("Ops")}, user_id="U0CAROL") is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    assert departments(database) == [("Ops", False)]


# -- a stakeholder's department and level ---------------------------------------------------


def open_add_person(
    bot: SlackSender, slack: FakeSlack, account_id: int, nth: int = 1
) -> dict[str, Any]:
    click = block_actions_payload(
        "stakeholder.add", str(account_id), response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view(nth=nth)


def person_values(name: str, *, department: int | None, level: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": text(name),
        "role": {"type": "static_select", "selected_option": {"value": "champion"}},
        "influence": {"type": "static_select", "selected_option": {"value": "high"}},
    }
    if department is not None:
        values["department_id"] = {
            "type": "static_select",
            "selected_option": {"value": str(department)},
        }
    if level is not None:
        values["level"] = {"type": "static_select", "selected_option": {"value": level}}
    return values


def set_departments(database: Database, account_id: int, *names: str, used: str = "") -> None:
    with database.transaction() as session:
        for name in names:
            session.add(
                AccountDepartment(
                    team_id=TEAM_ID,
                    account_id=account_id,
                    name=name,
                    name_key=name.casefold(),
                    uses_product=name == used,
                )
            )


def test_a_person_gets_a_department_of_the_account_and_a_level_and_the_card_shows_coverage(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    set_departments(database, account.id, "Finance", "IT", "Ops", used="Ops")
    ids = department_ids(database, account.id)
    form = open_add_person(bot, slack, account.id)
    shown = json.dumps(form)
    assert '"block_id": "department_id"' in shown and '"block_id": "level"' in shown
    assert "Individual contributor" in shown
    values = person_values("Dana Lee", department=ids["Finance"], level="director")
    assert submit(bot, form, values) is None
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    assert "Coverage: Finance 1 (dir) · IT: none · Ops: none, uses product" in json.dumps(
        card.params, ensure_ascii=False
    )
    with database.transaction() as session:
        dana = session.execute(select(Stakeholder)).scalar_one()
        assert (dana.department_id, dana.level) == (ids["Finance"], OrgLevel.DIRECTOR)


def test_a_crafted_department_of_another_account_is_refused_inline_and_nothing_written(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    other = make_account(database, "Globex", channel_id="C0GLOBEX")
    set_departments(database, account.id, "Finance")
    set_departments(database, other.id, "Legal")
    [legal] = department_ids(database, other.id).values()
    form = open_add_person(bot, slack, account.id)
    reply = submit(bot, form, person_values("Dana Lee", department=legal, level="manager"))
    assert reply["response_action"] == "errors"
    assert "Pick one of this account's departments" in reply["errors"]["department_id"]
    unknown = person_values("Dana Lee", department=987654, level=None)
    reply = submit(bot, {**form, "hash": "2"}, unknown)
    assert "Pick one of this account's departments" in reply["errors"]["department_id"]
    bad_level = person_values("Dana Lee", department=None, level="intern")
    reply = submit(bot, {**form, "hash": "3"}, bad_level)
    assert reply["errors"]["level"] == "Pick one of the options."
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(Stakeholder)).scalar_one() == 0


def test_threads_across_two_levels_are_a_watch_on_the_card_and_unknown_levels_say_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    add_person(database, account, "Cara", Role.CHAMPION, contacted_days_ago=3)
    add_person(database, account, "Eve", Role.ECONOMIC_BUYER, contacted_days_ago=3)
    assert bot.command("Acme", response_url=slack.response_url("c1")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/c1")
    assert "Threads reach" not in json.dumps(card.params)  # no levels known: never guessed
    assert "threads reach" not in json.dumps(card.params)
    assert "no departments or levels recorded yet" in json.dumps(card.params)
    with database.transaction() as session:
        for person in session.execute(select(Stakeholder)).scalars():
            person.level = OrgLevel.DIRECTOR if person.name == "Cara" else OrgLevel.MANAGER
    assert bot.command("Acme", response_url=slack.response_url("c2")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/c2")
    shown = json.dumps(card.params)
    assert "threads reach 2 levels (director, manager); the method wants three" in shown
    assert "levels dir, mgr; no departments recorded" in shown


def test_the_demo_shows_coverage_the_levels_watch_and_recent_events(
    tmp_path: Any, monkeypatch: Any
) -> None:
    from typer.testing import CliRunner

    from bot.cli import cli

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    args = ["demo", "--today", "2026-11-23", "--account", "Northwind Health"]
    shown = CliRunner().invoke(cli, [*args, "--account", "Acme Logistics"])
    assert shown.exit_code == 0, shown.output
    for line in (
        "Coverage: Clinical 2 (mgr; uses product) · Finance 1 (dir) · IT 1 (dir; uses product) "
        "· Operations 1 (exec)",
        "Events (90 days): 3 Nov new office or region: Two new clinics in Austin",
        "Warehouse: none, uses product",
        "threads reach 1 level (individual contributor); the method wants three",
        "29 Oct reorganisation: Operations and IT merged under one COO",
    ):
        assert line in shown.output


def test_a_stale_departments_form_keeps_a_department_added_meanwhile_and_its_people(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Alice's form was opened before Carol added Ops (and put Dana in it): Alice's save removes
    only what her form showed and she cleared, never a department she never saw; typing Ops
    again is refused beside the row, not a database error."""
    account = make_account(database, "Acme", owner_user_id="U0ALICE")
    set_departments(database, account.id, "Finance")
    ids = department_ids(database, account.id)
    stale = open_departments(bot, slack, account.id)
    slack.users["U0CAROL"] = {"is_admin": True}
    fresh = open_departments(bot, slack, account.id, user_id="U0CAROL", nth=2)
    added = {
        f"department_name_{ids['Finance']}": text("Finance"),
        "department_name_new1": text("Ops"),
    }
    assert submit(bot, fresh, added, user_id="U0CAROL") is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    ops = department_ids(database, account.id)["Ops"]
    add_person(database, account, "Dana Lee", department_id=ops)
    again = {
        f"department_name_{ids['Finance']}": text("Finance"),
        "department_name_new1": text("OPS"),
    }
    reply = submit(bot, stale, again)
    assert reply["errors"] == {
        "department_name_new1": "OPS is already a department of this account."
    }
    kept = {
        f"department_name_{ids['Finance']}": text("Finance"),
        "department_name_new1": text("IT"),
    }
    assert submit(bot, {**stale, "hash": "2"}, kept) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card", count=2)
    assert departments(database, account.id) == [("Finance", False), ("IT", False), ("Ops", False)]
    with database.transaction() as session:
        dana = session.execute(select(Stakeholder.department_id)).scalar_one()
    assert dana == ops


def test_thirty_long_hostile_department_names_keep_the_card_whole_and_escaped(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """30 departments of 80 characters full of `<!channel>` and `&lt;`: the coverage line is
    escaped and cut, the events line under it still shown, the departments form still opens."""
    account = make_account(database, "Acme")
    names = [f"{n:02} <!channel> <@U123> &lt; " + "<" * 53 for n in range(30)]
    assert all(len(name) == 80 for name in names)
    set_departments(database, account.id, *names)
    with database.transaction() as session:
        log_event(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            kind=EventKind.FUNDING,
            happened_on=app_today(),
            note="Series C",
            link="https://news.example.com/c",
            source=EventSource.FORM,
            by_user_id="U0ALICE",
        )
    assert bot.command("acme", response_url=slack.response_url("card")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    shown = json.dumps(card.params["blocks"], ensure_ascii=False)
    assert "<!channel>" not in shown and "<@U123>" not in shown and "&lt; <" not in shown
    assert "&lt;!channel&gt;" in shown and "&amp;lt;" in shown
    assert "funding round: Series C" in shown and " more\\nEvents (90 days)" in shown
    form = open_departments(bot, slack, account.id)
    assert len(form["blocks"]) <= 100
    assert (
        sum(1 for b in form["blocks"] if b.get("block_id", "").startswith("department_name_")) == 30
    )


def test_a_departments_form_submitted_by_someone_neither_owner_nor_admin_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Bob may change Acme (he is in its channel) but owns it not: the form Alice opened,
    submitted as Bob, is refused and writes nothing."""
    account = make_account(database, "Acme", owner_user_id="U0ALICE")
    set_departments(database, account.id, "Finance")
    ids = department_ids(database, account.id)
    form = open_departments(bot, slack, account.id)
    forged = {f"department_name_{ids['Finance']}": text(""), "department_name_new1": text("Bob")}
    reply = submit(bot, form, forged, user_id="U0BOB")
    assert "only the account's owner" in json.dumps(reply).lower()
    assert departments(database, account.id) == [("Finance", False)]


def test_a_stale_departments_form_renaming_one_removed_meanwhile_says_so(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", owner_user_id="U0ALICE")
    set_departments(database, account.id, "Finance", "IT")
    ids = department_ids(database, account.id)
    stale = open_departments(bot, slack, account.id)
    slack.users["U0CAROL"] = {"is_admin": True}
    fresh = open_departments(bot, slack, account.id, user_id="U0CAROL", nth=2)
    cleared = {
        f"department_name_{ids['Finance']}": text(""),
        f"department_name_{ids['IT']}": text("IT"),
    }
    assert submit(bot, fresh, cleared, user_id="U0CAROL") is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    renamed = {
        f"department_name_{ids['Finance']}": text("Finance & Legal"),
        f"department_name_{ids['IT']}": text("IT"),
    }
    reply = submit(bot, stale, renamed)
    assert reply["errors"] == {
        f"department_name_{ids['Finance']}": "Someone removed this department after you opened "
        "the form: clear the row, or add it again in an empty one."
    }
    assert departments(database, account.id) == [("IT", False)]
