"""The contract between Slack and the bot (`commands.routes`): every listener is a route that
declares its need, every button and menu a typed value; a value the bot did not write is refused
before any listener runs, with a clear answer and nothing written, on every kind of button."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import event, func, select
from sqlmodel import Session

from bot.app import build_app
from bot.inbound import ACTION_SHAPES
from bot.settings import Settings
from commands.contract import Answer, Find, Form, InModal, Listen, Modal, Verb
from commands.needs import ADMIN, CHANGE, LEAD, SEE
from commands.payloads import AccountVerb
from commands.routes import ONE_TOKEN_ROUTES, ROUTES, VERBS, Undeclared, register
from commands.ui.ids import Action, Command, Event, ItemMenu, StakeholderMenu, View
from commands.ui.values import (
    MAX_VALUE,
    AccountValue,
    ButtonValue,
    HistoryValue,
    ItemMenuValue,
    ItemValue,
    NewAccountValue,
    NewPersonValue,
    PersonMenuValue,
    SectionValue,
    StaleValue,
)
from store.db import Database
from store.enums import Role
from store.models import ActionItem, ContactLog, Stakeholder, StakeholderChange
from store.settings import SettingsSection
from store.types import utcnow
from tests.factories import add_item, add_person, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    overflow_payload,
    view_block_action_payload,
)

ACTION_ROUTES = [r for r in ROUTES if isinstance(r, Answer | Modal | InModal)]


def action_id(route: Answer | Modal | InModal) -> str:
    return str(route.id)


# -- the table ------------------------------------------------------------------------------------


def test_every_button_menu_and_select_has_a_route_with_a_value_model() -> None:
    routed = {action_id(r) for r in ACTION_ROUTES if action_id(r) in set(Action)}
    assert routed == {a.value for a in Action}
    assert all(issubclass(r.value, ButtonValue) for r in ACTION_ROUTES if r.id in set(Action))
    assert set(ACTION_SHAPES) == routed  # the front door knows what each listener reads


def test_every_form_and_verb_has_a_route() -> None:
    forms = {str(r.view) for r in ROUTES if isinstance(r, Form)}
    assert forms == {v.value for v in View} - {View.LOADING, View.SETTINGS_MENU}
    assert {r.verb for r in VERBS} == set(AccountVerb)


def test_a_menu_routes_each_of_its_options() -> None:
    for menu_id, options in (
        (Action.ITEM_MENU, ItemMenu),
        (Action.STAKEHOLDER_MENU, StakeholderMenu),
    ):
        served = [getattr(r, "choice", None) for r in ACTION_ROUTES if action_id(r) == menu_id]
        assert sorted(served) == sorted(options)


def test_a_route_registered_without_a_need_is_refused() -> None:
    def listener() -> None: ...

    undeclared: list[Any] = [
        Answer(Action.SHOW_ACCOUNT, listener, AccountValue, None),  # type: ignore[arg-type]
        Listen(Action.CONTACT_ACCOUNT, listener, None, kind="options"),  # type: ignore[arg-type]
        Form(View.ACCOUNT_FORM, listener, None),  # type: ignore[arg-type]
        Answer(Action.SHOW_ACCOUNT, listener, None, SEE),  # type: ignore[arg-type]
        Verb(AccountVerb.HELP, None, answer=listener),  # type: ignore[arg-type]
    ]
    for route in undeclared:
        with pytest.raises(Undeclared):
            register(App(token="xoxb-test", token_verification_enabled=False), routes=[route])


def test_a_need_the_route_cannot_check_is_refused_at_start() -> None:
    """No declaration is decorative: a need about an account on a route that finds none, a need
    on a form built from the click alone, on the command itself (each verb has its own) or on an
    event, the routes of one action reading two value models or serving one option twice, and a
    listener naming an argument nobody gives it."""

    def listener() -> None: ...

    def loader(session: Any, value: Any, request: Any) -> dict[str, Any]:
        return {}

    uncheckable: list[list[Any]] = [
        [Answer(Action.SHOW_ACCOUNT, listener, AccountValue, SEE, account=Find.NONE)],
        [Form(View.ACCOUNT_FORM, listener, CHANGE, account=Find.NONE)],
        [Modal(Action.CREATE_ACCOUNT, "New", loader, NewAccountValue, CHANGE, reads_store=False)],
        [Modal(Action.CREATE_ACCOUNT, "New", loader, NewAccountValue, ADMIN, reads_store=False)],
        [Listen(Command.ACCOUNT, listener, LEAD, kind="command")],
        [Listen(Event.APP_HOME_OPENED, listener, CHANGE)],
        [
            Answer(Action.ITEM_MENU, listener, ItemMenuValue, CHANGE, choice=ItemMenu.CANCEL),
            Answer(Action.ITEM_MENU, listener, ItemValue, CHANGE, choice=ItemMenu.UNBLOCK),
        ],
        [
            Answer(Action.ITEM_MENU, listener, ItemMenuValue, CHANGE, choice=ItemMenu.CANCEL),
            Answer(Action.ITEM_MENU, listener, ItemMenuValue, CHANGE, choice=ItemMenu.CANCEL),
        ],
    ]

    def misspelt(todya: Any) -> None: ...

    uncheckable.append([Answer(Action.SHOW_ACCOUNT, misspelt, AccountValue, SEE)])
    for routes in uncheckable:
        with pytest.raises(Undeclared):
            register(App(token="xoxb-test", token_verification_enabled=False), routes=routes)


@pytest.mark.parametrize("many_workspaces", [False, True])
def test_the_bot_wires_only_routes(
    settings: Settings, oauth_settings: Settings, database: Database, many_workspaces: bool
) -> None:
    """Every Bolt listener of the real app (as `accountbot run` builds it) serves a route of the
    table, and every route of the table is served: nothing is wired around the contract."""
    app = build_app(oauth_settings if many_workspaces else settings, database)
    table = [*ROUTES, *([] if many_workspaces else ONE_TOKEN_ROUTES)]
    served = []
    for listener in app._listeners:  # one Bolt listener per kind, running each id's runner
        runners = getattr(listener.ack_function, "runners", None)
        if runners is None:  # Bolt's own, asked for by the table's register: tokens revoked
            assert many_workspaces and listener.ack_function.__module__.startswith("slack_bolt")
            continue
        served.extend(route for run in runners.values() for route in run.__routes__)
    assert all(any(route is r for r in table) for route in served)
    assert all(any(route is s for s in served) for route in table if not isinstance(route, Verb))


# -- the values -----------------------------------------------------------------------------------

LARGEST = 2**31 - 1
ENCODED = [
    (AccountValue(account_id=12), "12"),
    (HistoryValue(account_id=12, offset=0), "12:0"),
    (HistoryValue(account_id=12, offset=10, page="page"), "12:10:page"),
    (NewPersonValue(account_id=12), "12"),
    (NewPersonValue(account_id=12, role=Role.CHAMPION), "12:champion"),
    (PersonMenuValue(choice=StakeholderMenu.SENTIMENT, stakeholder_id=7), "sentiment:7"),
    (ItemValue(item_id=3), "3"),
    (ItemMenuValue(choice=ItemMenu.CANCEL, item_id=3), "cancel:3"),
    (SectionValue(section=SettingsSection.THRESHOLDS), "thresholds"),
    (NewAccountValue(name="Acme: the logistics one"), "Acme: the logistics one"),
]


@pytest.mark.parametrize(("value", "encoded"), ENCODED)
def test_values_are_written_as_they_always_were_and_read_back(
    value: ButtonValue, encoded: str
) -> None:
    """Cards posted before the values were typed carry these same strings: they still work."""
    assert value.encode() == encoded
    assert type(value).decode(encoded) == value


def test_every_value_fits_in_a_button() -> None:
    largest = [
        AccountValue(account_id=LARGEST),
        HistoryValue(account_id=LARGEST, offset=LARGEST, page="page"),
        NewPersonValue(account_id=LARGEST, role=max(Role, key=len)),
        PersonMenuValue(choice=max(StakeholderMenu, key=len), stakeholder_id=LARGEST),
        ItemMenuValue(choice=max(ItemMenu, key=len), item_id=LARGEST),
        NewAccountValue(name="Z" * MAX_VALUE),
    ]
    assert all(len(v.encode()) <= MAX_VALUE for v in largest)


@pytest.mark.parametrize(
    ("model", "text"),
    [
        (AccountValue, "12:0"),
        (AccountValue, ""),
        (HistoryValue, "12"),
        (HistoryValue, "12:0:pages"),
        (NewPersonValue, "12:janitor"),
        (PersonMenuValue, "fire:12"),
        (PersonMenuValue, "12"),
        (ItemMenuValue, "cancel:12:13"),
        (SectionValue, "billing"),
        (ItemValue, "Z" * (MAX_VALUE + 1)),
    ],
)
def test_a_value_the_bot_did_not_write_is_stale(model: type[ButtonValue], text: str) -> None:
    with pytest.raises(StaleValue, match="no longer points at"):
        model.decode(text)


# -- through the signed endpoint ------------------------------------------------------------------

MALFORMED = ["1 OR 1=1", "edit:", "99999999999:edit", "\u0661:0", "x" * 2001]


def said(slack: FakeSlack) -> str:
    return json.dumps([c.params for c in slack.calls], ensure_ascii=False)


def rows(database: Database) -> tuple[int, ...]:
    with database.transaction() as session:
        counts = [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (StakeholderChange, ContactLog, Stakeholder)
        ]
        return (*counts, session.scalar(select(ActionItem.version)) or 0)


@pytest.mark.parametrize("malformed", MALFORMED)
def test_a_tampered_value_on_any_button_of_a_message_gets_a_clear_answer(
    bot: SlackSender, slack: FakeSlack, database: Database, malformed: str
) -> None:
    account = make_account(database, "Acme")
    add_person(database, account, "Dana Lee", Role.CHAMPION)
    add_item(database, account, "Ship", utcnow().date() + timedelta(days=3))
    before = rows(database)
    on_messages = sorted(
        {action_id(r) for r in ACTION_ROUTES if not isinstance(r, InModal) and r.id in set(Action)}
        - {Action.SETTINGS_SECTION, Action.CATALOGUE_ENTRY, Action.CREATE_ACCOUNT}  # in a modal
    )
    for action in on_messages:
        token = f"t-{action}"
        if action.endswith("menu"):
            click = overflow_payload(action, malformed, response_url=slack.response_url(token))
        else:
            click = block_actions_payload(action, malformed, response_url=slack.response_url(token))
        assert bot.interaction(click).status == 200
        [reply] = slack.wait_for("response_url", where=lambda c, t=token: c.path.endswith(t))
        text = reply.params["text"]
        assert text.startswith(":warning: That ") and "no longer points at" in text, (action, text)
        assert reply.params["response_type"] == "ephemeral"
    assert "error id" not in said(slack)
    assert slack.calls_to("views.open") == []
    assert rows(database) == before


def test_a_tampered_value_inside_a_form_is_said_in_the_form(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    make_account(database, "Acme")
    form = {"type": "modal", "callback_id": "contact.form", "private_metadata": "{}", "blocks": []}
    pick = {
        "type": "external_select",
        "action_id": "contact.account",
        "block_id": "account_id",
        "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": "1:1"},
    }
    assert bot.interaction(view_block_action_payload(form, pick)).status == 200
    [redrawn] = slack.wait_for("views.update")
    assert "That choice no longer points at an account." in json.dumps(redrawn.json_param("view"))
    channel = {
        "type": "conversations_select",
        "action_id": "account.channel",
        "block_id": "channel_id",
        "selected_conversation": "#general; DROP",
    }
    account_form = form | {"callback_id": "account.form"}
    assert bot.interaction(view_block_action_payload(account_form, channel)).status == 200
    [_, warned] = slack.wait_for("views.update", count=2)
    assert "That choice is not a channel." in json.dumps(warned.json_param("view"))
    menu = form | {"callback_id": "team.settings.menu"}
    section = {"type": "button", "action_id": "settings.section", "value": "digests:1"}
    assert (
        bot.interaction(view_block_action_payload(menu, section, user_id="U0ADMIN")).status == 200
    )
    [pushed] = slack.wait_for("views.push")
    assert "That button no longer points at a setting." in json.dumps(pushed.json_param("view"))
    assert "error id" not in said(slack)
    assert slack.calls_to("conversations.info") == []  # nothing ran past the value


def test_a_button_posted_before_the_values_were_typed_still_works(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """A departure alert's "Add their replacement" as it was always written (`12:champion`)."""
    account = make_account(database, "Acme")
    click = block_actions_payload(
        "stakeholder.add", f"{account.id}:champion", response_url=slack.response_url()
    )
    assert bot.interaction(click).status == 200
    form = slack.opened_view()
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks["role"]["element"]["initial_option"]["value"] == "champion"


