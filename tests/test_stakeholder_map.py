"""The stakeholder map from Slack, through the signed endpoint: modals, menus, alerts, history."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.settings import Settings
from store.db import Database
from store.enums import ContactChannel, Role, Sentiment, StakeholderStatus
from store.models import Stakeholder, StakeholderChange
from store.stakeholders import log_contact
from tests.conftest import serving
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    overflow_payload,
    view_submission_payload,
)

TODAY = app_today()


def person(
    database: Database, account, name: str, role: Role = Role.INFLUENCER, **fields: Any
) -> int:
    return add_person(database, account, name, role, **fields)


def open_form(bot: SlackSender, slack: FakeSlack, action: str, value: str) -> dict[str, Any]:
    """Click a card button or menu and return the modal it filled in."""
    if action == "stakeholder.menu":
        payload = overflow_payload(action, value, response_url=slack.response_url("card"))
    else:
        payload = block_actions_payload(action, value, response_url=slack.response_url("card"))
    assert bot.interaction(payload).status == 200
    return slack.opened_view()


def stakeholder_values(**overrides: Any) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {
        "name": {"type": "plain_text_input", "value": "Dana Lee"},
        "title": {"type": "plain_text_input", "value": "VP Operations"},
        "role": {"type": "static_select", "selected_option": {"value": "champion"}},
        "influence": {"type": "static_select", "selected_option": {"value": "high"}},
        "sentiment": {"type": "static_select", "selected_option": {"value": "positive"}},
        "reports_to_id": {"type": "static_select", "selected_option": None},
        "relationship_owner_user_id": {"type": "users_select", "selected_user": "U0ALICE"},
        "last_contacted_on": {"type": "datepicker", "selected_date": TODAY.isoformat()},
        "email": {"type": "plain_text_input", "value": "dana@acme.test"},
        "notes": {"type": "plain_text_input", "value": "Met at the QBR"},
    }
    for block, value in overrides.items():
        key = next(k for k in state[block] if k != "type")
        state[block] = {**state[block], key: value}
    return state


def submit(bot: SlackSender, view: dict[str, Any], values: dict[str, dict[str, Any]]):
    return bot.interaction(view_submission_payload(view, values))


def count(database: Database, model: type) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_add_stakeholder_from_the_card_writes_the_person_and_redraws_the_card(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    boss = person(database, account, "Raj Patel", Role.ECONOMIC_BUYER)
    view = open_form(bot, slack, "stakeholder.add", str(account.id))
    assert view["callback_id"] == "stakeholder.form"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["last_contacted_on"]["element"]["initial_date"] == TODAY.isoformat()
    assert [o["value"] for o in blocks["reports_to_id"]["element"]["options"]] == [str(boss)]
    values = stakeholder_values(reports_to_id={"value": str(boss)})
    reply = submit(bot, view, values)
    assert reply.status == 200 and reply.body == ""
    with database.transaction() as session:
        dana = session.execute(
            select(Stakeholder).where(Stakeholder.name == "Dana Lee")
        ).scalar_one()
        history = (
            session.execute(
                select(StakeholderChange).where(StakeholderChange.stakeholder_id == dana.id)
            )
            .scalars()
            .all()
        )
    assert (dana.role, dana.influence, dana.sentiment) == (
        Role.CHAMPION,
        "high",
        Sentiment.POSITIVE,
    )
    assert (dana.reports_to_id, dana.email, dana.last_contacted_on) == (
        boss,
        "dana@acme.test",
        TODAY,
    )
    assert [h.field for h in history] == ["created"] and history[0].changed_by_user_id == "U0ALICE"
    [card] = slack.wait_for("response_url")
    assert card.params["replace_original"] is True
    assert "Dana Lee" in json.dumps(card.params["blocks"])


def test_add_stakeholder_by_command_opens_the_form(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme Logistics")
    bot.command("acme logistics stakeholder")
    view = slack.opened_view()
    assert view["callback_id"] == "stakeholder.form"
    assert "Acme Logistics" in json.dumps(view["blocks"][0])


@pytest.mark.parametrize(
    ("overrides", "block", "message"),
    [
        ({"name": "  "}, "name", "Give a name."),
        ({"name": "x" * 151}, "name", "Too long: at most 150 characters."),
        (
            {"last_contacted_on": (TODAY + timedelta(days=1)).isoformat()},
            "last_contacted_on",
            "That date is in the future.",
        ),
        (
            {"last_contacted_on": (TODAY - timedelta(days=3700)).isoformat()},
            "last_contacted_on",
            "That is more than 10 years ago.",
        ),
        ({"notes": "n" * 3001}, "notes", "Too long: at most 3000 characters."),
        ({"email": "not-an-email"}, "email", "That does not look like an email address."),
        ({"role": {"value": "boss"}}, "role", "Pick one of the options."),
    ],
)
def test_refused_stakeholder_input_writes_nothing(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    overrides: dict[str, Any],
    block: str,
    message: str,
) -> None:
    account = make_account(database, "Acme")
    view = open_form(bot, slack, "stakeholder.add", str(account.id))
    body = submit(bot, view, stakeholder_values(**overrides)).json()
    assert body["response_action"] == "errors"
    assert body["errors"][block] == message
    assert count(database, Stakeholder) == 0 and count(database, StakeholderChange) == 0


def test_someone_already_on_the_map_is_refused_by_name_or_email(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    person(database, account, "Dana Lee", email="dana@acme.test")
    view = open_form(bot, slack, "stakeholder.add", str(account.id))
    body = submit(bot, view, stakeholder_values(name="DANA lee", email="")).json()
    assert body["errors"] == {"name": "Dana Lee is already on the map with that name."}
    body = submit(bot, view, stakeholder_values(name="D. Lee", email="Dana@Acme.test")).json()
    assert body["errors"] == {"email": "Dana Lee is already on the map with that email."}
    assert count(database, Stakeholder) == 1


def test_a_manager_from_another_account_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C1")
    outsider = person(database, make_account(database, "Globex", channel_id="C2"), "Olga")
    view = open_form(bot, slack, "stakeholder.add", str(account.id))
    body = submit(bot, view, stakeholder_values(reports_to_id={"value": str(outsider)})).json()
    assert body["errors"] == {"reports_to_id": "Pick someone on this account's map."}
    assert count(database, Stakeholder) == 1


def test_a_double_clicked_submit_writes_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    view = open_form(bot, slack, "stakeholder.add", str(account.id))
    first, second = submit(bot, view, stakeholder_values()), submit(bot, view, stakeholder_values())
    assert (first.status, first.body, second.status, second.body) == (200, "", 200, "")
    assert count(database, Stakeholder) == 1 and count(database, StakeholderChange) == 1


def test_edit_from_the_menu_records_each_changed_field_and_refuses_a_loop(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    ceo = person(database, account, "Ceo", Role.EXECUTIVE_SPONSOR)
    dana = person(database, account, "Dana Lee", Role.INFLUENCER, reports_to_id=ceo)
    view = open_form(bot, slack, "stakeholder.menu", f"edit:{dana}")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["name"]["element"]["initial_value"] == "Dana Lee"
    assert blocks["reports_to_id"]["element"]["initial_option"]["value"] == str(ceo)
    assert (
        submit(
            bot,
            view,
            stakeholder_values(role={"value": "champion"}, reports_to_id={"value": str(ceo)}),
        ).body
        == ""
    )
    with database.transaction() as session:
        fields = (
            session.execute(
                select(StakeholderChange.field)
                .where(StakeholderChange.stakeholder_id == dana)
                .order_by(StakeholderChange.id)
            )
            .scalars()
            .all()
        )
    assert fields == [
        "created",
        "title",
        "role",
        "influence",
        "sentiment",
        "relationship_owner_user_id",
        "email",
        "notes",
    ]
    meta = json.dumps({"account_id": account.id, "stakeholder_id": ceo})
    ceo_view = dict(view, id="V0CEO", private_metadata=meta)  # the CEO's own edit modal
    body = submit(
        bot, ceo_view, stakeholder_values(name="Ceo", email="", reports_to_id={"value": str(dana)})
    ).json()
    assert body["errors"] == {
        "reports_to_id": "That would make a reporting loop: they already report to this person."
    }


def test_change_sentiment_and_promotion_from_the_menu(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "Dana Lee", Role.CHAMPION, title="Director")
    view = open_form(bot, slack, "stakeholder.menu", f"sentiment:{dana}")
    assert (
        submit(
            bot,
            view,
            {"sentiment": {"type": "static_select", "selected_option": {"value": "negative"}}},
        ).body
        == ""
    )
    slack.calls.clear()
    view = open_form(bot, slack, "stakeholder.menu", f"promoted:{dana}")
    assert "(now Director)" in json.dumps(view)
    assert submit(bot, view, {"title": {"type": "plain_text_input", "value": "  "}}).json()[
        "errors"
    ] == {"title": "Give the new title."}
    assert (
        submit(bot, view, {"title": {"type": "plain_text_input", "value": "VP Operations"}}).body
        == ""
    )
    with database.transaction() as session:
        rows = (
            session.execute(
                select(StakeholderChange)
                .where(StakeholderChange.field != "created")
                .order_by(StakeholderChange.id)
            )
            .scalars()
            .all()
        )
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("sentiment", "neutral", "negative"),
        ("title", "Director", "VP Operations"),
    ]


def departed_values(
    day: date = TODAY, company: str = "Globex", title: str = "COO"
) -> dict[str, dict[str, Any]]:
    return {
        "departed_on": {"type": "datepicker", "selected_date": day.isoformat()},
        "left_for_company": {"type": "plain_text_input", "value": company},
        "left_for_title": {"type": "plain_text_input", "value": title},
    }


def test_a_departing_champion_alerts_the_account_channel(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    for name in ("Raj", "Sam"):  # two live threads besides the champion
        pid = person(database, account, name, Role.END_USER)
        with database.transaction() as session:
            log_contact(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                stakeholder_ids=[pid],
                contacted_on=TODAY,
                channel=ContactChannel.CALL,
                summary="",
                by_user_id="U0ALICE",
            )
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values()).body == ""
    [alert] = slack.wait_for("chat.postMessage")
    assert alert.params["channel"] == "C0ACME"
    blocks = alert.json_param("blocks")
    assert blocks[0]["text"]["text"] == (
        ":rotating_light: *Champion Dana Lee departed* (now at Globex as COO): "
        "2 live contacts left; no other champion."
    )
    [replace] = blocks[1]["elements"]
    assert (replace["action_id"], replace["value"]) == ("stakeholder.add", f"{account.id}:champion")
    with database.transaction() as session:
        gone = session.get(Stakeholder, dana)
    assert (gone.status, gone.departed_on, gone.left_for_company) == (
        StakeholderStatus.DEPARTED,
        TODAY,
        "Globex",
    )
    slack.calls.clear()
    replacement = open_form(bot, slack, "stakeholder.add", replace["value"])
    role = {b.get("block_id"): b for b in replacement["blocks"]}["role"]["element"][
        "initial_option"
    ]["value"]
    assert role == "champion"


def test_an_end_user_leaving_alerts_nobody(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    sam = person(database, account, "Sam", Role.END_USER)
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{sam}")
    assert submit(bot, view, departed_values()).body == ""
    slack.wait_for("response_url")  # the redrawn card
    assert slack.calls_to("chat.postMessage") == []


def test_an_alert_slack_answers_too_late_for_is_explained_and_the_departure_kept(
    settings: Settings, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0SLOW")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    slack.delay_channel("chat.postMessage", "C0SLOW", 1.5)
    with serving(settings.model_copy(update={"slack_api_timeout": 0.5}), database, slack) as bot:
        view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
        assert submit(bot, view, departed_values()).body == ""
        notices = slack.wait_for("response_url", count=2)
    warning = next(n for n in notices if "departure alert" in n.params.get("text", ""))
    assert "may or may not be in <#C0SLOW>: Slack did not answer in time" in warning.params["text"]
    with database.transaction() as session:
        assert session.get(Stakeholder, dana).status is StakeholderStatus.DEPARTED


def test_an_alert_that_cannot_be_posted_is_explained_to_the_user(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0PRIVATE")
    dana = person(database, account, "Dana Lee", Role.EXECUTIVE_SPONSOR)
    slack.fail_channel("C0PRIVATE", "not_in_channel")
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    assert submit(bot, view, departed_values()).body == ""
    notices = slack.wait_for("response_url", count=2)
    warning = next(
        n for n in notices if "departure alert was not posted" in n.params.get("text", "")
    )
    assert (
        "`not_in_channel`" in warning.params["text"]
        and "/invite @accountbot" in warning.params["text"]
    )
    with database.transaction() as session:
        assert session.get(Stakeholder, dana).status is StakeholderStatus.DEPARTED


def test_a_future_departure_date_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    view = open_form(bot, slack, "stakeholder.menu", f"departed:{dana}")
    body = submit(bot, view, departed_values(day=TODAY + timedelta(days=2))).json()
    assert body["errors"] == {"departed_on": "That date is in the future."}
    with database.transaction() as session:
        assert session.get(Stakeholder, dana).status is StakeholderStatus.ACTIVE


def test_menu_for_another_teams_person_shows_a_notice(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    theirs = person(database, make_account(database, "Theirs", team_id="T0OTHER"), "Secret Person")
    view = open_form(bot, slack, "stakeholder.menu", f"edit:{theirs}")
    assert "no longer on the map" in json.dumps(view)
    assert "Secret Person" not in json.dumps(view)


def test_forms_open_before_a_slow_database_answers(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    answering = threading.Event()  # the database answers nothing until the test says so
    event.listen(database.engine, "before_cursor_execute", lambda *args: answering.wait(timeout=30))
    bot.interaction(
        block_actions_payload("stakeholder.add", str(account.id), response_url=slack.response_url())
    )
    slack.wait_for("views.open", timeout=10)  # opened while no query has come back
    assert slack.calls_to("views.update") == []
    answering.set()
    [updated] = slack.wait_for("views.update", timeout=15)  # filled in once they do
    assert updated.json_param("view")["callback_id"] == "stakeholder.form"


def test_names_and_notes_are_escaped_on_the_card(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    person(database, account, "<!channel> Eve", Role.CHAMPION, title="<@U0BOSS>")
    bot.command("", channel_id="C0ACME")
    [reply] = slack.wait_for("response_url")
    text = json.dumps(reply.params["blocks"])
    assert "&lt;!channel&gt; Eve" in text and "&lt;@U0BOSS&gt;" in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text


def test_an_edit_on_a_person_changed_meanwhile_is_refused_not_lost(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    dana = person(database, account, "Dana Lee", Role.CHAMPION)
    view = open_form(bot, slack, "stakeholder.menu", f"edit:{dana}")
    with database.transaction() as session:  # a colleague changes Dana while the form is open
        from store.stakeholders import update_stakeholder

        update_stakeholder(
            session, team_id=TEAM_ID, stakeholder_id=dana, by_user_id="U0BOB", title="COO"
        )
    body = submit(bot, view, stakeholder_values(title="VP Operations")).json()
    assert body["errors"] == {
        "name": "Dana Lee was changed by someone else after you opened this form. "
        "Close it and open it again to see their change."
    }
    with database.transaction() as session:
        assert session.get(Stakeholder, dana).title == "COO"
