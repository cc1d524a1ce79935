"""The bounded pool the slow part of every listener runs in (`commands.work`): acknowledged at
once whatever the pool is doing, a clear "busy" answer where the user looks when it is full, and
the queued work finished or answered when the process is stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from bot.app import build_app, work_pool
from bot.server import EVENTS_PATH, make_web_app
from commands.ui.errors import BUSY
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.db import Database
from store.types import utcnow
from tests.conftest import SIGNING_SECRET, bot_settings, serving
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import (
    FORM,
    Reply,
    SlackSender,
    block_actions_payload,
    message_shortcut_payload,
    view_submission_payload,
)
from tests.test_account_form import count_accounts, values
from tests.test_run_process import http_bot

HELD = "conversations.info"
"""What the pool waits on: a card for someone who is not the account's owner asks Slack whether
the account's channel is private (the first time)."""


def hold_the_only_worker(bot: SlackSender, slack: FakeSlack) -> None:
    """`/account Acme` from Bob (not the owner): its card waits on Slack, held."""
    slack.hold(HELD)
    reply = bot.command("Acme", user_id="U0BOB", response_url=slack.response_url("held"))
    assert reply.status == 200 and reply.body == "", reply.body  # acknowledged, empty
    slack.wait_for_start(HELD)


@contextmanager
def full_pool(database: Database, slack: FakeSlack) -> Iterator[SlackSender]:
    """One worker thread, no room to wait, and that worker held on Slack."""
    make_account(database, "Acme")
    settings = bot_settings(database, slack, work_threads=1, work_queue=0)
    with serving(settings, database, slack) as bot:
        try:
            hold_the_only_worker(bot, slack)
            yield bot
        finally:
            slack.release(HELD)


def once_free(send: Callable[[], Reply], *, timeout: float = 5.0) -> Reply:
    """`send()` again until the answer is not the busy one: the held work has delivered its
    answer, and gives its thread back a moment later."""
    deadline = time.monotonic() + timeout
    while BUSY in (reply := send()).body:
        assert time.monotonic() < deadline, "the pool stayed full"
        time.sleep(0.05)
    return reply


def test_the_work_starts_only_once_the_acknowledgement_has_been_written(
    database: Database, slack: FakeSlack
) -> None:
    """Driven as waitress drives the WSGI app: call it, send each non-empty chunk (the status
    line and headers go out with the first write, or at the end when nothing was written),
    then `close()` the response, in the request thread. Until the acknowledgement (an empty
    body) is out, no worker thread may run: it would take the interpreter lock from the thread
    writing it. Then the work runs, and the card arrives."""
    make_account(database, "Acme")
    settings = bot_settings(database, slack)
    work = work_pool(settings)
    web = make_web_app(
        build_app(settings, database, work=work), database, signing_secret=SIGNING_SECRET
    )
    sender = SlackSender("http://unused", SIGNING_SECRET, response_url=slack.response_url())
    body = sender.command_body("Acme", user_id="U0BOB", response_url=slack.response_url("card"))
    environ = EnvironBuilder(
        path=EVENTS_PATH,
        method="POST",
        data=body,
        headers=sender.sign(body) | {"Content-Type": FORM},
    ).get_environ()
    sent: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        sent.append(status)
        return lambda data: sent.append("headers written")

    before = set(threading.enumerate())
    answer = web(environ, start_response)
    try:
        if any(list(answer)):  # waitress writes the headers with the first non-empty chunk
            sent.append("headers written")
        assert sent[0] == "200 OK" and "headers written" in sent, sent  # the ack is out
        started = [t.name for t in set(threading.enumerate()) - before]
        assert not [name for name in started if name.startswith("work")], started
    finally:
        answer.close()  # type: ignore[attr-defined]  # a WSGI response has close()
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    assert card.json_param("blocks")[0]["text"]["text"] == "Acme"
    work.close()


