"""Weekly digests: what they say, Slack's limits, time zones, exactly-once delivery, failures."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from sqlalchemy import event, select

from bot.app import make_client
from bot.settings import Settings
from bot.workspaces import team_clients
from digests.deliver import DeliveryRun, Pacer, deliver_team_digests, run_due_digests
from digests.scheduler import build_scheduler
from store.actions import add_action_item, complete_action_item
from store.channels import record_answers
from store.db import Database
from store.deliveries import INTERRUPTED, claim_delivery
from store.enums import ContactChannel, Role, Sentiment
from store.leads import TeamLeads, save_leads
from store.models import ActionItem, DigestDelivery, Stakeholder
from store.settings import DigestSettings, SettingsSection, save_settings
from store.stakeholders import add_stakeholder, log_contact, mark_departed
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday, after 09:00 UTC
TODAY = MONDAY.date()
NO_WAIT = Pacer(per_channel=0, between=0)


@pytest.fixture(autouse=True)
def monday_morning():
    """The data of these tests is written at 08:00 UTC that Monday, before its digests go out."""
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def client(settings: Settings):
    return make_client(settings)


@pytest.fixture
def clients(settings: Settings, database: Database):
    """What the scheduler hands the digests: the client of a team (here, the one token)."""
    return team_clients(settings, database, make_client(settings))


def people(database: Database, account, *specs: tuple[str, Role, int, Sentiment]) -> None:
    for name, role, days, sentiment in specs:
        add_person(
            database,
            account,
            name,
            role,
            contacted_days_ago=days,
            today=TODAY,
            sentiment=sentiment,
            relationship_owner_user_id="U0ALICE",
        )


def healthy(database: Database, name: str, channel: str, **fields: Any):
    account = make_account(
        database, name, channel_id=channel, renewal_date=TODAY + timedelta(days=300), **fields
    )
    people(
        database,
        account,
        ("Cara", Role.CHAMPION, 3, Sentiment.POSITIVE),
        ("Eve", Role.ECONOMIC_BUYER, 4, Sentiment.POSITIVE),
        ("Sam", Role.EXECUTIVE_SPONSOR, 5, Sentiment.POSITIVE),
    )
    return account


def risky(database: Database, name: str, channel: str, **fields: Any):
    account = make_account(
        database,
        name,
        channel_id=channel,
        renewal_date=TODAY + timedelta(days=41),
        arr=Decimal("480000"),
        **fields,
    )
    people(database, account, ("Raj <!channel>", Role.ECONOMIC_BUYER, 74, Sentiment.NEUTRAL))
    with database.transaction() as session:
        add_action_item(
            session,
            team_id=account.team_id,
            account_id=account.id,
            title="Security review",
            due_on=TODAY - timedelta(days=9),
            by_user_id="U0ALICE",
            our_owner_user_id="U0ALICE",
            customer_owner_name="Olga",
        )
        add_action_item(
            session,
            team_id=account.team_id,
            account_id=account.id,
            title="Proposal",
            due_on=TODAY + timedelta(days=3),
            by_user_id="U0ALICE",
            our_owner_user_id="U0BOB",
            customer_owner_name="Raj",
        )
    return account


def posts(slack: FakeSlack, channel: str | None = None) -> list:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.status == 200 and (channel is None or c.params["channel"] == channel)
    ]


def deliver(database: Database, client, now: datetime = MONDAY, **settings: Any) -> DeliveryRun:
    return deliver_team_digests(
        database,
        client,
        team_id=TEAM_ID,
        settings=DigestSettings(**settings),
        now=now,
        pacer=NO_WAIT,
    )


def test_a_risky_account_gets_its_band_what_changed_and_three_actions_then_a_full_card(
    bot: SlackSender, client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Acme", "C0ACME")
    run = deliver(database, client)
    assert run.sent == ["account:1"]
    [post] = posts(slack, "C0ACME")
    blocks = post.json_param("blocks")
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    assert texts[0] == (
        ":red_circle: *Acme* is *red*: no live contacts (target 3), no champion, no recent "
        "contact with the economic buyer and 1 more\n"
        "$480k at stake · renews 3 Jan (in 41 days) · renewal not started · 4 risks open"
    )
    assert texts[1] == "*Since last week:* Raj &lt;!channel&gt; joined the map"
    assert texts[2].split("\n") == [  # at most three, each owner named once above theirs
        "*Next steps*",
        "<@U0ALICE>",
        "1. Close “Security review” with Olga · 9 days overdue",
        "2. Book time with the economic buyer Raj &lt;!channel&gt;: last contact 74 days ago"
        " · by 27 Nov (in 4 days)",
        "<@U0BOB>",
        "3. Close “Proposal” with Raj · by 26 Nov (in 3 days)",
    ]
    body = "\n".join(texts)
    assert body.count("<@U0ALICE>") == 1  # the owner is mentioned once, over their steps
    assert "<!channel>" not in json.dumps(blocks) and "<!channel>" not in post.params["text"]
    assert post.params["text"].startswith(":red_circle: Acme is red: no live contacts")
    [card_button] = [b["accessory"] for b in blocks if "accessory" in b]
    assert (card_button["action_id"], card_button["value"]) == ("digest.card", "1")
    click = block_actions_payload(
        "digest.card", card_button["value"], response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    [shown] = slack.wait_for("response_url")
    assert shown.params["response_type"] == "ephemeral"
    assert shown.params["replace_original"] is False  # the digest stays for the channel
    assert shown.params["blocks"][0]["text"]["text"] == "Acme"


def test_a_forged_full_card_value_is_refused_where_the_user_looks(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Acme", "C0ACME")
    click = block_actions_payload("digest.card", "1; drop", response_url=slack.response_url("x"))
    assert bot.interaction(click).status == 200
    [refused] = slack.wait_for("response_url")
    assert "no longer points at an account" in refused.params["text"]


def test_next_week_line_1_shows_the_move_and_line_2_what_changed(
    client, slack: FakeSlack, database: Database
) -> None:
    account = risky(database, "Acme", "C0ACME")
    deliver(database, client)
    slack.calls.clear()
    week_later = MONDAY + timedelta(days=7)
    with time_machine.travel(week_later - timedelta(hours=1), tick=True):
        with database.transaction() as session:
            for item in session.scalars(select(ActionItem)).all():
                complete_action_item(
                    session, team_id=TEAM_ID, item_id=item.id, by_user_id="U0ALICE"
                )
            [raj] = session.scalars(select(Stakeholder)).all()
            log_contact(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                stakeholder_ids=[raj.id],
                contacted_on=week_later.date() - timedelta(days=1),
                channel=ContactChannel.CALL,
                summary="Renewal call",
                by_user_id="U0ALICE",
            )
        add_person(
            database,
            account,
            "Cara",
            Role.CHAMPION,
            contacted_days_ago=1,
            today=week_later.date(),
            sentiment=Sentiment.POSITIVE,
        )
    deliver(database, client, now=week_later)
    [post] = posts(slack, "C0ACME")
    texts = [b.get("text", {}).get("text", "") for b in post.json_param("blocks")]
    assert texts[0].startswith(
        ":red_circle:→:large_yellow_circle: *Acme* is now *yellow* (red last week): "
    )
    assert texts[1] == (
        "*Since last week:* cleared: overdue action items, no champion, no recent contact with "
        "key people · Cara joined the map · done: “Security review” · done: “Proposal”"
    )


def test_a_green_account_gets_an_all_clear_only_when_it_improves_unless_kept_weekly(
    client, slack: FakeSlack, database: Database
) -> None:
    calm = healthy(database, "Calm Co", "C0CALM")
    with database.transaction() as session:
        add_action_item(
            session,
            team_id=TEAM_ID,
            account_id=calm.id,
            title="Kick-off notes",
            due_on=TODAY - timedelta(days=2),
            by_user_id="U0ALICE",
        )
    deliver(database, client)  # yellow: one item overdue
    [yellow] = posts(slack, "C0CALM")
    assert yellow.params["text"].startswith(":large_yellow_circle: Calm Co is yellow")
    slack.calls.clear()
    later = MONDAY + timedelta(days=7)
    with (
        time_machine.travel(later - timedelta(hours=1), tick=True),
        database.transaction() as session,
    ):
        [item] = session.scalars(select(ActionItem)).all()
        complete_action_item(session, team_id=TEAM_ID, item_id=item.id, by_user_id="U0ALICE")
    assert deliver(database, client, now=later).sent == ["account:1"]
    [post] = posts(slack)
    assert post.json_param("blocks") == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":large_yellow_circle:→:large_green_circle: *Calm Co* is green again "
                "(yellow last week): 3 live contacts, nothing overdue, nothing to chase.",
            },
        }
    ]
    slack.calls.clear()
    two_weeks = later + timedelta(days=7)
    assert deliver(database, client, now=two_weeks).sent == []  # still green: no post
    assert posts(slack) == []
    three_weeks = two_weeks + timedelta(days=7)
    assert deliver(database, client, now=three_weeks, weekly_all_clear=True).sent == ["account:1"]
    [kept] = posts(slack)
    assert kept.params["text"] == "Calm Co is green this week."
    slack.calls.clear()
    four_weeks = three_weeks + timedelta(days=7)
    with database.transaction() as session:  # a month on from the last call: book the next one
        add_action_item(
            session,
            team_id=TEAM_ID,
            account_id=calm.id,
            title="Roadmap call",
            due_on=four_weeks.date() + timedelta(days=10),
            by_user_id="U0ALICE",
        )
    assert (
        deliver(database, client, now=four_weeks, all_clear=False, weekly_all_clear=True).sent == []
    )


def test_an_account_without_a_channel_is_not_posted(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "No Channel", None)
    assert deliver(database, client).sent == []


def test_a_huge_account_stays_within_slacks_limits(
    client, slack: FakeSlack, database: Database
) -> None:
    account = risky(database, "Big", "C0BIG")
    with database.transaction() as session:
        for index in range(60):
            add_action_item(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                title=f"Item {index} " + "x" * 200,
                due_on=TODAY - timedelta(days=index + 1),
                by_user_id="U0ALICE",
                customer_owner_name="Y" * 100,
            )
            add_stakeholder(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                name=f"Person {index} " + "z" * 100,
                role=Role.INFLUENCER,
                by_user_id="U0ALICE",
            )
    deliver(database, client)
    blocks = posts(slack)[0].json_param("blocks")
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    body = json.dumps(blocks, ensure_ascii=False)
    assert "57 more changes to the map" in body and "more flags and steps on the full card" in body


def test_portfolio_ranks_risk_by_arr_and_lists_renewals_and_failures(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Small Risk", "C0SMALL", owner_user_id="U0BOB")
    big = risky(database, "Big Risk", "C0BIG")
    with database.transaction() as session:
        from store.accounts import update_account

        update_account(
            session, team_id=TEAM_ID, account_id=big.id, arr=Decimal("900000"), arr_kind="expansion"
        )
    healthy(database, "Calm Co", "C0CALM")
    slack.fail_channel("C0SMALL", "not_in_channel")  # a channel the bot cannot see: private
    with database.transaction() as session:
        save_leads(session, team_id=TEAM_ID, leads=TeamLeads(user_ids=("U0LEAD",)))
    run = deliver(database, client, portfolio_channel_id="C0LEADS")
    assert run.failed == {"account:1": "not_in_channel"}
    [channel] = posts(slack, "C0LEADS")
    assert "Small Risk" not in json.dumps(channel.json_param("blocks"))
    [portfolio] = posts(slack, "U0LEAD")  # the leads see every account
    text = json.dumps(portfolio.json_param("blocks"), ensure_ascii=False)
    assert text.index("Big Risk") < text.index("Small Risk")  # most ARR at stake first
    assert "*Big Risk* · $900k at stake" in text and "🔴" not in text
    assert "*$1.5M ARR* in 3 accounts · :red_circle: *$1.38M (92%) red*" in text
    assert "*$1.38M* renews within its window: $1.38M of it red" in text
    assert "*At risk* (2), by owner" in text
    assert text.index("*<@U0ALICE>* · 2 accounts · $1.02M ARR · $900k red") < text.index(
        "*<@U0BOB>* · 1 account · $480k ARR · $480k red"
    )
    assert "*Renewals within their window* (2): mid-market 120 days" in text
    assert (
        "*Digests not delivered* (1)" in text
        and "*Small Risk* in <#C0SMALL>: `not_in_channel` (invite the bot)" in text
    )


def test_owners_get_their_own_accounts_by_dm_when_the_team_asks(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Alices", "C1", owner_user_id="U0ALICE")
    risky(database, "Bobs", "C2", owner_user_id="U0BOB")
    healthy(database, "Carols", "C3", owner_user_id="U0CAROL")
    deliver(database, client, owner_digests=True)
    assert "Alices" in json.dumps(posts(slack, "U0ALICE")[0].json_param("blocks"))
    assert "Alices" not in json.dumps(posts(slack, "U0BOB")[0].json_param("blocks"))
    assert posts(slack, "U0CAROL") == []  # nothing at risk, nothing renewing: no DM


@pytest.mark.parametrize(
    "error", ["not_in_channel", "channel_not_found", "is_archived", "msg_too_long"]
)
def test_a_failing_channel_is_recorded_and_the_rest_still_go_out(
    client, slack: FakeSlack, database: Database, error: str
) -> None:
    risky(database, "Broken", "C0BROKEN")
    risky(database, "Fine", "C0FINE")
    slack.fail_channel("C0BROKEN", error)
    run = deliver(database, client)
    assert run.failed == {"account:1": error} and run.sent == ["account:2"]
    with database.transaction() as session:
        rows = {
            r.target: (r.status, r.error) for r in session.execute(select(DigestDelivery)).scalars()
        }
    assert rows == {"account:1": ("failed", error), "account:2": ("sent", None)}
    assert deliver(database, client).sent == []  # recorded: not retried this week


def test_a_429_waits_for_retry_after_and_delivers_once(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Acme", "C0ACME")
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    assert deliver(database, client).sent == ["account:1"]
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]


def test_a_rate_limit_that_outlasts_retries_is_posted_by_the_next_run(
    client, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Acme", "C0ACME")
    slack.rate_limit("chat.postMessage", times=4, retry_after=0)
    assert deliver(database, client).failed == {"account:1": "ratelimited"}
    assert deliver(database, client).sent == ["account:1"]
    assert len(posts(slack)) == 1


def test_posts_to_one_channel_are_paced(client, slack: FakeSlack, database: Database) -> None:
    risky(database, "One", "C0SHARED")
    risky(database, "Two", "C0SHARED")
    waits: list[float] = []
    clock = [0.0]
    pacer = Pacer(
        per_channel=1.1,
        between=0.05,
        sleep=lambda s: (waits.append(s), clock.__setitem__(0, clock[0] + s)),
        now=lambda: clock[0],
    )
    deliver_team_digests(
        database, client, team_id=TEAM_ID, settings=DigestSettings(), now=MONDAY, pacer=pacer
    )
    assert waits == [pytest.approx(1.1)]


def test_a_restart_mid_run_posts_only_what_is_missing(
    client, slack: FakeSlack, database: Database
) -> None:
    for index in range(5):
        risky(database, f"Account {index}", f"C{index}")

    class Killed(BaseException):
        pass

    class DiesOnThird(Pacer):
        calls = 0

        def wait(self, channel: str) -> None:
            DiesOnThird.calls += 1
            if DiesOnThird.calls == 3:
                raise Killed  # the process is killed while waiting to post its third digest
            super().wait(channel)

    with pytest.raises(Killed):
        deliver_team_digests(
            database,
            client,
            team_id=TEAM_ID,
            settings=DigestSettings(),
            now=MONDAY,
            pacer=DiesOnThird(per_channel=0, between=0),
        )
    assert len(posts(slack)) == 2
    restarted = deliver(database, client, now=MONDAY + timedelta(minutes=1))
    assert restarted.sent == ["account:3", "account:4", "account:5"]
    assert restarted.skipped == ["account:1", "account:2"]
    assert sorted(p.params["channel"] for p in posts(slack)) == ["C0", "C1", "C2", "C3", "C4"]


def test_each_post_costs_one_ledger_transaction_its_claim_settling_the_post_before(
    client, slack: FakeSlack, database: Database
) -> None:
    """At a thousand workspaces the bot's CPU per post is the bound: a post's claim, the stored
    fact of its channel and the fate of the post before are one transaction, not three."""
    for index in range(9):
        risky(database, f"Account {index}", f"C{index}")
    with database.transaction() as session:  # Slack described every channel a moment ago
        record_answers(
            session,
            team_id=TEAM_ID,
            answers={f"C{index}": (False, False) for index in range(9)},
            asked_at=MONDAY - timedelta(minutes=5),
        )
    begun: list[object] = []

    def transactions(account_ids: list[int]) -> int:
        begun.clear()
        listener = lambda *_: begun.append(1)  # noqa: E731
        event.listen(database.engine, "begin", listener)
        try:
            run = deliver_team_digests(
                database,
                client,
                team_id=TEAM_ID,
                settings=DigestSettings(),
                now=MONDAY,
                pacer=NO_WAIT,
                account_ids=account_ids,
            )
        finally:
            event.remove(database.engine, "begin", listener)
        assert run.sent == [f"account:{i}" for i in account_ids]
        return len(begun)

    three, six = transactions([1, 2, 3]), transactions([4, 5, 6, 7, 8, 9])
    assert six - three == 3  # one a post
    assert slack.calls_to("conversations.info") == []  # the stored facts were believed
    with database.transaction() as session:
        rows = session.scalars(select(DigestDelivery)).all()
    assert {(row.status, bool(row.finished_at)) for row in rows} == {("sent", True)}


def test_a_digest_whose_process_died_while_posting_is_reported_not_posted_twice(
    client, slack: FakeSlack, database: Database
) -> None:
    for index in range(3):
        risky(database, f"Account {index}", f"C{index}")
    with database.transaction() as session:  # a process claimed it, then died mid-request
        claim_delivery(
            session,
            team_id=TEAM_ID,
            week=MONDAY.date(),
            target="account:2",
            channel_id="C1",
            now=MONDAY,
        )
    soon = deliver(database, client, now=MONDAY + timedelta(minutes=1))
    assert soon.sent == ["account:1", "account:3"] and soon.skipped == ["account:2"]  # in flight?
    later = deliver(
        database, client, now=MONDAY + timedelta(minutes=15), portfolio_channel_id="C0L"
    )
    assert later.failed == {"account:2": INTERRUPTED}  # Slack may have it: reported, not re-posted
    assert [p.params["channel"] for p in posts(slack)] == ["C0", "C2", "C0L"]
    portfolio = json.dumps(posts(slack)[-1].params["blocks"])
    assert "Account 1" in portfolio and "interrupted" in portfolio
    assert deliver(database, client, now=MONDAY + timedelta(minutes=20)).failed == {}  # once


def test_two_schedulers_racing_never_post_twice(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    for index in range(15):
        risky(database, f"Account {index}", f"C{index:02d}")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        start.wait()
        try:
            run_due_digests(
                database,
                team_clients(settings, database, make_client(settings)),
                now=MONDAY,
                defaults=DigestSettings(),
                pacer=NO_WAIT,
            )
        except BaseException as error:  # pragma: no cover - surfaced below
            errors.append(error)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert errors == []
    channels = [p.params["channel"] for p in posts(slack)]
    assert sorted(channels) == sorted(f"C{i:02d}" for i in range(15))


def team(database: Database, team_id: str, channel: str, zone: str) -> None:
    risky(database, f"Account of {team_id}", channel, team_id=team_id)
    with database.transaction() as session:
        save_settings(
            session,
            team_id=team_id,
            section=SettingsSection.DIGESTS,
            values=DigestSettings(timezone=zone),
        )


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-22T23:59:00+00:00", []),  # 08:59 Monday in Tokyo
        ("2026-11-23T00:01:00+00:00", ["C0TOKYO"]),  # 09:01 Monday in Tokyo
        ("2026-11-23T13:59:00+00:00", ["C0TOKYO"]),  # 08:59 in New York (EST)
        ("2026-11-23T14:01:00+00:00", ["C0TOKYO", "C0NY"]),  # 09:01 in New York
    ],
)
def test_each_team_gets_its_digest_at_its_own_nine(
    clients, slack: FakeSlack, database: Database, at: str, expected: list[str]
) -> None:
    team(database, "T0TOKYO", "C0TOKYO", "Asia/Tokyo")
    team(database, "T0NY", "C0NY", "America/New_York")
    moments = [
        "2026-11-22T23:59:00+00:00",
        "2026-11-23T00:01:00+00:00",
        "2026-11-23T13:59:00+00:00",
        "2026-11-23T14:01:00+00:00",
    ]
    for moment in moments[: moments.index(at) + 1]:
        run_due_digests(
            database,
            clients,
            now=datetime.fromisoformat(moment),
            defaults=DigestSettings(),
            pacer=NO_WAIT,
        )
    assert [p.params["channel"] for p in posts(slack)] == expected


@pytest.mark.parametrize(
    ("monday", "utc_nine"),
    [
        (date(2026, 10, 26), time(13, 0)),
        (date(2026, 11, 2), time(14, 0)),
    ],  # EDT, then EST after 1 Nov
)
def test_daylight_saving_weeks_keep_nine_local(
    clients, slack: FakeSlack, database: Database, monday: date, utc_nine: time
) -> None:
    team(database, "T0NY", "C0NY", "America/New_York")
    nine = datetime.combine(monday, utc_nine, tzinfo=UTC)
    run_due_digests(
        database, clients, now=nine - timedelta(minutes=1), defaults=DigestSettings(), pacer=NO_WAIT
    )
    assert posts(slack) == []
    run_due_digests(
        database, clients, now=nine + timedelta(minutes=1), defaults=DigestSettings(), pacer=NO_WAIT
    )
    assert len(posts(slack)) == 1


def test_a_run_missed_while_down_is_caught_up_the_same_day_only(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Acme", "C0ACME")
    scheduler = build_scheduler(
        database,
        team_clients(settings, database, make_client(settings)),
        clock=lambda: datetime.now(UTC),
        digest_defaults=DigestSettings(),
    )
    job = scheduler.get_job("weekly-digests")
    with time_machine.travel(
        datetime(2026, 11, 24, 10, tzinfo=UTC), tick=False
    ):  # Tuesday: the Monday run was missed
        job.func()
    assert posts(slack) == []
    with time_machine.travel(
        datetime(2026, 11, 23, 16, tzinfo=UTC), tick=False
    ):  # back up Monday afternoon
        job.func()
        job.func()
    assert len(posts(slack)) == 1


def test_the_weekly_hypothesis_refresh_runs_with_the_weeks_posts_not_on_each_later_call(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    """The scheduler calls the digests every few minutes all digest day: the expansion
    hypotheses are refreshed by the week's first run, not again by each call that finds the
    week's posts sent (the digests still read what is stored)."""
    risky(database, "Acme", "C0ACME")
    scheduler = build_scheduler(
        database,
        team_clients(settings, database, make_client(settings)),
        clock=lambda: datetime.now(UTC),
        digest_defaults=DigestSettings(),
    )
    job = scheduler.get_job("weekly-digests")
    statements: list[str] = []

    def hypothesis_refreshes() -> int:
        statements.clear()
        listener = lambda _conn, _cursor, sql, *_: statements.append(sql)  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            job.func()
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        # the refresh reads the accounts' business events; the digests' build never does
        return sum("business_event" in sql for sql in statements)

    with time_machine.travel(datetime(2026, 11, 23, 16, tzinfo=UTC), tick=False):
        first, second = hypothesis_refreshes(), hypothesis_refreshes()
    assert len(posts(slack)) == 1
    assert first > 0  # the week's run refreshed them
    assert second == 0  # the same day's next call found its posts sent and left them alone


