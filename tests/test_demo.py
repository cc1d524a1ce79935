"""`accountbot demo` seeds a realistic sample portfolio once and prints what Slack would show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import cli
from bot.sample import DEMO_TEAM_ID
from store.db import Database
from store.enums import StakeholderStatus
from store.models import Account, ActionItem, Stakeholder

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "120")
    return url


def test_demo_seeds_once_and_shows_accounts(demo_db: str) -> None:
    first = runner.invoke(cli, ["demo", "--today", "2026-11-23"])
    assert first.exit_code == 0, first.output
    assert "Seeded 13 sample accounts" in first.output
    for shown in (
        "Your accounts",
        "Riskiest first: ARR at stake, then how soon it renews, then severity",
        "Acme Logistics",
        "Northwind Health",
        "$480k",
        "in 41 days",
        "notice by 4 Dec",  # renewal stages and notice dates
        "📈 Red for 3 weeks (green until 30 Oct) · seats active 610 ↓ (635 on 24 Aug)",  # history
        "📈 Green for 6 months · seats active 1,390 ↑ (1,303 on 24 Aug) · adoption 72% ↑",
        # the green Northwind Health's products, and what the catalogue sells it does not use
        "Products: Analytics, API module, Core",
        "Whitespace: Premium Support ($15k flat), Workflows ($12/seat), SSO module ($4k flat)",
        "proposal sent",
        "signed 17 Nov",
        # an override, rules beside it; the move said before the override's long reason
        "🔴→🟡 Umbrella Labs is now yellow (red last week) by override until 23 Dec",
        "· by override (rules say red) ·",  # in the lists: what the 🟡 is, and the rules' band
        "rules say red: gone dark: no contact with anyone",
        # a digest with its move, and why: the departure said once
        "🟢→🔴 Tyrell Analytics is now red (green last week): champion departed with no successor",
        "$3.43M ARR in 13 accounts · 🔴 $810k (24%) red",  # the portfolio digest in money
        "🔴 4 red · 🟡 5 yellow · 🟢 4 green",  # a believable book: red still means something
        "🟡 Cyberdyne Systems · $540k at stake",  # a renewal in its window with one risk: yellow
        "New reds this week: Tyrell Analytics ($150k)",
        "At risk (9), by owner",
        # a Monday read as a CSM (issue 19): each thing said once, one meaning per word
        "· renews 26 Feb (in 95 days) · renewal not started · 1 risk open: meet Sarah",
        "No warning signs.",  # not "None: keep it that way." above a 🌱 flag
        # a lead from a champion who left with a known company (`/account leads`)
        "Lucius Fox, now Head of IT · champion at Wayne Foods for 8 months",
        "Dana Lee departed · by",  # the day they left is the line's own day: said once
        "$610k ARR · renews 21 Dec (in 28 days) · proposal sent",  # green: nothing at stake
        "low adoption: 44% of seats active · 110 of 250 seats",
        "📅 notice date: none → 4 Dec · by",  # the renewal's moves are history
        # plays by band: a red account's save plan, another's draft, a yellow one stabilised
        "Save plan · 1 of 7 steps done, next: Executive outreach to Raj Patel (economic buyer)",
        "✅ ~Meet Sam Ortiz this week; find Dana Lee's successor~ · done 22 Nov by @U0DEMOAM",
        "High                 21 hours, 2 people",  # the risk assessment kept with the plan
        "Why: renewal in 41 days with 5 risks open; champion departed with no successor",
        "👀 red with no save plan · every red account gets one",
        "🚨 No save plan yet. The draft, from the signals that fire:",
        "Stabilise · yellow gets stabilisation steps, never an expansion pitch",
        "1. Close “Usage review with team leads” with Peter Gibbons · @U0DEMOAM · 5 days overdue",
        "Expansion signals are held while the account is yellow: stabilise it first",
        "· 🚨 no save plan yet",  # the portfolio digest's line of a red account
    ):
        assert shown in first.output
    for misleading in (
        "renewal in 95 days with 1 risk open",  # the date twice on one line of the list
        "keep it that way",
        "$610k at stake",
        "Check-in with",  # a summary that only repeats who was met
        "with the customer:",
        "days late",  # overdue, one word for it
        "110 of 250 seats active",  # "low adoption: 44% of seats active: … seats active"
        "Rachael T. departed",  # line 1 says the champion departed: not again on line 2
        "override, rules say",
        "risks open: renews",  # the card's renewal flag repeating the Renewal field beside it
        "🌱 expansion: seat utilisation 90%",  # Initech is yellow: no expansion pitch
        "Explore expansion with Peter",
    ):
        assert misleading not in first.output, misleading
    # the first move is said once: in the list; a digest says it as its step 1, not on line 1
    assert first.output.count("1 risk open: meet Sarah") == 1
    second = runner.invoke(cli, ["demo", "--today", "2026-11-23"])
    assert "Reusing the sample portfolio" in second.output
    with Database(demo_db).transaction() as session:
        assert session.execute(select(func.count()).select_from(Account)).scalar_one() == 13


def test_sample_portfolio_has_the_situations_the_method_cares_about(demo_db: str) -> None:
    runner.invoke(cli, ["demo", "--today", "2026-11-23"])
    with Database(demo_db).transaction() as session:
        accounts = (
            session.execute(select(Account).where(Account.team_id == DEMO_TEAM_ID)).scalars().all()
        )
        people = session.execute(select(Stakeholder)).scalars().all()
        overdue = session.execute(
            select(func.count())
            .select_from(ActionItem)
            .where(ActionItem.due_on < accounts[0].created_at.date())
        ).scalar_one()
    segments = {a.segment for a in accounts}
    assert len(segments) == 3
    days_left = sorted((a.renewal_date - accounts[0].created_at.date()).days for a in accounts)
    assert (
        any(d <= 30 for d in days_left)
        and any(45 <= d <= 60 for d in days_left)
        and any(d >= 120 for d in days_left)
    )
    active_by_account: dict[int, int] = {}
    for person in people:
        active_by_account[person.account_id] = active_by_account.get(person.account_id, 0) + (
            person.status is StakeholderStatus.ACTIVE
        )
    assert any(count < 3 for count in active_by_account.values())  # single-threaded maps
    assert any(p.status is StakeholderStatus.DEPARTED and p.role == "champion" for p in people)
    assert overdue >= 3


def test_demo_shows_a_chosen_account(demo_db: str) -> None:
    result = runner.invoke(cli, ["demo", "--account", "initech", "--today", "2026-11-23"])
    assert result.exit_code == 0
    assert "Initech" in result.output
    assert "$132k" in result.output


def test_demo_refuses_a_bad_date(demo_db: str) -> None:
    result = runner.invoke(cli, ["demo", "--today", "23/11/2026"])
    assert result.exit_code == 2
    assert "expected YYYY-MM-DD" in result.output


def test_a_map_with_no_live_contact_says_so_once(demo_db: str) -> None:
    result = runner.invoke(cli, ["demo", "--account", "umbrella labs", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "Stakeholder map · no live contacts (target 3)" in result.output
    assert "0 live contacts" not in result.output and "(target 3): nobody" not in result.output


def panels(output: str) -> dict[str, str]:
    """Each printed panel's text by its title, on one line (the terminal's wrapping undone)."""
    found: dict[str, list[str]] = {}
    title = ""
    for line in output.splitlines():
        if line.startswith("╭─ "):
            title = line.removeprefix("╭─ ").rstrip("─╮ ")
            found[title] = []
        elif title and line.startswith("│"):
            found[title].append(line.strip("│ "))
    return {name: " ".join(" ".join(lines).split()) for name, lines in found.items()}


@pytest.fixture
def monday(demo_db: str) -> dict[str, str]:
    """This Monday's panels (its digests, the Acme card) and Stark's card, by title."""
    week = runner.invoke(cli, ["demo", "--today", "2026-11-30"])
    assert week.exit_code == 0, week.output
    stark = runner.invoke(cli, ["demo", "--today", "2026-11-30", "--account", "Stark Components"])
    assert stark.exit_code == 0, stark.output
    return panels(week.output) | panels(stark.output)


def test_one_quoting_style_in_steps_first_moves_and_line_2(monday: dict[str, str]) -> None:
    everything = " ".join(monday.values())
    assert 'Close "' not in everything and 'close "' not in everything
    assert "Close “Order form to procurement” with Maya Hansen" in everything
    assert "1 risk open: close “Usage review with team leads” first" in everything
    assert "slipped: “Usage review with team leads”" in everything


def test_the_steps_shown_are_in_date_order(monday: dict[str, str]) -> None:
    digest = monday["Stark Components → #C0DEMO005"]  # 5 Dec, 11 Dec, 12 Dec; not 5, 12, 11
    order = [
        digest.index("1. Close “Order form to procurement” with Maya Hansen · by 5 Dec"),
        digest.index("2. Get a verbal yes on the proposal from Maya Hansen · by 11 Dec"),
        digest.index("3. Close “Reference call” with James Rhodes · by 12 Dec"),
    ]
    assert order == sorted(order)


def test_a_flag_and_its_evidence_read_as_a_sentence(monday: dict[str, str]) -> None:
    card = monday["/account Acme Logistics"]  # not "…buyer: Raj Patel: last contact 74 days ago"
    assert "no recent contact with the economic buyer · Raj Patel, last contact 74 days ago" in card
    assert "single-threaded: 1 live contact (target 3) · Sam Ortiz" in card
    assert "Patel: last contact" not in card and ": Sam Ortiz" not in card.split("Flags")[1]


def test_the_card_says_the_band_and_its_why_once_then_each_flag_once(
    monday: dict[str, str],
) -> None:
    card = monday["/account Acme Logistics"]
    assert card.startswith("Acme Logistics 🔴 Red: renewal in 41 days with 5 risks open 📈")
    for reason in ("renewal in 41 days", "champion departed with no successor", "overdue ·"):
        assert card.count(reason) == 1, reason


def test_green_inside_its_window_shows_the_way_to_signature_not_expansion(
    monday: dict[str, str],
) -> None:
    green = monday["/account Stark Components"]
    assert green.startswith(
        "Stark Components 🟢 Green: renewal in 28 days · next toward signature: get a verbal yes "
        "on the proposal from Maya Hansen by 11 Dec (in 11 days)"
    )
    assert "proposal sent" in green and "No warning signs." in green
    assert "expansion" not in green.lower() and "🌱" not in green


def test_demo_shows_expansion_by_band_and_a_lead_from_a_departed_champion(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's own run: the green Northwind Health has ranked hypotheses from its catalogue,
    products, departments with and without the product, usage by department, a recent event,
    its fiscal year and a positive economic buyer in touch; the yellow Initech observations
    only; the red Acme Logistics is held; `/account leads` has a departed champion's lead."""
    monkeypatch.setenv("COLUMNS", "400")  # one hypothesis a line
    result = runner.invoke(cli, ["demo", "--today", "2026-11-23"])
    assert result.exit_code == 0, result.output
    growth = result.output[result.output.index("/account Northwind Health grow") :]
    initech_at = growth.index("/account Initech grow")
    acme_at = growth.index("/account Acme Logistics grow")
    northwind, initech, acme = growth[:initech_at], growth[initech_at:acme_at], growth[acme_at:]
    ranked = re.findall(r"(\d)\. ([^·│]+?) · hypothesis · readiness (\w+)", northwind)
    assert ranked == [
        ("1", "More seats", "high"),
        ("2", "Growth at the customer", "medium"),
        ("3", "Usage concentrated in one department", "low"),
        ("4", "Departments not using it", "low"),
        ("5", "Growth at the customer", "low"),
    ]
    assert "$19.4k ARR (per-seat price" in northwind  # the catalogue's per-seat price
    assert "Clinical has 1150 of 1330 active users (86%) across 2 departments" in northwind
    assert "2 of 4 known departments do not use the product: Finance, Operations" in northwind
    assert "new office or region 3 Nov (20 days ago)" in northwind
    assert northwind.count("Who cares: Grace Kim (economic buyer)") == 5
    assert northwind.count("budget cycle: the fiscal year starts 1 Jan (in 39 days)") >= 5
    assert northwind.count("Turn into opportunity") == 5
    assert "Stabilise it first" in initech and "1. More seats · observation" in initech
    assert "270 of 300 seats active (90% of the licence)" in initech
    assert "Turn into opportunity" not in initech  # observations only
    assert "Save it first: the account is red" in acme and "· hypothesis" not in acme
    monday = result.output[result.output.index("This Monday's digests") :]
    monday = monday[: monday.index("/account Northwind Health grow")]
    northwind_digest = monday[monday.index("Northwind Health → ") :]
    assert "Growth (high readiness, internal)" in northwind_digest  # as the weekly run posts it
    assert "More seats: " in northwind_digest and "Grace Kim (economic buyer) cares" in monday
    assert "Identified expansion: $0 ARR" not in monday
    assert "/account expansion" in result.output
    assert "Lucius Fox, now Head of IT · champion at Wayne Foods for 8 months" in result.output
