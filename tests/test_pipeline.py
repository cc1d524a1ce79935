"""`/account expansion`: the expansion pipeline read from the stored hypotheses, through the
signed endpoint as Slack sends it: grouped by readiness, the total identified (observations and
"no estimate" apart), red accounts held apart, who sees which accounts, as of the last refresh,
Slack's limits, and a fixed number of statements whatever the number of accounts."""

from __future__ import annotations

import json
from itertools import count
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from bench.stats import count_statements
from commands.pipeline import ON_DEMAND
from commands.ui.views.blocks import MAX_BLOCKS, MAX_SECTION_TEXT
from store.db import Database
from store.enums import Band, HypothesisStatus
from store.growth import claim_team_refresh, refresh_accounts
from store.leads import TeamLeads, save_leads
from store.models import Account, ExpansionHypothesis
from store.wording import compact_money, plural
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender
from tests.test_growth_facts import catalogue, current_hypotheses, grown, widths
from tests.test_growth_view import override

_tokens = count(1)


def refresh(database: Database) -> None:
    with database.transaction() as session:
        refresh_accounts(session, team_id=TEAM_ID, today=app_today())


def ask(
    bot: SlackSender, slack: FakeSlack, text: str = "expansion", *, user: str = "U0ALICE"
) -> dict[str, Any]:
    """What the bot answers `/account <text>` in the user's DM (through the response URL)."""
    token = f"x{next(_tokens)}"
    reply = bot.command(
        text, user_id=user, channel_id="D0DM", response_url=slack.response_url(token)
    )
    assert reply.status == 200
    [answer] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return answer.params


def words(answer: dict[str, Any]) -> str:
    return json.dumps(answer["blocks"], ensure_ascii=False)


