"""Nothing a hostile, clumsy or unlucky request does may double-post, leak, crash or lose data.

Each test sends what a black-box probe of `accountbot run` sent, through the signed endpoint,
then reads the database (nothing written) and what the user was shown (the fake Slack records
response-URL replies and views calls).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.logs import configure_logging
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.db import Database
from store.enums import Role
from store.models import Account, ActionItem, ContactLog, Stakeholder
from store.types import utcnow
from tests.conftest import bot_settings, serving
from tests.factories import add_item, add_person, make_account
from tests.slack_fake import TEAM_ID, Call, FakeSlack
from tests.slack_sender import (
    FORM,
    JSON,
    SlackSender,
    block_actions_payload,
    message_shortcut_payload,
    overflow_payload,
    view_submission_payload,
)
from tests.test_account_form import values as account_values
from tests.test_contacts_and_history import contact_values
from tests.test_oauth import TEAM_A, TEAM_B, TOKEN_A, TOKEN_B, install
from tests.test_stakeholder_map import stakeholder_values

OWNER, MEMBER, STRANGER = "U0ALICE", "U0CAROL", "U0MALLORY"


@pytest.fixture(autouse=True)
def workspace(slack: FakeSlack) -> None:
    slack.channels["C0OPEN"] = {"is_private": False, "members": [OWNER, MEMBER, STRANGER]}
    slack.channels["C0SECRET"] = {"is_private": True, "members": [OWNER, MEMBER]}


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def name_of(database: Database, account_id: int) -> str:
    with database.transaction() as session:
        return session.get(Account, account_id).name  # type: ignore[union-attr]


def said(call: Call) -> str:
    return str(call.params.get("text", "")) + json.dumps(call.params.get("blocks") or [])


def everything_said(slack: FakeSlack) -> str:
    return " ".join(said(c) for c in slack.calls) + json.dumps([c.params for c in slack.calls])


# -- 3. the id that is checked is the id that is written --------------------------------------


@pytest.mark.parametrize("shape", ["{} ", " {}", "+{}", "{}.0", "0000000000000000{}", "{}\u200b"])
def test_a_contact_for_an_account_picked_with_a_padded_id_is_refused_not_written(
    bot: SlackSender, slack: FakeSlack, database: Database, shape: str
) -> None:
    """A non-member logs a contact from an account they may change, picking a private one by a
    value the access check used not to read as an id but the write did; they got its card."""
    open_account = make_account(database, "Open", channel_id="C0OPEN")
    secret = make_account(database, "Secret Deal", channel_id="C0SECRET")
    dana = add_person(database, secret, "Dana Lee")
    bot.interaction(
        block_actions_payload(
            "contact.log",
            str(open_account.id),
            user_id=STRANGER,
            response_url=slack.response_url("card"),
        )
    )
    view = slack.opened_view()
    picked = shape.format(secret.id)
    state = contact_values([dana]) | {
        "account_id": {"type": "external_select", "selected_option": {"value": picked}},
    }
    reply = bot.interaction(view_submission_payload(view, state, user_id=STRANGER))
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"account_id": "Pick the account."},
    }
    assert count(database, ContactLog) == 0
    time.sleep(0.2)  # a card would be on its way by now
    assert slack.replies_to("card") == []


def test_a_padded_stakeholder_id_is_refused_beside_the_field(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = add_person(database, account, "Dana Lee")
    bot.interaction(
        block_actions_payload("contact.log", str(account.id), response_url=slack.response_url())
    )
    view = slack.opened_view()
    for value in (f" {dana}", f"+{dana}", "99999999999999999999", "²"):
        state = contact_values([dana]) | {
            "stakeholder_ids": {
                "type": "multi_static_select",
                "selected_options": [{"value": value}],
            }
        }
        reply = bot.interaction(view_submission_payload(view, state))
        assert reply.json() == {
            "response_action": "errors",
            "errors": {"stakeholder_ids": "Pick one of the options offered."},
        }, value
    assert count(database, ContactLog) == 0


# -- 4. one team per request ------------------------------------------------------------------


def edit_submission(
    database: Database, account: Account, *, user_id: str, name: str, **teams: str
) -> dict[str, Any]:
    """The account modal of `account`, submitted renamed, with some team ids replaced."""
    meta = ModalMeta(account_id=account.id, version=account.version)
    view = account_form(meta=meta, account=account)
    payload = view_submission_payload(view, account_values(name=name), user_id=user_id)
    if "team" in teams:
        payload["team"]["id"] = teams["team"]
    if "view" in teams:
        payload["view"]["team_id"] = teams["view"]
    if "user" in teams:
        payload["user"]["team_id"] = teams["user"]
    return payload


@pytest.mark.parametrize(
    "teams",
    [
        {"team": "T0OTHER"},
        {"view": "T0OTHER"},
        {"user": "T0OTHER"},
        {"team": "T0OTHER", "user": "T0OTHER"},
    ],
)
def test_a_submission_naming_two_teams_is_refused_and_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database, teams: dict[str, str]
) -> None:
    """With `team.id` another team's, access was checked there (no such account: allowed) and
    the write went to `view.team_id`: an outsider renamed a private account."""
    secret = make_account(database, "Secret Deal", channel_id="C0SECRET")
    reply = bot.interaction(
        edit_submission(database, secret, user_id=STRANGER, name="Pwned", **teams)
    )
    assert reply.status == 400
    assert name_of(database, secret.id) == "Secret Deal"  # type: ignore[arg-type]
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []


def test_a_click_or_command_naming_another_team_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = make_account(database, "Theirs", team_id="T0OTHER")
    assert bot.command("Theirs", team_id="T0OTHER").status == 400
    click = block_actions_payload("account.show", str(theirs.id), response_url=slack.response_url())
    click["team"]["id"] = "T0OTHER"
    assert bot.interaction(click).status == 400
    time.sleep(0.2)
    assert "Theirs" not in everything_said(slack)


def test_one_workspace_cannot_rename_anothers_account_by_naming_it_in_the_view(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Two installed workspaces: B's request (authorised with B's token) claims A in
    `view.team_id`; the write used to land in A."""
    install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    install(oauth_bot, slack, team_id=TEAM_B, token=TOKEN_B)
    initech = make_account(database, "Initech", team_id=TEAM_A, owner_user_id=STRANGER)
    payload = edit_submission(
        database, initech, user_id=STRANGER, name="Pwned", team=TEAM_B, user=TEAM_B, view=TEAM_A
    )
    assert oauth_bot.interaction(payload).status == 400
    assert name_of(database, initech.id) == "Initech"  # type: ignore[arg-type]
    same = edit_submission(
        database,
        initech,
        user_id=STRANGER,
        name="Initech Two",
        team=TEAM_A,
        user=TEAM_A,
        view=TEAM_A,
    )
    assert oauth_bot.interaction(same).status == 200  # A's own owner still can
    assert name_of(database, initech.id) == "Initech Two"  # type: ignore[arg-type]


