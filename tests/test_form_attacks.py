"""Attacks on the override and renewal forms (`commands.override`) through the signed endpoint:
hostile text, forged metadata, replays, stale forms."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from store.accounts import get_account
from store.db import Database
from store.overrides import override_history
from store.types import utcnow
from tests.factories import TEAM_ID, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_account_form import values as account_values
from tests.test_band_override import (
    open_form,
    open_renewal,
    renewal_values,
    stored,
    submit,
    values,
)
from tests.test_delivery_faults import accountbot
from tests.test_overrides_and_renewals import overrides

HOSTILE = "<!channel> call <@U0BOB> now <https://evil.example|click> &amp; <#C0SECRET>"
RAW = re.compile(r"<!channel>|<@U0BOB>|<https://evil|<#C0SECRET>")


def this_monday_after_nine() -> str:
    now = utcnow()
    monday = (now - timedelta(days=now.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, 9, 30, tzinfo=UTC).isoformat()


def test_mentions_and_links_in_an_override_reason_never_reach_slack_as_markup(
    bot: SlackSender, slack: FakeSlack, database: Database, tmp_path: Path
) -> None:
    """A reason typed as `<!channel> …`: shown as text everywhere it is shown (the card, the
    history, the reopened form's prefill is plain text, the channel digest, the portfolio
    digest), never as a mention of the channel, a user, a link or a channel."""
    account = make_account(database, "Umbrella", channel_id="C0UMB")
    assert submit(bot, open_form(bot, slack, account.id), values(reason=HOSTILE)) is None
    assert stored(database) == 1
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    bot.command("umbrella history", response_url=slack.response_url("history"))
    slack.wait_for("response_url", where=lambda c: c.path == "/response/history")
    bot.command("umbrella", response_url=slack.response_url("card2"))
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card2")
    accountbot(
        slack,
        database,
        tmp_path,
        "digest",
        "--now",
        "--at",
        this_monday_after_nine(),
        DIGEST_PORTFOLIO_CHANNEL="C0LEADS",
    )
    posted = slack.calls_to("chat.postMessage")
    assert {c.params["channel"] for c in posted} >= {"C0UMB", "C0LEADS"}
    for call in [*slack.calls_to("response_url"), *posted]:
        text = json.dumps(call.params, ensure_ascii=False)
        assert not RAW.search(text), (call.path, text)
    shown = [
        c
        for c in [*slack.calls_to("response_url"), *posted]
        if "evil.example" in json.dumps(c.params)
    ]
    assert shown, "the reason is shown somewhere"


def test_a_forged_form_naming_another_workspaces_account_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The override form, its private metadata rewritten to name an account of another
    workspace (same database): refused, nothing written there or here."""
    mine = make_account(database, "Umbrella")
    theirs = make_account(database, "Umbrella", team_id="T0OTHER", owner_user_id="U0ALICE")
    form = open_form(bot, slack, mine.id)
    forged = {**form, "private_metadata": json.dumps({"account_id": theirs.id})}
    answer = submit(bot, forged, values())
    assert answer is not None, "a forged form is answered, not saved"
    assert stored(database) == 0


def test_the_same_override_submitted_twice_is_saved_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Umbrella")
    form = open_form(bot, slack, account.id)
    assert submit(bot, form, values()) is None
    assert submit(bot, form, values(reason="Replayed")) is None  # Slack's retry, or a replay
    assert stored(database) == 1


def open_override_as(bot: SlackSender, slack: FakeSlack, account_id: int, user_id: str, n: int):
    """The override form as the `n`th modal opened in the test, for `user_id`."""
    click = block_actions_payload(
        "account.override",
        str(account_id),
        user_id=user_id,
        response_url=slack.response_url(user_id),
    )
    assert bot.interaction(click).status == 200
    opened = slack.wait_for("views.open", count=n)[n - 1]
    updated = slack.wait_for(
        "views.update", where=lambda c: c.params["view_id"] == opened.answer["view"]["id"]
    )[0]
    return {**updated.json_param("view"), **{k: updated.answer["view"][k] for k in ("id", "hash")}}


