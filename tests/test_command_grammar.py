"""The grammar of `/account <text>`, one rule in one parser, tested as a table of texts against a
table of account names: (1) an exact account name, (2) a reserved first word, (3) `<name> <verb>`,
(4) a near name. Text too long to be a name is answered without touching the store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event

from commands.payloads import AccountRequest, AccountVerb, readings
from store.db import Database
from store.names import name_key
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload

NAMES = [
    "Acme",
    "Acme plan",
    "New Horizons",
    "Create Labs",
    "Add Value Partners",
    "Edit Studios",
    "Show Biz",
    "Help Scout",
    "Settings Co",
]
"""Accounts named like the grammar's own words."""

V = AccountVerb
GRAMMAR = [
    # (1) the text is an account's exact name (by its key): that account, whatever its words
    ("Acme plan", V.SHOW, "Acme plan"),
    ("ACME   PLAN", V.SHOW, "ACME PLAN"),
    ("New Horizons", V.SHOW, "New Horizons"),
    ("create labs", V.SHOW, "create labs"),
    ("Add Value Partners", V.SHOW, "Add Value Partners"),
    ("edit studios", V.SHOW, "edit studios"),
    ("show biz", V.SHOW, "show biz"),
    ("help scout", V.SHOW, "help scout"),
    ("Settings Co", V.SHOW, "Settings Co"),
    ("\uff21\uff43\uff4d\uff45", V.SHOW, "\uff21\uff43\uff4d\uff45"),
    # … and an exact name followed by a verb: that verb on that account
    ("acme plan plan", V.PLAN, "acme plan"),
    ("New Horizons history", V.HISTORY, "New Horizons"),
    ("create labs stakeholder", V.STAKEHOLDER, "create labs"),
    ("edit studios contact", V.CONTACT, "edit studios"),
    # (2) a reserved first word: that command (the rest is its account name)
    ("new", V.NEW, ""),
    ("new Initech", V.NEW, "Initech"),
    ("new horizons plc", V.NEW, "horizons plc"),
    ("edit", V.EDIT, ""),
    ("edit acme plan", V.EDIT, "acme plan"),
    ("edit edit studios", V.EDIT, "edit studios"),
    ("help", V.HELP, ""),
    ("help me please", V.HELP, ""),
    ("?", V.HELP, ""),
    ("settings", V.SETTINGS, ""),
    ("show", V.HERE_OR_MINE, ""),
    ("show acme plan", V.SHOW, "acme plan"),
    ("show acme history", V.SHOW, "acme history"),
    ("show show biz", V.SHOW, "show biz"),
    # (3) `<name> <verb>`
    ("acme history", V.HISTORY, "acme"),
    ("acme stakeholder", V.STAKEHOLDER, "acme"),
    ("acmee plan", V.PLAN, "acmee"),
    ("plan", V.PLAN, ""),
    # (4) anything else: a name, matched ignoring case and small typos
    ("acme", V.SHOW, "acme"),
    ("horizons", V.SHOW, "horizons"),
    ("create lab", V.SHOW, "create lab"),
    ("add value", V.SHOW, "add value"),
    ("", V.HERE_OR_MINE, ""),
]


@pytest.mark.parametrize(("text", "verb", "name"), GRAMMAR)
def test_the_grammar_reads_each_text_against_the_account_names(
    text: str, verb: AccountVerb, name: str
) -> None:
    keys = {name_key(n) for n in NAMES}
    request = AccountRequest.parse(text, is_account=lambda typed: name_key(typed) in keys)
    assert (request.verb, request.name) == (verb, name)


def test_every_reading_the_parser_may_ask_about_is_known_up_front() -> None:
    """The answering code looks every candidate name up in one query, before parsing."""
    for text, _verb, _name in GRAMMAR:
        asked: list[str] = []

        def known(typed: str, asked: list[str] = asked) -> bool:
            asked.append(typed)
            return False

        AccountRequest.parse(text, is_account=known)
        assert set(asked) <= set(readings(text).names), text


def test_settings_with_words_after_it_and_long_text_are_usage_errors() -> None:
    never = lambda _typed: False  # noqa: E731
    settings = AccountRequest.parse("settings please", is_account=never)
    assert (settings.verb, settings.problem) == (
        V.USAGE,
        "`/account settings` takes nothing after it.",
    )
    too_long = AccountRequest.parse("x" * 151, is_account=never)
    assert too_long.verb is V.USAGE and "too long to be an account name" in too_long.problem
    assert readings("x" * 151).names == ()
    assert AccountRequest.parse("x" * 150, is_account=never).verb is V.SHOW


# -- through Slack ---------------------------------------------------------------------------------


def reply_blocks(bot: SlackSender, slack: FakeSlack, text: str, token: str) -> list[dict[str, Any]]:
    assert bot.command(text, response_url=slack.response_url(token)).status == 200
    [reply] = slack.wait_for("response_url", where=lambda c: c.path == f"/response/{token}")
    return reply.params["blocks"]


def title(blocks: list[dict[str, Any]]) -> str:
    return blocks[0]["text"]["text"]