# -- 5. acknowledgements are not starved by a slow Web API -------------------------------------


def test_a_slow_web_api_does_not_starve_acknowledgements(
    database: Database, slack: FakeSlack
) -> None:
    make_account(database, "Slow Acme")
    slack.delay("views.open", 6)  # Bolt gives up waiting for an ack after 3 s
    settings = bot_settings(database, slack, http_threads=4, work_threads=4)
    with serving(settings, database, slack) as bot:
        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                opening = list(pool.map(lambda _: bot.command("new"), range(4)))
            assert [r.status for r in opening] == [200] * 4
            slack.wait_for_start("views.open", count=4)  # every worker thread waits on Slack
            reply = bot.command("Slow Acme", response_url=slack.response_url("card"))
            assert reply.status == 200, reply.body
        finally:  # every listener finishes (late or not) while the fake Slack still answers
            slack.wait_for("views.update", count=4, timeout=15)
            slack.wait_for("response_url", where=lambda c: c.path == "/response/card", timeout=15)


# -- 7. a refused request logs one line, never its body ---------------------------------------

FORGED = "2026-01-01 00:00:00,000 ERROR accountbot.errors [0123456789ab T0TEST] FORGED"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")


@contextmanager
def text_logs(capfd: pytest.CaptureFixture[str]) -> Iterator[list[str]]:
    """The production text format, on the stderr this test captures: the lines written."""
    configure_logging("INFO", json=False)
    capfd.readouterr()
    lines: list[str] = []
    try:
        yield lines
        lines.extend(capfd.readouterr().err.splitlines())
    finally:
        logging.getLogger().handlers.clear()


def test_an_unsigned_request_logs_one_line_without_its_body(
    bot: SlackSender, capfd: pytest.CaptureFixture[str]
) -> None:
    body = "command=/account&text=acme\n" + FORGED + "\n" + "x" * 900_000
    with text_logs(capfd) as lines:
        reply = bot.post(body, content_type=FORM, signed=False)
    assert reply.status == 401
    assert [line for line in lines if "refused" in line] == lines, lines
    [line] = lines
    assert "401" in line and "X-Slack-Request-Timestamp" in line and "127.0.0.1" in line
    assert str(len(body.encode())) in line
    assert "FORGED" not in line and len(line) < 300