def test_an_override_form_opened_before_someone_elses_override_does_not_silently_replace_it(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Alice opens the override form (no override yet); Bob, a member of the account's channel,
    overrides to green meanwhile; Alice's save would replace Bob's override without her ever
    seeing it (the form fills in the override in force when it opens). Refused beside the
    band as changed by someone else, Bob's override kept; reopened, hers saves."""
    account = make_account(database, "Umbrella", channel_id="C0UMB")
    alices = open_override_as(bot, slack, account.id, "U0ALICE", 1)
    bobs = open_override_as(bot, slack, account.id, "U0BOB", 2)
    assert submit(bot, bobs, values(band="green", reason="Bob: the exec sponsor is back")) is None
    answer = submit(bot, alices, values(band="red", reason="Alice: budget frozen"))
    assert answer is not None and answer["response_action"] == "errors", answer
    assert "changed by someone else" in answer["errors"]["band"]
    with database.transaction() as session:
        [current] = override_history(session, team_id=TEAM_ID, account_id=account.id)
    assert (current.reason, current.cleared_at) == ("Bob: the exec sponsor is back", None)
    again = open_override_as(bot, slack, account.id, "U0ALICE", 3)
    assert "Bob: the exec sponsor is back" in json.dumps(again)  # now she sees it
    assert submit(bot, again, values(band="red", reason="Alice: budget frozen")) is None
    assert overrides(database) == 2


def test_a_renewal_signed_on_a_day_still_to_come_is_refused_beside_the_signed_date(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """ "Signed" on a day in the future cannot be true yet (the date picker offers any day):
    refused beside the signed date, nothing written."""
    today = utcnow().date()
    account = make_account(database, "Stark", renewal_date=today + timedelta(days=28))
    typed = renewal_values("signed", signed_on=today + timedelta(days=400))
    answer = submit(bot, open_renewal(bot, slack, account.id), typed)
    assert answer is not None and answer["response_action"] == "errors", answer
    assert answer["errors"] == {"renewal_signed_on": "That date is in the future."}
    with database.reading() as session:
        stored_account = get_account(session, team_id=TEAM_ID, account_id=account.id)
    assert stored_account is not None and stored_account.renewal_signed_on is None


def test_a_form_whose_checks_outlast_slacks_three_seconds_is_not_saved_behind_its_back(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Bob (a member of Acme's channel) saves Acme's edit form; asking Slack who is in the
    channel takes 4 s. Slack gives up on a submission after 3 s and shows Bob an error over
    his form: it must not be saved afterwards behind his back. Submitted again (the members
    now known), it saves."""
    acme = make_account(database, "Acme", channel_id="C0ACME")
    view = account_form(meta=ModalMeta(account_id=acme.id, version=acme.version))
    typed = account_values(name="Acme Renamed", channel_id="C0ACME")
    slack.delay("conversations.members", 4)
    late = bot.interaction(view_submission_payload(view, typed, user_id="U0BOB"))
    assert late.status == 200 and "errors" in late.body, late.body  # what Slack no longer reads
    assert name_of(database, acme.id) == "Acme"  # not saved
    slack.delay("conversations.members", 0)
    again = bot.interaction(view_submission_payload(view, typed, user_id="U0BOB"))
    assert (again.status, again.body) == (200, "")
    assert name_of(database, acme.id) == "Acme Renamed"


def name_of(database: Database, account_id: int) -> str:
    with database.reading() as session:
        account = get_account(session, team_id=TEAM_ID, account_id=account_id)
    assert account is not None
    return account.name


@pytest.mark.parametrize("length", [501, 1001, 2999])
def test_an_overlong_override_reason_is_refused_with_the_real_limit_whatever_its_length(
    bot: SlackSender, slack: FakeSlack, database: Database, length: int
) -> None:
    """Slack's input stops at 500 characters; a crafted submission past it is told the store's
    limit (500), not the form model's wider bound (twice that, so collapsed whitespace is not
    counted), and nothing is written."""
    account = make_account(database, "Umbrella")
    answer = submit(bot, open_form(bot, slack, account.id), values(reason="x" * length))
    assert answer is not None
    assert answer["errors"]["reason"] == (
        f"Keep the reason to 500 characters (it has {length:,})."
    ), answer
    assert stored(database) == 0
