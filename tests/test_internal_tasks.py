"""Internal tasks through the signed endpoint: an owner on our side only and a due date, under
"Our tasks" on the card and never in the mutual action plan; due-day reminders, an overdue
watch signal, done and reopen."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import make_client
from bot.settings import Settings
from bot.workspaces import team_clients
from digests.reminders import send_due_reminders
from store.actions import add_internal_task, complete_action_item
from store.db import Database
from store.enums import ActionStatus, ItemKind
from store.models import ActionItem, ActionItemChange
from tests.factories import add_item, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    overflow_payload,
    view_submission_payload,
)

TODAY = app_today()


def task_values(**overrides: Any) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {
        "title": {"type": "plain_text_input", "value": "Prepare the <!channel> value summary"},
        "our_owner_user_id": {"type": "users_select", "selected_user": "U0BOB"},
        "due_on": {"type": "datepicker", "selected_date": (TODAY + timedelta(days=3)).isoformat()},
    }
    for block, value in overrides.items():
        key = next(k for k in state[block] if k != "type")
        state[block] = {**state[block], key: value}
    return state


def items(database: Database) -> list[ActionItem]:
    with database.transaction() as session:
        return list(session.execute(select(ActionItem).order_by(ActionItem.id)).scalars())


def add_task(database: Database, account, title: str, due_in: int, owner: str = "U0ALICE") -> int:
    with database.transaction() as session:
        task = add_internal_task(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            title=title,
            due_on=TODAY + timedelta(days=due_in),
            owner_user_id=owner,
            by_user_id="U0ALICE",
        )
        return task.id  # type: ignore[return-value]


def card_text(bot: SlackSender, slack: FakeSlack, token: str) -> str:
    assert bot.command("acme", response_url=slack.response_url(token)).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return json.dumps(card.params["blocks"], ensure_ascii=False)


def test_a_task_added_from_the_card_is_ours_only_and_never_in_the_mutual_action_plan(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    add_item(database, account, "Order form", TODAY + timedelta(days=5))
    payload = block_actions_payload(
        "task.add", str(account.id), response_url=slack.response_url("card"), block_id="card:0"
    )
    assert bot.interaction(payload).status == 200
    view = slack.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert set(blocks) >= {"title", "our_owner_user_id", "due_on"}
    assert "customer_owner_stakeholder_id" not in blocks  # nobody on the customer's side
    assert blocks["our_owner_user_id"]["element"]["initial_user"] == "U0ALICE"
    assert bot.interaction(view_submission_payload(view, task_values())).body == ""
    [_, task] = items(database)
    assert (task.kind, task.our_owner_user_id, task.customer_owner_name, task.status) == (
        ItemKind.INTERNAL,
        "U0BOB",
        None,
        ActionStatus.OPEN,
    )
    [redrawn] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    shown = json.dumps(redrawn.params["blocks"], ensure_ascii=False)
    assert "*Our tasks* · 1 open" in shown
    assert "*Prepare the &lt;!channel&gt; value summary* · due" in shown  # escaped
    assert "ours: <@U0BOB>" in shown
    assert "*Mutual action plan* · 1 open" in shown  # the task is not counted there
    assert bot.command("acme plan", response_url=slack.response_url("plan")).status == 200
    [plan] = slack.wait_for("response_url", where=lambda c: c.path == "/response/plan")
    assert "value summary" not in json.dumps(plan.params["blocks"])
    assert "Order form" in json.dumps(plan.params["blocks"])


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"title": "  "}, {"title": "Say what will be done."}),
        (
            {"due_on": (TODAY - timedelta(days=1)).isoformat()},
            {"due_on": "That date is in the past: pick today or later."},
        ),
        ({"our_owner_user_id": None}, {"our_owner_user_id": "This field is required."}),
    ],
    ids=["no title", "past date", "no owner"],
)
def test_a_bad_task_is_refused_beside_its_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    values: dict[str, Any],
    errors: dict[str, str],
) -> None:
    account = make_account(database, "Acme")
    payload = block_actions_payload(
        "task.add", str(account.id), response_url=slack.response_url("card"), block_id="card:0"
    )
    assert bot.interaction(payload).status == 200
    view = slack.opened_view()
    reply = bot.interaction(view_submission_payload(view, task_values(**values)))
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == set(errors)
    for block, message in errors.items():
        assert message in answer["errors"][block]
    assert items(database) == []


def test_an_overdue_task_is_watched_and_says_so_without_moving_the_band(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    add_task(database, account, "Draft the QBR deck", -4)  # the store takes any day
    shown = card_text(bot, slack, "card")
    assert ":eyes: *1 internal task overdue* · Draft the QBR deck (4 days overdue)" in shown
    assert "action item" not in shown.split("*Flags*")[1].split("*Mutual action plan*")[0]
    assert "*Our tasks* · 1 open" in shown and ":warning: *Draft the QBR deck*" in shown


@pytest.fixture
def client(settings: Settings, database: Database):
    return team_clients(settings, database, make_client(settings))


def test_a_task_gets_its_due_day_reminder_once_then_done_and_reopen(
    bot: SlackSender, settings: Settings, client, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    task_id = add_task(database, account, "Send the save plan to our VP", 0, owner="U0BOB")
    morning = datetime.combine(TODAY, time(9, 5), tzinfo=UTC)
    assert send_due_reminders(database, client, now=morning).sent == [task_id]
    assert send_due_reminders(database, client, now=morning + timedelta(hours=2)).sent == []
    [dm] = slack.calls_to("chat.postMessage")
    blocks = dm.json_param("blocks")
    assert dm.params["channel"] == "U0BOB"
    assert "Due today for *Acme*" in blocks[0]["text"]["text"]
    assert (
        blocks[1]["text"]["text"] == "*Send the save plan to our VP* · due today · ours: <@U0BOB>"
    )
    assert [e["action_id"] for e in blocks[2]["elements"]] == ["action.done", "action.menu"]
    done = block_actions_payload(
        "action.done",
        str(task_id),
        response_url=slack.response_url("dm"),
        block_id=f"reminder:{task_id}",
    )
    assert bot.interaction(done).status == 200
    [closed] = slack.wait_for("response_url", where=lambda c: c.path == "/response/dm")
    assert closed.params["blocks"][0]["text"]["text"].startswith(
        ":white_check_mark: ~Send the save plan to our VP~ · done"
    )
    [reopen] = closed.params["blocks"][1]["elements"]
    assert reopen["action_id"] == "task.reopen"
    assert items(database)[0].status is ActionStatus.DONE
    again = block_actions_payload(
        "task.reopen",
        reopen["value"],
        response_url=slack.response_url("dm2"),
        block_id=f"reminder:{task_id}",
    )
    assert bot.interaction(again).status == 200
    [reopened] = slack.wait_for("response_url", where=lambda c: c.path == "/response/dm2")
    assert (
        "*Send the save plan to our VP* · due today" in reopened.params["blocks"][1]["text"]["text"]
    )
    [task] = items(database)
    assert (task.status, task.completed_at, task.completed_by_user_id) == (
        ActionStatus.OPEN,
        None,
        None,
    )


def task_menu_choices(blocks: list[dict[str, Any]], task_id: int) -> dict[str, str]:
    """The options of the menu beside a task, by label: their values."""
    [row] = [b for b in blocks if b.get("block_id", "").endswith(f":{task_id}")]
    [menu] = [e for e in row["elements"] if e["action_id"] == "action.menu"]
    return {o["text"]["text"]: o["value"] for o in menu["options"]}


def open_task_edit(bot: SlackSender, slack: FakeSlack, task_id: int) -> dict[str, Any]:
    """Show the card, choose "Edit" in the task's menu: the form Slack shows."""
    assert bot.command("acme", response_url=slack.response_url("card")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    edit = task_menu_choices(card.params["blocks"], task_id)["Edit"]
    click = overflow_payload(
        "action.menu", edit, response_url=slack.response_url("card"), block_id=f"card:{task_id}"
    )
    click["actions"][0]["block_id"] = f"card:{task_id}"
    assert bot.interaction(click).status == 200
    return slack.opened_view()


def task_changes(database: Database) -> list[tuple[str, str | None, str | None, str | None]]:
    with database.transaction() as session:
        rows = session.execute(select(ActionItemChange).order_by(ActionItemChange.id)).scalars()
        return [(r.field, r.old_value, r.new_value, r.changed_by_user_id) for r in rows]


def test_a_task_is_edited_from_its_menu_in_one_change_recorded_field_by_field(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    task_id = add_task(database, account, "Draft the QBR deck", 2)
    view = open_task_edit(bot, slack, task_id)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert (view["callback_id"], view["title"]["text"], view["submit"]["text"]) == (
        "task.form",
        "Edit task",
        "Save",
    )
    assert blocks["title"]["element"]["initial_value"] == "Draft the QBR deck"
    assert blocks["our_owner_user_id"]["element"]["initial_user"] == "U0ALICE"
    assert blocks["due_on"]["element"]["initial_date"] == (TODAY + timedelta(days=2)).isoformat()
    assert "customer_owner_stakeholder_id" not in blocks  # still nobody on the customer's side
    due = (TODAY + timedelta(days=9)).isoformat()
    edited = task_values(title="Draft the <!here> QBR deck", our_owner_user_id="U0BOB", due_on=due)
    assert bot.interaction(view_submission_payload(view, edited)).body == ""
    [task] = items(database)
    assert (task.title, task.our_owner_user_id, task.due_on, task.kind, task.version) == (
        "Draft the <!here> QBR deck",
        "U0BOB",
        TODAY + timedelta(days=9),
        ItemKind.INTERNAL,
        2,
    )
    assert task_changes(database)[1:] == [
        ("title", "Draft the QBR deck", "Draft the <!here> QBR deck", "U0ALICE"),
        ("our_owner_user_id", "U0ALICE", "U0BOB", "U0ALICE"),
        ("due_on", (TODAY + timedelta(days=2)).isoformat(), due, "U0ALICE"),
    ]
    [_, redrawn] = slack.wait_for(
        "response_url", where=lambda c: c.path == "/response/card", count=2
    )
    shown = json.dumps(redrawn.params["blocks"], ensure_ascii=False)
    assert "*Draft the &lt;!here&gt; QBR deck* · due" in shown and "ours: <@U0BOB>" in shown
    assert "*Mutual action plan*\\nNo open items." in shown  # still ours only


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"title": "  "}, {"title": "Say what will be done."}),
        (
            {"due_on": (TODAY - timedelta(days=1)).isoformat()},
            {"due_on": "That date is in the past: pick today or later."},
        ),
        ({"our_owner_user_id": None}, {"our_owner_user_id": "This field is required."}),
        ({"title": "t" * 301}, {"title": "Too long: at most 300 characters."}),
    ],
    ids=["no title", "moved into the past", "no owner", "title too long"],
)
def test_a_bad_task_edit_is_refused_beside_its_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    values: dict[str, Any],
    errors: dict[str, str],
) -> None:
    account = make_account(database, "Acme")
    task_id = add_task(database, account, "Draft the QBR deck", 2)
    view = open_task_edit(bot, slack, task_id)
    reply = bot.interaction(view_submission_payload(view, task_values(**values)))
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == set(errors)
    for block, message in errors.items():
        assert answer["errors"][block].startswith(message)
    [task] = items(database)
    assert (task.title, task.our_owner_user_id, task.version) == (
        "Draft the QBR deck",
        "U0ALICE",
        1,
    )
    assert [change[0] for change in task_changes(database)] == ["created"]