def test_no_text_a_request_carries_starts_a_log_line(
    bot: SlackSender, slack: FakeSlack, capfd: pytest.CaptureFixture[str]
) -> None:
    """Signed payloads whose fields reach a log line (an unknown action id, which Bolt quotes;
    a view id, logged when a submission repeats) cannot start a line of their own."""
    with text_logs(capfd) as lines:
        unknown = block_actions_payload("x\n" + FORGED, "1", response_url=slack.response_url())
        assert bot.interaction(unknown).status == 404
        view = account_form(meta=ModalMeta()) | {"id": "V1\n" + FORGED}
        submitted = view_submission_payload(view, account_values())
        assert [bot.interaction(submitted).status for _ in range(2)] == [200, 200]
    assert len(lines) >= 2 and all(LOG_LINE.match(line) for line in lines), lines
    assert not any(line.startswith(FORGED[:10]) for line in lines)


# -- 8. a timestamp that is not one plain number is unsigned ----------------------------------


def post_raw(bot: SlackSender, body: bytes, headers: list[tuple[str, str]]) -> int:
    """POST with exactly these headers, repeated ones included (urllib merges them)."""
    host, port = bot.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest("POST", "/slack/events")
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("timestamp", ["abc", "", "1e9", "0x10", "½"])
def test_a_malformed_timestamp_is_a_401(
    bot: SlackSender, slack: FakeSlack, database: Database, timestamp: str
) -> None:
    body = bot.command_body("new Acme")
    signature = bot.verifier.generate_signature(timestamp=timestamp, body=body)
    headers = [
        ("Content-Type", FORM),
        ("X-Slack-Request-Timestamp", timestamp),
        ("X-Slack-Signature", signature or ""),
    ]
    assert post_raw(bot, body.encode(), headers) == 401
    assert_nothing_happened(slack, database)


