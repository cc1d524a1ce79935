""" "Did Acme renew?": asked once by DM from 14 days before the renewal (the scheduler's own job,
against the fake Slack), answered through the signed endpoint (the DM's button, its form), the
answer written in one transaction (ARR entry, renewal date rolled forward, churn) and the DM
updated; unanswered, asked again by the weekly digest run, never in a channel."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlmodel import select

from bot.app import make_client
from bot.settings import Settings
from bot.workspaces import team_clients
from digests.deliver import Pacer, run_due_digests
from digests.scheduler import build_scheduler
from store.db import Database
from store.deliveries import INTERRUPTED
from store.enums import RenewalOutcome, RenewalStage, RevenueKind, RevenueSource
from store.leads import TeamLeads, save_leads
from store.models import Account, RenewalAnswer, RenewalAsk, RevenueEntry
from store.renewals import FIRST, DueRenewal, claim_ask
from store.settings import DigestSettings
from store.work import CLAIM_TTL, RENEWALS, claim_team, enqueue
from tests.conftest import POSTGRES_URL, bot_settings
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload


def ask(settings: Settings, database: Database) -> None:
    """One run of the scheduler's renewal-question job, as `accountbot run` runs it."""
    scheduler = build_scheduler(
        database,
        team_clients(settings, database, make_client(settings)),
        clock=lambda: datetime.now(UTC),
        digest_defaults=DigestSettings(),
    )
    scheduler.get_job("renewal-questions").func()


def questions(slack: FakeSlack, about: str = "Acme") -> list[Any]:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if f"Did {about} renew?" in json.dumps(call.json_param("blocks"))
    ]


def answer_button(call: Any, outcome: RenewalOutcome) -> str:
    [buttons] = [b for b in call.json_param("blocks") if b["type"] == "actions"]
    [value] = [e["value"] for e in buttons["elements"] if e["value"].startswith(f"{outcome}:")]
    return value


