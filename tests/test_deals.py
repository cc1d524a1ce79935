"""An account's deals as Slack drives them: "Add deal" on the card (bad input refused inline,
nothing written), the card's open deals, `/account Acme deals`, *Move stage* (the exit criteria
of the stages passed, an unticked one only with a reason, kept in the history; forward through
Edit refused), *MEDDIC / score* (someone of another account refused; the reading and flags),
crafted ids refused, and statements that do not grow with the deals."""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.stats import count_statements
from commands.ui.values import AccountValue, DealStageValue, DealValue
from store.db import Database
from store.deals import Scorecard, deal_flags, move_stage
from store.enums import ExitCriterion, OpportunityStage, OpportunityType, Role
from store.errors import StoreError
from store.models import Account, Opportunity, OpportunityChange
from store.opportunities import OpportunityValues, create_opportunity
from tests.conftest import POSTGRES_URL
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_champion_leads import opportunity_state

TODAY = app_today()
ASKED = itertools.count()


def words(call: Any) -> str:
    return json.dumps(call.params.get("blocks"), ensure_ascii=False)


def ask(bot: SlackSender, slack: FakeSlack, text: str, looking_for: str) -> str:
    """`/account <text>` on a response URL of its own; its answer's blocks as text."""
    token = f"deals{next(ASKED)}"
    assert bot.command(text, response_url=slack.response_url(token)).status == 200
    [answer] = slack.wait_for(
        "response_url",
        where=lambda c: c.path == f"/response/{token}" and looking_for in words(c),
    )
    return words(answer)


def click(bot: SlackSender, slack: FakeSlack, action: str, value: str) -> dict[str, Any]:
    """A button on `/account Acme deals` (or the card): the modal it opened."""
    slack.calls.clear()
    payload = block_actions_payload(action, value, response_url=slack.response_url("list"))
    assert bot.interaction(payload).status == 200
    return slack.opened_view()


def pick_stage(
    bot: SlackSender, slack: FakeSlack, account: Account, deal_id: int, stage: str
) -> dict[str, Any]:
    """A stage picked in a deal's menu (a static select on the message): the Move stage form."""
    slack.calls.clear()
    value = DealStageValue.write(account_id=account.id, opportunity_id=deal_id, stage=stage)
    payload = block_actions_payload("deal.stage", "", response_url=slack.response_url("list"))
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": "deal.stage",
            "block_id": "s1",
            "selected_option": {"text": {"type": "plain_text", "text": "Move"}, "value": value},
            "action_ts": "1700000000.000200",
        }
    ]
    assert bot.interaction(payload).status == 200
    return slack.opened_view()


def submit(bot: SlackSender, view: dict[str, Any], state: dict[str, Any], n: int = 0) -> Any:
    """The form submitted (each submission its own view hash, as Slack gives an edited view)."""
    return bot.interaction(view_submission_payload({**view, "hash": f"1700000000.{n}"}, state))


def deal(database: Database, account: Account, stage: OpportunityStage, name: str = "Seats") -> int:
    with database.transaction() as session:
        made = create_opportunity(
            session,
            team_id=TEAM_ID,
            values=OpportunityValues(
                type=OpportunityType.UPSELL,
                name=name,
                amount=Decimal("48000"),
                currency="USD",
                close_date=TODAY + timedelta(days=60),
                stage=stage,
                owner_user_id="U0ALICE",
                next_step="Call Bo",
            ),
            by_user_id="U0ALICE",
            account_id=account.id,
        )
        session.flush()
        return made.id  # type: ignore[return-value]


def stored(database: Database, deal_id: int) -> Opportunity:
    with database.transaction() as session:
        found = session.get(Opportunity, deal_id)
        assert found is not None
        return found


def history(database: Database, deal_id: int) -> list[tuple[str, str | None]]:
    with database.transaction() as session:
        rows = session.execute(
            select(OpportunityChange.field, OpportunityChange.new_value)
            .where(OpportunityChange.opportunity_id == deal_id)
            .order_by(OpportunityChange.id)
        ).all()
    return [(field, new) for field, new in rows]


def count_deals(database: Database) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(Opportunity)).scalar_one()


def checked(*values: str) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def chosen(value: str | None) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value} if value else None}


