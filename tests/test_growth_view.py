"""The account's growth view as Slack drives it: `/account Acme grow` and the card's "Growth",
by band; "Turn into opportunity" (the account's deal, linked, the hypothesis converted) and
"Dismiss" (a reason required; back only past the threshold); crafted ids refused."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bench.stats import count_statements
from commands.ui.values import AccountValue, HypothesisValue, ModalMeta
from commands.ui.views.growth import dismiss_form
from store.db import Database
from store.departments import list_departments
from store.enums import Band, EventKind, HypothesisStatus, OpportunityType
from store.events import log_event
from store.expansion import HypothesisKind
from store.growth import NO_DEPARTMENT_USAGE, growth_inputs, refresh_hypotheses
from store.models import Account, ExpansionHypothesis, Opportunity
from store.overrides import set_band_override
from store.usage import Reading, record_readings
from tests.factories import app_today
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload
from tests.test_champion_leads import opportunity_state
from tests.test_growth_facts import catalogue, grown


def growth_view(bot: SlackSender, slack: FakeSlack, text: str = "Acme grow") -> str:
    """Ask for the view on a response URL of its own: an answer of an earlier click (a
    redraw after a dismissal) can still be arriving, and is not this one."""
    token = f"grow{next(ASKED)}"
    assert bot.command(text, response_url=slack.response_url(token)).status == 200
    [answer] = slack.wait_for(
        "response_url", where=lambda c: c.path == f"/response/{token}" and is_growth(c)
    )
    return json.dumps(answer.params["blocks"], ensure_ascii=False)


ASKED = itertools.count()


def is_growth(call: Any) -> bool:
    return "Growth: " in json.dumps(call.params.get("blocks"))


def hypothesis(database: Database, kind: str = "seats") -> ExpansionHypothesis:
    with database.transaction() as session:
        return session.execute(
            select(ExpansionHypothesis).where(ExpansionHypothesis.kind == kind)
        ).scalar_one()


def click(bot: SlackSender, slack: FakeSlack, action: str, value: str) -> Any:
    slack.calls.clear()
    payload = block_actions_payload(action, value, response_url=slack.response_url("grow"))
    assert bot.interaction(payload).status == 200
    return payload


def override(database: Database, account: Account, band: Band) -> None:
    with database.transaction() as session:
        set_band_override(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            band=band,
            reason="Exec escalation",
            expires_on=app_today() + timedelta(days=10),
            by_user_id="U0ALICE",
            today=app_today(),
        )


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_green_accounts_view_ranks_hypotheses_read_whole_and_the_card_opens_it(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    account = grown(database)
    shown = growth_view(bot, slack)
    for words in (
        "Growth: Acme",
        "More seats",
        "95 of 100 seats active",
        "*Context:*",
        "*Timing:*",
        "*Who cares:* Ana Diaz (champion)",
        "$3.6k ARR (per-seat price x seats needed",
        "*Score:* 18 of 27 = evidence 3 (strong) x revenue 2 ($3.6k) x timing 3 (pressing)",
        "*Angle:*",
        "Turn into opportunity",
        "*Whitespace*",
        "SSO",
        "Coverage: Finance: none · Sales: none, uses product",
    ):
        assert words in shown, words
    assert count(database, ExpansionHypothesis) > 0  # viewing refreshed the stored ones
    slack.calls.clear()
    assert bot.command("Acme").status == 200
    [card] = slack.wait_for("response_url", where=lambda c: "Record usage" in json.dumps(c.params))
    assert '"action_id": "account.growth"' in json.dumps(card.params["blocks"])
    click(bot, slack, "account.growth", AccountValue.write(account_id=account.id))
    [answer] = slack.wait_for("response_url", where=is_growth)
    assert "More seats" in json.dumps(answer.params["blocks"])


def test_a_yellow_account_shows_observations_only_and_a_red_one_save_it_first(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    account = grown(database)
    override(database, account, Band.YELLOW)
    shown = growth_view(bot, slack)
    assert "Stabilise it first" in shown and "observation" in shown
    assert "Turn into opportunity" not in shown and "Dismiss" in shown
    override(database, account, Band.RED)
    shown = growth_view(bot, slack)
    assert "Save it first" in shown
    assert "*Evidence:*" not in shown and "Dismiss" not in shown
    assert "held: no prices until it is stable" in shown and "• SSO" in shown
    assert "$4" not in shown  # SSO's flat price, not shown on a red account


def test_turning_a_hypothesis_into_an_opportunity_writes_it_on_the_account_linked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    account = grown(database)
    growth_view(bot, slack)
    seats = hypothesis(database)
    view = convert_form(bot, slack, account, seats.id)
    assert view["callback_id"] == "opportunity.account_form"
    by_id = {b.get("block_id"): b for b in view["blocks"]}
    assert by_id["amount"]["element"]["initial_value"] == "3600.00"
    assert by_id["name"]["element"]["initial_value"] == "Acme upsell: more seats"
    assert by_id["trigger_signal"]["element"]["initial_value"].startswith("95 of 100 seats")
    [ana] = by_id["stakeholders"]["element"]["initial_options"]
    assert ana["text"]["text"] == "Ana Diaz"
    state = opportunity_state(
        currency="USD",
        trigger_signal=seats.evidence,
        next_step=None,
        next_step_on=None,
    )
    state["stakeholders"] = {"type": "multi_static_select", "selected_options": [ana]}
    assert bot.interaction(view_submission_payload(view, state)).body == ""
    with database.transaction() as session:
        [deal] = session.execute(select(Opportunity)).scalars().all()
        row = session.get(ExpansionHypothesis, seats.id)
        assert row is not None and row.status is HypothesisStatus.CONVERTED
    assert (deal.account_id, deal.lead_id, deal.type) == (account.id, None, OpportunityType.UPSELL)
    assert (deal.hypothesis_kind, deal.hypothesis_key) == ("seats", "seats")
    assert deal.amount == Decimal("48000.00")
    again = {**view, "hash": "1700000001.def"}  # the same form, submitted anew
    reply = bot.interaction(view_submission_payload(again, state))
    assert "already an opportunity" in reply.json()["errors"]["name"]
    assert count(database, Opportunity) == 1
    shown = growth_view(bot, slack)
    assert "turned into an opportunity" in shown


def test_crafted_ids_and_an_account_turned_red_write_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    acme = grown(database)
    globex = grown(database, "Globex")
    growth_view(bot, slack)
    growth_view(bot, slack, "Globex grow")
    with database.transaction() as session:
        theirs = session.execute(
            select(ExpansionHypothesis).where(
                ExpansionHypothesis.account_id == globex.id, ExpansionHypothesis.kind == "seats"
            )
        ).scalar_one()
    # a button naming Acme with Globex's hypothesis: the need is checked on Acme, the store
    # finds the hypothesis in Acme only
    click(
        bot,
        slack,
        "hypothesis.convert",
        HypothesisValue.write(account_id=acme.id, hypothesis_id=theirs.id),
    )
    slack.wait_for("views.update", where=lambda c: "no longer exists" in json.dumps(c.params))
    crafted = dismiss_form(
        meta=ModalMeta(account_id=acme.id, hypothesis_id=theirs.id),
        evidence="x",
        observation=False,
        kind=HypothesisKind.SEATS,
    )
    reply = bot.interaction(
        view_submission_payload(crafted, {"reason": {"type": "plain_text_input", "value": "No"}})
    )
    assert "no longer exists" in reply.json()["errors"]["reason"]
    ours = hypothesis_of(database, acme.id)
    assert ours is not None
    view = convert_form(bot, slack, acme, ours.id)
    override(database, acme, Band.RED)  # turned red after the form opened
    state = opportunity_state(currency="USD", next_step=None, next_step_on=None)
    reply = bot.interaction(view_submission_payload(view, state))
    assert "save it first" in reply.json()["errors"]["name"]
    assert count(database, Opportunity) == 0
    with database.transaction() as session:
        statuses = set(session.execute(select(ExpansionHypothesis.status)).scalars())
    assert statuses == {HypothesisStatus.OPEN}


def hypothesis_of(database: Database, account_id: int) -> ExpansionHypothesis | None:
    with database.transaction() as session:
        return session.execute(
            select(ExpansionHypothesis).where(
                ExpansionHypothesis.account_id == account_id, ExpansionHypothesis.kind == "seats"
            )
        ).scalar_one_or_none()


def set_seats(database: Database, account: Account, active: int) -> None:
    with database.transaction() as session:
        session.execute(update(Account).where(Account.id == account.id).values(seats_active=active))


def dismiss(
    bot: SlackSender, slack: FakeSlack, account: Account, row_id: int, reason: str | None
) -> Any:
    click(
        bot,
        slack,
        "hypothesis.dismiss",
        HypothesisValue.write(account_id=account.id, hypothesis_id=row_id),
    )
    view = slack.opened_view()
    assert view["callback_id"] == "hypothesis.dismiss_form"
    return bot.interaction(
        view_submission_payload(view, {"reason": {"type": "plain_text_input", "value": reason}})
    )


def test_a_dismissal_needs_a_reason_and_comes_back_only_past_the_threshold(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    account = grown(database, seats_active=84)
    growth_view(bot, slack)
    seats = hypothesis(database)
    reply = dismiss(bot, slack, account, seats.id, None)
    assert reply.json()["errors"] == {"reason": "Say why you dismiss it: the team reads it later."}
    assert hypothesis(database).status is HypothesisStatus.OPEN
    assert dismiss(bot, slack, account, seats.id, "Budget frozen <until> Q3").body == ""
    row = hypothesis(database)
    assert (row.status, row.dismissed_reason, row.dismissed_measure) == (
        HypothesisStatus.DISMISSED,
        "Budget frozen <until> Q3",
        84,
    )
    assert row.dismissed_by_user_id == "U0ALICE" and row.dismissed_at is not None
    set_seats(database, account, 88)  # four points up: under the threshold
    shown = growth_view(bot, slack)
    assert hypothesis(database).status is HypothesisStatus.DISMISSED
    assert "*Dismissed*" in shown and "Budget frozen &lt;until&gt; Q3" in shown
    assert "More seats*" not in shown  # listed as dismissed, not drawn with its buttons
    set_seats(database, account, 91)  # seven points up: back
    shown = growth_view(bot, slack)
    assert hypothesis(database).status is HypothesisStatus.OPEN
    assert "back: seat use up from 84% to 91%" in shown
    assert "More seats*" in shown and "*Dismissed*" not in shown


def test_returns_from_dismissal_cost_the_same_statements_whatever_the_accounts(
    database: Database,
) -> None:
    """Every account's seat signal dismissed at 80% and back at 95%: one statement opens them
    all, so the refresh's count does not grow with the accounts that come back."""
    catalogue(database)

    def refreshed(names: list[str]) -> int:
        for name in names:
            grown(database, name)
        today = app_today()
        with database.transaction() as session:
            refresh_hypotheses(
                session,
                team_id=TEAM_ID,
                inputs=growth_inputs(session, team_id=TEAM_ID, today=today),
                today=today,
            )
            session.execute(
                update(ExpansionHypothesis)
                .where(ExpansionHypothesis.kind == "seats")
                .values(status=HypothesisStatus.DISMISSED, dismissed_measure=80)
            )
        with count_statements(database.engine) as count, database.transaction() as session:
            inputs = growth_inputs(session, team_id=TEAM_ID, today=today)
            refresh_hypotheses(session, team_id=TEAM_ID, inputs=inputs, today=today)
        with database.transaction() as session:
            statuses = set(
                session.execute(
                    select(ExpansionHypothesis.status).where(ExpansionHypothesis.kind == "seats")
                ).scalars()
            )
        assert statuses == {HypothesisStatus.OPEN}
        return count.queries

    few = refreshed(["Acme", "Globex"])
    assert refreshed(["Initech", "Umbrella", "Hooli", "Stark"]) == few