def test_a_slash_command_is_told_the_bot_is_busy_in_its_acknowledgement(
    database: Database, slack: FakeSlack
) -> None:
    with full_pool(database, slack) as bot:
        reply = bot.command("help", response_url=slack.response_url("busy"))
        assert reply.status == 200
        assert reply.json() == {"text": f":hourglass: {BUSY}", "response_type": "ephemeral"}
        slack.release(HELD)  # the held card is still delivered, and the pool is free again
        [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/held")
        assert card.json_param("blocks")[0]["text"]["text"] == "Acme"
        after = once_free(lambda: bot.command("help", response_url=slack.response_url("after")))
        assert after.body == ""
        slack.wait_for("response_url", where=lambda c: c.path == "/response/after")
    assert slack.replies_to("busy") == []  # told once, in the acknowledgement


def test_a_button_and_a_shortcut_are_told_at_their_response_url(
    database: Database, slack: FakeSlack
) -> None:
    with full_pool(database, slack) as bot:
        account_id = make_account(database, "Initech").id
        click = block_actions_payload(
            "account.show", str(account_id), response_url=slack.response_url("click")
        )
        assert bot.interaction(click).status == 200
        shortcut = message_shortcut_payload(
            text="Call went well", response_url=slack.response_url("shortcut")
        )
        assert bot.interaction(shortcut).status == 200
        for token in ("click", "shortcut"):
            [told] = slack.wait_for("response_url", where=lambda c, t=token: c.path.endswith(t))
            assert told.params["text"] == f":hourglass: {BUSY}"
            assert told.params["response_type"] == "ephemeral"
    assert slack.calls_to("views.open") == []  # the shortcut's form never opened


def test_a_form_submitted_to_a_full_pool_stays_open_saying_so(
    database: Database, slack: FakeSlack
) -> None:
    with full_pool(database, slack) as bot:
        view = account_form(meta=ModalMeta(response_url=slack.response_url("form")))
        reply = bot.interaction(view_submission_payload(view, values()))
        assert reply.json() == {"response_action": "errors", "errors": {"name": BUSY}}
        slack.release(HELD)
        slack.wait_for("response_url", where=lambda c: c.path == "/response/held")
        saved = once_free(lambda: bot.interaction(view_submission_payload(view, values())))
        assert saved.body == ""  # saved now


def test_a_form_left_waiting_in_the_queue_is_not_saved_and_says_so(
    database: Database, slack: FakeSlack
) -> None:
    """Room to wait, but the one worker held: rather than let Slack give up on the form (3 s),
    it is answered as busy, stays open, and is not saved later behind Slack's back."""
    make_account(database, "Acme")
    settings = bot_settings(database, slack, work_threads=1, work_queue=4)
    with serving(settings, database, slack) as bot:
        try:
            hold_the_only_worker(bot, slack)
            view = account_form(meta=ModalMeta(response_url=slack.response_url("form")))
            reply = bot.interaction(view_submission_payload(view, values()))
            assert reply.json() == {"response_action": "errors", "errors": {"name": BUSY}}
        finally:
            slack.release(HELD)
        slack.wait_for("response_url", where=lambda c: c.path == "/response/held")
        assert bot.command("help", response_url=slack.response_url("after")).body == ""
        slack.wait_for("response_url", where=lambda c: c.path == "/response/after")  # queued last
    assert count_accounts(database) == 1  # Acme only: the busy form was never saved


# -- stopping with work queued (the real process) -------------------------------------------


def queue_behind_held_card(bot: SlackSender, slack: FakeSlack) -> None:
    hold_the_only_worker(bot, slack)
    for token in ("q1", "q2"):
        assert bot.command("help", response_url=slack.response_url(token)).body == ""


def not_today() -> str:
    """A digest day that is not today (UTC), so no digest asks Slack while the test runs."""
    return (utcnow().date() + timedelta(days=1)).strftime("%A").lower()


def migrated_with_acme(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'run.db'}")
    db.upgrade()
    make_account(db, "Acme")
    db.dispose()


def test_on_sigterm_the_queued_work_is_finished_before_exit(
    tmp_path: Path, slack: FakeSlack
) -> None:
    migrated_with_acme(tmp_path)
    env = {"WORK_THREADS": "1", "WORK_QUEUE": "4", "DIGEST_DAY": not_today()}
    with http_bot(tmp_path, slack, **env) as (process, bot):
        queue_behind_held_card(bot, slack)
        process.process.terminate()
        process.wait_for_line(r"stopping: 1 running, 2 queued")
        slack.release(HELD)
    for token in ("q1", "q2"):
        [answer] = slack.replies_to(token)
        assert "How to use /account" in str(answer.params["blocks"])
    [card] = slack.replies_to("held")
    assert card.json_param("blocks")[0]["text"]["text"] == "Acme"


def test_on_sigterm_queued_work_past_the_grace_is_answered_not_dropped(
    tmp_path: Path, slack: FakeSlack
) -> None:
    migrated_with_acme(tmp_path)
    env = {"WORK_THREADS": "1", "WORK_QUEUE": "4", "STOP_GRACE": "0", "DIGEST_DAY": not_today()}
    with http_bot(tmp_path, slack, **env) as (process, bot):
        queue_behind_held_card(bot, slack)
        process.process.terminate()
        process.wait_for_line(r"stopping: 1 running, 2 queued")
        slack.release(HELD)
    for token in ("q1", "q2"):
        [answer] = slack.replies_to(token)
        assert answer.params["text"] == f":hourglass: {BUSY}"
    assert slack.replies_to("held")  # the work already running was finished
