"""Attacks on stopping (`accountbot run` given SIGTERM) with requests in flight: what Slack was
promised an answer to gets it."""

from __future__ import annotations

import threading
from pathlib import Path

from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.db import Database
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import Reply, view_submission_payload
from tests.test_account_form import values
from tests.test_run_process import http_bot
from tests.test_work_pool import not_today


def test_a_form_being_saved_when_sigterm_comes_gets_its_answer(
    tmp_path: Path, slack: FakeSlack
) -> None:
    """Bob (a member of Acme's channel) saves Acme's edit form; the check of his rights waits on
    Slack (conversations.members) when the process is told to stop. The save goes on (the pool
    drains), and its answer (the form closed) reaches Slack: the connection it came on is not
    cut, or Slack shows Bob an error over a form that was saved."""
    db = Database(f"sqlite:///{tmp_path / 'run.db'}")
    db.upgrade()
    acme = make_account(db, "Acme", channel_id="C0ACME")
    db.dispose()
    view = account_form(meta=ModalMeta(account_id=acme.id, version=acme.version))
    typed = values(name="Acme Renamed", channel_id="C0ACME")
    replies: list[Reply | BaseException] = []
    with http_bot(tmp_path, slack, DIGEST_DAY=not_today()) as (process, bot):
        slack.hold("conversations.members")

        def submit() -> None:
            try:
                replies.append(
                    bot.interaction(view_submission_payload(view, typed, user_id="U0BOB"))
                )
            except BaseException as error:  # the connection cut: what Slack would see
                replies.append(error)

        sender = threading.Thread(target=submit)
        sender.start()
        slack.wait_for_start("conversations.members")
        process.process.terminate()
        process.wait_for_line("no new connections")
        slack.release("conversations.members")
        sender.join(timeout=30)
    [reply] = replies
    assert isinstance(reply, Reply), reply
    assert (reply.status, reply.body) == (200, "")
    db = Database(f"sqlite:///{tmp_path / 'run.db'}")
    with db.reading() as session:
        from store.accounts import get_account

        saved = get_account(session, team_id=acme.team_id, account_id=acme.id)
    db.dispose()
    assert saved is not None and saved.name == "Acme Renamed"
