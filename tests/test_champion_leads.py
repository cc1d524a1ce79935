"""Leads from champion moves and the opportunity record, through the signed endpoint as Slack
sends them: a departure makes the lead, `/account leads` lists it, "Log outreach", "Create
account" (the person then offered as its first stakeholder) and "Create opportunity"; bad input
and crafted values refused with nothing written."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bench.stats import count_statements
from commands.ui.values import LeadValue, ModalMeta, OpportunityValue
from commands.ui.views.leads import opportunity_form, outreach_form
from store.champion_leads import champion_promotions, lead_rows
from store.db import Database
from store.enums import (
    LeadStatus,
    OpportunityStage,
    OpportunityType,
    Role,
    StakeholderStatus,
)
from store.models import (
    Account,
    ChampionLead,
    LeadOutreach,
    Opportunity,
    OpportunityChange,
    OpportunityStakeholder,
    Stakeholder,
)
from store.opportunities import OpportunityRefused, OpportunityValues, create_opportunity
from store.stakeholders import mark_departed, update_stakeholder
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_account_form import values as account_values
from tests.test_stakeholder_map import departed_values, open_form, stakeholder_values, submit

TODAY = app_today()
OTHER_TEAM = "T0OTHER"


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def depart(
    database: Database, person_id: int, company: str | None = "Globex", *, team_id: str = TEAM_ID
) -> None:
    """A departure written by the store directly (the path an import or the demo takes)."""
    with database.transaction() as session:
        mark_departed(
            session,
            team_id=team_id,
            stakeholder_id=person_id,
            on=TODAY,
            by_user_id="U0ALICE",
            left_for_company=company,
            left_for_title="COO",
        )


def a_lead(
    database: Database, *, team_id: str = TEAM_ID, company: str = "Globex", at: str = "Acme"
) -> int:
    """A champion of the account `at` departed for `company`: its lead's id."""
    account = make_account(database, f"{at} {team_id}", team_id=team_id, channel_id=None)
    dana = add_person(database, account, "Dana Lee", Role.CHAMPION)
    depart(database, dana, company, team_id=team_id)
    with database.transaction() as session:
        return session.execute(
            select(ChampionLead.id).where(ChampionLead.stakeholder_id == dana)
        ).scalar_one()


def is_leads(call: Any) -> bool:
    return "Leads from champion moves" in json.dumps(call.params.get("blocks"))


def leads_listed(bot: SlackSender, slack: FakeSlack) -> list[dict[str, Any]]:
    slack.calls.clear()
    assert bot.command("leads").status == 200
    [answer] = slack.wait_for("response_url", where=is_leads)
    return answer.params["blocks"]


def text_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def click(bot: SlackSender, slack: FakeSlack, action: str, value: str) -> dict[str, Any]:
    slack.calls.clear()
    payload = block_actions_payload(action, value, response_url=slack.response_url("leads"))
    assert bot.interaction(payload).status == 200
    return slack.opened_view()


def test_a_champion_departing_through_the_form_becomes_one_lead_listed_by_company(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = add_person(database, account, "Dana Lee", Role.CHAMPION)
    user = add_person(database, account, "Uma Reyes", Role.END_USER)
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values(company="Globex", title="COO")).body == ""
    slack.wait_for("chat.postMessage")  # the channel told, the card redrawn: then ask
    slack.wait_for("response_url")
    depart(database, user, "Globex")  # an end user leaving is no lead
    with database.transaction() as session:
        [lead] = session.execute(select(ChampionLead)).scalars().all()
    assert (lead.person_name, lead.title, lead.company, lead.role, lead.status) == (
        "Dana Lee",
        "COO",
        "Globex",
        Role.CHAMPION,
        LeadStatus.OPEN,
    )
    assert (lead.account_id, lead.championed_from, lead.championed_to) == (account.id, TODAY, TODAY)
    blocks = leads_listed(bot, slack)
    shown = text_of(blocks)
    assert "*Globex*" in shown and "Dana Lee, now COO" in shown and "champion at Acme" in shown
    assert "already our account" not in shown
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [
        "lead.account",
        "lead.outreach",
        "lead.opportunity",
    ]
    assert {b["value"] for b in buttons} == {str(lead.id)}


