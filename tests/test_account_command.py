"""`/account` through the signed endpoint: card, matching, portfolio, forms, help, escaping."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from store.actions import add_action_item
from store.db import Database
from store.enums import ContactChannel, Influence, Role, Sentiment
from store.stakeholders import log_contact, mark_departed
from store.wording import dated
from tests.factories import add_person, app_today, corrupt_team_settings, make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender

TODAY = app_today()


def answer(slack: FakeSlack) -> dict:
    [call] = slack.wait_for("response_url")
    return call.params


def answer_text(slack: FakeSlack) -> str:
    return json.dumps(answer(slack)["blocks"])


def mrkdwn_texts(node: object) -> list[str]:
    """Every mrkdwn text object in a Block Kit tree."""
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in mrkdwn_texts(value)]
    return []


def add_people(
    database: Database, account, people: list[tuple[str, Role, int | None]]
) -> dict[str, int]:
    """Put people on the map, each contacted `days` ago (None: never)."""
    return {
        name: add_person(
            database,
            account,
            name,
            role,
            contacted_days_ago=days,
            influence=Influence.HIGH,
            sentiment=Sentiment.POSITIVE,
        )
        for name, role, days in people
    }


def test_card_shows_snapshot_band_map_flags_and_plan(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(
        database,
        "Acme Logistics",
        arr=Decimal("480000"),
        seats_licensed=900,
        seats_active=610,
        renewal_date=TODAY + timedelta(days=41),
    )
    ids = add_people(
        database,
        account,
        [
            ("Dana Lee", Role.CHAMPION, 20),
            ("Raj Patel", Role.ECONOMIC_BUYER, 74),
            ("Sam Ortiz", Role.END_USER, 5),
        ],
    )
    with database.transaction() as session:
        mark_departed(
            session,
            team_id=account.team_id,
            stakeholder_id=ids["Dana Lee"],
            on=TODAY,
            by_user_id="U0ALICE",
        )
        add_action_item(
            session,
            team_id=account.team_id,
            account_id=account.id,
            title="Security review",
            due_on=TODAY - timedelta(days=9),
            by_user_id="U0ALICE",
            our_owner_user_id="U0ALICE",
            customer_owner_stakeholder_id=ids["Raj Patel"],
        )
        add_action_item(
            session,
            team_id=account.team_id,
            account_id=account.id,
            title="Proposal",
            due_on=TODAY + timedelta(days=6),
            by_user_id="U0ALICE",
            customer_owner_name="Procurement",
        )
    assert bot.command("acme logistics").status == 200
    reply = answer(slack)
    assert reply["response_type"] == "ephemeral"
    blocks = reply["blocks"]
    text = json.dumps(blocks)
    assert blocks[0]["text"]["text"] == "Acme Logistics"
    # the band and its one-line why; each reason is then said once, in the Flags
    assert blocks[1]["text"]["text"] == ":red_circle: *Red*: renewal in 41 days with 4 risks open"
    for reason in (
        "renewal in 41 days",
        "champion departed with no successor",
        "single-threaded: 1 live contact (target 3)",
        "no recent contact with the economic buyer",
        "1 action item overdue",
    ):
        assert text.count(reason) == 1, reason
    assert "$480k" in text and "610 of 900 (68%)" in text and "(in 41 days)" in text
    assert "1 live contact (target 3): Sam Ortiz" in text  # Raj: no contact in 74 days
    assert "renewal not started" in text
    raj = next(
        b for b in blocks if "Raj Patel" in b.get("text", {}).get("text", "") and "accessory" in b
    )
    assert raj["text"]["text"].startswith("Economic buyer · *Raj Patel*")
    assert "last contact 74 days ago" in raj["text"]["text"]
    assert [o["value"] for o in raj["accessory"]["options"]] == [
        f"{m}:{ids['Raj Patel']}" for m in ("edit", "sentiment", "departed", "promoted")
    ]
    departed = "*Departed*\\n• Dana Lee (champion, left today)"
    assert departed in json.dumps(blocks, ensure_ascii=False)
    assert "no recent contact with the economic buyer* · Raj Patel, last contact 74 days ago" in (
        json.dumps(blocks, ensure_ascii=False)
    )
    texts = [b.get("text", {}).get("text", "") for b in blocks]
    start = texts.index("*Mutual action plan* · 2 open")
    plan = json.dumps(blocks[start:])
    assert plan.index("Security review") < plan.index("Proposal")  # overdue first
    assert "9 days overdue" in plan and "them: Raj Patel" in plan and "them: Procurement" in plan
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [
        "saveplan.open",  # red, no save plan yet: the draft's button
        *["action.done", "action.menu"] * 2,  # each open item: Done and its menu
        "stakeholder.add",
        "action.add",
        "task.add",
        "contact.log",
        "history.page",
        "account.share",
        "account.edit",
        "account.renewal",
        "account.override",
        "account.usage",
        "account.departments",
        "account.event",
        "account.growth",
        "deal.add",
        "account.deals",
    ]
    assert len(blocks) <= 50


def test_small_typos_find_the_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme Logistics", channel_id="C1")
    make_account(database, "Globex Retail", channel_id="C2")
    bot.command("acme logstics")
    assert answer(slack)["blocks"][0]["text"]["text"] == "Acme Logistics"


def test_several_matches_offer_a_choice_and_picking_shows_the_card(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    from tests.slack_sender import block_actions_payload

    make_account(database, "Acme Logistics", channel_id="C1")
    health = make_account(database, "Acme Health", channel_id="C2")
    bot.command("acme")
    reply = answer(slack)
    assert "Several accounts match *acme*" in json.dumps(reply["blocks"])
    [choice] = [b for b in reply["blocks"] if b["type"] == "actions"]
    assert [(e["text"]["text"], e["action_id"]) for e in choice["elements"]] == [
        ("Acme Health", "account.show"),
        ("Acme Logistics", "account.show"),
    ]
    picked = block_actions_payload(
        "account.show", str(health.id), response_url=slack.response_url("pick")
    )
    assert bot.interaction(picked).status == 200
    [_, shown] = slack.wait_for("response_url", count=2)
    assert shown.params["replace_original"] is True
    assert shown.params["blocks"][0]["text"]["text"] == "Acme Health"


def test_unknown_account_says_so_and_offers_to_create_it(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    bot.command("Zebra Corp")
    blocks = answer(slack)["blocks"]
    assert "No account matches *Zebra Corp*" in json.dumps(blocks)
    [offer] = [b for b in blocks if b["type"] == "actions"]
    assert offer["elements"][0]["action_id"] == "account.create"
    assert offer["elements"][0]["value"] == "Zebra Corp"


def test_other_teams_accounts_are_invisible(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", team_id="T0OTHER")
    bot.command("acme")
    assert "No account matches *acme*" in answer_text(slack)


def test_no_text_in_linked_channel_shows_that_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme", channel_id="C0ACME")
    make_account(database, "Globex", channel_id="C0GLOBEX")
    bot.command("", channel_id="C0GLOBEX")
    assert answer(slack)["blocks"][0]["text"]["text"] == "Globex"


def test_no_text_elsewhere_lists_my_accounts_riskiest_first(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    healthy = make_account(
        database, "Healthy Co", renewal_date=TODAY + timedelta(days=200), channel_id="C1"
    )
    add_people(
        database,
        healthy,
        [("A", Role.CHAMPION, 1), ("B", Role.ECONOMIC_BUYER, 1), ("C", Role.EXECUTIVE_SPONSOR, 1)],
    )
    make_account(database, "Risky Inc", renewal_date=TODAY + timedelta(days=20), channel_id="C2")
    make_account(database, "Bobs Account", owner_user_id="U0BOB", channel_id="C3")
    bot.command("", user_id="U0ALICE", channel_id="D0ALICE")
    text = answer_text(slack)
    assert "Your accounts (2)" in text
    assert text.index("Risky Inc") < text.index("Healthy Co")
    assert ":red_circle: *Risky Inc*" in text and "(in 20 days)" in text
    assert "renewal in 20 days" not in text  # the renewal's date is said once a line
    assert "Bobs Account" not in text


def test_portfolio_of_someone_with_no_accounts(bot: SlackSender, slack: FakeSlack) -> None:
    bot.command("", user_id="U0NEW", channel_id="D0NEW")
    assert "No accounts yet" in answer_text(slack)


def test_help_explains_every_form(bot: SlackSender, slack: FakeSlack) -> None:
    bot.command("help")
    text = answer_text(slack)
    for form in ("/account Acme", "/account new", "/account edit Acme", "/account help"):
        assert form in text


def test_new_opens_the_account_modal_with_channel_and_owner_defaults(
    bot: SlackSender, slack: FakeSlack
) -> None:
    bot.command("new Zebra Corp", channel_id="C0ZEBRA", user_id="U0ALICE")
    view = slack.opened_view()
    assert view["callback_id"] == "account.form"
    assert slack.calls_to("views.open")[0].params["trigger_id"]
    by_block = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert by_block["name"]["initial_value"] == "Zebra Corp"
    assert by_block["channel_id"]["initial_conversation"] == "C0ZEBRA"
    assert by_block["owner_user_id"]["initial_user"] == "U0ALICE"
    assert json.loads(view["private_metadata"]) == {"response_url": slack.response_url()}


def test_edit_opens_the_modal_filled_in(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(
        database, "Acme", arr=Decimal("1234.50"), seats_licensed=10, seats_active=4
    )
    bot.command("edit acme")
    view = slack.opened_view()
    by_block = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert by_block["name"]["initial_value"] == "Acme"
    assert by_block["arr"]["initial_value"] == "1234.50"
    assert by_block["seats_active"]["initial_value"] == "4"
    assert json.loads(view["private_metadata"])["account_id"] == account.id


def test_edit_without_a_name_outside_an_account_channel_explains(
    bot: SlackSender, slack: FakeSlack
) -> None:
    bot.command("edit", channel_id="C0RANDOM")
    assert "Which account?" in json.dumps(slack.opened_view())


def test_names_with_mentions_are_escaped_everywhere(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "<!channel> & <@U0BOSS>", owner_user_id="U0ALICE")
    add_people(database, account, [("<!here> Eve", Role.CHAMPION, 1)])
    bot.command("", user_id="U0ALICE", channel_id=account.channel_id)
    reply = answer(slack)
    parsed = [reply["text"], *mrkdwn_texts(reply["blocks"])]  # what Slack parses for mentions
    assert any("&lt;!here&gt; Eve" in t for t in parsed)
    assert any("&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in t for t in parsed)
    assert not [t for t in parsed if "<!" in t or "<@U0BOSS>" in t]
    header = reply["blocks"][0]["text"]
    assert header == {"type": "plain_text", "text": "<!channel> & <@U0BOSS>", "emoji": True}


def test_unknown_name_with_markup_is_escaped(bot: SlackSender, slack: FakeSlack) -> None:
    bot.command("<!here>")
    reply = answer(slack)
    parsed = [reply["text"], *mrkdwn_texts(reply["blocks"])]
    assert any("&lt;!here&gt;" in t for t in parsed)
    assert not [t for t in parsed if "<!here>" in t]


def test_unexpected_failure_gives_an_error_id_and_is_logged(
    bot: SlackSender, slack: FakeSlack, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    make_account(database, "Acme")
    corrupt_team_settings(database)  # a row our code cannot read: a bug, not the user's doing
    with caplog.at_level(logging.ERROR, logger="accountbot.errors"):
        assert bot.command("acme").status == 200
        [call] = slack.wait_for("response_url")
    assert call.params["response_type"] == "ephemeral"
    match = re.search(r"error id `([0-9a-f]{8})`", call.params["text"])
    assert match, call.params["text"]
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info


def test_the_card_before_a_call_says_the_last_touch_and_the_next_one_booked(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme")
    sam = add_person(database, acme, "Sam Ortiz", Role.CHAMPION)
    ana = add_person(database, acme, "Ana Souza", Role.END_USER)
    with database.transaction() as session:
        for days, summary in ((12, "Kick-off"), (5, "Renewal call\nthey want a discount")):
            log_contact(
                session,
                team_id=acme.team_id,
                account_id=acme.id,
                stakeholder_ids=[sam, ana],
                contacted_on=TODAY - timedelta(days=days),
                channel=ContactChannel.CALL,
                summary=summary,
                by_user_id="U0ALICE",
            )
    bot.command("acme")
    touches = next(b["text"]["text"] for b in answer(slack)["blocks"] if "*Last touch*" in str(b))
    day = TODAY - timedelta(days=5)
    assert touches == (
        f"*Last touch* {dated(day, TODAY)} · call with Ana Souza, Sam Ortiz: Renewal call\n"
        "*Next touch* :eyes: none booked in the next 30 days (the renewal is open)"
    )
    slack.calls.clear()
    with database.transaction() as session:
        add_action_item(
            session,
            team_id=acme.team_id,
            account_id=acme.id,
            title="QBR",
            due_on=TODAY + timedelta(days=3),
            by_user_id="U0ALICE",
            customer_owner_stakeholder_id=sam,
        )
    bot.command("acme")
    touches = next(b["text"]["text"] for b in answer(slack)["blocks"] if "*Last touch*" in str(b))
    due = TODAY + timedelta(days=3)
    assert touches.endswith(f"*Next touch* “QBR” with Sam Ortiz · {dated(due, TODAY)}")
    assert dated(due, TODAY).endswith(" (in 3 days)")
    flags = next(b["text"]["text"] for b in answer(slack)["blocks"] if "*Flags*" in str(b))
    assert "due within" not in flags  # the next touch is said once, on its own line
    slack.calls.clear()
    with database.transaction() as session:
        add_action_item(
            session,
            team_id=acme.team_id,
            account_id=acme.id,
            title="Order form",
            due_on=TODAY + timedelta(days=5),
            by_user_id="U0ALICE",
            customer_owner_stakeholder_id=sam,
        )
    bot.command("acme")
    flags = next(b["text"]["text"] for b in answer(slack)["blocks"] if "*Flags*" in str(b))
    assert ":eyes: *1 more action item due within 7 days* · Order form" in flags


def test_none_booked_is_watched_only_when_it_matters(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Nothing booked after a call last week, renewal far off: said plainly, not watched; the
    same account quiet for 40 days: watched, with why (issue 19 item 7)."""
    far = make_account(database, "Far", renewal_date=TODAY + timedelta(days=300))
    add_person(database, far, "Sam Ortiz", Role.CHAMPION, contacted_days_ago=5, today=TODAY)
    quiet = make_account(database, "Quiet", renewal_date=TODAY + timedelta(days=300))
    add_person(database, quiet, "Ana Souza", Role.CHAMPION, contacted_days_ago=40, today=TODAY)

    def touches(name: str) -> str:
        slack.calls.clear()
        bot.command(name)
        blocks = answer(slack)["blocks"]
        return next(b["text"]["text"] for b in blocks if "*Last touch*" in str(b))

    assert touches("far").endswith("*Next touch* none booked")
    assert touches("quiet").endswith(
        "*Next touch* :eyes: none booked in the next 30 days (last contact with anyone 40 days ago)"
    )
