"""The growth view, its Turn into opportunity and Dismiss attacked through the signed endpoint:
probes of issue 14's expansion surfaces kept as tests."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from commands.ui.values import AccountValue, LeadValue
from store.db import Database
from store.departments import DepartmentRow, set_departments
from store.enums import Band, EventKind
from store.events import log_event
from store.models import Account, CatalogueEntry, ExpansionHypothesis, Opportunity, Stakeholder
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload
from tests.test_account_form import values as account_values
from tests.test_champion_leads import a_lead, opportunity_state
from tests.test_champion_leads import click as lead_click
from tests.test_growth_facts import catalogue, grown
from tests.test_growth_view import (
    click,
    convert_form,
    count,
    growth_view,
    hypothesis_of,
    override,
)
from tests.test_stakeholder_map import open_form, stakeholder_values, submit


def churn(database: Database, account: Account) -> None:
    with database.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(churned_on=app_today(), churn_reason="budget")
        )


def viewed(
    bot: SlackSender, slack: FakeSlack, database: Database, name: str = "Acme"
) -> tuple[Account, ExpansionHypothesis]:
    """A grown account's growth view drawn: the account and its stored seat hypothesis."""
    catalogue(database)
    account = grown(database, name)
    growth_view(bot, slack, f"{name} grow")
    seats = hypothesis_of(database, account.id)
    assert seats is not None
    return account, seats