def test_departing_again_or_editing_updates_the_lead_never_a_second(database: Database) -> None:
    lead_id = a_lead(database)
    with database.transaction() as session:
        person = session.get(ChampionLead, lead_id).stakeholder_id
        update_stakeholder(
            session,
            team_id=TEAM_ID,
            stakeholder_id=person,
            by_user_id="U0ALICE",
            left_for_company="Globex Europe",
            left_for_title="CEO",
        )
    depart(database, person, "Globex Europe")
    with database.transaction() as session:
        [lead] = session.execute(select(ChampionLead)).scalars().all()
    assert (lead.id, lead.company, lead.title) == (lead_id, "Globex Europe", "COO")


def test_no_lead_without_a_company_and_the_company_already_an_account_is_linked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    sponsor = add_person(database, account, "Raj Patel", Role.EXECUTIVE_SPONSOR)
    depart(database, sponsor, None)
    assert count(database, ChampionLead) == 0
    globex = make_account(database, "GLOBEX", channel_id="C0GLOBEX")
    buyer = add_person(database, account, "Eve Stone", Role.ECONOMIC_BUYER)
    depart(database, buyer, "globex")
    blocks = leads_listed(bot, slack)
    assert "already our account *GLOBEX*" in text_of(blocks)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ("account.show", str(globex.id)) in [(b["action_id"], b["value"]) for b in buttons]
    assert "lead.account" not in [b["action_id"] for b in buttons]  # it is an account already