def test_a_private_channel_accounts_growth_view_shows_only_to_its_members(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.channels["C0SECRET"] = {"is_private": True, "members": ["U0ALICE"]}
    catalogue(database)
    secret = grown(database, "Secret Deal")
    with database.transaction() as session:
        session.execute(
            update(Account).where(Account.id == secret.id).values(channel_id="C0SECRET")
        )
    stranger = "U0MALLORY"
    bot.command("Secret Deal grow", user_id=stranger, response_url=slack.response_url(stranger))
    click_as = block_actions_payload(
        "account.growth",
        AccountValue.write(account_id=secret.id),
        user_id=stranger,
        response_url=slack.response_url(stranger),
    )
    assert bot.interaction(click_as).status == 200
    answers = slack.wait_for("response_url", count=2)
    for answer in answers:
        shown = json.dumps(answer.params)
        assert "private channel you are not in" in shown and "More seats" not in shown
    assert count(database, ExpansionHypothesis) == 0  # nothing refreshed for a stranger


def test_a_dismissed_event_comes_back_only_with_a_newer_event(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    account = grown(database)
    growth_view(bot, slack)
    funding = hypothesis(database, "growth_event")
    assert (
        dismiss(bot, slack, account, funding.id, "Their round funds hiring, not tools").body == ""
    )
    shown = growth_view(bot, slack)
    assert "Growth at the customer*" not in shown  # listed as dismissed only
    with database.transaction() as session:
        log_event(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            kind=EventKind.HEADCOUNT_GROWTH,
            happened_on=app_today() - timedelta(2),
            note="Hiring 200 engineers",
            by_user_id=None,
        )
    shown = growth_view(bot, slack)
    assert "Growth at the customer*" in shown and "headcount growth" in shown
    with database.transaction() as session:
        statuses = dict(
            session.execute(
                select(ExpansionHypothesis.key, ExpansionHypothesis.status).where(
                    ExpansionHypothesis.kind == "growth_event"
                )
            ).all()
        )
    assert statuses == {
        funding.key: HypothesisStatus.DISMISSED,
        f"event:headcount_growth:{(app_today() - timedelta(2)).isoformat()}": (
            HypothesisStatus.OPEN
        ),
    }


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ("yellow", "stabilise it first"),  # turned yellow after the form opened
        ("seats", "no longer give this hypothesis"),  # seat use fell under the signal
    ],
)
def test_a_hypothesis_the_account_no_longer_gives_is_not_turned_into_an_opportunity(
    bot: SlackSender, slack: FakeSlack, database: Database, change: str, refusal: str
) -> None:
    """The engine is asked again on saving: a yellow account gets observations only, and a
    hypothesis its facts no longer give (seat use down to half the licence) is refused; nothing
    is written and the hypothesis stays open."""
    catalogue(database)
    acme = grown(database)
    growth_view(bot, slack)
    ours = hypothesis_of(database, acme.id)
    assert ours is not None
    view = convert_form(bot, slack, acme, ours.id)
    if change == "yellow":
        override(database, acme, Band.YELLOW)
    else:
        set_seats(database, acme, 50)
    state = opportunity_state(currency="USD", next_step=None, next_step_on=None)
    reply = bot.interaction(view_submission_payload(view, state))
    assert refusal in reply.json()["errors"]["name"]
    assert count(database, Opportunity) == 0
    again = hypothesis_of(database, acme.id)
    assert again is not None and again.status is HypothesisStatus.OPEN