def open_answer(
    bot: SlackSender,
    slack: FakeSlack,
    call: Any,
    outcome: RenewalOutcome,
    *,
    user_id: str = "U0ALICE",
    nth: int = 1,
) -> dict[str, Any]:
    click = block_actions_payload(
        "renewal.answer",
        answer_button(call, outcome),
        user_id=user_id,
        channel_id="D" + user_id[1:],
        response_url=slack.response_url("dm"),
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view(nth=nth)


def submit(
    bot: SlackSender, view: dict[str, Any], *, user_id: str = "U0ALICE", **typed: str
) -> dict[str, Any] | None:
    state = {
        block: {"type": "number_input" if block == "new_arr" else "plain_text_input", "value": v}
        for block, v in typed.items()
    }
    reply = bot.interaction(view_submission_payload(view, state, user_id=user_id))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def entries(database: Database) -> list[RevenueEntry]:
    with database.transaction() as session:
        return list(session.exec(select(RevenueEntry).order_by(RevenueEntry.id)))


def account_of(database: Database, account_id: int) -> Account:
    with database.transaction() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account


def test_the_owner_is_asked_once_from_14_days_before_the_renewal(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    today = app_today()
    soon = make_account(database, "Acme", renewal_date=today + timedelta(days=14))
    make_account(database, "Later", renewal_date=today + timedelta(days=15), channel_id="C0L")
    make_account(database, "Passed", renewal_date=today - timedelta(days=3), channel_id="C0P")
    ask(settings, database)
    ask(settings, database)  # the ledger: each renewal's question goes out once
    [acme] = questions(slack)
    assert acme.params["channel"] == "U0ALICE"  # a DM, never a channel
    assert len(questions(slack, "Passed")) == 1 and questions(slack, "Later") == []
    labels = [
        e["text"]["text"]
        for b in acme.json_param("blocks")
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert labels == ["Renewed", "Renewed with expansion", "Renewed with contraction", "Churned"]
    with database.transaction() as session:
        row = session.exec(select(RenewalAsk).where(RenewalAsk.account_id == soon.id)).one()
    assert (row.status, row.round, row.channel_id, row.renewal_date) == (
        "sent",
        "first",
        "D0ALICE",
        soon.renewal_date,
    )


def test_renewed_with_expansion_writes_the_entry_rolls_the_date_and_updates_the_dm(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    renewal = app_today() + timedelta(days=5)
    acme = make_account(
        database,
        "Acme",
        renewal_date=renewal,
        contract_months=24,
        renewal_stage=RenewalStage.SIGNED,
        renewal_signed_on=app_today(),
    )
    ask(settings, database)
    [question] = questions(slack)
    form = open_answer(bot, slack, question, RenewalOutcome.EXPANDED)
    assert form["callback_id"] == "renewal.answer"
    assert submit(bot, form) == {
        "response_action": "errors",
        "errors": {"new_arr": "Give the new ARR."},
    }
    refused = submit(bot, form, new_arr="100000")
    assert refused is not None
    assert refused["errors"]["new_arr"].startswith(
        "Say what kind of change this is: an expansion raises ARR"
    )
    assert len(entries(database)) == 1  # nothing half-written
    assert submit(bot, form, new_arr="150000", reason="Added the EU team") is None
    _, entry = entries(database)
    assert (entry.kind, entry.change, entry.arr_after, entry.effective_on, entry.source) == (
        RevenueKind.EXPANSION,
        Decimal("30000"),
        Decimal("150000"),
        renewal,
        RevenueSource.RENEWAL,
    )
    assert entry.note == "Added the EU team"
    changed = account_of(database, acme.id)  # type: ignore[arg-type]
    assert changed.arr == Decimal("150000")
    assert changed.renewal_date == date(renewal.year + 2, renewal.month, renewal.day)
    assert (changed.renewal_stage, changed.renewal_signed_on) == (RenewalStage.NOT_STARTED, None)
    [update] = slack.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("D0ALICE", question.answer["ts"])
    said = json.dumps(update.json_param("blocks"))
    assert "renewed with expansion" in said and "actions" not in said


def test_an_answer_for_a_renewal_already_recorded_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    make_account(database, "Acme", renewal_date=app_today() + timedelta(days=3))
    ask(settings, database)
    [question] = questions(slack)
    first = open_answer(bot, slack, question, RenewalOutcome.RENEWED)
    second = open_answer(bot, slack, question, RenewalOutcome.CONTRACTED, nth=2)
    assert submit(bot, first) is None
    refused = submit(bot, second, new_arr="90000")
    assert refused is not None and "is already recorded" in refused["errors"]["reason"]
    with database.transaction() as session:
        [answer] = session.exec(select(RenewalAnswer)).all()
    assert answer.outcome is RenewalOutcome.RENEWED
    assert [e.kind for e in entries(database)] == [RevenueKind.NEW]  # a flat renewal: no movement
    again = open_answer(bot, slack, question, RenewalOutcome.CHURNED, nth=3)
    assert "is already recorded" in json.dumps(again)  # the button now opens a notice


def test_churn_needs_its_reason_and_makes_the_account_inactive(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    renewal = app_today() - timedelta(days=2)
    acme = make_account(database, "Acme", renewal_date=renewal)
    make_account(database, "Globex", channel_id="C0GLOBEX")
    ask(settings, database)
    form = open_answer(bot, slack, questions(slack)[0], RenewalOutcome.CHURNED)
    refused = submit(bot, form)
    assert refused == {
        "response_action": "errors",
        "errors": {"reason": "Say why they left: it is kept with the churn."},
    }
    assert submit(bot, form, reason="Moved to <!channel> Rival") is None
    churned = account_of(database, acme.id)  # type: ignore[arg-type]
    assert (churned.churned_on, churned.arr, churned.renewal_date) == (renewal, 0, renewal)
    entry = entries(database)[-1]
    assert (entry.kind, entry.change, entry.arr_after) == (
        RevenueKind.CHURN,
        Decimal("-120000"),
        Decimal("0"),
    )
    card = bot.command("Acme")
    assert card.status == 200
    [shown] = slack.wait_for("response_url", where=lambda c: "Churned on" in json.dumps(c.params))
    text = json.dumps(shown.params["blocks"])
    assert "Moved to &lt;!channel&gt; Rival" in text  # escaped: pings no one
    assert "Override band" not in text  # inactive: no band, signals or plan
    assert bot.command("").status == 200  # the owner's list: churned accounts are not in it
    [listed] = slack.wait_for("response_url", where=lambda c: "Globex" in json.dumps(c.params))
    assert "Acme" not in json.dumps(listed.params)
    ask(settings, database)  # never asked about again
    assert len(questions(slack)) == 1


def test_an_owner_who_left_passes_the_question_to_the_team_leads(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    acme = make_account(database, "Acme", renewal_date=app_today() + timedelta(days=1))
    with database.transaction() as session:
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=["U0DANA"]))
    slack.users["U0ALICE"] = {"deleted": True}
    slack.channels["C0ACME"] = {"is_private": True, "members": ["U0ALICE"]}
    ask(settings, database)
    [question] = questions(slack)
    assert question.params["channel"] == "U0DANA"
    assert "has left the workspace" in json.dumps(question.json_param("blocks"))
    form = open_answer(bot, slack, question, RenewalOutcome.CONTRACTED, user_id="U0DANA")
    assert submit(bot, form, user_id="U0DANA", new_arr="60000") is None
    assert account_of(database, acme.id).arr == Decimal("60000")  # type: ignore[arg-type]
    _, entry = entries(database)
    assert (entry.kind, entry.by_user_id) == (RevenueKind.CONTRACTION, "U0DANA")


def test_an_unanswered_question_is_asked_again_by_the_weekly_digest_run_by_dm_only(
    slack: FakeSlack, database: Database, settings: Settings
) -> None:
    tuesday = datetime(2026, 12, 1, 10, tzinfo=UTC)
    monday = datetime(2026, 12, 7, 9, 5, tzinfo=UTC)
    with time_machine.travel(tuesday, tick=False):
        make_account(database, "Acme", renewal_date=date(2026, 12, 10))
        ask(settings, database)
    assert len(questions(slack)) == 1
    clients = team_clients(settings, database, make_client(settings))
    with time_machine.travel(monday, tick=False):
        run = run_due_digests(
            database,
            clients,
            now=monday,
            defaults=DigestSettings(),
            pacer=Pacer(per_channel=0, between=0),
        )
        run_due_digests(  # the same week again: asked once a week
            database,
            clients,
            now=monday,
            defaults=DigestSettings(),
            pacer=Pacer(per_channel=0, between=0),
        )
    _first, again = questions(slack)
    assert again.params["channel"] == "U0ALICE"
    assert run[TEAM_ID].asked_again == [1]
    with database.transaction() as session:
        rounds = session.exec(select(RenewalAsk.round).order_by(RenewalAsk.claimed_at)).all()
    assert rounds == ["first", "2026-12-07"]
    digest_posts = [
        c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "C0ACME"
    ]
    assert digest_posts and all("renew?" not in json.dumps(c.params) for c in digest_posts)


# -- a question Slack may have: never sent again, reported ---------------------------------------


def renewal_job(settings: Settings, database: Database, moment: list[datetime]) -> Any:
    """The scheduler's renewal-question job of one process, whose clock reads `moment[0]`."""
    scheduler = build_scheduler(
        database,
        team_clients(settings, database, make_client(settings)),
        clock=lambda: moment[0],
        digest_defaults=DigestSettings(),
    )
    return scheduler.get_job("renewal-questions").func


def fates(database: Database) -> dict[int, tuple[str, str | None]]:
    with database.transaction() as session:
        return {r.account_id: (r.status, r.error) for r in session.exec(select(RenewalAsk))}


@pytest.mark.parametrize("fault", ["reset", "cut_off", "close", "timeout"])
def test_a_question_lost_after_it_was_sent_is_kept_reported_and_never_sent_again(
    slack: FakeSlack,
    database: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    """The DM was written to Slack, then its answer was lost (the connection reset or closed,
    the answer cut off, or not come when the client gave up): Slack may have it, so its claim is
    kept, recorded as failed with why, reported, and no later run asks that question again."""
    acme = make_account(database, "Acme", renewal_date=app_today() + timedelta(days=3))
    if fault == "timeout":  # Slack holds its answer past the client's timeout
        settings = bot_settings(database, slack, slack_api_timeout=0.5)
        slack.hold("chat.postMessage")
    else:
        slack.fault("chat.postMessage", fault, channel="U0ALICE")
    moment = [datetime.now(UTC)]
    job = renewal_job(settings, database, moment)
    with caplog.at_level(logging.INFO, logger="accountbot"):
        job()
    assert slack.started("chat.postMessage") == 1
    [(status, error)] = fates(database).values()
    assert status == "failed" and error is not None
    assert error.endswith("so it may or may not have been posted")  # "uncertain: …", "timed out: …"
    assert f"renewal question on account {acme.id} to U0ALICE failed: {error}" in caplog.text
    assert "renewal questions: 0 sent, 1 failed, 0 interrupted" in caplog.text
    for minutes in (1, 11, 60 * 24):  # the same process's later runs, as the scheduler runs it
        moment[0] += timedelta(minutes=minutes)
        job()
    assert slack.started("chat.postMessage") == 1  # never again
    assert fates(database) == {acme.id: (status, error)}


def claim_in_flight(database: Database, account: Account, *, at: datetime, holder: str) -> None:
    """A process claimed the question and had it on its way to Slack when it stopped."""
    assert account.id is not None and account.renewal_date is not None
    renewal = DueRenewal(
        TEAM_ID,
        account.id,
        account.name,
        account.owner_user_id,
        account.renewal_date,
        account.arr,
        account.currency,
    )
    with database.transaction() as session:
        assert claim_ask(
            session, renewal=renewal, round=FIRST, user_id="U0ALICE", now=at, holder=holder
        )


def test_a_question_in_flight_when_its_process_stopped_is_reported_interrupted_never_resent(
    slack: FakeSlack,
    database: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Left `sending` with no renewal-question claim on its team to say whose it was (SQLite's
    one process, or the weekly digest run's asking again): a run soon after leaves it alone (its
    process may still be at it); once it is older than any send can take, a run records it as
    interrupted and reports it; no run sends it."""
    now = datetime.now(UTC)
    acme = make_account(database, "Acme", renewal_date=app_today() + timedelta(days=3))
    claim_in_flight(database, acme, at=now, holder="stopped")
    moment = [now + timedelta(minutes=1)]
    job = renewal_job(settings, database, moment)  # the process that runs the bot now
    with caplog.at_level(logging.INFO, logger="accountbot"):
        job()
    assert "interrupted" not in caplog.text and fates(database) == {acme.id: ("sending", None)}
    moment[0] = now + timedelta(minutes=11)
    with caplog.at_level(logging.INFO, logger="accountbot"):
        job()
    assert fates(database) == {acme.id: ("failed", INTERRUPTED)}
    assert (
        f"renewal question on account {acme.id} to U0ALICE was in flight when its process "
        "stopped" in caplog.text
    )
    assert "renewal questions: 0 sent, 0 failed, 1 interrupted" in caplog.text
    caplog.clear()
    moment[0] = now + timedelta(minutes=12)
    with caplog.at_level(logging.INFO, logger="accountbot"):
        job()
    assert "interrupted" not in caplog.text  # reported once
    assert slack.started("chat.postMessage") == 0  # never sent by a later run


@pytest.mark.skipif(not POSTGRES_URL, reason="the work queue shares teams on PostgreSQL")
def test_a_question_in_flight_is_reported_interrupted_when_its_team_is_taken_over(
    slack: FakeSlack,
    database: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A process that died held the team's renewal questions and had Acme's on its way; once its
    claim has expired, the next process takes the team over: Acme's is reported interrupted at
    once (long before the ledger's staleness), Globex's, never tried, is sent."""
    now = datetime.now(UTC)
    soon = app_today() + timedelta(days=3)
    acme = make_account(database, "Acme", renewal_date=soon)
    globex = make_account(database, "Globex", renewal_date=soon, channel_id="C0GLOBEX")
    with database.transaction() as session:
        enqueue(session, kind=RENEWALS, team_ids=[TEAM_ID])
        claim_team(
            session, kind=RENEWALS, periods={TEAM_ID: None}, holder="dead", now=now, ttl=CLAIM_TTL
        )
    claim_in_flight(database, acme, at=now, holder="dead")
    with caplog.at_level(logging.INFO, logger="accountbot"):
        renewal_job(settings, database, [now + timedelta(minutes=1)])()
    assert fates(database) == {acme.id: ("failed", INTERRUPTED), globex.id: ("sent", None)}
    assert len(questions(slack, "Globex")) == 1
    assert questions(slack, "Acme") == []
    assert f"renewal question on account {acme.id} to U0ALICE was in flight when dead" in (
        caplog.text
    )
    assert "renewal questions: 1 sent, 0 failed, 1 interrupted" in caplog.text