def test_names_are_escaped_and_another_teams_leads_are_not_listed(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    a_lead(database, team_id=OTHER_TEAM, company="Initech")
    a_lead(database, company="<!channel> Corp")
    shown = text_of(leads_listed(bot, slack))
    assert "&lt;!channel&gt; Corp" in shown and "<!channel>" not in shown
    assert "Initech" not in shown


def outreach_state(day: str, note: str = "Coffee, keen to talk in Q1") -> dict[str, Any]:
    return {
        "outreach_date": {"type": "datepicker", "selected_date": day},
        "outreach_note": {"type": "plain_text_input", "value": note},
    }


def test_log_outreach_moves_the_lead_to_contacted_and_a_future_date_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.outreach", LeadValue.write(lead_id=lead_id))
    assert view["callback_id"] == "lead.outreach"
    future = (TODAY + timedelta(days=1)).isoformat()
    refused = bot.interaction(view_submission_payload(view, outreach_state(future))).json()
    assert refused["errors"] == {"outreach_date": "The outreach cannot be in the future."}
    assert count(database, LeadOutreach) == 0
    ok = bot.interaction(view_submission_payload(view, outreach_state(TODAY.isoformat())))
    assert ok.body == ""
    with database.transaction() as session:
        assert session.get(ChampionLead, lead_id).status is LeadStatus.CONTACTED
        [outreach] = session.execute(select(LeadOutreach)).scalars().all()
    assert (outreach.reached_on, outreach.by_user_id) == (TODAY, "U0ALICE")
    [redrawn] = slack.wait_for("response_url", where=is_leads)
    assert "contacted · 1 outreach, last" in text_of(redrawn.params["blocks"])


def test_a_crafted_form_or_button_naming_another_teams_lead_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = a_lead(database, team_id=OTHER_TEAM)
    with database.transaction() as session:
        [row] = lead_rows(session, team_id=OTHER_TEAM)
    crafted = outreach_form(meta=ModalMeta(lead_id=theirs), lead=row, today=TODAY)
    reply = bot.interaction(view_submission_payload(crafted, outreach_state(TODAY.isoformat())))
    assert reply.json()["errors"] == {"outreach_date": "That lead no longer exists."}
    form = opportunity_form(
        meta=ModalMeta(lead_id=theirs), about="x", owner="U0ALICE", currency="USD"
    )
    reply = bot.interaction(view_submission_payload(form, opportunity_state()))
    assert reply.json()["errors"] == {"name": "That lead no longer exists."}
    assert (count(database, LeadOutreach), count(database, Opportunity)) == (0, 0)
    with database.transaction() as session:
        assert session.get(ChampionLead, theirs).status is LeadStatus.OPEN
    slack.calls.clear()
    payload = block_actions_payload(
        "lead.outreach", LeadValue.write(lead_id=theirs), response_url=slack.response_url("x")
    )
    assert bot.interaction(payload).status == 200
    [notice] = slack.wait_for("views.update")
    assert "That lead no longer exists." in json.dumps(notice.json_param("view"))


def test_create_account_from_a_lead_converts_it_and_offers_the_person_as_first_stakeholder(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.account", LeadValue.write(lead_id=lead_id))
    name = next(b for b in view["blocks"] if b.get("block_id") == "name")
    assert name["element"]["initial_value"] == "Globex"
    slack.calls.clear()
    state = account_values(name="Globex", channel_id=None)
    assert bot.interaction(view_submission_payload(view, state)).body == ""
    offers = slack.wait_for("response_url", count=2)
    offer = next(c for c in offers if "first stakeholder" in json.dumps(c.params["blocks"]))
    button = offer.params["blocks"][0]["accessory"]
    assert (button["action_id"], button["value"]) == ("lead.stakeholder", str(lead_id))
    with database.transaction() as session:
        globex = session.execute(select(Account).where(Account.name == "Globex")).scalar_one()
        lead = session.get(ChampionLead, lead_id)
    assert (lead.status, lead.converted_account_id) == (LeadStatus.CONVERTED, globex.id)
    form = click(bot, slack, "lead.stakeholder", button["value"])
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks["name"]["element"]["initial_value"] == "Dana Lee"
    assert blocks["title"]["element"]["initial_value"] == "COO"
    assert blocks["role"]["element"]["initial_option"]["value"] == "champion"
    assert json.loads(form["private_metadata"])["account_id"] == globex.id
    assert submit(bot, form, stakeholder_values(email="dana@globex.test")).body == ""
    with database.transaction() as session:
        person = session.execute(
            select(Stakeholder).where(Stakeholder.account_id == globex.id)
        ).scalar_one()
    assert (person.name, person.status) == ("Dana Lee", StakeholderStatus.ACTIVE)


def test_an_account_form_naming_another_teams_lead_creates_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = a_lead(database, team_id=OTHER_TEAM)
    before = count(database, Account)
    from commands.ui.views.account import account_form

    view = account_form(meta=ModalMeta(lead_id=theirs, response_url=slack.response_url("f")))
    reply = bot.interaction(view_submission_payload(view, account_values(name="Globex")))
    assert reply.json()["errors"] == {"name": "That lead no longer exists."}
    assert count(database, Account) == before
    with database.transaction() as session:
        assert session.get(ChampionLead, theirs).status is LeadStatus.OPEN


def opportunity_state(**changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "name": {"type": "plain_text_input", "value": "Globex platform"},
        "amount": {"type": "plain_text_input", "value": "48000"},
        "currency": {"type": "static_select", "selected_option": {"value": "EUR"}},
        "close_date": {
            "type": "datepicker",
            "selected_date": (TODAY + timedelta(days=60)).isoformat(),
        },
        "stage": {"type": "static_select", "selected_option": {"value": "discovery"}},
        "lost_reason": {"type": "plain_text_input", "value": None},
        "owner_user_id": {"type": "users_select", "selected_user": "U0ALICE"},
        "next_step": {"type": "plain_text_input", "value": "Intro call with Dana"},
        "next_step_on": {
            "type": "datepicker",
            "selected_date": (TODAY + timedelta(days=7)).isoformat(),
        },
        "trigger_signal": {"type": "plain_text_input", "value": "Champion move"},
        "business_case": {"type": "plain_text_input", "value": None},
    }
    for block, value in changes.items():
        key = next(k for k in state[block] if k != "type")
        state[block] = {**state[block], key: value}
    return state


PAST = (TODAY - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"amount": "-5"}, {"amount": "The amount cannot be negative."}),
        ({"amount": "lots"}, {"amount": "Enter a number, like 120000 or 120000.50."}),
        ({"stage": "closed_lost"}, {"lost_reason": "Say why it was lost."}),
        ({"close_date": PAST}, {"close_date": "An open deal's close date cannot be in the past."}),
        (
            {"currency": "XXX"},
            {
                "currency": "Pick one of "
                + "USD, EUR, GBP, CAD, AUD, NZD, CHF, JPY, SEK, NOK, DKK, INR, SGD, BRL, MXN, ZAR."
            },
        ),
        ({"next_step": None}, {"next_step": "Say what the next step is."}),
        ({"amount": "NaN"}, {"amount": "Enter a number, like 120000 or 120000.50."}),
        ({"amount": "1e400"}, {"amount": "The amount is too large."}),
        # rounds to 1,000,000,000,000.00: over the column's 14 digits once rounded
        ({"amount": "999999999999.995"}, {"amount": "The amount is too large."}),
    ],
)
def test_bad_opportunity_input_is_refused_beside_its_field_and_writes_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database, changes: Any, errors: Any
) -> None:
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.opportunity", LeadValue.write(lead_id=lead_id))
    reply = bot.interaction(view_submission_payload(view, opportunity_state(**changes)))
    assert reply.json()["errors"] == errors
    assert (count(database, Opportunity), count(database, OpportunityChange)) == (0, 0)


