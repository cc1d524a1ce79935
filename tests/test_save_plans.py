"""Save plans through the signed endpoint: every red account gets one, drafted from the signals
that fire, edited in a form, saved as internal tasks with its risk assessment; the card and the
portfolio digest say how far it has got, and a red account without one is flagged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select

from bot.app import make_client
from bot.settings import Settings
from digests.deliver import Pacer, deliver_team_digests
from store.db import Database
from store.enums import ActionStatus, Influence, ItemKind, Level, Role, SavePhase, Sentiment
from store.models import Account, ActionItem, SavePlan
from store.settings import DigestSettings
from store.stakeholders import mark_departed
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    overflow_payload,
    view_submission_payload,
)

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TODAY = MONDAY.date()
FRIDAY = TODAY + timedelta(days=4)


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=True):
        yield


def red_account(database: Database, name: str = "Acme") -> int:
    """Red: the champion left with no successor; low adoption; the economic buyer never
    contacted. Sam (sponsor, positive) is the most senior positive stakeholder, Uma leads the
    end users."""
    account = make_account(
        database,
        name,
        channel_id=f"C0{name.upper()}",
        renewal_date=TODAY + timedelta(days=200),
        seats_licensed=100,
        seats_active=40,
        arr=Decimal("480000"),
    )
    people = [
        ("Sam Ortiz", Role.EXECUTIVE_SPONSOR, Influence.HIGH, Sentiment.POSITIVE, 5),
        ("Uma Reyes", Role.END_USER, Influence.MEDIUM, Sentiment.POSITIVE, 6),
        ("Raj Patel", Role.ECONOMIC_BUYER, Influence.HIGH, Sentiment.NEUTRAL, None),
    ]
    for person, role, influence, sentiment, days in people:
        add_person(
            database,
            account,
            person,
            role,
            contacted_days_ago=days,
            today=TODAY,
            influence=influence,
            sentiment=sentiment,
        )
    dana = add_person(database, account, "Dana Lee", Role.CHAMPION)
    with database.transaction() as session:
        mark_departed(
            session,
            team_id=TEAM_ID,
            stakeholder_id=dana,
            on=TODAY - timedelta(days=6),
            by_user_id="U0ALICE",
        )
    return account.id  # type: ignore[return-value]


def card(bot: SlackSender, slack: FakeSlack, token: str, name: str = "acme") -> dict[str, Any]:
    assert bot.command(name, response_url=slack.response_url(token)).status == 200
    [answer] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return answer.params


def text_of(blocks: Any) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def as_submitted(view: dict[str, Any], **changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The form's state as Slack sends it when submitted with its initial values, some changed."""
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind == "plain_text_input":
            state[block["block_id"]] = {"type": kind, "value": element.get("initial_value")}
        elif kind == "static_select":
            state[block["block_id"]] = {
                "type": kind,
                "selected_option": element.get("initial_option"),
            }
        elif kind == "users_select":
            state[block["block_id"]] = {"type": kind, "selected_user": element.get("initial_user")}
        elif kind == "datepicker":
            state[block["block_id"]] = {"type": kind, "selected_date": element.get("initial_date")}
    for block_id, change in changes.items():
        state[block_id] = {**state[block_id], **change}
    return state


def open_form(bot: SlackSender, slack: FakeSlack, account_id: int, nth: int = 1) -> dict[str, Any]:
    payload = block_actions_payload(
        "saveplan.open",
        str(account_id),
        response_url=slack.response_url("card"),
        block_id="card:0",
    )
    assert bot.interaction(payload).status == 200
    return slack.opened_view(nth=nth)


def plans_and_tasks(database: Database) -> tuple[list[SavePlan], list[ActionItem]]:
    with database.transaction() as session:
        plans = list(session.execute(select(SavePlan).order_by(SavePlan.id)).scalars())
        tasks = list(session.execute(select(ActionItem).order_by(ActionItem.id)).scalars())
        session.expunge_all()
    return plans, tasks


