"""Plays by band, through the signed endpoint: green gets expansion, yellow stabilisation steps,
red its save play; never an expansion pitch on a yellow or red account (card, digest)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from bot.app import make_client
from bot.settings import Settings
from digests.deliver import Pacer, deliver_team_digests
from store.actions import add_action_item
from store.db import Database
from store.enums import Role, Sentiment
from store.settings import DigestSettings
from store.stakeholders import mark_departed
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TODAY = MONDAY.date()


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=True):
        yield


def seed(database: Database, name: str, band: str) -> None:
    """An account using 90% of its seats with a positive champion in touch (an expansion
    signal someone cares about), made yellow by one overdue commitment or red by a departed
    champion (the champion role then held by nobody)."""
    account = make_account(
        database,
        name,
        channel_id=f"C0{name.upper()}",
        renewal_date=TODAY + timedelta(days=300),
        seats_licensed=100,
        seats_active=90,
        arr=Decimal("200000"),
    )
    champion_role = Role.INFLUENCER if band == "red" else Role.CHAMPION
    for person, role in (
        ("Cara", champion_role),
        ("Eve", Role.ECONOMIC_BUYER),
        ("Sam", Role.EXECUTIVE_SPONSOR),
    ):
        add_person(
            database,
            account,
            person,
            role,
            contacted_days_ago=3,
            today=TODAY,
            sentiment=Sentiment.POSITIVE,
        )
    if band == "red":
        dana = add_person(database, account, "Dana", Role.CHAMPION)
        with database.transaction() as session:
            mark_departed(
                session,
                team_id=TEAM_ID,
                stakeholder_id=dana,
                on=TODAY - timedelta(days=10),
                by_user_id="U0ALICE",
            )
    if band == "yellow":
        with database.transaction() as session:
            add_action_item(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                title="Usage review with team leads",
                due_on=TODAY - timedelta(days=5),
                by_user_id="U0ALICE",
                our_owner_user_id="U0ALICE",
                customer_owner_name="Cara",
            )


PLAYS = [
    # band, shown on the card, never on it, a step of the digest
    (
        "green",
        [":seedling: *expansion: seat utilisation 90%*", "positive and in touch: Cara, Eve"],
        ["*Stabilise*", "*Save play*", "held while"],
        None,  # a quiet green week: no digest in its channel
    ),
    (
        "yellow",
        [
            "*Stabilise* · yellow gets stabilisation steps, never an expansion pitch",
            "1. Close “Usage review with team leads” with Cara · <@U0ALICE> · 5 days overdue",
            "Expansion signals are held while the account is yellow: stabilise it first "
            "(seat utilisation 90%",
        ],
        [":seedling:", "Explore expansion", "*Save play*"],
        "Close “Usage review with team leads” with Cara",
    ),
    (
        "red",
        [
            "*Save play* · red: save it before anything else",
            "No save plan yet. The draft, from the signals that fire:",
            "1. Meet Sam this week; find Dana's successor",
            "Expansion signals are held while the account is red: save it first",
        ],
        [":seedling:", "Explore expansion", "*Stabilise*"],
        "Find a successor to Dana, the champion who left",
    ),
]


@pytest.mark.parametrize(("band", "shown", "never", "step"), PLAYS, ids=[p[0] for p in PLAYS])
def test_each_band_gets_its_play_on_the_card_and_in_the_digest(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    settings: Settings,
    band: str,
    shown: list[str],
    never: list[str],
    step: str | None,
) -> None:
    seed(database, "Acme", band)
    assert bot.command("acme", response_url=slack.response_url("card")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    text = json.dumps(card.params["blocks"], ensure_ascii=False)
    assert f"*{band.capitalize()}*" in text
    for said in shown:
        assert json.dumps(said, ensure_ascii=False)[1:-1] in text, said
    for unsaid in never:
        assert unsaid not in text, unsaid
    deliver_team_digests(
        database,
        make_client(settings),
        team_id=TEAM_ID,
        settings=DigestSettings(),
        now=MONDAY,
        pacer=Pacer(per_channel=0, between=0),
    )
    posted = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "C0ACME"]
    if step is None:
        assert posted == []
        return
    [post] = posted
    digest = json.dumps(post.json_param("blocks"), ensure_ascii=False)
    assert json.dumps(step, ensure_ascii=False)[1:-1] in digest and "xpansion" not in digest