def test_a_leads_opportunity_is_a_new_logo_with_its_history_and_edits_are_recorded(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.opportunity", LeadValue.write(lead_id=lead_id))
    assert view["callback_id"] == "opportunity.form" and view["title"]["text"] == "Opportunity"
    trigger = next(b for b in view["blocks"] if b.get("block_id") == "trigger_signal")
    assert trigger["element"]["initial_value"].startswith("Champion move: Dana Lee left Acme")
    assert bot.interaction(view_submission_payload(view, opportunity_state())).body == ""
    with database.transaction() as session:
        [deal] = session.execute(select(Opportunity)).scalars().all()
        history = session.execute(select(OpportunityChange)).scalars().all()
    assert (deal.lead_id, deal.account_id, deal.type, deal.stage) == (
        lead_id,
        None,
        OpportunityType.NEW_LOGO,
        OpportunityStage.DISCOVERY,
    )
    assert (deal.amount, deal.currency, deal.owner_user_id) == (
        Decimal("48000.00"),
        "EUR",
        "U0ALICE",
    )
    assert [h.field for h in history] == ["created"]
    assert json.loads(history[0].new_value)["amount"] == "48000.00"
    shown = text_of(leads_listed(bot, slack))
    assert "Deal: Globex platform · Discovery (20%) · €48k" in shown
    edit = click(bot, slack, "opportunity.edit", OpportunityValue.write(opportunity_id=deal.id))
    lost = opportunity_state(stage="closed_lost", lost_reason="Chose a competitor")
    assert bot.interaction(view_submission_payload(edit, lost)).body == ""
    with database.transaction() as session:
        changed = session.execute(
            select(
                OpportunityChange.field, OpportunityChange.old_value, OpportunityChange.new_value
            )
            .where(OpportunityChange.field != "created")
            .order_by(OpportunityChange.id)
        ).all()
        assert session.get(Opportunity, deal.id).version == 2
    assert changed == [
        ("stage", "discovery", "closed_lost"),
        ("lost_reason", None, "Chose a competitor"),
    ]
    again = {**edit, "hash": "1700000001.def"}  # the same form opened before, submitted anew
    stale = bot.interaction(view_submission_payload(again, opportunity_state()))
    assert "changed by someone else" in stale.json()["errors"]["name"]


def test_an_opportunity_form_naming_an_account_is_refused(
    bot: SlackSender, database: Database
) -> None:
    lead_id = a_lead(database)
    account = make_account(database, "Acme")
    meta = ModalMeta(lead_id=lead_id, account_id=account.id)
    form = opportunity_form(meta=meta, about="x", owner="U0ALICE", currency="USD")
    reply = bot.interaction(view_submission_payload(form, opportunity_state()))
    assert "no longer matches" in reply.json()["errors"]["name"]
    assert count(database, Opportunity) == 0


def values_of(**fields: Any) -> OpportunityValues:
    base: dict[str, Any] = {
        "type": OpportunityType.UPSELL,
        "name": "More seats",
        "amount": Decimal("1000"),
        "currency": "USD",
        "close_date": TODAY + timedelta(days=30),
        "owner_user_id": "U0ALICE",
    }
    return OpportunityValues(**(base | fields))


def test_the_store_keeps_an_opportunitys_people_on_its_own_account(database: Database) -> None:
    acme = make_account(database, "Acme")
    other = make_account(database, "Initech", channel_id="C0INIT")
    ana = add_person(database, acme, "Ana Diaz", Role.CHAMPION)
    stranger = add_person(database, other, "Sam Ortiz", Role.CHAMPION)
    with database.transaction() as session, pytest.raises(OpportunityRefused) as refused:
        create_opportunity(
            session,
            team_id=TEAM_ID,
            values=values_of(stakeholder_ids=(ana, stranger)),
            by_user_id="U0ALICE",
            account_id=acme.id,
        )
    assert refused.value.field == "stakeholders"
    with database.transaction() as session, pytest.raises(OpportunityRefused):
        create_opportunity(  # an account's deal is not a new logo
            session,
            team_id=TEAM_ID,
            values=values_of(type=OpportunityType.NEW_LOGO),
            by_user_id="U0ALICE",
            account_id=acme.id,
        )
    with database.transaction() as session:
        made = create_opportunity(
            session,
            team_id=TEAM_ID,
            values=values_of(stakeholder_ids=(ana,)),
            by_user_id="U0ALICE",
            account_id=acme.id,
        )
    assert count(database, OpportunityStakeholder) == 1 and made.lead_id is None


def test_the_database_holds_an_opportunity_to_exactly_one_account_or_lead(
    database: Database,
) -> None:
    lead_id = a_lead(database)
    acme = make_account(database, "Acme")
    for owners in ({"account_id": acme.id, "lead_id": lead_id}, {}):
        with pytest.raises(IntegrityError), database.transaction() as session:
            session.add(
                Opportunity(
                    team_id=TEAM_ID,
                    type=OpportunityType.UPSELL,
                    name="x",
                    amount=Decimal(1),
                    currency="USD",
                    close_date=TODAY,
                    stage=OpportunityStage.PROSPECT,
                    owner_user_id="U0ALICE",
                    **owners,
                )
            )
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(
            Opportunity(
                team_id=TEAM_ID,
                account_id=acme.id,
                type=OpportunityType.UPSELL,
                name="x",
                amount=Decimal(1),
                currency="USD",
                close_date=TODAY,
                stage=OpportunityStage.CLOSED_LOST,
                owner_user_id="U0ALICE",
            )
        )
    assert count(database, Opportunity) == 0


def test_a_promoted_champion_is_read_set_based_as_an_expansion_input(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    ana = add_person(database, acme, "Ana Diaz", Role.CHAMPION, title="Manager")
    uma = add_person(database, acme, "Uma Reyes", Role.END_USER, title="Analyst")
    for person in (ana, uma):
        view = open_form(bot, slack, "stakeholder.menu", f"promoted:{person}")
        state = {"title": {"type": "plain_text_input", "value": "VP Operations"}}
        assert submit(bot, view, state).body == ""
        slack.calls.clear()
    with database.transaction() as session:
        found = champion_promotions(
            session, team_id=TEAM_ID, account_ids=[acme.id], since=TODAY - timedelta(days=90)
        )
    [promotion] = found[acme.id]
    assert (promotion.name, promotion.old_title, promotion.new_title, promotion.on) == (
        "Ana Diaz",
        "Manager",
        "VP Operations",
        TODAY,
    )


def leads_statements(bot: SlackSender, slack: FakeSlack, database: Database, token: str) -> int:
    """Statements the app sends for `/account leads`, answer received."""
    with count_statements(database.engine) as counted:
        reply = bot.command("leads", response_url=slack.response_url(token))
        assert reply.status == 200
        slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return counted.queries


def test_account_leads_reads_in_the_same_statements_whatever_the_number_of_leads(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            lead_id = a_lead(database, company=f"Company {n}", at=f"Account {n}")
            with database.transaction() as session:
                create_opportunity(
                    session,
                    team_id=TEAM_ID,
                    values=values_of(type=OpportunityType.NEW_LOGO, name=f"Deal {n}"),
                    by_user_id="U0ALICE",
                    lead_id=lead_id,
                )

    grow(0, 1)
    few = leads_statements(bot, slack, database, "few")
    grow(1, 6)
    many = leads_statements(bot, slack, database, "many")
    assert many == few


def test_create_account_twice_from_one_lead_two_tabs_makes_one_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Two tabs opened *Create account*; the first saved converts the lead. The second, renamed
    so no name collides, must not make a second account nor move the lead onto it."""
    lead_id = a_lead(database)
    first = click(bot, slack, "lead.account", LeadValue.write(lead_id=lead_id))
    second = click(bot, slack, "lead.account", LeadValue.write(lead_id=lead_id))
    state = account_values(name="Globex", channel_id=None)
    assert bot.interaction(view_submission_payload(first, state)).body == ""
    before = count(database, Account)
    again = account_values(name="Globex Holdings", channel_id=None)
    reply = bot.interaction(view_submission_payload(second, again))
    assert reply.json()["errors"] == {"name": "An account was made from this lead already: Globex."}
    assert count(database, Account) == before
    with database.transaction() as session:
        globex = session.execute(select(Account.id).where(Account.name == "Globex")).scalar_one()
        assert session.get(ChampionLead, lead_id).converted_account_id == globex


def test_an_outreach_blank_huge_or_sent_twice_is_refused_or_written_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.outreach", LeadValue.write(lead_id=lead_id))
    today = TODAY.isoformat()
    for n, note in enumerate(["   ", None, "x" * 5000]):
        reply = bot.interaction(
            view_submission_payload({**view, "hash": f"h{n}"}, outreach_state(today, note))  # type: ignore[arg-type]  # None: the field left empty
        )
        assert list(reply.json()["errors"]) == ["outreach_note"], note
    old = (TODAY - timedelta(days=3700)).isoformat()
    reply = bot.interaction(view_submission_payload({**view, "hash": "old"}, outreach_state(old)))
    assert list(reply.json()["errors"]) == ["outreach_date"]
    assert count(database, LeadOutreach) == 0
    twice = view_submission_payload({**view, "hash": "once"}, outreach_state(today))
    assert bot.interaction(twice).body == "" and bot.interaction(twice).body == ""
    assert count(database, LeadOutreach) == 1


def test_create_account_for_a_company_made_an_account_meanwhile_is_refused_by_its_name(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The form opened; meanwhile someone made GLOBEX typed in full-width letters (the same
    name key): the save is refused beside the name, no second account, the lead still open."""
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.account", LeadValue.write(lead_id=lead_id))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "GLOBEX")  # what CJK keyboards type
    make_account(database, full_width, channel_id="C0GLOBEX")
    before = count(database, Account)
    reply = bot.interaction(
        view_submission_payload(view, account_values(name="Globex", channel_id=None))
    )
    assert list(reply.json()["errors"]) == ["name"]
    assert count(database, Account) == before
    with database.transaction() as session:
        assert session.get(ChampionLead, lead_id).status is LeadStatus.OPEN


def test_a_leads_deal_edited_after_the_lead_became_an_account_saves_on_the_lead(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A deal's form open on a lead; the lead is converted (Create account) meanwhile: the edit
    saves (the deal stays the lead's new logo until the deals work moves it) and its version
    moves, so the form submitted again is refused as changed."""
    lead_id = a_lead(database)
    view = click(bot, slack, "lead.opportunity", LeadValue.write(lead_id=lead_id))
    assert bot.interaction(view_submission_payload(view, opportunity_state())).body == ""
    with database.transaction() as session:
        deal_id = session.execute(select(Opportunity.id)).scalar_one()
    edit = click(bot, slack, "opportunity.edit", OpportunityValue.write(opportunity_id=deal_id))
    made = click(bot, slack, "lead.account", LeadValue.write(lead_id=lead_id))
    made_state = account_values(name="Globex", channel_id=None)
    assert bot.interaction(view_submission_payload(made, made_state)).body == ""
    moved = opportunity_state(stage="proposal")
    assert bot.interaction(view_submission_payload(edit, moved)).body == ""
    with database.transaction() as session:
        deal = session.get(Opportunity, deal_id)
        assert (deal.stage, deal.lead_id, deal.version) == (OpportunityStage.PROPOSAL, lead_id, 2)
    again = view_submission_payload(
        {**edit, "hash": "again"}, opportunity_state(stage="evaluation")
    )
    assert "changed by someone else" in bot.interaction(again).json()["errors"]["name"]