ANSWERS = [
    ("acme", "Acme"),
    ("Acme plan", "Acme plan"),
    ("acme plan plan", "Mutual action plan: Acme plan"),
    ("acme history", "History of Acme"),
    ("New Horizons", "New Horizons"),
    ("new horizons plan", "Mutual action plan: New Horizons"),
    ("Create Labs", "Create Labs"),
    ("create labs history", "History of Create Labs"),
    ("add value partners", "Add Value Partners"),
    ("Edit Studios", "Edit Studios"),
    ("show biz", "Show Biz"),
    ("show acme plan", "Acme plan"),
    ("show show biz", "Show Biz"),
    ("help scout", "Help Scout"),
    ("settings co", "Settings Co"),
    ("horizons", "New Horizons"),
    ("\uff21\uff43\uff4d\uff45  PLAN", "Acme plan"),
    ("help", "How to use /account"),
]


def test_accounts_named_like_commands_open_with_account_and_their_name(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    for index, name in enumerate(NAMES):
        make_account(database, name, channel_id=f"C0ACC{index}")
    answered = [
        (text, title(reply_blocks(bot, slack, text, f"t{index}")))
        for index, (text, _expected) in enumerate(ANSWERS)
    ]
    assert answered == ANSWERS


@pytest.mark.parametrize(
    ("text", "form", "prefill"),
    [
        ("new", "New account", None),
        ("new Initech", "New account", "Initech"),
        ("edit acme plan", "Edit account", "Acme plan"),
        ("edit edit studios", "Edit account", "Edit Studios"),
        ("new horizons stakeholder", "Add stakeholder", "New Horizons"),
    ],
)
def test_commands_open_their_form_and_account_names_do_not_get_in_the_way(
    bot: SlackSender, slack: FakeSlack, database: Database, text: str, form: str, prefill: str
) -> None:
    for index, name in enumerate(NAMES):
        make_account(database, name, channel_id=f"C0ACC{index}")
    bot.command(text)
    view = slack.opened_view()
    assert view["title"]["text"] == form
    shown = json.dumps(view, ensure_ascii=False)
    if form == "Add stakeholder":
        assert f"Stakeholder map of *{prefill}*" in shown
    else:
        name_input = next(b for b in view["blocks"] if b.get("block_id") == "name")["element"]
        assert name_input.get("initial_value") == prefill


def test_a_card_costs_the_same_statements_by_exact_name_by_verb_word_or_near_name(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    for index, name in enumerate(NAMES):
        make_account(database, name, channel_id=f"C0ACC{index}")
    statements: list[str] = []
    for engine in (database.engine, database.glance_engine):  # the names' look-up counts too
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    counts = {}
    for index, text in enumerate(["acme", "Acme plan", "new horizons", "horizons"]):
        statements.clear()
        reply_blocks(bot, slack, text, f"s{index}")
        counts[text] = sum(s.lstrip().upper().startswith("SELECT") for s in statements)
    # one of them the last touch (issue 19: the card before a call), two the band's spell from
    # the history (issue 13), one the current save plans with their progress (issue 13); the
    # usage the rules read is one more, a WITH, not counted here; one the catalogue with the
    # account's products in use (issue 14); two its departments and its last 90 days' business
    # events (issue 14: coverage and events); one its open deals (issue 15); the map's last
    # activity is read in the accounts' own statement (two of its own before `p-lists`)
    assert counts == {"acme": 13, "Acme plan": 13, "new horizons": 13, "horizons": 14}


# -- text too long to be a name, and forms filled in within their limits -------------------------


def test_text_too_long_to_be_a_name_is_told_so_without_asking_the_store(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    statements: list[str] = []
    for engine in (database.engine, database.glance_engine):
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    words = " ".join(f"w{i:03d}" for i in range(500))  # about 2,500 characters
    for index, text in enumerate([words, f"{words} plan", f"edit {words}", f"show {words}"]):
        blocks = reply_blocks(bot, slack, text, f"long{index}")
        assert blocks[0]["text"]["text"] == (
            ":warning: That is too long to be an account name (150 characters at most)."
        )
    assert statements == []


def view_limits_broken(view: dict[str, Any]) -> list[str]:
    """Inputs whose initial value is longer than the input accepts (Slack refuses the view)."""
    broken = []
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        limit, value = element.get("max_length"), element.get("initial_value")
        if limit is not None and value is not None and len(value) > limit:
            broken.append(f"{block.get('block_id')}: {len(value)} > {limit}")
    return broken


def test_new_with_a_long_name_fills_the_form_within_the_name_limit(
    bot: SlackSender, slack: FakeSlack
) -> None:
    bot.command("new " + "N" * 400)
    view = slack.opened_view()
    assert view_limits_broken(view) == []
    name_input = next(b for b in view["blocks"] if b.get("block_id") == "name")["element"]
    assert name_input["initial_value"] == "N" * 150
    assert [c.answer["ok"] for c in slack.calls_to("views.update")] == [True]


def test_the_create_button_fills_the_form_within_the_name_limit(
    bot: SlackSender, slack: FakeSlack
) -> None:
    click = block_actions_payload(
        "account.create", "Z" * 400, channel_id="C0NEW", response_url=slack.response_url()
    )
    assert bot.interaction(click).status == 200
    [opened] = slack.wait_for("views.open")
    assert opened.answer["ok"] is True
    assert view_limits_broken(opened.json_param("view")) == []