def convert_form(bot: SlackSender, slack: FakeSlack, account: Account, hypothesis_id: int) -> Any:
    """*Turn into opportunity* clicked on the growth view: the form Slack opened."""
    click(
        bot,
        slack,
        "hypothesis.convert",
        HypothesisValue.write(account_id=account.id, hypothesis_id=hypothesis_id),
    )
    return slack.opened_view()


def test_the_view_says_when_usage_by_department_is_missing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Concentrated usage needs each department's readings: without one the view says so (never
    a silent "no signal"); with one it no longer does."""
    catalogue(database)
    account = grown(database)
    missing = f"Usage by department: {NO_DEPARTMENT_USAGE}"
    shown = growth_view(bot, slack)
    assert missing in shown and "record usage with a department" in shown
    with database.transaction() as session:
        [sales] = [
            d.id
            for d in list_departments(session, team_id=TEAM_ID, account_id=account.id)
            if d.name == "Sales"
        ]
        record_readings(
            session,
            team_id=TEAM_ID,
            readings=[Reading(account.id, app_today(), 40, department_id=sales)],
            by_user_id=None,
            source="import",
        )
    assert missing not in growth_view(bot, slack)


def test_the_dismiss_button_and_its_form_say_what_happens_and_when_it_comes_back(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    account = grown(database, seats_active=84)
    shown = growth_view(bot, slack)
    assert '"text": "Dismiss until seat use rises"' in shown
    assert '"text": "Dismiss until a newer event"' in shown  # the funding round's
    seats = hypothesis(database)
    click(
        bot,
        slack,
        "hypothesis.dismiss",
        HypothesisValue.write(account_id=account.id, hypothesis_id=seats.id),
    )
    form = json.dumps(slack.opened_view(), ensure_ascii=False)
    assert "It leaves this view, the pipeline and the digests now" in form
    assert "It comes back when seat use reaches 89% of the licence (84% now)" in form
    assert '"text": "Dismiss"' in form  # the form's button says what it does
