"""The product catalogue as Slack admins keep it (`/account settings`), the products in use on
the account form, and the whitespace on the card: through signed requests, on the real store."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from commands.ui.values import ModalMeta
from store.catalogue import (
    NO_PRICE,
    NO_SEATS,
    NO_UNITS,
    EntryRow,
    EntryValues,
    catalogue,
    in_use,
    save_entry,
    whitespace,
)
from store.db import Database
from store.enums import CatalogueKind, PriceBasis
from store.models import AccountChange, AccountProduct, CatalogueEntry, TeamSettingsChange
from store.settings import settings_version
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_block_action_payload, view_submission_payload
from tests.test_account_form import values as account_values
from tests.test_team_settings import ADMIN, menu_redrawn, open_menu, open_section, submit

PRODUCT, MODULE = CatalogueKind.PRODUCT, CatalogueKind.MODULE


def entry_state(
    name: str = "Analytics",
    kind: str = "product",
    requires: int | str | None = None,
    price: str | None = "18",
    basis: str | None = "per_seat",
    currency: str = "USD",
    remove: bool = False,
) -> dict[str, dict[str, Any]]:
    """The entry form as Slack submits it."""

    def chosen(value: object) -> dict[str, str] | None:
        return None if value is None else {"value": str(value)}

    return {
        "catalogue_name": {"type": "plain_text_input", "value": name},
        "catalogue_kind": {"type": "radio_buttons", "selected_option": chosen(kind)},
        "catalogue_requires": {"type": "static_select", "selected_option": chosen(requires)},
        "catalogue_price": {"type": "number_input", "value": price},
        "catalogue_basis": {"type": "static_select", "selected_option": chosen(basis)},
        "catalogue_currency": {"type": "static_select", "selected_option": chosen(currency)},
        "catalogue_remove": {
            "type": "checkboxes",
            "selected_options": [{"value": "remove"}] if remove else [],
        },
    }


def add(database: Database, name: str, kind: CatalogueKind = PRODUCT, **fields: Any) -> int:
    """An entry saved as an admin would (the store's own function), its id."""
    values = {"currency": "USD"} | fields
    with database.transaction() as session:
        return save_entry(
            session,
            team_id=TEAM_ID,
            entry_id=None,
            values=EntryValues(name=name, kind=kind, **values),
            by_user_id=ADMIN,
            expected_version=None,
        )


def entries(database: Database) -> list[EntryRow]:
    with database.reading() as session:
        return catalogue(session, team_id=TEAM_ID)


def history(database: Database) -> list[tuple[str, str | None, str | None]]:
    with database.reading() as session:
        return [
            (c.field, c.old_value, c.new_value)
            for c in session.execute(
                select(TeamSettingsChange)
                .where(TeamSettingsChange.section == "catalogue")
                .order_by(TeamSettingsChange.id)
            ).scalars()
        ]


def open_entry(bot: SlackSender, slack: FakeSlack, menu: dict[str, Any], entry_id: int) -> Any:
    """Pick an entry in the menu's "Edit or remove an entry": its form pushed over the menu."""
    before = len(slack.calls_to("views.push"))
    pick = {
        "type": "static_select",
        "action_id": "settings.catalogue",
        "selected_option": {"value": str(entry_id)},
    }
    assert bot.interaction(view_block_action_payload(menu, pick, user_id=ADMIN)).status == 200
    pushed = slack.wait_for("views.push", count=before + 1)[-1]
    [filled] = slack.wait_for(
        "views.update", where=lambda c: c.params["view_id"] == pushed.answer["view"]["id"]
    )
    return {
        **filled.json_param("view"),
        "id": filled.answer["view"]["id"],
        "hash": filled.answer["view"]["hash"],
        "root_view_id": menu["id"],
    }


def latest_opened(
    bot: SlackSender, slack: FakeSlack, text: str, user_id: str = ADMIN
) -> dict[str, Any]:
    """The modal `/account <text>` opens, however many the test opened before."""
    before = len(slack.calls_to("views.open"))
    assert bot.command(text, user_id=user_id).status == 200
    opened = slack.wait_for("views.open", count=before + 1)[-1]
    [filled] = slack.wait_for(
        "views.update", where=lambda c: c.params["view_id"] == opened.answer["view"]["id"]
    )
    return {**filled.json_param("view"), **{k: filled.answer["view"][k] for k in ("id", "hash")}}


@pytest.fixture
def admin(slack: FakeSlack) -> str:
    slack.users[ADMIN] = {"is_admin": True}
    return ADMIN


# -- the catalogue in /account settings ---------------------------------------------------------


def test_an_admin_adds_a_product_and_a_module_and_the_menu_lists_them(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    menu = open_menu(bot, slack)
    assert "*Product catalogue*\\nNone yet" in json.dumps(menu)
    form = open_section(bot, slack, menu, "catalogue")
    assert form["callback_id"] == "team.catalogue"
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks["catalogue_currency"]["element"]["initial_option"]["value"] == "USD"
    assert "catalogue_remove" not in blocks  # nothing to remove in a new entry
    assert submit(bot, form, entry_state("Core", price="40")) is None
    redrawn = menu_redrawn(slack, menu).json_param("view")
    [core] = entries(database)
    assert (core.name, core.kind, core.list_price, core.price_basis, core.currency) == (
        "Core",
        PRODUCT,
        Decimal("40"),
        PriceBasis.PER_SEAT,
        "USD",
    )
    assert "Core ($40/seat)" in json.dumps(redrawn)

    form = open_section(bot, slack, redrawn | {"id": menu["id"]}, "catalogue")
    module = entry_state("SSO", kind="module", requires=core.id, price="4000", basis="flat")
    assert submit(bot, form, module) is None
    sso = next(e for e in entries(database) if e.name == "SSO")
    assert (sso.kind, sso.requires_id, sso.list_price) == (MODULE, core.id, Decimal("4000"))
    assert history(database) == [
        ("Core", None, "product · 40 USD per seat"),
        ("SSO", None, "module of Core · 4000 USD flat"),
    ]
    with database.reading() as session:
        assert settings_version(session, team_id=TEAM_ID) == 2  # every save raises it
    shown = json.dumps(latest_opened(bot, slack, "settings"))
    assert "SSO module of Core ($4k flat)" in shown
    assert "Catalogue, SSO: none → module of Core · 4000 USD flat" in json.dumps(
        latest_opened(bot, slack, "settings"), ensure_ascii=False
    )  # its history


@pytest.mark.parametrize(
    ("state", "block", "message"),
    [
        (entry_state(price="-5"), "catalogue_price", "A list price is a number, 0 or more."),
        (entry_state(price="1e12"), "catalogue_price", "That is not a list price"),
        (entry_state(price="12.345"), "catalogue_price", "at most two decimals"),
        (entry_state(price="NaN"), "catalogue_price", "Enter a number"),
        (entry_state(currency="XYZ"), "catalogue_currency", "Pick one of USD, EUR"),
        (entry_state(kind="module"), "catalogue_requires", "A module needs one product"),
        (
            entry_state(kind="module", requires="none"),  # the option shown with no product
            "catalogue_requires",
            "A module needs one product",
        ),
        (entry_state(requires=1), "catalogue_requires", "A product needs no other entry"),
        (entry_state(basis=None), "catalogue_basis", "Say what the price is per"),
        (entry_state(price=None), "catalogue_basis", "A basis goes with a list price"),
        (entry_state(name="<@U0BOSS> tool"), "catalogue_name", "cannot hold a mention"),
        (entry_state(name="@channel"), "catalogue_name", "cannot hold a mention"),
        (entry_state(name="   "), "catalogue_name", "Give the entry a name."),
        (entry_state(name="  core "), "catalogue_name", "The catalogue already has Core."),
        (entry_state(kind="unknown"), "catalogue_kind", "Pick one of the options."),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    admin: str,
    state: dict[str, Any],
    block: str,
    message: str,
) -> None:
    add(database, "Core", list_price=Decimal("40"), price_basis=PriceBasis.PER_SEAT)
    form = open_section(bot, slack, open_menu(bot, slack), "catalogue")
    reply = submit(bot, form, state)
    assert reply is not None and reply["response_action"] == "errors"
    assert message in reply["errors"][block], reply
    assert [e.name for e in entries(database)] == ["Core"]
    assert len(history(database)) == 1


def test_a_module_needs_a_product_not_another_module(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    core = add(database, "Core")
    sso = add(database, "SSO", MODULE, requires_id=core)
    form = open_section(bot, slack, open_menu(bot, slack), "catalogue")
    reply = submit(bot, form, entry_state("Audit", kind="module", requires=sso))
    assert reply == {
        "response_action": "errors",
        "errors": {"catalogue_requires": "SSO is a module: a module needs a product."},
    }
    assert len(entries(database)) == 2


def test_an_entry_is_edited_and_its_change_recorded(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    core = add(database, "Core")
    menu = open_menu(bot, slack)
    form = open_entry(bot, slack, menu, core)
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks["catalogue_name"]["element"]["initial_value"] == "Core"
    assert "catalogue_remove" in blocks
    assert json.loads(form["private_metadata"])["entry_id"] == core
    assert submit(bot, form, entry_state("Core Platform", price="45.50")) is None
    [entry] = entries(database)
    assert (entry.id, entry.name, entry.list_price) == (core, "Core Platform", Decimal("45.50"))
    assert history(database)[-1] == (
        "Core → Core Platform",
        "product · no price",
        "product · 45.50 USD per seat",
    )


def test_two_admins_at_once_the_second_save_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    core = add(database, "Core")
    menu = open_menu(bot, slack)
    first = open_entry(bot, slack, menu, core)
    second = open_section(bot, slack, menu, "catalogue")  # opened on the same version
    assert submit(bot, first, entry_state("Core", price="40")) is None
    reply = submit(bot, second, entry_state("Analytics"))
    assert reply is not None
    assert "changed by someone else" in reply["errors"]["catalogue_name"]
    assert [e.name for e in entries(database)] == ["Core"]


def test_removing_an_entry_a_module_needs_or_an_account_uses_is_refused_with_why(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    core = add(database, "Core")
    add(database, "SSO", MODULE, requires_id=core)
    analytics = add(database, "Analytics")
    account = make_account(database, "Acme")
    with database.transaction() as session:
        session.add(AccountProduct(account_id=account.id, entry_id=analytics, team_id=TEAM_ID))
    menu = open_menu(bot, slack)

    reply = submit(bot, open_entry(bot, slack, menu, core), entry_state("Core", remove=True))
    assert reply == {
        "response_action": "errors",
        "errors": {"catalogue_remove": "SSO needs it: remove it first."},
    }
    form = open_entry(bot, slack, menu, analytics)
    reply = submit(bot, form, entry_state("Analytics", remove=True))
    assert reply == {
        "response_action": "errors",
        "errors": {
            "catalogue_remove": "Acme uses it: take it off its account form first.",
        },
    }
    assert len(entries(database)) == 3

    sso = next(e.id for e in entries(database) if e.name == "SSO")
    form = open_entry(bot, slack, menu, sso)
    state = entry_state("SSO", kind="module", requires=core, remove=True)
    assert submit(bot, form, state) is None
    assert [e.name for e in entries(database)] == ["Analytics", "Core"]
    assert history(database)[-1] == ("SSO", "module of Core · no price", None)


def test_a_product_modules_need_cannot_become_a_module(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    core = add(database, "Core")
    add(database, "SSO", MODULE, requires_id=core)
    platform = add(database, "Platform")
    form = open_entry(bot, slack, open_menu(bot, slack), core)
    reply = submit(bot, form, entry_state("Core", kind="module", requires=platform))
    assert reply == {
        "response_action": "errors",
        "errors": {"catalogue_kind": "SSO needs it as a product."},
    }


def test_a_mention_in_a_name_stored_before_is_escaped_in_the_menu(
    bot: SlackSender, slack: FakeSlack, database: Database, admin: str
) -> None:
    with database.transaction() as session:  # as the carried-over free text may hold
        session.add(
            CatalogueEntry(team_id=TEAM_ID, name="<!channel> & co", name_key="x", kind=PRODUCT)
        )
    menu = open_menu(bot, slack)
    mrkdwn = [b["text"]["text"] for b in menu["blocks"] if b["type"] == "section"]
    assert any("&lt;!channel&gt; &amp; co (no price)" in text for text in mrkdwn)
    assert not any("<!channel>" in text for text in mrkdwn)  # option texts are plain text


def test_only_admins_change_the_catalogue(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ALICE"] = {"is_admin": False}
    form = {
        "type": "modal",
        "callback_id": "team.catalogue",
        "private_metadata": ModalMeta(version=0).dump(),
        "blocks": [],
    }
    reply = bot.interaction(view_submission_payload(form, entry_state(), user_id="U0ALICE"))
    assert "admins" in json.dumps(reply.json()).casefold()
    assert entries(database) == []


# -- products in use on the account form -------------------------------------------------------


def account_form_of(bot: SlackSender, slack: FakeSlack, account_id: int) -> dict[str, Any]:
    return latest_opened(bot, slack, "edit acme", user_id="U0ALICE")


def test_the_account_form_picks_products_from_the_catalogue_and_history_keeps_the_change(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    core = add(database, "Core")
    sso = add(database, "SSO", MODULE, requires_id=core)
    add(database, "Analytics")
    account = make_account(database, "Acme", channel_id="C0GENERAL")
    form = account_form_of(bot, slack, account.id)
    [block] = [b for b in form["blocks"] if b.get("block_id") == "products"]
    assert block["element"]["type"] == "multi_static_select"
    assert [o["text"]["text"] for o in block["element"]["options"]] == ["Analytics", "Core", "SSO"]

    chosen = {"type": "multi_static_select", "selected_options": [{"value": str(sso)}]}
    state = account_values(name="Acme", currency="USD", arr="120000") | {"products": chosen}
    reply = bot.interaction(view_submission_payload(form, state))
    assert reply.json() == {
        "response_action": "errors",
        "errors": {"products": "SSO is a module of Core: pick it too."},
    }
    with database.reading() as session:
        assert in_use(session, team_id=TEAM_ID, account_id=account.id) == set()
        assert session.get(type(account), account.id).currency == "USD"  # nothing written

    chosen["selected_options"] = [{"value": str(core)}, {"value": str(sso)}]
    reply = bot.interaction(view_submission_payload(form, state))
    assert reply.status == 200 and reply.body == ""
    with database.reading() as session:
        assert in_use(session, team_id=TEAM_ID, account_id=account.id) == {core, sso}
        [change] = session.execute(
            select(AccountChange).where(AccountChange.field == "products")
        ).scalars()
    assert (change.old_value, change.new_value) == (None, "Core, SSO")

    again = account_form_of(bot, slack, account.id)
    [block] = [b for b in again["blocks"] if b.get("block_id") == "products"]
    assert [o["value"] for o in block["element"]["initial_options"]] == [str(core), str(sso)]
    assert bot.command("acme history").status == 200
    [page] = slack.wait_for("response_url", where=lambda c: "History of" in json.dumps(c.params))
    assert "products in use: _none_ → Core, SSO" in json.dumps(page.params, ensure_ascii=False), (
        page.params
    )


def test_a_product_no_longer_in_the_catalogue_is_refused_inline(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    add(database, "Core")
    account = make_account(database, "Acme", channel_id="C0GENERAL")
    form = account_form_of(bot, slack, account.id)
    chosen = {"type": "multi_static_select", "selected_options": [{"value": "999999"}]}
    state = account_values(name="Acme", currency="USD", arr="120000") | {"products": chosen}
    reply = bot.interaction(view_submission_payload(form, state))
    assert reply.json()["errors"]["products"].startswith("1 of these is no longer in the catalogue")


def test_with_no_catalogue_the_account_form_says_where_to_make_one(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0GENERAL")
    form = account_form_of(bot, slack, account.id)
    assert not [b for b in form["blocks"] if b.get("block_id") == "products"]
    assert "no product catalogue yet" in json.dumps(form)
    assert "/account settings" in json.dumps(form)
    state = account_values(name="Acme", currency="USD", arr="120000")
    reply = bot.interaction(view_submission_payload(form, state))
    assert reply.status == 200 and reply.body == ""
    with database.reading() as session:
        assert session.execute(select(func.count()).select_from(AccountProduct)).scalar_one() == 0


def test_a_new_account_form_reads_nothing_and_says_products_come_on_edit(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    add(database, "Core")
    form = latest_opened(bot, slack, "new Zebra", user_id="U0ALICE")
    assert not [b for b in form["blocks"] if b.get("block_id") == "products"]
    assert "pick them with *Edit account* once it is created" in json.dumps(form)


# -- whitespace, the rule ----------------------------------------------------------------------


def entry(
    id: int,
    name: str,
    price: str | None = None,
    basis: PriceBasis | None = None,
    requires: int | None = None,
    currency: str = "USD",
) -> EntryRow:
    return EntryRow(
        id,
        name,
        MODULE if requires else PRODUCT,
        None if price is None else Decimal(price),
        basis,
        currency,
        requires,
    )


CATALOGUE = [
    entry(1, "Analytics", "18", PriceBasis.PER_SEAT),
    entry(2, "API", "0.02", PriceBasis.PER_UNIT, requires=3),
    entry(3, "Core", "40", PriceBasis.PER_SEAT),
    entry(4, "Premium Support", "15000", PriceBasis.FLAT, currency="EUR"),
    entry(5, "SSO", "4000", PriceBasis.FLAT, requires=3),
    entry(6, "Workflows"),
    entry(7, "Reports", "9", PriceBasis.PER_SEAT, requires=1),
]


def test_whitespace_is_the_catalogue_less_what_is_in_use_each_basis_estimated_or_not() -> None:
    rows = whitespace(CATALOGUE, {3}, seats_licensed=100)
    assert [(r.entry.name, r.estimate, r.no_estimate, r.with_product) for r in rows] == [
        ("Analytics", Decimal("1800"), None, None),  # per seat x seats licensed
        ("Reports", Decimal("900"), None, "Analytics"),  # a module of a product not in use
        ("Premium Support", Decimal("15000"), None, None),  # flat, in its own currency
        ("Workflows", None, NO_PRICE, None),  # no price: no number
        ("API", None, NO_UNITS, None),  # per unit: no units known
        ("SSO", Decimal("4000"), None, None),  # modules of a product in use, after
    ]
    assert rows[2].entry.currency == "EUR"


def test_whitespace_without_seats_gives_no_per_seat_estimate() -> None:
    rows = {r.entry.name: r for r in whitespace(CATALOGUE, set(), seats_licensed=None)}
    assert (rows["Core"].estimate, rows["Core"].no_estimate) == (None, NO_SEATS)
    assert rows["SSO"].with_product == "Core"
    assert rows["SSO"].estimate == Decimal("4000")


def test_whitespace_of_an_empty_catalogue_or_of_everything_in_use_is_empty() -> None:
    assert whitespace([], set(), seats_licensed=10) == []
    assert whitespace(CATALOGUE, {e.id for e in CATALOGUE}, seats_licensed=10) == []


# -- the card ------------------------------------------------------------------------------------


def card(bot: SlackSender, slack: FakeSlack, token: str) -> str:
    assert bot.command("acme", response_url=slack.response_url(token)).status == 200
    [shown] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return "\n".join(
        e.get("text", "")
        for b in shown.params["blocks"]
        if b["type"] == "context"
        for e in b["elements"]
    )


def test_the_card_shows_products_in_use_and_the_whitespace(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    assert "Products: _none recorded_\nWhitespace: no catalogue yet" in card(bot, slack, "a")
    core = add(database, "Core", list_price=Decimal("40"), price_basis=PriceBasis.PER_SEAT)
    add(database, "Analytics", list_price=Decimal("18"), price_basis=PriceBasis.PER_SEAT)
    add(
        database,
        "SSO & <b>",
        MODULE,
        requires_id=core,
        list_price=Decimal("4000"),
        price_basis=PriceBasis.FLAT,
    )
    with database.transaction() as session:
        session.add(AccountProduct(account_id=account.id, entry_id=core, team_id=TEAM_ID))
    assert (
        "Products: Core\nWhitespace: Analytics ($18/seat), SSO &amp; &lt;b&gt; module ($4k flat)"
        in card(bot, slack, "b")
    )
    with database.transaction() as session:
        session.add_all(
            AccountProduct(account_id=account.id, entry_id=e.id, team_id=TEAM_ID)
            for e in catalogue(session, team_id=TEAM_ID)
            if e.id != core
        )
    assert "Whitespace: none" in card(bot, slack, "c")
