"""Attacks on what issue 13 built, through the real entry points: the "Record usage" form
crafted (another workspace's account, an account that is not there), the usage import fed
files real people make and hostile ones (the rejects file opened in a spreadsheet)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from store.db import Database
from store.models import UsageReading
from store.types import utcnow
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_usage import open_usage_form, typed

TODAY = utcnow().date()


def stored_readings(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(UsageReading.team_id, UsageReading.account_id, UsageReading.seats_active)
            )
        ]


def test_a_usage_form_forged_to_name_another_workspaces_account_or_none_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The form's private metadata rewritten: another workspace's account (same database) is
    not theirs to record usage on, and an id that names nothing is gone; neither writes."""
    mine = make_account(database, "Acme")
    theirs = make_account(database, "Acme", team_id="T0OTHER")
    form = open_usage_form(bot, slack, mine.id)
    for n, account_id in enumerate((theirs.id, 99_999)):
        forged = {
            **form,
            "hash": f"forged.{n}",
            "private_metadata": json.dumps({"account_id": account_id}),
        }
        reply = bot.interaction(view_submission_payload(forged, typed(TODAY.isoformat(), "5")))
        assert reply.status == 200
        answer = json.loads(reply.body)
        assert answer["response_action"] == "errors", account_id
        assert "That account no longer exists." in json.dumps(answer), answer
    assert stored_readings(database) == []
