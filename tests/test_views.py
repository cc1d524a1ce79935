"""Views are pure: Slack's limits hold for any data, and user text never becomes markup."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from commands.ui.views.blocks import MAX_BLOCKS, MAX_SECTION_TEXT, clip, line_sections
from commands.ui.views.card import account_card
from commands.ui.views.portfolio import portfolio_blocks
from store.catalogue import AccountProducts, EntryRow, whitespace
from store.enums import ActionStatus, CatalogueKind, PriceBasis, Role, StakeholderStatus
from store.models import Account, ActionItem, Stakeholder
from store.settings import Thresholds
from store.signals import AccountSnapshot, Assessment, Band, assess

TODAY = date(2026, 11, 23)


def big_snapshot(people: int, items: int, name_length: int = 140) -> AccountSnapshot:
    account = Account(
        id=1,
        team_id="T1",
        name="A" * name_length,
        name_key="a",
        arr=Decimal("1"),
        currency="USD",
        renewal_date=TODAY + timedelta(days=30),
    )
    roles = list(Role)
    stakeholders = tuple(
        Stakeholder(
            id=i,
            team_id="T1",
            account_id=1,
            name=f"Person {i} " + "x" * name_length,
            title="Title " + "y" * 100,
            role=roles[i % len(roles)],
            status=StakeholderStatus.DEPARTED if i % 9 == 0 else StakeholderStatus.ACTIVE,
            last_contacted_on=TODAY - timedelta(days=i),
            departed_on=TODAY,
        )
        for i in range(people)
    )
    actions = tuple(
        ActionItem(
            id=i,
            team_id="T1",
            account_id=1,
            title="Do " + "z" * 250,
            due_on=TODAY + timedelta(days=i - 5),
            status=ActionStatus.OPEN,
            customer_owner_name="Someone " + "w" * 100,
        )
        for i in range(items)
    )
    return AccountSnapshot(
        account=account, stakeholders=stakeholders, open_actions=actions, last_map_activity=TODAY
    )


def many_products(count: int = 100) -> AccountProducts:
    """A full catalogue of long names (escaping makes them longer), a third of it in use."""
    entries = [
        EntryRow(i, f"P{i} " + "&" * 140, CatalogueKind.PRODUCT, Decimal("18"),
                 PriceBasis.PER_SEAT, "USD", None)
        for i in range(count)
    ]  # fmt: skip
    used = {e.id for e in entries[: count // 3]}
    return AccountProducts(
        in_use=tuple(e for e in entries if e.id in used),
        whitespace=tuple(whitespace(entries, used, seats_licensed=10)),
        catalogued=True,
    )


def assert_within_slack_limits(blocks: list[dict]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
            assert len(block.get("fields", [])) <= 10
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "context":
            assert all(len(e["text"]) <= 2000 for e in block["elements"])


def test_a_huge_map_is_summarised_within_slacks_limits() -> None:
    snapshot = big_snapshot(people=500, items=80)
    blocks = account_card(
        snapshot,
        assess(snapshot, today=TODAY, thresholds=Thresholds()),
        today=TODAY,
        products=many_products(),
    )
    assert_within_slack_limits(blocks)
    text = json.dumps(blocks, ensure_ascii=False)
    active = [p for p in snapshot.stakeholders if p.status is StakeholderStatus.ACTIVE]
    people = [b for b in blocks if "accessory" in b]
    assert len(people) == 20  # each with its own menu
    [rest] = [
        b["text"]["text"] for b in blocks if "more on the map*" in b.get("text", {}).get("text", "")
    ]
    assert rest.startswith(f"*{len(active) - 20} more on the map*")
    listed, left = rest.count("\n• "), int(re.search(r"…and (\d+) more$", rest).group(1))
    assert listed + left == len(active) - 20  # nobody silently dropped
    counts = [int(n) for n in re.findall(r"…and (\d+) more", text)]
    assert 44 in counts  # departed people, counted too
    assert (
        "…and 75 more: `/account <name> plan` lists them all" in text
    )  # 5 of 80 items shown  # says what it left out
    assert blocks[-1]["type"] == "context"
    catalogue = blocks[-1]["elements"][0]["text"]
    assert re.search(r"^Products: .* …and \d+ more$", catalogue, re.M)  # a third in use
    assert re.search(r"^Whitespace: .* …and \d+ more$", catalogue, re.M)


@settings(max_examples=40, deadline=None)
@given(people=st.integers(0, 300), items=st.integers(0, 40), name_length=st.integers(1, 150))
def test_card_limits_hold_for_any_size(people: int, items: int, name_length: int) -> None:
    snapshot = big_snapshot(people=people, items=items, name_length=name_length)
    blocks = account_card(
        snapshot,
        assess(snapshot, today=TODAY, thresholds=Thresholds()),
        today=TODAY,
        products=many_products(items),
    )
    assert_within_slack_limits(blocks)


def test_a_huge_portfolio_is_summarised() -> None:
    assessed = []
    for i in range(2000):
        snapshot = big_snapshot(people=3, items=1, name_length=40)
        snapshot.account.id, snapshot.account.name = i, f"Account {i:04d}"
        assessed.append((snapshot, assess(snapshot, today=TODAY, thresholds=Thresholds())))
    blocks = portfolio_blocks(assessed, today=TODAY, title="Your accounts")
    assert_within_slack_limits(blocks)
    assert "more" in blocks[-1]["text"]["text"]


@given(st.lists(st.text(min_size=0, max_size=400), max_size=60))
def test_line_sections_never_exceed_limits_and_keep_order(lines: list[str]) -> None:
    sections = line_sections(lines, max_blocks=5)
    assert len(sections) <= 5
    assert all(len(s["text"]["text"]) <= MAX_SECTION_TEXT for s in sections)


@given(st.text(max_size=5000))
def test_clip_never_exceeds_the_limit(text: str) -> None:
    assert len(clip(text)) <= MAX_SECTION_TEXT


def test_help_explains_every_form_the_bot_opens_and_every_command_word() -> None:
    """`/account help` names each modal by the title Slack shows, and each word of the grammar."""
    from commands.contract import Modal
    from commands.payloads import RESERVED_WORDS, TRAILING_VERBS
    from commands.routes import ROUTES, VERBS
    from commands.ui.values import ModalMeta
    from commands.ui.views.account import account_form
    from commands.ui.views.catalogue import entry_form
    from commands.ui.views.messages import help_blocks
    from commands.ui.views.override import override_form, renewal_form
    from commands.ui.views.people import (
        contact_form,
        departed_form,
        promoted_form,
        sentiment_form,
        stakeholder_form,
    )
    from commands.ui.views.plan import action_form, block_form, reschedule_form, task_form
    from commands.ui.views.save_plan import save_plan_form
    from commands.ui.views.settings import (
        leads_form,
        settings_form,
        settings_menu,
        thresholds_form,
    )
    from store.enums import Level
    from store.plays import SaveDraft
    from store.settings import DigestSettings

    meta = ModalMeta()
    account = Account(id=1, team_id="T1", name="Acme", name_key="acme")
    person = Stakeholder(id=2, team_id="T1", account_id=1, name="Ana", role=Role.CHAMPION)
    item = ActionItem(id=3, team_id="T1", account_id=1, title="Order form", due_on=TODAY)
    forms = [
        account_form(meta=meta),
        account_form(meta=meta, account=account),
        stakeholder_form(meta=meta, account=account, people=[], today=TODAY),
        stakeholder_form(meta=meta, account=account, people=[person], person=person, today=TODAY),
        sentiment_form(meta=meta, person=person),
        departed_form(meta=meta, person=person, today=TODAY),
        promoted_form(meta=meta, person=person),
        contact_form(meta=meta, people=[person], today=TODAY, account=account),
        action_form(meta=meta, account=account, people=[person], today=TODAY),
        action_form(meta=meta, account=account, people=[person], today=TODAY, item=item),
        reschedule_form(meta=meta, item=item, today=TODAY),
        block_form(meta=meta, item=item),
        settings_menu(
            meta=meta, digests=DigestSettings(), thresholds=Thresholds(), history=[], today=TODAY
        ),
        settings_form(meta=meta, current=DigestSettings()),
        entry_form(meta=meta, entries=[], current=None, reporting_currency="USD"),
        thresholds_form(meta=meta, current=Thresholds()),
        leads_form(meta=meta, current=["U0DANA"]),
        override_form(
            meta=meta,
            name="Acme",
            assessment=Assessment(band=Band.RED, signals=(), threads=(), rules_band=Band.RED),
            today=TODAY,
        ),
        renewal_form(meta=meta, account=account, today=TODAY),
        task_form(meta=meta, account=account, today=TODAY, our_owner="U0ANN"),
        task_form(meta=meta, account=account, today=TODAY, our_owner=None, task=item),
        save_plan_form(
            meta=meta,
            account_name="Acme",
            draft=SaveDraft(
                steps=(),
                churn_probability=Level.HIGH,
                rationale="champion departed",
                arr_at_risk=Decimal("1000"),
                difficulty=Level.LOW,
                investment_hours=3,
                investment_people=2,
                executive_involvement="",
            ),
            today=TODAY,
            replacing=True,
        ),
    ]
    shown = json.dumps(help_blocks())
    titles = {form["title"]["text"] for form in forms}
    titles |= {r.title for r in ROUTES if isinstance(r, Modal)}  # every form a route opens
    titles |= {v.title for v in VERBS if v.title}  # and every form a word opens
    assert {title for title in titles if title.casefold() not in shown.casefold()} == set()
    words = {*TRAILING_VERBS, *(w for w in RESERVED_WORDS if w.isalpha())}  # not `-h`, `?`
    assert {
        word for word in words if f"`{word}`" not in shown and f" {word}`" not in shown
    } == set()
    assert "Log as account contact" in shown  # the message shortcut


def test_help_has_a_legend_of_every_emoji_the_bot_shows() -> None:
    from commands.ui.views.card import BAND_ICON, SENTIMENT_ICON, SEVERITY_ICON
    from commands.ui.views.messages import help_blocks

    shown = json.dumps(help_blocks())
    icons = {*BAND_ICON.values(), *SEVERITY_ICON.values(), *SENTIMENT_ICON.values()}
    icons |= {":pushpin:", ":speech_balloon:", ":globe_with_meridians:", ":lock:"}
    assert {icon for icon in icons if icon not in shown} == set()
    assert "What the emoji mean" in shown