def test_digest_settings_come_from_the_team_over_the_environment(
    clients, slack: FakeSlack, database: Database
) -> None:
    risky(database, "Acme", "C0ACME")
    with database.transaction() as session:
        save_settings(
            session,
            team_id=TEAM_ID,
            section=SettingsSection.DIGESTS,
            values=DigestSettings(weekday=2, at=time(7, 30), timezone="Europe/Paris"),
        )
    defaults = DigestSettings(weekday=0)
    run_due_digests(database, clients, now=MONDAY, defaults=defaults, pacer=NO_WAIT)
    assert posts(slack) == []  # the team chose Wednesday
    run_due_digests(
        database,
        clients,
        now=datetime(2026, 11, 25, 6, 31, tzinfo=UTC),
        defaults=defaults,
        pacer=NO_WAIT,
    )
    assert len(posts(slack)) == 1  # 07:31 in Paris on Wednesday


def test_none_booked_is_said_on_the_renewal_line_and_as_a_step_when_the_account_drifts(
    client, slack: FakeSlack, database: Database
) -> None:
    """Issue 19 item 7: a green account with its renewal open and nothing on the calendar says so
    beside the renewal; one nobody has spoken to for 40 days gets a step to book the next touch."""
    open_co = make_account(
        database, "Open Co", channel_id="C0OPEN", renewal_date=TODAY + timedelta(days=60)
    )
    people(
        database,
        open_co,
        ("Cara", Role.CHAMPION, 3, Sentiment.POSITIVE),
        ("Eve", Role.ECONOMIC_BUYER, 4, Sentiment.POSITIVE),
        ("Sam", Role.EXECUTIVE_SPONSOR, 5, Sentiment.POSITIVE),
    )
    drifting = make_account(
        database, "Drift Co", channel_id="C0DRIFT", renewal_date=TODAY + timedelta(days=300)
    )
    people(
        database,
        drifting,
        ("Cara", Role.CHAMPION, 40, Sentiment.POSITIVE),
        ("Eve", Role.ECONOMIC_BUYER, 45, Sentiment.POSITIVE),
        ("Sam", Role.EXECUTIVE_SPONSOR, 50, Sentiment.POSITIVE),
    )
    deliver(database, client)
    [open_post] = posts(slack, "C0OPEN")
    headline = open_post.json_param("blocks")[0]["text"]["text"]
    assert headline.split("\n")[1] == (
        "$120k ARR · renews 22 Jan (in 60 days) · renewal not started · "
        "none booked in the next 30 days"
    )
    [drift_post] = posts(slack, "C0DRIFT")
    texts = [b.get("text", {}).get("text", "") for b in drift_post.json_param("blocks")]
    assert texts[0] == ":large_green_circle: *Drift Co* is *green*: no warning signs"
    assert (
        "1. Book the next meeting with Cara (champion): none booked, last contact with anyone "
        "40 days ago · by 27 Nov (in 4 days)"
    ) in texts[-2].split("\n")
    # the renewal and "none booked" are on line 1: no flag is left for the full card alone
    last = open_post.json_param("blocks")[-1]["text"]["text"]
    assert last == "The map, the plan and every flag are on the full card"


