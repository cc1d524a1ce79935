"""`accountbot demo`: a sample portfolio in the local store, shown as Slack would show it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from rich.console import Console

from bot.sample import (
    DEMO_OWNER,
    DEMO_TEAM_ID,
    SAMPLE_PORTFOLIO,
    SAVE_PLAN_SAMPLE,
    seed_sample_portfolio,
)
from commands.access import Access
from commands.payloads import SlashCommand
from commands.replies import save_plan_of
from commands.routes import answer_typed
from commands.ui.chart import revenue_chart
from commands.ui.terminal import print_message
from commands.ui.views.renewal import question_blocks
from digests.cli import print_digests
from store.accounts import accounts_named
from store.db import Database
from store.models import saved_id
from store.renewals import ASK_BEFORE, renewals_to_ask
from store.revenue import Rates, revenue_report
from store.settings import DigestSettings, revenue_settings

SHOWCASE = ("Acme Logistics", "Northwind Health", "Globex Retail", "Initech")
GROWTH_SHOWCASE = ("Northwind Health", "Initech", "Acme Logistics")
"""Expansion by band: green ranked hypotheses, yellow observations only, red held."""


def run_demo(db: Database, *, today: date, console: Console, accounts: Sequence[str] = ()) -> None:
    """Seed (or reuse) the sample portfolio and print what `/account` answers."""
    for note in db.upgrade(create=True):
        console.print(note)
    with db.transaction() as session:
        created = seed_sample_portfolio(session, team_id=DEMO_TEAM_ID, today=today)
    where = db.engine.url.render_as_string(hide_password=True)
    if created:
        console.print(f"Seeded {created} sample accounts into [bold]{where}[/bold].")
    else:
        console.print(f"Reusing the sample portfolio already in [bold]{where}[/bold].")
    console.print(
        f"Today is {today:%A %-d %B %Y}. Sample team {DEMO_TEAM_ID}, viewer @{DEMO_OWNER}.\n"
    )
    show("/account", console=console, db=db, today=today)
    for name in accounts or SHOWCASE:
        show(f"/account {name}", console=console, db=db, today=today)
    if not accounts:
        show(f"/account {SHOWCASE[0]} plan", console=console, db=db, today=today)
        show(f"/account {SHOWCASE[0]} history", console=console, db=db, today=today)
        show_save_plan(SAVE_PLAN_SAMPLE, console=console, db=db, today=today)
    if not accounts:
        monday = datetime.combine(today - timedelta(days=today.weekday()), time(9, 30), tzinfo=UTC)
        console.print(
            "\n[bold]This Monday's digests[/bold] (as `accountbot digest --dry-run --at "
            f"{monday.isoformat()}` prints them, with DIGEST_PORTFOLIO_CHANNEL=C0DEMOLEADS):",
            markup=True,
            highlight=False,
        )
        print_digests(
            db,
            console,
            now=monday,
            defaults=DigestSettings(portfolio_channel_id="C0DEMOLEADS"),
            teams=[DEMO_TEAM_ID],
        )
        show_renewal_question(db, console=console, today=today)
        show("/account revenue", console=console, db=db, today=today)
        show("/account leads", console=console, db=db, today=today)
        for name in GROWTH_SHOWCASE:  # the view refreshes the account's hypotheses first
            show(f"/account {name} grow", console=console, db=db, today=today)
        show("/account expansion", console=console, db=db, today=today)
        write_chart(db, console=console, today=today)
        others = ", ".join(s.name for s in SAMPLE_PORTFOLIO if s.name not in SHOWCASE)
        console.print(
            f"[dim]Also in the sample: {others}. Try `accountbot demo --account Initech`.[/dim]"
        )


def show_save_plan(name: str, *, console: Console, db: Database, today: date) -> None:
    """What a red card's "View save plan" button answers, for one sample account."""
    with db.reading() as session:
        found = accounts_named(session, team_id=DEMO_TEAM_ID, names=[name])
        account = next(iter(found.values()), None)
        blocks = (
            save_plan_of(
                session, team_id=DEMO_TEAM_ID, account_id=saved_id(account.id), today=today
            )
            if account is not None
            else None
        )
    if blocks is not None:
        print_message(console, f"{name}: View save plan", blocks)


def show(typed: str, *, console: Console, db: Database, today: date) -> None:
    """Answer a typed slash command exactly as the Slack handler would, and print it."""
    text = typed.removeprefix("/account").strip()
    slash = SlashCommand(team_id=DEMO_TEAM_ID, user_id=DEMO_OWNER, channel_id="D0DEMO", text=text)
    access = Access.of_operator(team_id=DEMO_TEAM_ID)
    blocks = answer_typed(db, slash, today=today, access=access, defaults=DigestSettings())
    if blocks is None:
        console.print(f"[dim]{typed} opens a form in Slack.[/dim]")
        return
    print_message(console, typed, blocks)


CHART_FILE = Path("accountbot-revenue.png")
"""Where the demo writes the revenue report's chart (in Slack it is posted as a file)."""


def show_renewal_question(db: Database, *, console: Console, today: date) -> None:
    """The "Did it renew?" DM the scheduler sends: for a renewal due now, or else the next one
    (asked from 14 days before it)."""
    with db.reading() as session:
        due = renewals_to_ask(session, day=today, team_ids=[DEMO_TEAM_ID])
        if not due:
            due = renewals_to_ask(session, day=today + timedelta(days=366), team_ids=[DEMO_TEAM_ID])
            due = [r for r in due if r.renewal_date >= today][:1]
    if not due:
        return
    renewal = due[0]
    asked_on = max(today, renewal.renewal_date - ASK_BEFORE)
    blocks = question_blocks(
        account_id=renewal.account_id,
        name=renewal.name,
        renewal_date=renewal.renewal_date,
        arr=renewal.arr,
        currency=renewal.currency,
        today=asked_on,
    )
    print_message(
        console,
        f"DM to @{renewal.owner_user_id} on {asked_on:%-d %b} (the renewal question)",
        blocks,
    )


def write_chart(db: Database, *, console: Console, today: date) -> None:
    """The revenue report's chart, written to `CHART_FILE` (Slack gets it as a file)."""
    with db.reading() as session:
        chosen = revenue_settings(session, team_id=DEMO_TEAM_ID)
        report = revenue_report(
            session,
            team_id=DEMO_TEAM_ID,
            today=today,
            rates=Rates(currency=chosen.currency, rates=chosen.rates),
        )
    CHART_FILE.write_bytes(revenue_chart(report, title="the team's portfolio"))
    console.print(f"The revenue chart is written to [bold]{CHART_FILE.resolve()}[/bold].")
