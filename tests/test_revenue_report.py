"""`/account revenue` and `/account Acme revenue` through the signed endpoint: NRR and GRR over the
last 12 months from the revenue ledger (new logos left out, corrections not movement), in the
team's reporting currency at the rates an admin sets in `/account settings` (refused naming a
missing rate), how early churn was seen, and the chart posted as a file (files upload v2)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.app import make_client
from bot.settings import Settings
from commands.ui.values import ModalMeta
from commands.ui.views.settings import revenue_form
from digests.deliver import Pacer, deliver_team_digests
from store.accounts import create_account, update_account
from store.db import Database
from store.enums import Band, RevenueKind
from store.history import seed_history
from store.models import saved_id
from store.revenue import year_start
from store.settings import (
    DigestSettings,
    RevenueSettings,
    SettingsSection,
    revenue_settings,
    save_settings,
    settings_version,
)
from tests.factories import app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload

TODAY = app_today()
FIRST = year_start(TODAY)
"""The first day of the 12 months reported."""


def portfolio(database: Database) -> dict[str, int]:
    """Four accounts and their ledgers, written in one transaction through the store (as the
    forms write them) with a past history: Acme $100k before the period, expanded to $130k;
    Globex EUR 50k, churned (red 120 days before); Umbrella (Bob's) $80k, contracted to $60k
    (red 15 days before); Initech, a new logo within the period, then corrected."""
    before = FIRST - timedelta(days=30)
    common: dict[str, Any] = {"team_id": TEAM_ID, "owner_user_id": "U0ALICE"}
    with database.transaction() as session:
        acme = create_account(
            session, name="Acme", arr=Decimal(100_000), arr_since=before, channel_id="C0ACME",
            **common,
        )  # fmt: skip
        globex = create_account(
            session, name="Globex", arr=Decimal(50_000), currency="EUR", arr_since=before,
            **common,
        )  # fmt: skip
        umbrella = create_account(
            session, name="Umbrella", arr=Decimal(80_000), arr_since=FIRST - timedelta(days=5),
            team_id=TEAM_ID, owner_user_id="U0BOB",
        )  # fmt: skip
        initech = create_account(
            session, name="Initech", arr=Decimal(200_000), arr_since=FIRST + timedelta(days=10),
            **common,
        )  # fmt: skip
        moves = [
            (acme, Decimal(130_000), RevenueKind.EXPANSION, FIRST + timedelta(days=60)),
            (globex, Decimal(0), RevenueKind.CHURN, FIRST + timedelta(days=100)),
            (umbrella, Decimal(60_000), RevenueKind.CONTRACTION, FIRST + timedelta(days=20)),
            (initech, Decimal(20_000), RevenueKind.CORRECTION, FIRST + timedelta(days=15)),
        ]
        for account, arr, kind, on in moves:
            update_account(
                session,
                team_id=TEAM_ID,
                account_id=saved_id(account.id),
                arr=arr,
                arr_kind=kind,
                arr_on=on,
            )
        seed_history(
            session,
            team_id=TEAM_ID,
            day=TODAY,
            spells={
                saved_id(globex.id): [
                    (FIRST - timedelta(days=60), Band.GREEN),
                    (FIRST - timedelta(days=20), Band.RED),
                ],
                saved_id(umbrella.id): [
                    (FIRST - timedelta(days=60), Band.YELLOW),
                    (FIRST + timedelta(days=5), Band.RED),
                ],
            },
        )
    return {"acme": saved_id(acme.id), "globex": saved_id(globex.id)}


def set_rates(
    bot: SlackSender, database: Database, *, user_id: str = "U0ADMIN", **rates: str
) -> Any:
    """The Revenue reporting form of `/account settings`, submitted as Slack does."""
    with database.transaction() as session:
        version = settings_version(session, team_id=TEAM_ID)
    view = revenue_form(
        meta=ModalMeta(version=version), current=RevenueSettings(), in_use=["EUR", "USD"]
    )
    state: dict[str, dict[str, Any]] = {
        "currency": {"type": "static_select", "selected_option": {"value": "USD"}},
    }
    for code, rate in rates.items():
        state[f"rate_{code}"] = {"type": "number_input", "value": rate}
    reply = bot.interaction(view_submission_payload(view, state, user_id=user_id))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def answer(bot: SlackSender, slack: FakeSlack, text: str, *, user_id: str, token: str) -> str:
    reply = bot.command(text, user_id=user_id, response_url=slack.response_url(token))
    assert reply.status == 200
    [said] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return json.dumps(said.params)


def test_a_missing_rate_is_refused_naming_the_currency_then_the_report_adds_up(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    portfolio(database)
    refused = answer(bot, slack, "revenue", user_id="U0ADMIN", token="no-rate")
    assert "there is no rate for EUR" in refused and "/account settings" in refused
    assert slack.calls_to("files.getUploadURLExternal") == []
    assert set_rates(bot, database, EUR="-1") == {
        "response_action": "errors",
        "errors": {"rate_EUR": "A rate is a number from 0.000001 to 1,000,000."},
    }
    assert set_rates(bot, database, EUR="1.1") is None
    with database.transaction() as session:
        assert revenue_settings(session, team_id=TEAM_ID).rates == {"EUR": Decimal("1.1")}
    shown = answer(bot, slack, "revenue", user_id="U0ADMIN", token="team")
    # starting $235k (Acme 100k, Globex €50k at 1.1, Umbrella 80k; Initech is a new logo)
    # + 30k expansion - 20k contraction - 55k churn: NRR 190/235, GRR 160/235
    assert "NRR 81%" in shown and "below the 120% target" in shown and "GRR 68%" in shown
    assert "$235k (3 accounts)" in shown
    assert "+$30k" in shown and "-$20k" in shown and "-$55k" in shown
    # how early was churn seen: Globex 120 days ahead, Umbrella 15: median 68, one in time
    assert "2 accounts churned or contracted" in shown and "median 68 days" in shown
    assert "1 of 2 seen at least 90 days ahead" in shown
    assert "Umbrella" in shown and "red 15 days before" in shown
    assert "Globex*: churn" not in shown  # seen in time: not listed as late
    [upload] = slack.wait_for("file.upload")
    png = slack.uploads[upload.params["file_id"]]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    [asked] = slack.calls_to("files.getUploadURLExternal")
    assert (asked.params["filename"], int(asked.params["length"])) == ("revenue.png", len(png))
    [done] = slack.wait_for("files.completeUploadExternal")
    assert done.params["channel_id"] == "D0ADMIN"  # the user's DM, never a shared channel
    assert json.loads(done.params["files"])[0]["id"] == upload.params["file_id"]


def test_an_owner_sees_only_their_accounts_and_an_account_its_own(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    portfolio(database)
    set_rates(bot, database, EUR="1.1")
    mine = answer(bot, slack, "revenue", user_id="U0BOB", token="bob")
    assert "Revenue: your accounts" in mine and "$80k (1 account)" in mine
    assert "NRR 75%" in mine and "GRR 75%" in mine
    acme = answer(bot, slack, "Acme revenue", user_id="U0ALICE", token="acme")
    assert "Revenue: Acme" in acme and "NRR 130%" in acme and "at or above the 120% target" in acme
    month = f"{(FIRST + timedelta(days=60)):%b %Y}: NRR *130%*"
    assert month in acme  # the month the expansion happened


def test_the_settings_form_is_for_admins_only(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    refused = set_rates(bot, database, user_id="U0BOB", EUR="1.1")
    assert refused is not None and "Only workspace admins" in json.dumps(refused)
    with database.transaction() as session:
        assert revenue_settings(session, team_id=TEAM_ID).rates == {}


def test_the_report_reads_a_few_statements_whatever_the_portfolio(
    database: Database,
) -> None:
    from bench.stats import count_statements
    from store.revenue import Rates, churn_seen, revenue_report

    rates = Rates(currency="USD", rates={"EUR": Decimal("1.1")})
    counts = []
    for size in (3, 30):
        for n in range(size):
            make_account(
                database,
                f"Bulk {size} {n}",
                arr=Decimal(1000),
                arr_since=date(2020, 1, 1),
                channel_id=None,
            )
        with count_statements(database.engine) as count, database.transaction() as session:
            report = revenue_report(session, team_id=TEAM_ID, today=TODAY, rates=rates)
            churn_seen(session, team_id=TEAM_ID, losses=report.losses)
        counts.append(count.queries)
    assert counts[0] == counts[1] <= 4


def test_the_portfolio_digest_has_the_months_nrr_line(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    portfolio(database)
    client = make_client(settings)
    digest = DigestSettings(portfolio_channel_id="C0LEADS")

    def portfolio_post(force: bool) -> str:
        deliver_team_digests(
            database,
            client,
            team_id=TEAM_ID,
            settings=digest,
            now=datetime.now(UTC),
            pacer=Pacer(per_channel=0, between=0),
            force=force,
        )
        posts = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "C0LEADS"]
        return json.dumps(posts[-1].params)

    assert "NRR this month:* not reported" in portfolio_post(False)  # no rate for EUR yet
    with database.transaction() as session:
        save_settings(
            session,
            team_id=TEAM_ID,
            section=SettingsSection.REVENUE,
            values=RevenueSettings(currency="USD", rates={"EUR": Decimal("1.1")}),
        )
    shown = portfolio_post(True)
    assert f"NRR this month* ({TODAY:%B}, to date)" in shown and "target" in shown


def test_the_twelve_months_are_twelve_on_the_first_of_a_month(database: Database) -> None:
    """On 1 Dec the 12 months run from 2 Dec a year ago, not from 1 Jan (11 months and a day):
    a contraction on 10 Dec last year is in them, one on 1 Dec last year is not."""
    from store.revenue import Rates, revenue_report

    first_of_december = date(2026, 12, 1)
    with database.transaction() as session:
        for name, on in (("Inside", date(2025, 12, 10)), ("Outside", date(2025, 12, 1))):
            account = create_account(
                session, name=name, arr=Decimal(100_000), arr_since=date(2024, 1, 1),
                team_id=TEAM_ID, owner_user_id="U0ALICE",
            )  # fmt: skip
            update_account(
                session,
                team_id=TEAM_ID,
                account_id=saved_id(account.id),
                arr=Decimal(90_000),
                arr_kind=RevenueKind.CONTRACTION,
                arr_on=on,
            )
    with database.transaction() as session:
        report = revenue_report(
            session, team_id=TEAM_ID, today=first_of_december, rates=Rates(currency="USD")
        )
    year = report.year
    assert (year.start, year.end) == (date(2025, 12, 2), first_of_december)
    assert (year.starting, year.contraction) == (Decimal(190_000), Decimal(10_000))
    assert (report.months[0].start, len(report.months)) == (date(2026, 1, 1), 12)
    assert [(loss.name, loss.on) for loss in report.losses] == [("Inside", date(2025, 12, 10))]
    january, *_ = report.so_far  # the chart's first point: 2 Dec to 31 Jan, against the target
    assert (january.end, january.contraction, report.so_far[-1]) == (
        date(2026, 1, 31),
        Decimal(10_000),
        year,
    )