def test_a_departure_that_turns_an_account_red_is_said_once(
    client, slack: FakeSlack, database: Database
) -> None:
    """Line 1 says the band moved and why; line 2 does not say the same departure again (as
    "new: champion departed…" and "Cara departed"), and says nothing rather than "Nothing
    changed" when the move is all there is."""
    account = healthy(database, "Tyrell", "C0TYR")
    deliver(database, client)  # green and quiet: the band is remembered, nothing posted
    week_later = MONDAY + timedelta(days=7)
    with (
        time_machine.travel(week_later - timedelta(hours=1), tick=True),
        database.transaction() as session,
    ):
        cara = session.scalars(
            select(Stakeholder).where(
                Stakeholder.account_id == account.id, Stakeholder.name == "Cara"
            )
        ).one()
        mark_departed(
            session,
            team_id=TEAM_ID,
            stakeholder_id=cara.id,
            on=week_later.date() - timedelta(days=2),
            by_user_id="U0ALICE",
        )
    deliver(database, client, now=week_later)
    [post] = posts(slack, "C0TYR")
    texts = [b.get("text", {}).get("text", "") for b in post.json_param("blocks")]
    assert texts[0] == (
        ":large_green_circle:→:red_circle: *Tyrell* is now *red* (green last week): "
        "champion departed with no successor, thin coverage: 2 live contacts (target 3)"
    )
    assert " ".join(texts).count("departed") == 1, texts
    assert not any("Nothing changed" in t for t in texts)
