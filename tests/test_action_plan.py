"""Mutual action plans through the signed endpoint, and due-day reminders in owners' time zones."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import make_client
from bot.settings import Settings
from bot.workspaces import team_clients
from digests.reminders import send_due_reminders
from store.db import Database
from store.enums import ActionStatus, Role
from store.models import ActionItem, ActionItemChange, ActionReminder
from store.wording import day as short_day
from tests.factories import add_item, add_person, app_today, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    overflow_payload,
    view_submission_payload,
)

TODAY = app_today()


def stakeholder(database: Database, account, name: str) -> int:
    return add_person(database, account, name, Role.CHAMPION)


def action_values(**overrides: Any) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {
        "title": {"type": "plain_text_input", "value": "Send the security questionnaire"},
        "our_owner_user_id": {"type": "users_select", "selected_user": "U0ALICE"},
        "customer_owner_stakeholder_id": {"type": "static_select", "selected_option": None},
        "customer_owner_name": {"type": "plain_text_input", "value": "Olga from IT"},
        "due_on": {"type": "datepicker", "selected_date": (TODAY + timedelta(days=7)).isoformat()},
        "link": {"type": "plain_text_input", "value": "https://docs.example.com/q"},
    }
    for block, value in overrides.items():
        key = next(k for k in state[block] if k != "type")
        state[block] = {**state[block], key: value}
    return state


def click(
    bot: SlackSender,
    slack: FakeSlack,
    action: str,
    value: str,
    *,
    block_id: str = "card:0",
    token: str = "msg",
) -> None:
    """Click a button or a menu of a message whose response URL ends in `token`."""
    if action.endswith("menu"):
        payload = overflow_payload(action, value, response_url=slack.response_url(token))
        payload["actions"][0]["block_id"] = block_id
    else:
        payload = block_actions_payload(
            action, value, response_url=slack.response_url(token), block_id=block_id
        )
    assert bot.interaction(payload).status == 200


def items(database: Database) -> list[ActionItem]:
    with database.transaction() as session:
        return list(session.execute(select(ActionItem).order_by(ActionItem.id)).scalars())


def changes(database: Database) -> list[tuple[str, str | None, str | None]]:
    with database.transaction() as session:
        rows = session.execute(select(ActionItemChange).order_by(ActionItemChange.id)).scalars()
        return [(r.field, r.old_value, r.new_value) for r in rows]


def test_add_an_item_with_an_owner_on_each_side(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    raj = stakeholder(database, account, "Raj Patel")
    click(bot, slack, "action.add", str(account.id))
    view = slack.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["our_owner_user_id"]["element"]["initial_user"] == "U0ALICE"
    assert [o["value"] for o in blocks["customer_owner_stakeholder_id"]["element"]["options"]] == [
        str(raj)
    ]
    values = action_values(
        customer_owner_stakeholder_id={"value": str(raj)}, customer_owner_name=""
    )
    assert bot.interaction(view_submission_payload(view, values)).body == ""
    [added] = items(database)
    assert (
        added.title,
        added.our_owner_user_id,
        added.customer_owner_stakeholder_id,
        added.customer_owner_name,
    ) == (
        "Send the security questionnaire",
        "U0ALICE",
        raj,
        "Raj Patel",
    )
    assert (added.due_on, added.link, added.status) == (
        TODAY + timedelta(days=7),
        "https://docs.example.com/q",
        ActionStatus.OPEN,
    )
    assert changes(database)[0][0] == "created"
    [card] = slack.wait_for("response_url")
    assert card.params[
        "replace_original"
    ] is True and "Send the security questionnaire" in json.dumps(card.params["blocks"])


def test_add_by_command_opens_the_form(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    bot.command("acme action")
    assert slack.opened_view()["callback_id"] == "action.form"


@pytest.mark.parametrize(
    ("overrides", "block", "message"),
    [
        ({"title": "   "}, "title", "Say what will be done."),
        (
            {"due_on": (TODAY - timedelta(days=1)).isoformat()},
            "due_on",
            "That date is in the past: pick today or later.",
        ),
        (
            {"customer_owner_name": ""},
            "customer_owner_stakeholder_id",
            "Pick their owner, or type a name below.",
        ),
        ({"our_owner_user_id": None}, "our_owner_user_id", "This field is required."),
        ({"link": "javascript:alert(1)"}, "link", "Give a web address starting with https://"),
        ({"title": "t" * 301}, "title", "Too long: at most 300 characters."),
    ],
)
def test_refused_items_write_nothing(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    overrides: dict[str, Any],
    block: str,
    message: str,
) -> None:
    account = make_account(database, "Acme")
    click(bot, slack, "action.add", str(account.id))
    view = slack.opened_view()
    body = bot.interaction(view_submission_payload(view, action_values(**overrides))).json()
    assert body["response_action"] == "errors"
    assert body["errors"][block].startswith(message)
    assert items(database) == [] and changes(database) == []


def test_a_customer_owner_from_another_account_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C1")
    outsider = stakeholder(database, make_account(database, "Globex", channel_id="C2"), "Olga")
    click(bot, slack, "action.add", str(account.id))
    view = slack.opened_view()
    values = action_values(customer_owner_stakeholder_id={"value": str(outsider)})
    body = bot.interaction(view_submission_payload(view, values)).json()
    assert body["errors"] == {
        "customer_owner_stakeholder_id": "Pick someone on this account's map, or type their name."
    }
    assert items(database) == []


def test_done_records_who_and_when_and_a_double_click_changes_state_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    item_id = add_item(database, account, "Send proposal", TODAY - timedelta(days=2))
    click(bot, slack, "action.done", str(item_id))
    click(bot, slack, "action.done", str(item_id))
    redrawn = slack.wait_for("response_url", count=2)  # both clicks handled (after their acks)
    [done] = items(database)
    assert (done.status, done.completed_by_user_id) == (ActionStatus.DONE, "U0ALICE")
    assert abs(done.completed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert [c[0] for c in changes(database)] == [
        "created",
        "status",
        "completed_at",
        "completed_by_user_id",
    ]
    assert all(r.params["replace_original"] is True for r in redrawn)
    assert "Send proposal" not in json.dumps(
        redrawn[-1].params["blocks"]
    )  # no longer open on the card


def test_menu_reschedule_block_unblock_and_cancel(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    item_id = add_item(database, account, "Kick-off", TODAY - timedelta(days=3))

    click(bot, slack, "action.menu", f"reschedule:{item_id}")
    view = slack.opened_view()
    past = {
        "due_on": {"type": "datepicker", "selected_date": (TODAY - timedelta(days=1)).isoformat()}
    }
    assert bot.interaction(view_submission_payload(view, past)).json()["errors"] == {
        "due_on": "That date is in the past: pick today or later."
    }
    later = {
        "due_on": {"type": "datepicker", "selected_date": (TODAY + timedelta(days=10)).isoformat()}
    }
    assert bot.interaction(view_submission_payload(view, later)).body == ""
    slack.calls.clear()

    click(bot, slack, "action.menu", f"block:{item_id}")
    view = slack.opened_view()
    assert bot.interaction(
        view_submission_payload(
            view, {"blocked_reason": {"type": "plain_text_input", "value": " "}}
        )
    ).json()["errors"] == {"blocked_reason": "Say what it is waiting for."}
    reason = {
        "blocked_reason": {"type": "plain_text_input", "value": "Waiting on their legal team"}
    }
    assert bot.interaction(view_submission_payload(view, reason)).body == ""
    slack.calls.clear()
    bot.command("acme plan", response_url=slack.response_url("plan"))
    [shown] = slack.wait_for("response_url", where=lambda c: c.path == "/response/plan")
    plan = json.dumps(shown.params["blocks"])
    assert "blocked: Waiting on their legal team" in plan and "unblock:" in plan

    # each click once the previous one's redraw arrived, as a person clicks: Slack sends clicks
    # independently, and the bot works on them in parallel, so two in flight may land either way
    # (each click has its own response URL: the block form's redraw may still be on its way)
    for token, choice in (("unblock", "unblock"), ("cancel", "cancel"), ("again", "cancel")):
        click(bot, slack, "action.menu", f"{choice}:{item_id}", token=token)
        slack.wait_for("response_url", where=lambda c, t=token: c.path == f"/response/{t}")
    [cancelled] = items(database)
    assert cancelled.status is ActionStatus.CANCELLED
    assert [c for c in changes(database) if c[0] != "created"] == [
        (
            "due_on",
            (TODAY - timedelta(days=3)).isoformat(),
            (TODAY + timedelta(days=10)).isoformat(),
        ),
        ("status", "open", "blocked"),
        ("blocked_reason", None, "Waiting on their legal team"),
        ("status", "blocked", "open"),
        ("blocked_reason", "Waiting on their legal team", None),
        ("status", "open", "cancelled"),
    ]


def test_plan_lists_open_items_and_recently_closed_ones(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    late = add_item(database, account, "Late thing", TODAY - timedelta(days=4))
    add_item(database, account, "Soon thing", TODAY + timedelta(days=2))
    finished = add_item(database, account, "Finished thing", TODAY - timedelta(days=10))
    click(bot, slack, "action.done", str(finished))
    slack.wait_for("response_url")
    slack.calls.clear()
    bot.command("acme plan")
    [reply] = slack.wait_for("response_url")
    text = json.dumps(reply.params["blocks"], ensure_ascii=False)
    assert "Mutual action plan: Acme" in text
    assert text.index("Late thing") < text.index("Soon thing") < text.index("Finished thing")
    assert (
        "4 days overdue" in text
        and "Closed in the last 30 days" in text
        and "~Finished thing~" in text
    )
    assert f"plan:{late}" in text  # its buttons redraw the plan, not a card
    lines = [
        b["text"]["text"] for b in reply.params["blocks"] if b["type"] == "section"
    ]  # each item in the short date form, and how far where that helps
    assert lines[0].startswith(
        ":warning: *Late thing* · 4 days overdue "
        f"(due {short_day(TODAY - timedelta(days=4), TODAY)})"
        " · us: <@U0ALICE> · them: Raj"
    ), lines[0]
    assert lines[1].startswith(
        f"*Soon thing* · due {short_day(TODAY + timedelta(days=2), TODAY)} (in 2 days) · us:"
    ), lines[1]
    assert f"done {short_day(TODAY, TODAY)} by <@" in lines[2], lines[2]
    click(bot, slack, "action.done", str(late), block_id=f"plan:{late}")
    [_, redrawn] = slack.wait_for("response_url", count=2)
    assert "Mutual action plan: Acme" in json.dumps(redrawn.params["blocks"])


def test_an_item_of_another_team_cannot_be_touched(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = make_account(database, "Theirs", team_id="T0OTHER")
    item_id = add_item(database, theirs, "Their secret", TODAY)
    click(bot, slack, "action.done", str(item_id))
    [reply] = slack.wait_for("response_url")
    assert reply.params["text"] == ":warning: That action item no longer exists."
    assert items(database)[0].status is ActionStatus.OPEN


# -- due-day reminders ----------------------------------------------------------------------------


@pytest.fixture
def client(settings: Settings, database: Database):
    """What the scheduler hands the reminders: the client of a team (here, the one token)."""
    return team_clients(settings, database, make_client(settings))


def dms(slack: FakeSlack) -> list:
    return [c for c in slack.calls_to("chat.postMessage")]


def test_reminders_reach_each_owner_once_at_their_local_morning(
    settings: Settings, client, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0TOKYO"] = {"tz": "Asia/Tokyo"}
    slack.users["U0NY"] = {"tz": "America/New_York"}
    account = make_account(database, "Acme")
    due = date(2026, 11, 24)
    tokyo = add_item(database, account, "Tokyo item", due, our_owner_user_id="U0TOKYO")
    new_york = add_item(database, account, "New York item", due, our_owner_user_id="U0NY")
    add_item(database, account, "Not due", due + timedelta(days=3), our_owner_user_id="U0NY")
    add_item(database, account, "Nobody on our side", due, our_owner_user_id=None)

    def run(at: str) -> list[int]:
        return send_due_reminders(database, client, now=datetime.fromisoformat(at)).sent

    assert run("2026-11-23T23:55:00+00:00") == []  # 08:55 in Tokyo
    assert run("2026-11-24T00:05:00+00:00") == [tokyo]  # 09:05 in Tokyo
    assert run("2026-11-24T00:20:00+00:00") == []  # already reminded today
    assert run("2026-11-24T13:55:00+00:00") == []  # 08:55 in New York
    assert run("2026-11-24T14:05:00+00:00") == [new_york]  # 09:05 in New York
    assert len(slack.calls_to("users.info")) == 2  # each owner's zone asked once, then remembered
    assert run("2026-11-24T20:00:00+00:00") == []
    assert run("2026-11-25T14:05:00+00:00") == []  # the next day it is no longer due today
    sent = dms(slack)
    assert [c.params["channel"] for c in sent] == ["U0TOKYO", "U0NY"]
    blocks = sent[0].json_param("blocks")
    assert "Due today for *Acme*" in blocks[0]["text"]["text"]
    assert "*Tokyo item* · due today" in blocks[1]["text"]["text"]
    assert [e.get("action_id") for e in blocks[2]["elements"]] == ["action.done", "action.menu"]
    assert blocks[2]["block_id"] == f"reminder:{tokyo}"


def test_daylight_saving_shift_keeps_the_local_morning(
    settings: Settings, client, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0NY"] = {"tz": "America/New_York"}
    account = make_account(database, "Acme")
    summer = add_item(database, account, "Summer", date(2026, 7, 1), our_owner_user_id="U0NY")
    winter = add_item(database, account, "Winter", date(2026, 12, 1), our_owner_user_id="U0NY")
    assert (
        send_due_reminders(database, client, now=datetime(2026, 7, 1, 12, 55, tzinfo=UTC)).sent
        == []
    )
    assert send_due_reminders(
        database, client, now=datetime(2026, 7, 1, 13, 5, tzinfo=UTC)
    ).sent == [summer]  # EDT
    assert (
        send_due_reminders(database, client, now=datetime(2026, 12, 1, 13, 5, tzinfo=UTC)).sent
        == []
    )
    assert send_due_reminders(
        database, client, now=datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    ).sent == [winter]  # EST


def test_two_schedulers_racing_send_one_reminder(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    for index in range(12):
        add_item(database, account, f"Item {index}", date(2026, 11, 24))
    start = threading.Barrier(2)
    results: list[list[int]] = []

    def scheduler() -> None:
        start.wait()
        results.append(
            send_due_reminders(
                database,
                team_clients(settings, database, make_client(settings)),
                now=datetime(2026, 11, 24, 10, tzinfo=UTC),
            ).sent
        )

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results[0] + results[1]) == sorted(i.id for i in items(database))
    assert len(dms(slack)) == 12
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(ActionReminder)).scalar_one() == 12


def test_a_failed_reminder_is_retried_on_the_next_run(
    settings: Settings, client, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    item_id = add_item(database, account, "Item", date(2026, 11, 24))
    down = b'{"ok": false, "error": "service_unavailable"}'  # with a 200: not carried out
    slack.fault("chat.postMessage", "body", body=down)
    first = send_due_reminders(database, client, now=datetime(2026, 11, 24, 10, tzinfo=UTC))
    assert (first.sent, first.failed) == ([], {item_id: "service_unavailable"})
    assert send_due_reminders(
        database, client, now=datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
    ).sent == [item_id]


def test_done_from_the_reminder_closes_the_item_and_the_message(
    bot: SlackSender, settings: Settings, client, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    item_id = add_item(database, account, "Send proposal", TODAY)
    click(bot, slack, "action.done", str(item_id), block_id=f"reminder:{item_id}")
    [reply] = slack.wait_for("response_url")
    assert reply.params["replace_original"] is True
    assert reply.params["blocks"] == [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": reply.params["blocks"][0]["text"]["text"]},
        }
    ]
    assert reply.params["blocks"][0]["text"]["text"].startswith(
        ":white_check_mark: ~Send proposal~ · done"
    )
    assert items(database)[0].status is ActionStatus.DONE
