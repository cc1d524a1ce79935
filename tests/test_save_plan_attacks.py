"""Save plans attacked through the signed endpoint: two forms opened on the same plan (or on none)
and both saved, the second over a plan its author never saw; a step without owner or date, or in
the past, refused beside it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from store.db import Database
from store.enums import ActionStatus
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_save_plans import (  # noqa: F401  (the fixture: Monday morning)
    TODAY,
    as_submitted,
    monday_morning,
    open_form,
    plans_and_tasks,
    red_account,
)


def submitted(view: dict[str, Any], *, user_id: str = "U0ALICE", **changes: Any) -> Any:
    return view_submission_payload(view, as_submitted(view, **changes), user_id=user_id)


@pytest.mark.parametrize("first_saved", [False, True], ids=["no plan yet", "a plan saved"])
def test_a_form_opened_before_someone_saved_a_plan_is_refused_not_replacing_it(
    bot: SlackSender, slack: FakeSlack, database: Database, first_saved: bool
) -> None:
    """Alice and Bob both open the form; Bob saves; Alice's save would have replaced Bob's
    plan (cancelling its steps) without her ever seeing it."""
    acme = red_account(database)
    nth = 1
    if first_saved:
        view = open_form(bot, slack, acme)
        assert bot.interaction(submitted(view)).body == ""
        nth = 2
    alices = open_form(bot, slack, acme, nth=nth)
    bobs = open_form(bot, slack, acme, nth=nth + 1)
    bobs = {**bobs, "id": "V0BOB", "hash": "1700000000.bob"}
    assert bot.interaction(submitted(bobs, user_id="U0ALICE")).body == ""
    plans_before, _ = plans_and_tasks(database)
    reply = bot.interaction(submitted(alices))
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors"
    assert "changed by someone else after you opened this form" in json.dumps(answer["errors"])
    plans, tasks = plans_and_tasks(database)
    assert [p.id for p in plans] == [p.id for p in plans_before]
    current = [p for p in plans if p.replaced_at is None]
    assert len(current) == 1
    steps = [t for t in tasks if t.save_plan_id == current[0].id]
    assert steps and all(t.status is ActionStatus.OPEN for t in steps)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"step0_owner": {"selected_user": None}}, {"step0_owner": "Give this step an owner"}),
        ({"step0_due": {"selected_date": None}}, {"step0_due": "Give this step a date"}),
        (
            {"step0_due": {"selected_date": (TODAY - timedelta(days=1)).isoformat()}},
            {"step0_due": "That date is in the past"},
        ),
    ],
    ids=["no owner", "no date", "past date"],
)
def test_a_step_without_owner_or_date_or_in_the_past_is_refused_beside_it(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    acme = red_account(database)
    view = open_form(bot, slack, acme)
    answer = json.loads(bot.interaction(submitted(view, **changes)).body)
    assert set(answer["errors"]) == set(errors)
    for block, said in errors.items():
        assert answer["errors"][block].startswith(said)
    assert plans_and_tasks(database) == ([], [])