def test_an_overdue_task_keeps_its_date_when_only_its_title_is_edited(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    task_id = add_task(database, account, "Draft the QBR deck", -3)  # the store takes any day
    view = open_task_edit(bot, slack, task_id)
    late = (TODAY - timedelta(days=3)).isoformat()
    edited = task_values(title="Draft the QBR deck (v2)", our_owner_user_id="U0ALICE", due_on=late)
    assert bot.interaction(view_submission_payload(view, edited)).body == ""
    [task] = items(database)
    assert (task.title, task.due_on) == ("Draft the QBR deck (v2)", TODAY - timedelta(days=3))
    assert [change[0] for change in task_changes(database)] == ["created", "title"]


def test_a_task_edit_over_a_change_made_meanwhile_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    task_id = add_task(database, account, "Draft the QBR deck", 2)
    view = open_task_edit(bot, slack, task_id)
    with database.transaction() as session:  # done by someone else while the form was open
        complete_action_item(session, team_id=TEAM_ID, item_id=task_id, by_user_id="U0BOB")
    reply = bot.interaction(view_submission_payload(view, task_values()))
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors"
    assert "changed by someone else" in answer["errors"]["title"]
    [task] = items(database)
    assert (task.title, task.status) == ("Draft the QBR deck", ActionStatus.DONE)
