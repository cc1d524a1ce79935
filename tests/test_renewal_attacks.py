""" "Did Acme renew?" attacked through the signed endpoint: a question whose renewal date was
moved since it was asked (nothing recorded: said so, not "already recorded"), and two answers
at once from the owner and a lead (one recorded, the date rolled forward once)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.settings import Settings
from store.accounts import update_account
from store.db import Database
from store.enums import RenewalOutcome
from store.leads import TeamLeads, save_leads
from store.models import RenewalAnswer, SavePlan
from store.renewals import add_months
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_renewals import account_of, ask, entries, open_answer, questions, submit
from tests.test_revenue_ledger import submit as edit
from tests.test_save_plans import as_submitted


def test_a_question_whose_renewal_was_moved_since_says_so_and_records_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    renewal = app_today() + timedelta(days=3)
    acme = make_account(database, "Acme", renewal_date=renewal)
    ask(settings, database)
    [question] = questions(slack)
    form = open_answer(bot, slack, question, RenewalOutcome.RENEWED)
    moved = app_today() + timedelta(days=40)
    with database.transaction() as session:  # the date moved from the account form meanwhile
        update_account(session, team_id=TEAM_ID, account_id=acme.id, renewal_date=moved)
    said = json.dumps(open_answer(bot, slack, question, RenewalOutcome.RENEWED, nth=2))
    assert "already recorded" not in said
    assert f"was moved to {moved:%-d %b %Y} since" in said and "nothing was recorded" in said
    refused = submit(bot, form)
    assert refused is not None and "was moved to" in refused["errors"]["reason"]
    assert account_of(database, acme.id).renewal_date == moved  # type: ignore[arg-type]
    with database.transaction() as session:
        assert session.exec(select(RenewalAnswer)).all() == []


def test_the_owner_and_a_lead_answering_at_once_record_one_answer(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    renewal = app_today() + timedelta(days=3)
    acme = make_account(database, "Acme", renewal_date=renewal)
    with database.transaction() as session:
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=["U0DANA"]))
    ask(settings, database)
    [question] = questions(slack)
    alice = open_answer(bot, slack, question, RenewalOutcome.EXPANDED)
    dana = open_answer(bot, slack, question, RenewalOutcome.CONTRACTED, user_id="U0DANA", nth=2)
    payloads = [
        view_submission_payload(
            alice, {"new_arr": {"type": "number_input", "value": "150000"}}, user_id="U0ALICE"
        ),
        view_submission_payload(
            dana, {"new_arr": {"type": "number_input", "value": "90000"}}, user_id="U0DANA"
        ),
    ]
    replies: list[str] = []
    threads = [
        threading.Thread(target=lambda p=p: replies.append(bot.interaction(p).body))
        for p in payloads
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(bool(r) for r in replies) == [False, True]  # one saved, one refused
    assert "is already recorded" in next(r for r in replies if r)
    with database.transaction() as session:
        [answer] = session.exec(select(RenewalAnswer)).all()
    account = account_of(database, acme.id)  # type: ignore[arg-type]
    assert account.renewal_date == add_months(renewal, 12)  # rolled forward once
    assert account.arr == answer.arr_after and len(entries(database)) == 2


def test_a_churn_answered_before_its_renewal_date_is_not_said_to_have_happened(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    """Asked from 14 days before: a churn answered then leaves on the renewal date, still to
    come; the card said `Churned on 11 Dec` ten days before it."""
    renewal = app_today() + timedelta(days=10)
    make_account(database, "Acme", renewal_date=renewal)
    ask(settings, database)
    form = open_answer(bot, slack, questions(slack)[0], RenewalOutcome.CHURNED)
    assert submit(bot, form, reason="budget cut") is None
    assert bot.command("Acme", response_url=slack.response_url("card")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    line = card.params["blocks"][1]["text"]["text"]
    assert line == f":no_entry: *Churns on {renewal:%-d %b} (in 10 days)*: budget cut"


def test_a_churned_accounts_old_card_buttons_open_nothing_to_change(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings
) -> None:
    """The card posted before the churn keeps its buttons: each form that plans, overrides,
    stages or records on the account answers that it is inactive (a save plan was drafted from
    the signals of an account that has none), and a save plan form opened before the churn is
    refused when saved."""
    acme = make_account(database, "Acme", renewal_date=app_today() - timedelta(days=1))
    ask(settings, database)
    churn = open_answer(bot, slack, questions(slack)[0], RenewalOutcome.CHURNED)
    plan = block_actions_payload(
        "saveplan.open", str(acme.id), response_url=slack.response_url("plan"), block_id="card:0"
    )
    assert bot.interaction(plan).status == 200  # red (nobody on the map): the form opens
    plan_form = slack.opened_view(nth=2)
    assert plan_form["callback_id"] == "saveplan.form"
    assert submit(bot, churn, reason="budget") is None
    refused = bot.interaction(view_submission_payload(plan_form, as_submitted(plan_form)))
    assert "Acme churned: it is inactive, with no plan to save." in refused.body
    with database.transaction() as session:
        assert session.exec(select(SavePlan)).all() == []
    buttons = (
        "saveplan.open",
        "task.add",
        "action.add",
        "account.override",
        "account.renewal",
        "account.usage",
    )
    for nth, action in enumerate(buttons, start=3):
        click = block_actions_payload(
            action, str(acme.id), response_url=slack.response_url(action), block_id="card:0"
        )
        assert bot.interaction(click).status == 200
        said = json.dumps(slack.opened_view(nth=nth)["blocks"])
        assert "Acme churned" in said and "it is inactive" in said, action


@pytest.mark.parametrize("kind", ["expansion", "correction"])
def test_a_churned_accounts_arr_cannot_be_raised_from_the_account_form(
    bot: SlackSender, slack: FakeSlack, database: Database, settings: Settings, kind: str
) -> None:
    """Its facts (name, owner, channel) may still be put right; its ARR stays at nothing while
    it is inactive: raised, the revenue reports counted an inactive account from the next
    month."""
    acme = make_account(database, "Acme", renewal_date=app_today() - timedelta(days=1))
    ask(settings, database)
    churn = open_answer(bot, slack, questions(slack)[0], RenewalOutcome.CHURNED)
    assert submit(bot, churn, reason="budget") is None
    churned = account_of(database, acme.id)  # type: ignore[arg-type]
    refused = edit(bot, slack, churned, arr="50000", arr_kind=kind)
    assert isinstance(refused, dict) and refused["response_action"] == "errors"
    assert "Acme churned" in json.dumps(refused["errors"])
    assert account_of(database, acme.id).arr == 0  # type: ignore[arg-type]
    assert len(entries(database)) == 2  # new, churn
    renamed = edit(bot, slack, churned, name="Acme Ltd")  # its facts: still editable
    assert renamed == "" and account_of(database, acme.id).name == "Acme Ltd"  # type: ignore[arg-type]