def test_add_deal_on_the_card_refuses_bad_input_inline_then_the_card_lists_it_flagged(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    card = ask(bot, slack, "Acme", "Record usage")
    assert '"action_id": "deal.add"' in card and "No open deals" in card
    view = click(bot, slack, "deal.add", AccountValue.write(account_id=account.id))
    assert view["callback_id"] == "deal.form"
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert [o["value"] for o in by_id["type"]["element"]["options"]] == [
        "upsell",
        "cross_sell",
        "renewal",
    ]
    assert "closed_won" not in json.dumps(by_id["stage"])  # closing is not added from here
    state = opportunity_state(currency="USD", stage="proposal", name="Acme: <!channel> seats")
    state["type"] = chosen("cross_sell")
    past = (TODAY - timedelta(days=1)).isoformat()
    for n, (changes, errors) in enumerate(
        [
            ({"amount": text("-5")}, {"amount": "The amount cannot be negative."}),
            (
                {"close_date": {"type": "datepicker", "selected_date": past}},
                {"close_date": "An open deal's close date cannot be in the past."},
            ),
            ({"type": chosen("new_logo")}, None),
        ]
    ):
        reply = submit(bot, view, {**state, **changes}, n)
        if errors is not None:
            assert reply.json()["errors"] == errors
        else:  # a new logo belongs to a lead
            assert "A new logo belongs to a lead" in reply.json()["errors"]["type"]
    assert count_deals(database) == 0
    assert submit(bot, view, state, 9).body == ""
    with database.transaction() as session:
        [made] = session.execute(select(Opportunity)).scalars().all()
    assert (made.account_id, made.type, made.stage) == (
        account.id,
        OpportunityType.CROSS_SELL,
        OpportunityStage.PROPOSAL,
    )
    card = ask(bot, slack, "Acme", "Record usage")
    for said in (
        "Open deals (1)",
        "Acme: &lt;!channel&gt; seats",
        "Proposal (60%)",
        "$48k",
        "closes ",
        "next: Intro call with Dana by ",
        "score not scored",
        ":triangular_flag_on_post: not scored, no economic buyer, no champion",
    ):
        assert said in card, said
    assert "<!channel>" not in card


def test_moving_forward_asks_the_criteria_passed_and_a_reason_for_each_unmet_one(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    deal_id = deal(database, account, OpportunityStage.PROSPECT)
    listed = ask(bot, slack, "Acme deals", "Deals: Acme")
    for said in ("Seats", "Prospect (10%)", "deal.edit", "deal.stage", "deal.qualify", "deal.add"):
        assert said in listed, said
    view = pick_stage(bot, slack, account, deal_id, "proposal")
    assert view["callback_id"] == "deal.stage_form"
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    asked = [o["value"] for o in by_id["criteria"]["element"]["options"]]
    assert asked == ["meeting_scheduled", "qualified", "demo_delivered", "budget_approved"]
    # one criterion unticked and no reason: refused beside the reason, nothing written
    state = {
        "criteria": checked("meeting_scheduled", "qualified", "demo_delivered"),
        "reason": text(None),
    }
    reply = submit(bot, view, state, 1)
    assert "budget approved" in reply.json()["errors"]["reason"]
    # nothing ticked, nothing said: refused too
    reply = submit(bot, view, {"criteria": checked(), "reason": text("  ")}, 2)
    assert (
        "meeting scheduled, qualified, demo delivered, budget approved"
        in (reply.json()["errors"]["reason"])
    )
    assert stored(database, deal_id).stage is OpportunityStage.PROSPECT
    assert [field for field, _ in history(database, deal_id)] == ["created"]
    slack.calls.clear()
    state["reason"] = text("CFO signs the budget next week")
    assert submit(bot, view, state, 3).body == ""
    assert stored(database, deal_id).stage is OpportunityStage.PROPOSAL
    *_, (stage_field, stage_to), (field, moved) = history(database, deal_id)
    assert (stage_field, stage_to, field) == ("stage", "proposal", "exit_criteria")
    assert json.loads(moved or "") == {
        "from": "prospect",
        "to": "proposal",
        "met": ["meeting_scheduled", "qualified", "demo_delivered"],
        "unmet": ["budget_approved"],
        "reason": "CFO signs the budget next week",
    }
    [redrawn] = slack.wait_for("response_url", where=lambda c: "Deals: Acme" in words(c))
    assert redrawn.params["replace_original"] is True
    assert "Proposal (60%)" in words(redrawn)
    # the same form again (opened on the old version): refused, nothing moved twice
    reply = submit(bot, view, state, 4)
    assert "errors" in reply.json()
    # back a stage: no criteria to meet
    back = pick_stage(bot, slack, account, deal_id, "discovery")
    assert "criteria" not in {b.get("block_id") for b in back["blocks"]}
    assert submit(bot, back, {"reason": text(None)}, 5).body == ""
    assert stored(database, deal_id).stage is OpportunityStage.DISCOVERY


def test_every_criterion_ticked_moves_without_a_reason_and_edit_never_moves_forward(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    deal_id = deal(database, account, OpportunityStage.DISCOVERY)
    view = pick_stage(bot, slack, account, deal_id, "evaluation")
    assert submit(bot, view, {"criteria": checked("qualified")}, 1).body == ""
    assert history(database, deal_id)[-1][1] == json.dumps(
        {"from": "discovery", "to": "evaluation", "met": ["qualified"], "unmet": [], "reason": None}
    )
    edit = click(
        bot, slack, "deal.edit", DealValue.write(account_id=account.id, opportunity_id=deal_id)
    )
    assert edit["callback_id"] == "deal.form"
    state = opportunity_state(currency="USD", stage="negotiation")
    state["type"] = chosen("upsell")
    reply = submit(bot, edit, state, 2)
    assert "Move stage" in reply.json()["errors"]["stage"]
    assert stored(database, deal_id).stage is OpportunityStage.EVALUATION
    state = opportunity_state(currency="USD", stage="closed_won")  # crafted: not offered
    state["type"] = chosen("upsell")
    assert "stage" in submit(bot, edit, state, 3).json()["errors"]
    state = opportunity_state(currency="USD", stage="prospect", amount="52000")
    state["type"] = chosen("upsell")
    assert submit(bot, edit, state, 4).body == ""
    saved = stored(database, deal_id)
    assert (saved.stage, saved.amount) == (OpportunityStage.PROSPECT, Decimal("52000.00"))
    lost = opportunity_state(currency="USD", stage="closed_lost", lost_reason="No budget")
    lost["type"] = chosen("upsell")
    edit = click(
        bot, slack, "deal.edit", DealValue.write(account_id=account.id, opportunity_id=deal_id)
    )
    assert submit(bot, edit, lost, 5).body == ""  # lost, with its reason
    edit = click(
        bot, slack, "deal.edit", DealValue.write(account_id=account.id, opportunity_id=deal_id)
    )
    state = opportunity_state(currency="USD", stage="negotiation")  # reopened past every stage
    state["type"] = chosen("upsell")
    assert "is closed" in submit(bot, edit, state, 6).json()["errors"]["stage"]
    assert stored(database, deal_id).stage is OpportunityStage.CLOSED_LOST


def test_meddic_links_the_map_refuses_another_accounts_person_and_reads_the_score(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    ana = add_person(database, account, "Ana Diaz", Role.CHAMPION)
    bo = add_person(database, account, "Bo Li", Role.ECONOMIC_BUYER)
    globex = make_account(database, "Globex", channel_id="C0GLOBEX")
    theirs = add_person(database, globex, "Gus Grey", Role.CHAMPION)
    deal_id = deal(database, account, OpportunityStage.PROPOSAL)
    value = DealValue.write(account_id=account.id, opportunity_id=deal_id)
    view = click(bot, slack, "deal.qualify", value)
    assert view["callback_id"] == "deal.qualify_form"
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["economic_buyer_id"]["element"]["initial_option"]["value"] == str(bo)
    assert by_id["champion_id"]["element"]["initial_option"]["value"] == str(ana)
    assert "Gus Grey" not in json.dumps(view)
    state = {
        "metrics": text("Cut onboarding from 6 weeks to 2"),
        "economic_buyer_id": chosen(str(bo)),
        "decision_criteria": text(None),
        "decision_process": text(None),
        "identified_pain": text("Churned trainees"),
        "champion_id": chosen(str(theirs)),
        "score_budget": chosen("5"),
        "score_authority": chosen("4"),
        "score_need": chosen("4"),
        "score_timeline": chosen("4"),
        "score_champion": chosen("3"),
        "score_competition": chosen("2"),
    }
    reply = submit(bot, view, state, 1)
    assert reply.json()["errors"] == {
        "champion_id": "Pick someone on this account's map: this person is not."
    }
    assert [field for field, _ in history(database, deal_id)] == ["created"]
    assert "errors" in submit(bot, view, {**state, "score_need": chosen("7")}, 2).json()
    slack.calls.clear()
    assert submit(bot, view, {**state, "champion_id": chosen(str(ana))}, 3).body == ""
    [listed] = slack.wait_for("response_url", where=lambda c: "Deals: Acme" in words(c))
    shown = words(listed)
    assert "score 22/30 (work on the weak areas)" in shown
    assert "MEDDIC: economic buyer Bo Li, champion Ana Diaz" in shown
    assert "gaps: decision criteria, decision process" in shown
    assert ":triangular_flag_on_post:" not in shown  # qualified enough at proposal
    saved = stored(database, deal_id)
    assert (saved.economic_buyer_id, saved.champion_id, saved.score_budget) == (bo, ana, 5)
    fields = [field for field, _ in history(database, deal_id)]
    assert "champion_id" in fields and "score_competition" in fields
    # a weaker score and no champion: flagged at proposal
    again = click(bot, slack, "deal.qualify", value)
    weaker = {**state, "champion_id": chosen(None), "score_budget": chosen("1")}
    weaker |= {"score_authority": chosen("1"), "score_need": chosen("2")}
    assert submit(bot, again, weaker, 4).body == ""
    flagged = ask(bot, slack, "Acme deals", "Deals: Acme")
    assert ":triangular_flag_on_post: score 13/30, no champion" in flagged
    assert "score 13/30 (needs qualification)" in flagged


@pytest.mark.parametrize(
    ("total", "reading"),
    [
        (30, "strong"),
        (25, "strong"),
        (24, "work on the weak areas"),
        (18, "work on the weak areas"),
        (17, "needs qualification"),
        (6, "needs qualification"),
    ],
)
def test_the_scorecard_reads_its_total_by_the_practices_bands(total: int, reading: str) -> None:
    assert Scorecard(total=total, scored=6).reading == reading
    assert Scorecard(total=total, scored=6).words() == f"{total}/30 ({reading})"


def test_only_late_deals_are_flagged(database: Database) -> None:
    account = make_account(database)
    early = stored(database, deal(database, account, OpportunityStage.EVALUATION))
    late = stored(database, deal(database, account, OpportunityStage.NEGOTIATION, "Late"))
    assert deal_flags(early) == []
    assert deal_flags(late) == ["not scored", "no economic buyer", "no champion"]


def test_a_value_naming_another_accounts_deal_finds_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database)
    globex = make_account(database, "Globex", channel_id="C0GLOBEX")
    theirs = deal(database, globex, OpportunityStage.PROSPECT)
    for action in ("deal.edit", "deal.qualify"):
        slack.calls.clear()
        value = DealValue.write(account_id=acme.id, opportunity_id=theirs)
        payload = block_actions_payload(action, value, response_url=slack.response_url("x"))
        assert bot.interaction(payload).status == 200
        slack.wait_for("views.update", where=lambda c: "no longer exists" in json.dumps(c.params))
    assert stored(database, theirs).version == 1


def statements(bot: SlackSender, slack: FakeSlack, database: Database, text: str, mark: str) -> int:
    with count_statements(database.engine) as counted:
        ask(bot, slack, text, mark)
    return counted.queries


def test_the_card_and_the_deals_list_read_a_fixed_number_of_statements(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    add_person(database, account, "Ana Diaz", Role.CHAMPION)
    deal(database, account, OpportunityStage.PROPOSAL)
    few = statements(bot, slack, database, "Acme", "Open deals (1)")
    few_listed = statements(bot, slack, database, "Acme deals", "Deals: Acme")
    for n in range(7):
        deal(database, account, OpportunityStage.DISCOVERY, f"Deal {n}")
    assert statements(bot, slack, database, "Acme", "Open deals (8)") == few
    assert statements(bot, slack, database, "Acme deals", "Deals: Acme") == few_listed
    assert "3 more deals on *Deals*" in ask(bot, slack, "Acme", "Open deals (8)")


def test_a_card_shared_in_the_channel_keeps_the_deals_off_and_deals_opens_the_list(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    deal(database, account, OpportunityStage.PROPOSAL, "Confidential upsell")
    payload = block_actions_payload(
        "account.share", str(account.id), response_url=slack.response_url("share")
    )
    assert bot.interaction(payload).status == 200
    [shared] = slack.wait_for("response_url", where=lambda c: "shared by" in words(c))
    assert shared.params["response_type"] == "in_channel"
    assert "Confidential upsell" not in words(shared) and "Open deals" not in words(shared)
    slack.calls.clear()
    value = AccountValue.write(account_id=account.id)
    payload = block_actions_payload("account.deals", value, response_url=slack.response_url("d"))
    assert bot.interaction(payload).status == 200
    [listed] = slack.wait_for("response_url", where=lambda c: "Deals: Acme" in words(c))
    assert "Confidential upsell" in words(listed)
    assert listed.params["replace_original"] is False  # below the card, which stays


@pytest.mark.skipif(not POSTGRES_URL, reason="a row lock is PostgreSQL's (SQLite has one writer)")
def test_two_moves_of_one_deal_at_once_write_one_and_refuse_the_other(database: Database) -> None:
    """Two people move the same deal from the same form version at the same moment: the second
    waits for the first's lock and is refused on the version; one move in the history."""
    account = make_account(database)
    deal_id = deal(database, account, OpportunityStage.PROSPECT)
    first_moved = threading.Event()
    outcomes: list[str] = []

    def move(to: OpportunityStage, *, first: bool) -> None:
        if not first:
            assert first_moved.wait(timeout=30)
        try:
            with database.transaction() as session:
                move_stage(
                    session,
                    team_id=TEAM_ID,
                    account_id=account.id,
                    opportunity_id=deal_id,
                    to=to,
                    met=frozenset({ExitCriterion.MEETING_SCHEDULED}),
                    reason=None,
                    by_user_id="U0ALICE" if first else "U0BOB",
                    expected_version=1,
                    reason_field="reason",
                )
                session.flush()  # the first holds the row, and takes its time to commit
                if first:
                    first_moved.set()
                    time.sleep(0.5)
            outcomes.append(f"moved to {to.value}")
        except StoreError as refused:
            outcomes.append(f"refused: {refused.message}")

    threads = [
        threading.Thread(target=move, args=(OpportunityStage.DISCOVERY,), kwargs={"first": True}),
        threading.Thread(target=move, args=(OpportunityStage.DISCOVERY,), kwargs={"first": False}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes[0] == "moved to discovery"
    assert outcomes[1].startswith("refused: ") and "changed by someone else" in outcomes[1]
    assert [f for f, _ in history(database, deal_id)].count("stage") == 1
    assert stored(database, deal_id).version == 2


def test_editing_a_deal_from_a_hypothesis_keeps_its_link(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database)
    with database.transaction() as session:
        made = create_opportunity(
            session,
            team_id=TEAM_ID,
            values=OpportunityValues(
                type=OpportunityType.UPSELL,
                name="Seats",
                amount=Decimal("3600"),
                currency="USD",
                close_date=TODAY + timedelta(days=60),
                owner_user_id="U0ALICE",
                hypothesis_kind="seats",
                hypothesis_key="seats",
            ),
            by_user_id="U0ALICE",
            account_id=account.id,
        )
        session.flush()
        deal_id = made.id
    edit = click(
        bot, slack, "deal.edit", DealValue.write(account_id=account.id, opportunity_id=deal_id)
    )
    state = opportunity_state(currency="USD", stage="prospect", amount="4000")
    state["type"] = chosen("upsell")
    assert submit(bot, edit, state).body == ""
    saved = stored(database, deal_id)
    assert (saved.amount, saved.hypothesis_kind, saved.hypothesis_key) == (
        Decimal("4000.00"),
        "seats",
        "seats",
    )