def test_a_red_account_without_a_plan_is_flagged_and_shows_the_draft(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    red_account(database)
    shown = text_of(card(bot, slack, "card")["blocks"])
    assert "*Red*" in shown
    assert (
        ":eyes: *red with no save plan* · every red account gets one: the card's Save plan "
        "button drafts it from these signals"
    ) in shown
    assert "No save plan yet. The draft, from the signals that fire:" in shown
    assert (
        "1. Meet Sam Ortiz this week; find Dana Lee's successor · <@U0ALICE> · by 27 Nov" in shown
    )
    assert "saveplan.open" in shown and "saveplan.show" not in shown


def test_the_drafts_later_steps_land_before_the_customers_notice_date(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Renewal in 200 days, notice by 20 days from now: the customer can leave then, so the
    30- and 90-day steps are due the day before, not in 30 and 90 days."""
    account_id = red_account(database)
    with database.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        account.notice_date = TODAY + timedelta(days=20)
    view = open_form(bot, slack, account_id)
    dues = {
        b["element"]["initial_date"]
        for b in view["blocks"]
        if b.get("block_id", "").endswith("_due") and b["element"].get("initial_date")
    }
    assert dues == {FRIDAY.isoformat(), (TODAY + timedelta(days=19)).isoformat()}


def test_the_form_is_prefilled_with_the_draft_and_saving_makes_internal_tasks(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account_id = red_account(database)
    view = open_form(bot, slack, account_id)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    titles = [
        blocks[f"step{i}_title"]["element"].get("initial_value")
        for i in range(12)
        if blocks[f"step{i}_title"]["element"].get("initial_value")
    ]
    assert titles[0] == "Meet Sam Ortiz this week; find Dana Lee's successor"
    assert (
        "Enablement session with Uma Reyes (end users' lead): the core features, with a usage "
        "target" in titles
    )
    assert any(t.startswith("Executive outreach to Raj Patel (economic buyer)") for t in titles)
    assert any(t.startswith("Executive business review with Sam Ortiz") for t in titles)
    assert blocks["step0_due"]["element"]["initial_date"] == FRIDAY.isoformat()
    assert blocks["step0_phase"]["element"]["initial_option"]["value"] == "this_week"
    assert blocks["churn_probability"]["element"]["initial_option"]["value"] == "medium"
    rationale = blocks["rationale"]["element"]["initial_value"]
    assert "champion departed with no successor" in rationale and "renews in 200 days" in rationale
    assert blocks["arr_at_risk"]["element"]["initial_value"] == "480000.00"
    values = as_submitted(
        view,
        churn_probability={"selected_option": {"value": "high"}},
        step1_title={"value": ""},  # a step dropped by clearing its title
        step11_title={"value": "Draft the <!channel> value story"},
        step11_phase={"selected_option": {"value": "days_90"}},
        step11_owner={"selected_user": "U0BOB"},
        step11_due={"selected_date": (TODAY + timedelta(days=60)).isoformat()},
    )
    assert bot.interaction(view_submission_payload(view, values)).body == ""
    [plan], tasks = plans_and_tasks(database)
    assert (plan.churn_probability, plan.arr_at_risk, plan.currency) == (
        Level.HIGH,
        Decimal("480000.00"),
        "USD",
    )
    assert plan.rationale == rationale and plan.investment_hours > 0
    assert all(t.kind is ItemKind.INTERNAL and t.save_plan_id == plan.id for t in tasks)
    assert len(tasks) == len(titles) - 1 + 1  # one dropped, one added
    added = tasks[-1]
    assert (added.title, added.phase, added.our_owner_user_id) == (
        "Draft the <!channel> value story",
        SavePhase.DAYS_90,
        "U0BOB",
    )
    [redrawn] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    shown = text_of(redrawn.params["blocks"])
    assert (
        f"*Save plan* · 0 of {len(tasks)} steps done, next: Meet Sam Ortiz this week; find Dana "
        "Lee's successor by 27 Nov"
    ) in shown
    assert "red with no save plan" not in shown
    assert f"*Our tasks* · {len(tasks)} open" in shown
    assert "*Mutual action plan*\\nNo open items." in shown  # the steps are not in the MAP
    show = block_actions_payload(
        "saveplan.show", str(account_id), response_url=slack.response_url("plan"), block_id="x"
    )
    assert bot.interaction(show).status == 200
    [plan_message] = slack.wait_for("response_url", where=lambda c: c.path == "/response/plan")
    assert "*Draft the &lt;!channel&gt; value story* · due" in text_of(plan_message.params)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"step0_owner": {"selected_user": None}}, {"step0_owner": "Give this step an owner"}),
        ({"step2_due": {"selected_date": None}}, {"step2_due": "Give this step a date."}),
        (
            {"step1_due": {"selected_date": (TODAY - timedelta(days=1)).isoformat()}},
            {"step1_due": "That date is in the past: pick today or later."},
        ),
        ({"rationale": {"value": "   "}}, {"rationale": "Say why: the rationale"}),
        ({"arr_at_risk": {"value": "lots"}}, {"arr_at_risk": "Enter a number"}),
    ],
    ids=[
        "step without owner",
        "step without date",
        "date in the past",
        "empty rationale",
        "bad ARR",
    ],
)
def test_a_bad_plan_is_refused_beside_its_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    changes: dict[str, dict[str, Any]],
    errors: dict[str, str],
) -> None:
    account_id = red_account(database)
    view = open_form(bot, slack, account_id)
    reply = bot.interaction(view_submission_payload(view, as_submitted(view, **changes)))
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == set(errors)
    for block, message in errors.items():
        assert answer["errors"][block].startswith(message)
    assert plans_and_tasks(database) == ([], [])


def test_a_plan_with_no_step_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account_id = red_account(database)
    view = open_form(bot, slack, account_id)
    cleared = {f"step{i}_title": {"value": ""} for i in range(12)}
    reply = bot.interaction(view_submission_payload(view, as_submitted(view, **cleared)))
    assert json.loads(reply.body)["errors"] == {
        "step0_title": "A save plan needs at least one step."
    }
    assert plans_and_tasks(database) == ([], [])


def test_only_a_red_account_gets_the_form(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    calm = make_account(database, "Calm Co", renewal_date=TODAY + timedelta(days=300))
    for person, role in (
        ("Cara", Role.CHAMPION),
        ("Eve", Role.ECONOMIC_BUYER),
        ("Sam", Role.EXECUTIVE_SPONSOR),
    ):
        add_person(database, calm, person, role, contacted_days_ago=3, today=TODAY)
    payload = block_actions_payload(
        "saveplan.open", str(calm.id), response_url=slack.response_url("card"), block_id="card:0"
    )
    assert bot.interaction(payload).status == 200
    [view] = slack.wait_for("views.update")
    assert "Calm Co is green: a save plan is for a red account" in text_of(view.json_param("view"))
    assert plans_and_tasks(database) == ([], [])


def save_the_draft(bot: SlackSender, slack: FakeSlack, account_id: int) -> None:
    view = open_form(bot, slack, account_id)
    assert bot.interaction(view_submission_payload(view, as_submitted(view))).body == ""


def test_steps_done_from_the_plan_show_its_progress_on_the_card_and_in_the_portfolio_digest(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    acme = red_account(database)
    red_account(database, "Globex")  # red, no plan
    save_the_draft(bot, slack, acme)
    show = block_actions_payload(
        "saveplan.show", str(acme), response_url=slack.response_url("plan"), block_id="card:0"
    )
    assert bot.interaction(show).status == 200
    [plan] = slack.wait_for("response_url", where=lambda c: c.path == "/response/plan")
    shown = text_of(plan.params["blocks"])
    assert "Save plan: Acme" in shown and "*Churn probability*\\nMedium" in shown
    assert (
        "*This week: stabilise*" in shown
        and "*90 days: strategic alignment, a growth path*" in shown
    )
    _, tasks = plans_and_tasks(database)
    first = tasks[0]
    done = block_actions_payload(
        "action.done",
        str(first.id),
        response_url=slack.response_url("done"),
        block_id=f"saveplan:{first.id}",
    )
    assert bot.interaction(done).status == 200
    [redrawn] = slack.wait_for("response_url", where=lambda c: c.path == "/response/done")
    assert f"1 of {len(tasks)} steps done" in text_of(redrawn.params["blocks"])
    assert "task.reopen" in text_of(redrawn.params["blocks"])
    shown = text_of(card(bot, slack, "after")["blocks"])
    second = tasks[1]
    assert f"*Save plan* · 1 of {len(tasks)} steps done, next: {second.title}" in shown
    deliver_team_digests(
        database,
        make_client(settings),
        team_id=TEAM_ID,
        settings=DigestSettings(portfolio_channel_id="C0LEADS"),
        now=MONDAY,
        pacer=Pacer(per_channel=0, between=0),
    )
    [portfolio] = [
        c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "C0LEADS"
    ]
    digest = text_of(portfolio.json_param("blocks"))
    assert f"Save plan: 1 of {len(tasks)} steps done, next: {second.title}" in digest
    assert "Globex" in digest and ":rotating_light: no save plan yet" in digest
    with database.transaction() as session:
        statuses = session.execute(
            select(ActionItem.status, func.count()).group_by(ActionItem.status)
        ).all()
    assert dict(statuses) == {ActionStatus.DONE: 1, ActionStatus.OPEN: len(tasks) - 1}


def test_a_step_is_edited_from_the_save_plan_and_the_plan_shows_it(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = red_account(database)
    save_the_draft(bot, slack, acme)
    show = block_actions_payload(
        "saveplan.show", str(acme), response_url=slack.response_url("plan"), block_id="card:0"
    )
    assert bot.interaction(show).status == 200
    [plan] = slack.wait_for("response_url", where=lambda c: c.path == "/response/plan")
    step = plans_and_tasks(database)[1][0]
    [row] = [b for b in plan.params["blocks"] if b.get("block_id") == f"saveplan:{step.id}"]
    [menu] = [e for e in row["elements"] if e["action_id"] == "action.menu"]
    edit = next(o["value"] for o in menu["options"] if o["text"]["text"] == "Edit")
    click = overflow_payload("action.menu", edit, response_url=slack.response_url("plan"))
    click["actions"][0]["block_id"] = f"saveplan:{step.id}"
    assert bot.interaction(click).status == 200
    view = slack.opened_view(nth=2)
    assert (view["callback_id"], view["title"]["text"]) == ("task.form", "Edit task")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == step.title
    due = (FRIDAY + timedelta(days=1)).isoformat()
    values = {
        "title": {"type": "plain_text_input", "value": "Meet Sam with our VP"},
        "our_owner_user_id": {"type": "users_select", "selected_user": "U0BOB"},
        "due_on": {"type": "datepicker", "selected_date": due},
    }
    assert bot.interaction(view_submission_payload(view, values)).body == ""
    edited = next(t for t in plans_and_tasks(database)[1] if t.id == step.id)
    assert (edited.title, edited.our_owner_user_id, edited.due_on.isoformat(), edited.kind) == (
        "Meet Sam with our VP",
        "U0BOB",
        due,
        ItemKind.INTERNAL,
    )
    again = block_actions_payload(
        "saveplan.show", str(acme), response_url=slack.response_url("plan2"), block_id="card:0"
    )
    assert bot.interaction(again).status == 200
    [redrawn] = slack.wait_for("response_url", where=lambda c: c.path == "/response/plan2")
    assert "*Meet Sam with our VP*" in text_of(redrawn.params["blocks"])


def test_redrafting_replaces_the_plan_and_cancels_its_open_steps(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = red_account(database)
    save_the_draft(bot, slack, acme)
    view = open_form(bot, slack, acme, nth=2)
    assert "Saving replaces the current plan" in text_of(view)
    assert bot.interaction(view_submission_payload(view, as_submitted(view))).body == ""
    plans, tasks = plans_and_tasks(database)
    assert [p.replaced_at is not None for p in plans] == [True, False]
    old = [t for t in tasks if t.save_plan_id == plans[0].id]
    assert old and all(t.status is ActionStatus.CANCELLED for t in old)
    assert all(t.status is ActionStatus.OPEN for t in tasks if t.save_plan_id == plans[1].id)