def test_a_timestamp_sent_twice_or_a_non_ascii_signature_is_a_401(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    body = bot.command_body("new Acme")
    signed = bot.sign(body)
    timestamp, signature = signed["X-Slack-Request-Timestamp"], signed["X-Slack-Signature"]
    twice = [
        ("Content-Type", FORM),
        ("X-Slack-Request-Timestamp", timestamp),
        ("X-Slack-Request-Timestamp", timestamp),
        ("X-Slack-Signature", signature),
    ]
    assert post_raw(bot, body.encode(), twice) == 401
    accented = [
        ("Content-Type", FORM),
        ("X-Slack-Request-Timestamp", timestamp),
        ("X-Slack-Signature", "v0=" + "é" * 64),
    ]
    assert post_raw(bot, body.encode(), accented) == 401
    assert_nothing_happened(slack, database)


def assert_nothing_happened(slack: FakeSlack, database: Database) -> None:
    time.sleep(0.2)
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []
    assert count(database, Account) == 0


# -- 12. crafted payloads get a 400 or a clear answer -----------------------------------------


def crafted_clicks(response_url: str) -> list[dict[str, Any]]:
    def click(**changes: Any) -> dict[str, Any]:
        return block_actions_payload("account.show", "1", response_url=response_url) | changes

    no_action_id = click()
    del no_action_id["actions"][0]["action_id"]
    return [
        click(actions=[]),
        no_action_id,
        click(actions=[{"action_id": 7, "value": "1"}]),
        click(actions="account.show"),
        click(actions=[{"action_id": "account.show", "value": 1}]),
        click(user="U0ALICE") | {"user": None},
        click(view="a view"),
        click(channel=["C0GENERAL"]),
        click(enterprise=5),
    ]


def test_malformed_clicks_are_a_400_and_change_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    for payload in crafted_clicks(slack.response_url()):
        reply = bot.interaction(payload)
        assert reply.status == 400, (payload, reply)
    for envelope in [
        {"type": "event_callback", "team_id": TEAM_ID, "event": ["app_home_opened"]},
        {"type": "event_callback", "team_id": TEAM_ID, "event": {"type": "app_home_opened"}}
        | {"authorizations": "T0TEST"},
        {"type": "view_submission", "team": {"id": TEAM_ID}, "user": {"id": "U0ALICE"}},
        {"type": "workflow_step_edit", "callback_id": "x"},
    ]:
        assert bot.post(json.dumps(envelope), content_type=JSON).status == 400, envelope
    shortcut = message_shortcut_payload(
        text="hi", message_ts="1e20", response_url=slack.response_url()
    )
    assert bot.interaction(shortcut).status == 400
    time.sleep(0.2)
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []
    assert bot.get("/healthz").status == 200


@pytest.mark.parametrize(
    "number", ["²", "\u0661", "¹²", "-1", "1e3", "2147483648", "99999999999", "9" * 20]
)
def test_buttons_whose_value_is_not_an_id_get_a_clear_answer(
    bot: SlackSender, slack: FakeSlack, database: Database, number: str
) -> None:
    account = make_account(database, "Acme")
    person = add_person(database, account, "Dana Lee", Role.CHAMPION)
    add_item(database, account, "Ship", utcnow().date() + timedelta(days=3))
    clicks = [
        block_actions_payload(action, value, response_url=slack.response_url())
        for action, value in [
            ("account.show", number),
            ("account.share", number),
            ("account.edit", number),
            ("contact.log", number),
            ("stakeholder.add", number),
            ("stakeholder.add", f"{number}:champion"),
            ("history.page", f"{number}:0"),
            ("history.page", f"{account.id}:{number}"),
            ("action.add", number),
            ("action.done", number),
        ]
    ] + [
        overflow_payload(action, value, response_url=slack.response_url())
        for action, value in [
            ("stakeholder.menu", f"edit:{number}"),
            ("action.menu", f"edit:{number}"),
            ("action.menu", f"cancel:{number}"),
        ]
    ]
    for click in clicks:
        assert bot.interaction(click).status == 200
    replies = slack.wait_for("response_url", count=len(clicks))
    for reply in replies:
        assert "no longer points at" in said(reply), said(reply)
        assert "error id" not in said(reply)
    assert slack.calls_to("views.open") == []
    with database.transaction() as session:
        assert session.get(Stakeholder, person).name == "Dana Lee"  # type: ignore[union-attr]
        assert session.scalar(select(ActionItem.status)).value == "open"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "metadata",
    [
        "not json",
        "[]",
        '{"account_id": "x"}',
        '{"account_id": 1e30}',
        '{"account_id": 99999999999999999999}',
        '{"account_id": " 1"}',
        '{"stakeholder_id": -1}',
        '{"version": "new"}',
        '{"response_url": "javascript:alert(1)"}',
    ],
)
@pytest.mark.parametrize("callback_id", ["account.form", "stakeholder.form", "contact.form"])
def test_a_form_with_metadata_the_bot_did_not_write_is_refused_beside_its_first_field(
    bot: SlackSender, slack: FakeSlack, database: Database, metadata: str, callback_id: str
) -> None:
    account = make_account(database, "Acme")
    dana = add_person(database, account, "Dana Lee")
    state = {
        "account.form": account_values(),
        "stakeholder.form": stakeholder_values(),
        "contact.form": contact_values([dana]),
    }[callback_id]
    view = {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Form"},
        "blocks": [{"type": "input", "block_id": block} for block in state],
    }
    reply = bot.interaction(view_submission_payload(view, state))
    first = next(iter(state))
    assert reply.json() == {
        "response_action": "errors",
        "errors": {first: "This form no longer matches what the bot knows, so nothing was "
                   "saved. Close it and open it again."},
    }  # fmt: skip
    assert (count(database, Account), count(database, Stakeholder)) == (1, 1)
    assert count(database, ContactLog) == 0


def test_nul_characters_never_reach_the_database(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """PostgreSQL refuses NUL in text; Slack never sends one. On both databases it arrives as
    U+FFFD, so the same request gets the same clear answer."""
    bot.command("Ac\x00me", response_url=slack.response_url("search"))
    [answer] = slack.wait_for("response_url")
    assert "No account matches *Ac\ufffdme*" in said(answer)

    view = account_form(meta=ModalMeta(response_url=slack.response_url("form")))
    payload = view_submission_payload(view, account_values(name="Ac\x00me\ud800"))
    reply = bot.interaction(payload)  # JSON carries them as \u0000 and \ud800
    assert (reply.status, reply.body) == (200, "")
    with database.transaction() as session:
        assert session.scalars(select(Account.name)).all() == ["Ac\ufffdme\ufffd"]

    shortcut = message_shortcut_payload(
        text="Notes\x00 from the call", channel_id="C0RANDOM", response_url=slack.response_url()
    )
    assert bot.interaction(shortcut).status == 200
    modal = slack.opened_view()
    assert "Notes\ufffd from the call" in json.dumps(modal, ensure_ascii=False)
    assert "error id" not in everything_said(slack)
