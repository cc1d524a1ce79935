"""Kind confusion between internal tasks and mutual-action items, through the signed endpoint: a
click forged with the other kind's id never makes an internal task a commitment of the
customer's nor reopens a mutual-action item (the plan has no Reopen), and nothing is written;
a task of another team is not found."""

from __future__ import annotations

import json
from datetime import timedelta

from store.actions import add_internal_task
from store.db import Database
from store.enums import ActionStatus, ItemKind
from tests.factories import add_item, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    overflow_payload,
    view_submission_payload,
)
from tests.test_internal_tasks import TODAY, add_task, card_text, items


def said(slack: FakeSlack, token: str) -> str:
    [answer] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return json.dumps(answer.params)


def click(bot: SlackSender, slack: FakeSlack, action: str, value: str, token: str) -> str:
    payload = block_actions_payload(
        action, value, response_url=slack.response_url(token), block_id="plan:0"
    )
    assert bot.interaction(payload).status == 200
    return said(slack, token)


def test_reopen_forged_on_a_done_mutual_action_item_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    item = add_item(database, acme, "Order form", TODAY + timedelta(days=5))
    click(bot, slack, "action.done", str(item), "done")
    refused = click(bot, slack, "task.reopen", str(item), "reopen")
    assert "is in the mutual action plan: only an internal task is reopened" in refused
    [done] = items(database)
    assert done.status is ActionStatus.DONE and done.completed_at is not None


def test_edit_forged_on_an_internal_task_never_gives_it_a_customer_owner(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    task = add_task(database, acme, "Internal prep", 3)
    menu = overflow_payload("action.menu", f"edit:{task}", response_url=slack.response_url("m"))
    assert bot.interaction(menu).status == 200
    view = slack.opened_view()
    # the task's own form (no customer owner in it), never the plan's
    assert (view["callback_id"], view["title"]["text"]) == ("task.form", "Edit task")
    assert "customer_owner_name" not in json.dumps(view["blocks"])
    # the plan's form, forged around the task's id, submitted anyway
    mutual = add_item(database, acme, "Order form", TODAY + timedelta(days=5))
    edit = overflow_payload("action.menu", f"edit:{mutual}", response_url=slack.response_url("e"))
    assert bot.interaction(edit).status == 200
    form = slack.opened_view(nth=2)
    meta = json.loads(form["private_metadata"])
    forged = {**form, "private_metadata": json.dumps(meta | {"item_id": task})}
    state = {
        "title": {"type": "plain_text_input", "value": "Internal prep"},
        "our_owner_user_id": {"type": "users_select", "selected_user": "U0ALICE"},
        "customer_owner_name": {"type": "plain_text_input", "value": "Raj"},
        "due_on": {"type": "datepicker", "selected_date": (TODAY + timedelta(days=3)).isoformat()},
    }
    reply = bot.interaction(view_submission_payload(forged, state))
    assert reply.status == 200 and "is an internal task" in reply.body
    internal = next(i for i in items(database) if i.id == task)
    assert (internal.kind, internal.customer_owner_name) == (ItemKind.INTERNAL, None)
    card = card_text(bot, slack, "card")
    assert "*Our tasks* · 1 open" in card and "*Mutual action plan* · 1 open" in card


def test_a_task_of_another_team_is_not_found(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    other = make_account(database, "Other", team_id="T0OTHER", channel_id="C0OTHER")
    with database.transaction() as session:
        task = add_internal_task(
            session,
            team_id="T0OTHER",
            account_id=other.id,
            title="Their prep",
            due_on=TODAY + timedelta(days=3),
            owner_user_id="U0ALICE",
            by_user_id="U0ALICE",
        ).id
    assert "no longer exists" in click(bot, slack, "action.done", str(task), "done")
    assert "no longer exists" in click(bot, slack, "task.reopen", str(task), "reopen")
    assert items(database)[0].status is ActionStatus.OPEN


def test_a_refusal_quoting_an_item_title_never_pings_the_channel(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The store words its refusals in plain text; quoted in an ephemeral (mrkdwn), the title is
    escaped so it cannot ping the channel or forge a mention."""
    acme = make_account(database, "Acme")
    item = add_item(database, acme, "<!channel> & <@U0BOSS>", TODAY + timedelta(days=5))
    click(bot, slack, "action.done", str(item), "done")
    refused = click(bot, slack, "task.reopen", str(item), "reopen")
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in refused
    assert "<!channel>" not in refused and "<@U0BOSS>" not in refused
