"""Logging contacts (card, command, message shortcut) and reading history, as Slack sends them."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from store.db import Database
from store.enums import ContactChannel, Role, Sentiment
from store.models import ContactLog, Stakeholder
from store.stakeholders import log_contact, update_stakeholder
from store.wording import day as short_day
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    block_suggestion_payload,
    message_shortcut_payload,
    view_block_action_payload,
    view_submission_payload,
)

TODAY = app_today()


def person(database: Database, account, name: str, role: Role = Role.INFLUENCER) -> int:
    return add_person(database, account, name, role)


def contact_values(people: list[int], **overrides: Any) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {
        "stakeholder_ids": {
            "type": "multi_static_select",
            "selected_options": [{"value": str(p)} for p in people],
        },
        "contacted_on": {"type": "datepicker", "selected_date": TODAY.isoformat()},
        "channel": {"type": "static_select", "selected_option": {"value": "call"}},
        "summary": {"type": "plain_text_input", "value": "Walked through the renewal"},
    }
    for block, value in overrides.items():
        key = next(k for k in state[block] if k != "type")
        state[block] = {**state[block], key: value}
    return state


def logs(database: Database) -> list[ContactLog]:
    with database.transaction() as session:
        return list(session.execute(select(ContactLog).order_by(ContactLog.id)).scalars())


def test_log_contact_from_the_card_moves_last_contact_for_each_person(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana, raj = person(database, account, "Dana"), person(database, account, "Raj")
    bot.interaction(
        block_actions_payload(
            "contact.log", str(account.id), response_url=slack.response_url("card")
        )
    )
    view = slack.opened_view()
    assert view["callback_id"] == "contact.form"
    picker = {b.get("block_id"): b for b in view["blocks"]}["stakeholder_ids"]["element"]
    assert {o["value"] for o in picker["options"]} == {str(dana), str(raj)}
    day = TODAY - timedelta(days=2)
    reply = bot.interaction(
        view_submission_payload(view, contact_values([dana, raj], contacted_on=day.isoformat()))
    )
    assert (reply.status, reply.body) == (200, "")
    written = logs(database)
    assert [
        (c.stakeholder_id, c.contacted_on, c.channel, c.logged_by_user_id) for c in written
    ] == [
        (dana, day, ContactChannel.CALL, "U0ALICE"),
        (raj, day, ContactChannel.CALL, "U0ALICE"),
    ]
    with database.transaction() as session:
        assert {p.last_contacted_on for p in session.execute(select(Stakeholder)).scalars()} == {
            day
        }
    [card] = slack.wait_for("response_url")
    assert card.params["replace_original"] is True
    assert "last contact 2 days ago" in json.dumps(card.params["blocks"])


@pytest.mark.parametrize(
    ("overrides", "block", "message"),
    [
        (
            {"contacted_on": (TODAY + timedelta(days=1)).isoformat()},
            "contacted_on",
            "That date is in the future.",
        ),
        (
            {"contacted_on": (TODAY - timedelta(days=3700)).isoformat()},
            "contacted_on",
            "That is more than 10 years ago.",
        ),
        (
            {"stakeholder_ids": []},
            "stakeholder_ids",
            "Pick at least one.",
        ),
        ({"summary": "s" * 3001}, "summary", "Too long: at most 3000 characters."),
        ({"channel": {"value": "carrier pigeon"}}, "channel", "Pick one of the options."),
    ],
)
def test_refused_contact_input_writes_nothing(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    overrides: dict[str, Any],
    block: str,
    message: str,
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "Dana")
    bot.interaction(
        block_actions_payload("contact.log", str(account.id), response_url=slack.response_url())
    )
    view = slack.opened_view()
    body = bot.interaction(
        view_submission_payload(view, contact_values([dana], **overrides))
    ).json()
    assert body["response_action"] == "errors"
    assert body["errors"][block] == message
    assert logs(database) == []


def test_a_person_of_another_account_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C1")
    outsider = person(database, make_account(database, "Globex", channel_id="C2"), "Olga")
    bot.interaction(
        block_actions_payload("contact.log", str(account.id), response_url=slack.response_url())
    )
    view = slack.opened_view()
    body = bot.interaction(view_submission_payload(view, contact_values([outsider]))).json()
    assert body["errors"] == {"stakeholder_ids": "Pick people on this account's map."}
    assert logs(database) == []


def test_log_contact_by_command(bot: SlackSender, slack: FakeSlack, database: Database) -> None:
    account = make_account(database, "Acme")
    person(database, account, "Dana")
    bot.command("acme contact")
    assert slack.opened_view()["callback_id"] == "contact.form"


def test_message_shortcut_prefills_text_link_and_the_channels_account(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    dana = person(database, account, "Dana")
    posted = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    payload = message_shortcut_payload(
        text="Dana: <@U0BOSS> signed off the pilot!",
        channel_id="C0ACME",
        message_ts=f"{posted.timestamp():.6f}",
        response_url=slack.response_url(),
    )
    assert bot.interaction(payload).status == 200
    view = slack.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["summary"]["element"]["initial_value"] == "Dana: <@U0BOSS> signed off the pilot!"
    assert blocks["contacted_on"]["element"]["initial_date"] == "2026-11-20"
    assert blocks["channel"]["element"]["initial_option"]["value"] == "slack"
    assert blocks["account_id"]["element"]["initial_option"]["value"] == str(account.id)
    link = json.loads(view["private_metadata"])["message_link"]
    assert link.startswith("https://test.slack.com/archives/C0ACME/p")
    state = contact_values([dana], channel={"value": "slack"}, contacted_on="2026-11-20")
    state["account_id"] = {"type": "external_select", "selected_option": {"value": str(account.id)}}
    assert bot.interaction(view_submission_payload(view, state)).body == ""
    [logged] = logs(database)
    assert (logged.message_link, logged.channel, logged.contacted_on) == (
        link,
        ContactChannel.SLACK,
        date(2026, 11, 20),
    )


def test_message_shortcut_elsewhere_asks_for_the_account_first(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme Logistics", channel_id="C1")
    make_account(database, "Acme Health", channel_id="C2")
    make_account(database, "Globex", channel_id="C3")
    dana = person(database, acme, "Dana")
    bot.interaction(
        message_shortcut_payload(
            text="hello", channel_id="C0RANDOM", response_url=slack.response_url()
        )
    )
    view = slack.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "stakeholder_ids" not in blocks and blocks["account_id"]["dispatch_action"] is True

    suggestion = block_suggestion_payload(
        view, action_id="contact.account", block_id="account_id", value="acme"
    )
    options = bot.interaction(suggestion).json()["options"]
    assert [o["text"]["text"] for o in options] == ["Acme Health", "Acme Logistics"]

    chosen = {
        "type": "external_select",
        "action_id": "contact.account",
        "block_id": "account_id",
        "selected_option": {
            "text": {"type": "plain_text", "text": "Acme Logistics"},
            "value": str(acme.id),
        },
    }
    typed = {"summary": {"type": "plain_text_input", "value": "kept while picking"}}
    assert bot.interaction(view_block_action_payload(view, chosen, values=typed)).status == 200
    [updated] = slack.calls_to("views.update")[1:] or slack.wait_for("views.update", count=2)[1:]
    redrawn = updated.json_param("view")
    redrawn_blocks = {b.get("block_id"): b for b in redrawn["blocks"]}
    assert [o["value"] for o in redrawn_blocks["stakeholder_ids"]["element"]["options"]] == [
        str(dana)
    ]
    assert redrawn_blocks["summary"]["element"]["initial_value"] == "kept while picking"
    assert json.loads(redrawn["private_metadata"])["account_id"] == acme.id


def test_account_options_never_show_another_team(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme Secret", team_id="T0OTHER")
    view = {"type": "modal", "callback_id": "contact.form", "private_metadata": "{}", "blocks": []}
    suggestion = block_suggestion_payload(
        view, action_id="contact.account", block_id="account_id", value="acme"
    )
    assert bot.interaction(suggestion).json()["options"] == []


def test_history_lists_changes_and_contacts_newest_first_and_pages(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "<!here> Dana", Role.CHAMPION)
    for sentiment in [Sentiment.POSITIVE, Sentiment.NEGATIVE] * 6:
        with database.transaction() as session:
            update_stakeholder(
                session,
                team_id=TEAM_ID,
                stakeholder_id=dana,
                by_user_id="U0BOB",
                sentiment=sentiment,
            )
    bot.command("acme history")
    [first] = slack.wait_for("response_url")
    text = json.dumps(first.params["blocks"], ensure_ascii=False)
    assert "History of Acme" in text
    assert text.index("positive → negative") < text.index("negative → positive")
    assert "&lt;!here&gt; Dana" in text and "<!here>" not in text
    assert "Entries 1 to 10, newest first" in text
    [pager] = [b for b in first.params["blocks"] if b["type"] == "actions"]
    [older] = pager["elements"]
    assert (older["text"]["text"], older["value"]) == ("Older", f"{account.id}:10:page")
    bot.interaction(
        block_actions_payload("history.page", older["value"], response_url=slack.response_url("h"))
    )
    [_, second] = slack.wait_for("response_url", count=2)
    assert second.params["replace_original"] is True
    second_text = json.dumps(second.params["blocks"], ensure_ascii=False)
    assert (
        "Entries 11 to 13" in second_text
        and "added *&lt;!here&gt; Dana* as champion" in second_text
    )


def test_contacts_are_never_edited_away(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "Dana")
    for day in (3, 1):
        bot.interaction(
            block_actions_payload("contact.log", str(account.id), response_url=slack.response_url())
        )
        view = slack.opened_view()
        slack.calls.clear()
        values = contact_values([dana], contacted_on=(TODAY - timedelta(days=day)).isoformat())
        assert bot.interaction(view_submission_payload(view, values)).body == ""
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(ContactLog)).scalar_one() == 2
        assert session.get(Stakeholder, dana).last_contacted_on == TODAY - timedelta(days=1)


def test_a_departure_reads_as_one_line_in_history(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    from store.stakeholders import mark_departed

    account = make_account(database, "Acme")
    dana = person(database, account, "Dana", Role.CHAMPION)
    with database.transaction() as session:
        mark_departed(
            session,
            team_id=TEAM_ID,
            stakeholder_id=dana,
            on=date(2026, 11, 2),
            by_user_id="U0BOB",
            left_for_company="Globex",
            left_for_title="COO",
        )
    bot.command("acme history")
    [reply] = slack.wait_for("response_url")
    text = json.dumps(reply.params["blocks"], ensure_ascii=False)
    on = short_day(date(2026, 11, 2), TODAY)
    assert f"*Dana* departed on {on} (now at Globex as COO) · by <@U0BOB>" in text
    assert on == "2 Nov" or TODAY.year > 2026  # the short form: no weekday, no year this year
    assert "left for" not in text


def test_history_is_ordered_by_when_things_happened_and_keeps_when_they_were_logged(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "Dana", Role.CHAMPION)
    with database.transaction() as session:  # today: Dana's sentiment moves
        update_stakeholder(
            session,
            team_id=TEAM_ID,
            stakeholder_id=dana,
            by_user_id="U0BOB",
            sentiment=Sentiment.POSITIVE,
        )
    call_day = TODAY - timedelta(days=3)
    with database.transaction() as session:  # then a call of three days ago is logged
        log_contact(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            stakeholder_ids=[dana],
            contacted_on=call_day,
            channel=ContactChannel.CALL,
            summary="Pricing call",
            by_user_id="U0BOB",
        )
    bot.command("acme history")
    [shown] = slack.wait_for("response_url")
    lines = shown.params["blocks"][1]["text"]["text"].split("\n")
    assert "neutral → positive" in lines[0]  # today's change first, though logged earlier
    assert "added *Dana* as champion" in lines[1]
    assert lines[2] == (  # the day it happened, alone; the day it was logged beside it
        f"`{short_day(call_day, TODAY)}` :speech_balloon: call with *Dana*: Pricing call"
        f" · logged {short_day(TODAY, TODAY)} · by <@U0BOB>"
    )
    assert re.fullmatch(r"`\d{1,2} [A-Z][a-z]{2} \d\d:\d\d` .*", lines[0]), lines[0]
