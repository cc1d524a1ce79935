"""Socket Mode goes through the same front door as HTTP (`bot.inbound`): envelopes carry text
made harmless (a NUL, half a surrogate pair) and payloads of shapes Slack sends, or they are
acknowledged and dropped with one line, before Bolt sees them. A real `accountbot run` process
on the test's database (SQLite, or PostgreSQL with TEST_DATABASE_URL) reads envelopes from a
stand-in Socket Mode server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from commands.ui.values import ModalMeta
from store.db import Database
from store.models import Stakeholder
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import block_actions_payload, view_submission_payload
from tests.socket_mode_fake import FakeSocketMode
from tests.test_socket_mode import command_envelope, fake, socket_mode_bot
from tests.test_stakeholder_map import stakeholder_values

__all__ = ["fake"]  # the fixture, shared with tests/test_socket_mode.py


def interactive(envelope_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "interactive",
        "accepts_response_payload": True,
        "payload": payload,
    }


def event(envelope_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "payload": {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "api_app_id": "A0ACCOUNTBOT",
            "event": event,
            "event_id": "Ev0SOCKET",
            "event_time": 1700000000,
        },
    }


def click(envelope_id: str, slack: FakeSlack, **changes: Any) -> dict[str, Any]:
    """`account.show` on a card, with some of the payload's fields replaced."""
    payload = block_actions_payload(
        "account.show", "1", response_url=slack.response_url(envelope_id)
    )
    return interactive(envelope_id, payload | changes)


def malformed_envelopes(slack: FakeSlack) -> list[dict[str, Any]]:
    """What a black-box probe sent over Socket Mode: each crashed in Bolt (never acknowledged,
    so Slack sends it again) or in a listener (an error id)."""
    no_action_id = click("no-action-id", slack)
    del no_action_id["payload"]["actions"][0]["action_id"]
    return [
        click("no-actions", slack, actions=[]),
        no_action_id,
        click("value-number", slack, actions=[{"action_id": "account.show", "value": 1}]),
        click("user-string", slack, user="U0ALICE"),
        event("home-user-object", {"type": "app_home_opened", "user": {"id": "U0ALICE"}}),
        interactive(
            "suggestion-number",
            {
                "type": "block_suggestion",
                "team": {"id": TEAM_ID},
                "user": {"id": "U0ALICE", "team_id": TEAM_ID},
                "action_id": "contact.account",
                "block_id": "account_id",
                "value": 5,
                "view": {"id": "V9", "team_id": TEAM_ID, "type": "modal"}
                | {"callback_id": "contact.form"},
            },
        ),
    ]


def test_refused_envelopes_are_acknowledged_and_dropped_with_one_line_each(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode, database: Database
) -> None:
    make_account(database, "Acme")
    malformed = malformed_envelopes(slack)
    with socket_mode_bot(tmp_path, slack, fake, DATABASE_URL=database.url) as bot:
        fake.wait_for_connections(1, timeout=30)
        for envelope in malformed:
            fake.send(envelope)
        for envelope in malformed:
            assert fake.wait_for_ack(envelope["envelope_id"]) == {
                "envelope_id": envelope["envelope_id"]
            }
        fake.send(command_envelope("good", "Acme", response_url=slack.response_url("good")))
        fake.wait_for_ack("good")
        slack.wait_for("response_url")  # the bot is still serving
    for envelope in malformed:
        said = [line for line in bot.output.splitlines() if envelope["envelope_id"] in line]
        assert len(said) == 1, bot.output
        assert "refused" in said[0] and "acknowledged and dropped" in said[0], said
        assert len(fake.acks(envelope["envelope_id"])) == 1
    assert [c.path for c in slack.calls_to("response_url")] == ["/response/good"]
    assert slack.calls_to("views.publish") == []
    assert "error id" not in bot.output and "unhandled error" not in bot.output, bot.output
    assert "Traceback" not in bot.output and "Unhandled request" not in bot.output


def test_nul_and_half_surrogates_arrive_as_the_replacement_character(
    tmp_path: Path, slack: FakeSlack, fake: FakeSocketMode, database: Database
) -> None:
    """PostgreSQL refuses a NUL (an error id); SQLite stored it. Over HTTP both already got
    U+FFFD: now Socket Mode does too, on either database."""
    zebra = make_account(database, "Zebra Corp")  # nothing like "Ac�me"
    view = {
        "type": "modal",
        "callback_id": "stakeholder.form",
        "private_metadata": ModalMeta(account_id=zebra.id).dump(),
        "title": {"type": "plain_text", "text": "Add stakeholder"},
        "blocks": [{"type": "input", "block_id": "name"}],
        "id": "V0NUL",
        "hash": "1700000000.nul",
    }
    submitted = view_submission_payload(view, stakeholder_values(name="Ma\x00ria\ud800"))
    url = slack.response_url
    with socket_mode_bot(tmp_path, slack, fake, DATABASE_URL=database.url) as bot:
        fake.wait_for_connections(1, timeout=30)
        fake.send(command_envelope("search", "Ac\x00me", response_url=url("search")))
        [answer] = slack.wait_for("response_url", timeout=15)
        fake.send(command_envelope("new", "new Ac\x00me", response_url=url("new")))
        form = slack.opened_view(timeout=15)
        fake.send(interactive("submit", submitted))
        assert fake.wait_for_ack("submit") == {"envelope_id": "submit"}
    assert "No account matches *Ac\ufffdme*" in json.dumps(answer.params, ensure_ascii=False)
    name_input = next(b for b in form["blocks"] if b.get("block_id") == "name")["element"]
    assert name_input["initial_value"] == "Ac\ufffdme"
    with database.transaction() as session:
        assert session.scalars(select(Stakeholder.name)).all() == ["Ma\ufffdria\ufffd"]
    assert "error id" not in bot.output and "Traceback" not in bot.output, bot.output