def test_the_pipeline_groups_by_readiness_totals_and_holds_red_apart(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    grown(database, "Acme")  # 95 of 100 seats, a champion in touch, a funding round: high
    make_account(database, "Globex", channel_id="C0GLOBEX")  # nobody on the map: red
    make_account(database, "Quiet Co", channel_id="C0QUIET", owner_user_id="U0BOB")
    refresh(database)

    answer = ask(bot, slack)
    text = words(answer)
    assert "Expansion pipeline: your accounts, 1 of 2 with growth found" in text
    assert "As of the last refresh, " in text
    assert "*High readiness* (1)" in text
    assert "*Acme* · more seats: " in text and "est. $" in text
    assert "*At risk: stabilise before any expansion talk*" in text
    assert "*Globex* · $120k ARR" in text
    assert "Quiet Co" not in text  # Bob's account, not Alice's
    assert "*Identified:* $" in text and "observations, and a yellow" in text
    with database.reading() as session:
        rows = list(session.exec(select(ExpansionHypothesis).where(ExpansionHypothesis.current)))
    hypotheses = [r for r in rows if not r.observation]
    total = sum(r.estimate for r in hypotheses if r.estimate is not None)
    no_estimate = sum(1 for r in hypotheses if r.estimate is None)
    counted = len(hypotheses) - no_estimate
    assert total > 0 and counted > 0
    expected = f"*Identified:* {compact_money(total, 'USD')} ARR over " + plural(
        counted, "hypothesis", "hypotheses"
    )
    assert expected in text, text
    if no_estimate:
        assert f"{plural(no_estimate, 'hypothesis', 'hypotheses')} without an estimate" in text


def test_a_yellow_accounts_stored_hypotheses_are_not_counted_in_the_total(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """An account refreshed green, yellow since: to be stabilised first, so what was stored for
    it is neither counted nor estimated in the pipeline until it is green again."""
    catalogue(database)
    acme = grown(database, "Acme")
    globex = grown(database, "Globex", seats_active=90)
    refresh(database)
    override(database, globex, Band.YELLOW)
    text = words(ask(bot, slack))
    rows = current_hypotheses(database)
    acme_total = sum(r.estimate for r in rows if r.account_id == acme.id and r.estimate)
    assert any(r.account_id == globex.id and r.estimate for r in rows)
    assert f"*Identified:* {compact_money(acme_total, 'USD')} ARR over " in text, text
    assert "Only green accounts' open hypotheses are counted" in text
    globex_line = next(line for line in text.split("\\n") if "*Globex*" in line)
    assert "est. $" not in globex_line and "stabilise it first" in globex_line


def test_a_hypothesis_without_an_estimate_says_what_is_missing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Acme's estimated hypotheses dismissed: its top one left has no estimate, and its line
    says why (an event's: the event names no units), not a bare "no estimate"."""
    catalogue(database)
    grown(database, "Acme")
    refresh(database)
    with database.transaction() as session:
        session.execute(
            update(ExpansionHypothesis)  # type: ignore[arg-type]  # SQLModel's class is a table
            .where(ExpansionHypothesis.estimate.is_not(None))  # type: ignore[union-attr]
            .values(status=HypothesisStatus.DISMISSED)
        )
        missing = set(
            session.exec(
                select(ExpansionHypothesis.no_estimate).where(
                    ExpansionHypothesis.status == HypothesisStatus.OPEN
                )
            )
        )
    assert "the event names no units" in missing
    line = next(line for line in words(ask(bot, slack)).split("\\n") if "*Acme*" in line)
    assert "· no estimate: " in line, line
    assert any(f"no estimate: {why}" in line for why in missing if why)


def test_dismissed_hypotheses_leave_the_pipeline_and_its_total(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    grown(database, "Acme")
    refresh(database)
    with database.transaction() as session:
        session.execute(
            update(ExpansionHypothesis).values(status=HypothesisStatus.DISMISSED)  # type: ignore[arg-type]  # SQLModel's class is a table
        )
    text = words(ask(bot, slack))
    assert "*Identified:* $0 ARR over 0 hypotheses" in text
    assert "No hypothesis or observation open on these accounts." in text
    assert "1 account with nothing found." in text


def test_before_any_refresh_a_few_accounts_are_computed_as_asked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A team before its first digest day: its few accounts are refreshed on the spot, not shown
    as "nothing found"."""
    catalogue(database)
    grown(database, "Acme")
    text = words(ask(bot, slack))
    assert "Expansion pipeline: your accounts, 1 of 1 with growth found" in text
    assert "*Acme* · more seats: " in text and "As of the last refresh, " in text
    assert "nothing found" not in text


def test_an_account_new_since_the_weekly_refresh_is_computed_as_asked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    grown(database, "Acme")
    with database.transaction() as session:  # the weekly run's refresh, as it claims it
        assert claim_team_refresh(session, team_id=TEAM_ID, week=app_today())
        refresh_accounts(session, team_id=TEAM_ID, today=app_today())
    grown(database, "Globex")  # made after it
    text = words(ask(bot, slack))
    assert "Expansion pipeline: your accounts, 2 of 2 with growth found" in text
    assert "*Globex* · more seats: " in text
    assert "nothing found" not in text and "not computed yet" not in text


def test_more_accounts_than_computed_as_asked_are_said_not_computed_yet(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    for n in range(ON_DEMAND + 1):
        grown(database, f"Account {n:02d}")
    with count_statements(database.engine) as counted:
        text = words(ask(bot, slack))
    assert f"{ON_DEMAND + 1} accounts not computed yet: the weekly digest run" in text
    assert "nothing found" not in text and "more seats" not in text
    with database.reading() as session:
        assert session.exec(select(ExpansionHypothesis)).first() is None
    assert counted.queries < 40


def test_leads_see_the_teams_pipeline_private_channels_included_others_only_their_own(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The portfolio's rules: a lead or admin sees the team's accounts, private-channel ones
    included (as `/account portfolio`); anyone else only the accounts they own, never another
    owner's private-channel account, whatever its name."""
    slack.channels["C0SECRET"] = {"is_private": True, "members": ["U0ALICE"]}
    catalogue(database)
    grown(database, "Secret Deal <b>")  # Alice's, linked to a private channel below
    with database.transaction() as session:
        session.execute(update(Account).values(channel_id="C0SECRET"))  # type: ignore[arg-type]  # SQLModel's class is a table
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=("U0LEAD",)))
    refresh(database)

    bob = words(ask(bot, slack, user="U0BOB"))
    assert "Expansion pipeline: your accounts, none" in bob and "Secret" not in bob
    lead = words(ask(bot, slack, user="U0LEAD"))
    assert "Expansion pipeline: the team's accounts, 1 of 1 with growth found" in lead
    assert "*Secret Deal &lt;b&gt;* · more seats" in lead  # user text escaped
    own = words(ask(bot, slack, "expansion mine", user="U0LEAD"))
    assert "Expansion pipeline: your accounts, none" in own
    alice = words(ask(bot, slack))
    assert "*Secret Deal &lt;b&gt;*" in alice


def test_words_after_expansion_other_than_mine_are_a_usage_hint(
    bot: SlackSender, slack: FakeSlack
) -> None:
    answer = ask(bot, slack, "expansion everything")
    assert "`/account expansion` takes nothing after it, or `mine`." in json.dumps(answer)


def test_a_long_pipeline_stays_within_slacks_limits_and_says_how_many_more(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    for n in range(60):
        grown(database, f"Account {n:02d} " + "x" * 100, seats_active=95)
    refresh(database)
    answer = ask(bot, slack)
    blocks = answer["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= MAX_SECTION_TEXT for b in blocks)
    assert "Expansion pipeline: your accounts, 60 of 60 with growth found" in words(answer)
    shown = words(answer).count("· more seats: ")
    assert shown < 60, "60 long lines fit: the test no longer reaches Slack's limits"
    assert f"…and {60 - shown} more" in words(answer)


def statements(bot: SlackSender, slack: FakeSlack, database: Database) -> tuple[int, list[int]]:
    """The statements of one ask, and the values each binds."""
    with count_statements(database.engine, keep=True) as counted:
        text = words(ask(bot, slack))
    assert "Expansion pipeline: your accounts" in text
    return counted.queries, widths(counted.statements)


def test_the_pipeline_reads_a_fixed_number_of_statements(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    catalogue(database)
    for name in ("Acme", "Globex"):
        grown(database, name)
    refresh(database)
    few = statements(bot, slack, database)
    for name in ("Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"):
        grown(database, name)
    refresh(database)
    assert statements(bot, slack, database) == few  # nor one value bound per account
    assert few[0] > 0