def opened(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> tuple[Account, ExpansionHypothesis, Any]:
    """... and its Turn into opportunity form opened."""
    account, seats = viewed(bot, slack, database)
    return account, seats, convert_form(bot, slack, account, seats.id)


def test_a_churned_accounts_growth_is_not_offered_nor_turned_into_an_opportunity(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A churned account is inactive: its growth view (asked by name, or the old card's
    Growth) proposes nothing, and a Turn into opportunity form opened before the churn
    writes no upsell on it."""
    acme, ours, view = opened(bot, slack, database)
    churn(database, acme)
    shown = growth_view(bot, slack)
    assert "Acme churned" in shown and "inactive" in shown
    assert "More seats" not in shown and "Turn into opportunity" not in shown
    click(bot, slack, "account.growth", AccountValue.write(account_id=acme.id))
    [answer] = slack.wait_for("response_url")
    assert "Acme churned" in json.dumps(answer.params) and "More seats" not in json.dumps(
        answer.params
    )
    said = json.dumps(convert_form(bot, slack, acme, ours.id)["blocks"])
    assert "Acme churned" in said
    state = opportunity_state(currency="USD", next_step=None, next_step_on=None)
    reply = bot.interaction(view_submission_payload(view, state))
    assert "Acme churned" in reply.json()["errors"]["name"]
    assert count(database, Opportunity) == 0
    assert count(database, ExpansionHypothesis) > 0


def test_turn_into_opportunity_on_a_red_account_says_its_name_escaped(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The refusal on a red account names it: a name holding a mention or markup is shown as
    typed, not as `@channel` nor bold."""
    acme, ours = viewed(bot, slack, database, "Acme <!channel> *x*")
    override(database, acme, Band.RED)
    said = json.dumps(convert_form(bot, slack, acme, ours.id)["blocks"])
    assert "Acme &lt;!channel&gt; *x* is red" in said
    assert "<!channel>" not in said


def test_a_long_event_note_leaves_each_hypothesis_read_whole(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """An event's note may be 3,000 characters: the context it gives is cut on the view, not
    every line after it (who cares, the estimate, the score and the angle were dropped for
    "…and 6 more")."""
    catalogue(database)
    acme = grown(database)
    with database.transaction() as session:
        log_event(
            session,
            team_id=TEAM_ID,
            account_id=acme.id,
            kind=EventKind.HEADCOUNT_GROWTH,
            happened_on=app_today() - timedelta(1),
            note="Hiring & growing " + "very " * 590 + "fast",
            by_user_id=None,
        )
    shown = growth_view(bot, slack)
    blocks = json.loads(shown)
    seats = next(b for b in blocks if "More seats" in json.dumps(b))
    text = seats["text"]["text"]
    for words in ("*Context:* headcount growth", "*Who cares:*", "*Estimate:*", "*Angle:*"):
        assert words in text, words
    assert "more" not in text.splitlines()[-1] and "Hiring &amp; growing very" in text


def test_an_estimate_past_what_the_record_keeps_is_no_estimate_and_the_view_still_draws(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A careless price (99,999,999.99 a seat) on an account of ten million seats gives an
    estimate past the record's 14 digits: it stopped the account's refresh on PostgreSQL
    (numeric overflow: the view failed, and so would the team's weekly refresh); it is now
    no estimate, saying why, and nothing past the record is kept."""
    catalogue(database)
    acme = grown(database)
    with database.transaction() as session:
        session.execute(update(CatalogueEntry).values(list_price=Decimal("99999999.99")))
        session.execute(
            update(Account)
            .where(Account.id == acme.id)
            .values(seats_licensed=10_000_000, seats_active=9_500_000)
        )
    shown = growth_view(bot, slack)
    assert "More seats" in shown
    assert "no estimate (too large to be an estimate: check the catalogue's prices)" in shown
    seats = hypothesis_of(database, acme.id)
    assert seats is not None and seats.estimate is None


@pytest.mark.parametrize("how", ["converted", "named"])
def test_a_lead_whose_company_is_an_account_takes_no_new_logo(
    bot: SlackSender, slack: FakeSlack, database: Database, how: str
) -> None:
    """The list hides *Create opportunity* once the lead's company is an account (made from the
    lead, or one of its name made meanwhile): an old list's button says so, and a form opened
    before is refused, no new logo written for a customer."""
    lead_id = a_lead(database)
    stale = lead_click(bot, slack, "lead.opportunity", LeadValue.write(lead_id=lead_id))
    if how == "converted":
        made = lead_click(bot, slack, "lead.account", LeadValue.write(lead_id=lead_id))
        state = account_values(name="Globex", channel_id=None)
        assert bot.interaction(view_submission_payload(made, state)).body == ""
    else:
        make_account(database, "GLOBEX", channel_id="C0GLOBEX")
    name = "Globex" if how == "converted" else "GLOBEX"
    notice = lead_click(bot, slack, "lead.opportunity", LeadValue.write(lead_id=lead_id))
    assert notice["callback_id"] == "loading"  # a notice, no form
    assert f"{name} is one of the team's accounts already" in json.dumps(notice["blocks"])
    reply = bot.interaction(view_submission_payload(stale, opportunity_state()))
    assert f"{name} is one of the team's accounts already" in reply.json()["errors"]["name"]
    assert count(database, Opportunity) == 0


def test_a_right_to_left_override_in_a_name_does_not_turn_the_rest_of_the_line(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A department named with U+202E (right-to-left override) would show every department
    after it on the coverage line reversed (`enon :lageL`): the explicit direction controls
    are left out where user text is shown; Arabic or Hebrew names show as typed."""
    catalogue(database)
    acme = grown(database)
    with database.transaction() as session:
        set_departments(
            session,
            team_id=TEAM_ID,
            account_id=acme.id,
            rows=[
                DepartmentRow(None, "\u202etroppuS", True),
                DepartmentRow(None, "Legal", False),
                DepartmentRow(None, "المبيعات", False),
            ],
            field_of={},
        )
    shown = growth_view(bot, slack)
    for control in ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069"):
        assert control not in shown
    assert "troppuS" in shown and "المبيعات" in shown


def test_a_champions_title_retyped_in_other_case_is_no_promotion(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Fixing a title's case or spacing on the Edit form is not a promotion: no "A champion
    promoted" hypothesis (it said "Ana Diaz promoted to VP  Sales from vp sales")."""
    viewed(bot, slack, database)
    with database.transaction() as session:
        ana = session.execute(
            select(Stakeholder).where(Stakeholder.name == "Ana Diaz")
        ).scalar_one()
        ana.title = "vp sales"
        session.add(ana)
    view = open_form(bot, slack, "stakeholder.menu", f"edit:{ana.id}")
    retyped = stakeholder_values(name="Ana Diaz", title="VP  Sales", email="ana@acme.test")
    assert submit(bot, view, retyped).body == ""
    assert "A champion promoted" not in growth_view(bot, slack)


FAR = "Pick a day within 10 years of today."
OFFERED = "Pick one of the options offered."


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        # a century back or ahead (typed for 2026 as 1926, or 2099 for 2029)
        ({"stage": "closed_won", "close_date": "1926-02-28"}, {"close_date": FAR}),
        ({"close_date": "2999-02-28"}, {"close_date": FAR}),
        ({"next_step": "Call", "next_step_on": "1926-01-01"}, {"next_step_on": FAR}),
        # Slack lets spaces through a required input: asked in the form's words, not pydantic's
        ({"name": "   "}, {"name": "Give the deal a name."}),
        # Slack sends only the options it offered: an id past the database's integers (an error
        # id on PostgreSQL, its query overflowing) or written otherwise
        ({"stakeholders": "99999999999999999999"}, {"stakeholders": OFFERED}),
        ({"stakeholders": "+2"}, {"stakeholders": OFFERED}),
        ({"stakeholders": "0x2"}, {"stakeholders": OFFERED}),
    ],
)
def test_bad_opportunity_input_is_refused_beside_its_field_and_nothing_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    *_, view = opened(bot, slack, database)
    typed = {k: v for k, v in changes.items() if k != "stakeholders"}
    state = opportunity_state(currency="USD", **({"next_step": None, "next_step_on": None} | typed))
    if "stakeholders" in changes:
        picked = [{"value": changes["stakeholders"]}]
        state["stakeholders"] = {"type": "multi_static_select", "selected_options": picked}
    reply = bot.interaction(view_submission_payload(view, state))
    assert reply.json()["errors"] == errors
    assert count(database, Opportunity) == 0
