"""The weekly digests' growth (issue 14): a green account's digest has a Growth section with its
top high-readiness hypotheses (estimate, who cares), internal, so never in a channel shared with
another organisation; the portfolio digest has the identified expansion ARR, the hypotheses new
this week and the leads from champion moves this week; the build's statements stay fixed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from bench.stats import count_statements
from bot.app import make_client
from bot.settings import Settings
from digests.content import build_account_digests
from digests.deliver import Pacer, deliver_team_digests
from store.db import Database
from store.enums import Band, HypothesisStatus, Role
from store.growth import refresh_accounts
from store.leads import TeamLeads, save_leads
from store.models import ExpansionHypothesis
from store.settings import DigestSettings
from store.stakeholders import mark_departed
from store.types import utcnow
from store.wording import compact_money
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.test_growth_facts import catalogue, current_hypotheses, grown
from tests.test_growth_view import override
from tests.test_shared_channels import EXTERNAL

GROWTH = "*Growth* (high readiness, internal)"


@pytest.fixture
def client(settings: Settings):
    return make_client(settings)


def deliver(database: Database, client, **settings) -> None:
    deliver_team_digests(
        database,
        client,
        team_id=TEAM_ID,
        settings=DigestSettings(**settings),
        now=utcnow(),
        pacer=Pacer(per_channel=0, between=0),
    )


def posted(slack: FakeSlack, channel: str) -> list[str]:
    return [
        json.dumps(c.params, ensure_ascii=False)
        for c in slack.calls_to("chat.postMessage")
        if c.status == 200 and c.params["channel"] == channel
    ]


def test_a_green_accounts_digest_names_its_ready_hypotheses_with_estimate_and_who_cares(
    client, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    grown(database, "Acme")  # green, 95 of 100 seats on Core, renewal in its window, Ana in touch
    deliver(database, client)
    [post] = posted(slack, "C0ACME")
    assert GROWTH in post
    assert "• *More seats*: 95 of 100 seats" in post
    assert "est. $" in post and "Ana Diaz (champion) cares" in post


def test_a_dismissed_hypothesis_is_not_raised_again_in_the_digest(
    client, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    grown(database, "Acme")
    with database.transaction() as session:
        refresh_accounts(session, team_id=TEAM_ID, today=app_today())
        session.execute(
            update(ExpansionHypothesis).values(status=HypothesisStatus.DISMISSED)  # type: ignore[arg-type]  # SQLModel's class is a table
        )
    deliver(database, client)
    [post] = posted(slack, "C0ACME")
    assert GROWTH not in post


def test_the_growth_section_never_goes_to_a_channel_shared_with_another_organisation(
    client, slack: FakeSlack, database: Database
) -> None:
    slack.channels["C0ACME"] = EXTERNAL
    catalogue(database)
    grown(database, "Acme")
    deliver(database, client)
    assert posted(slack, "C0ACME") == []
    [dm] = posted(slack, "U0ALICE")  # the owner gets it by DM instead, Growth and all
    assert GROWTH in dm and "More seats" in dm


def test_the_portfolio_digest_has_identified_arr_new_hypotheses_and_champion_leads(
    client, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    grown(database, "Acme")
    globex = make_account(database, "Globex", channel_id="C0GLOBEX")
    lucius = add_person(database, globex, "Lucius Fox", Role.CHAMPION, contacted_days_ago=20)
    with database.transaction() as session:
        mark_departed(
            session,
            team_id=TEAM_ID,
            stakeholder_id=lucius,
            on=app_today() - timedelta(days=1),
            by_user_id="U0ALICE",
            left_for_company="Gotham <Biotech>",
        )
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=("U0LEAD",)))
    deliver(database, client)
    [dm] = posted(slack, "U0LEAD")
    rows = current_hypotheses(database)
    total = sum(r.estimate for r in rows if r.estimate is not None)
    assert f"*Identified expansion:* {compact_money(total, 'USD')} ARR" in dm
    assert f"*New hypotheses this week:* {len(rows)}: Acme (" in dm
    assert "Acme (more seats)" in dm  # in words, not the record's names
    assert (
        "*Leads from champion moves this week:* 1: Lucius Fox left for Gotham &lt;Biotech&gt; "
        "(Globex)" in dm
    )


def test_the_portfolio_channel_leaves_private_accounts_growth_out(
    client, slack: FakeSlack, database: Database
) -> None:
    slack.channels["C0ACME"] = {"is_private": True, "members": ["U0ALICE"]}
    catalogue(database)
    grown(database, "Acme")
    deliver(database, client, portfolio_channel_id="C0LEADS")
    [post] = posted(slack, "C0LEADS")
    assert "*Identified expansion:* none estimated, green accounts'" in post  # no "$0"
    assert "*New hypotheses this week:* 0" in post


def build_statements(database: Database) -> int:
    with count_statements(database.engine) as counted, database.reading() as session:
        digests = build_account_digests(
            session,
            team_id=TEAM_ID,
            today=app_today(),
            since=utcnow() - timedelta(days=7),
            until=utcnow(),
        )
    assert any(d.growth for d in digests) and any(d.new_leads for d in digests)
    return counted.queries


def test_the_digest_build_reads_growth_in_a_fixed_number_of_statements(
    database: Database,
) -> None:
    catalogue(database)

    def add(name: str) -> None:
        grown(database, name)
        account = make_account(database, f"{name} Old", channel_id=f"C0{name.upper()}")
        person = add_person(database, account, f"Fox {name}", Role.CHAMPION, contacted_days_ago=9)
        with database.transaction() as session:
            mark_departed(
                session,
                team_id=TEAM_ID,
                stakeholder_id=person,
                on=app_today(),
                by_user_id=None,
                left_for_company=f"{name} Next",
            )

    add("Acme")
    with database.transaction() as session:
        refresh_accounts(session, team_id=TEAM_ID, today=app_today())
    few = build_statements(database)
    for name in ("Globex", "Initech", "Umbrella"):
        add(name)
    with database.transaction() as session:
        refresh_accounts(session, team_id=TEAM_ID, today=app_today())
    assert build_statements(database) == few


def test_an_account_yellow_since_the_refresh_is_not_counted_in_the_identified_arr(
    client, slack: FakeSlack, database: Database
) -> None:
    """The week's refresh is done; Globex turns yellow; a forced re-send builds the digests from
    the stored hypotheses: Globex's are no longer counted (to be stabilised first)."""
    catalogue(database)
    acme = grown(database, "Acme")
    globex = grown(database, "Globex")
    with database.transaction() as session:
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=("U0LEAD",)))
    deliver(database, client)
    override(database, globex, Band.YELLOW)
    deliver_team_digests(
        database,
        client,
        team_id=TEAM_ID,
        settings=DigestSettings(),
        now=utcnow(),
        pacer=Pacer(per_channel=0, between=0),
        force=True,
    )
    dm = posted(slack, "U0LEAD")[-1]
    rows = current_hypotheses(database)
    assert any(r.account_id == globex.id and r.estimate for r in rows)
    acme_total = sum(r.estimate for r in rows if r.account_id == acme.id and r.estimate)
    assert (
        f"*Identified expansion:* {compact_money(acme_total, 'USD')} ARR" in dm
        and "green accounts' open hypotheses only" in dm
    ), dm
    assert "Globex (" not in dm.split("*New hypotheses this week:*")[1].split("\\n")[0]