# -- Slack is never asked inside a database transaction -------------------------------------------


def asked_inside(slack: FakeSlack, spans: Any, method: str) -> list[float]:
    calls = slack.calls_to(method)
    assert calls, f"Slack was never asked {method}"
    return [c.at for c in calls for start, end in spans.values() if start <= c.at <= end]


def test_who_is_an_admin_or_a_lead_is_asked_outside_any_transaction(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    spans: dict[int, list[float]] = {}

    def began(session: Any, transaction: Any) -> None:
        if transaction.parent is None:
            spans[id(transaction)] = [time.monotonic(), float("inf")]

    def ended(session: Any, transaction: Any) -> None:
        if transaction.parent is None and id(transaction) in spans:
            spans[id(transaction)][1] = time.monotonic()

    event.listen(Session, "after_transaction_create", began)
    event.listen(Session, "after_transaction_end", ended)
    try:
        bot.command("settings", user_id="U0ADMIN")
        assert slack.opened_view()["callback_id"] == "team.settings.menu"
        assert bot.command("portfolio", user_id="U0ADMIN").status == 200
        slack.wait_for("response_url")
    finally:
        event.remove(Session, "after_transaction_create", began)
        event.remove(Session, "after_transaction_end", ended)
    assert asked_inside(slack, spans, "users.info") == []
