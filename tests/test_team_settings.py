"""`/account settings` as a Slack admin uses it: a menu of sections (digests, signal thresholds),
each its own form, every change recorded; refused for everyone else, and bad input refused inline
with nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from store.db import Database
from store.enums import Role
from store.settings import (
    DigestSettings,
    Thresholds,
    digest_settings_of,
    settings_history,
    thresholds_for,
)
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_block_action_payload, view_submission_payload

ADMIN = "U0ADMIN"


def digest_values(**overrides: object) -> dict[str, dict[str, object]]:
    values: dict[str, dict[str, object]] = {
        "weekday": {"type": "static_select", "selected_option": {"value": "2"}},
        "at": {"type": "timepicker", "selected_time": "08:30"},
        "timezone": {"type": "plain_text_input", "value": "Asia/Tokyo"},
        "portfolio_channel_id": {
            "type": "conversations_select",
            "selected_conversation": "C0LEADS",
        },
        "options": {"type": "checkboxes", "selected_options": [{"value": "owner_digests"}]},
    }
    for block, value in overrides.items():
        key = next(k for k in values[block] if k != "type")
        values[block] = {**values[block], key: value}
    return values


def threshold_values(**overrides: str) -> dict[str, dict[str, object]]:
    """The thresholds form as Slack submits it (number inputs send text), defaults unless said."""
    current = Thresholds().model_dump() | overrides
    return {name: {"type": "number_input", "value": str(v)} for name, v in current.items()}


def open_menu(bot: SlackSender, slack: FakeSlack, user_id: str = ADMIN) -> dict[str, Any]:
    bot.command("settings", user_id=user_id)
    return slack.opened_view()


def open_section(
    bot: SlackSender, slack: FakeSlack, menu: dict[str, Any], section: str, user_id: str = ADMIN
) -> dict[str, Any]:
    """Click a section's "Change" in the menu: a loading view is pushed on top (the menu stays),
    then filled in with the section's form."""
    before = len(slack.calls_to("views.push"))
    bot.interaction(
        view_block_action_payload(
            menu,
            {"type": "button", "action_id": "settings.section", "value": section},
            user_id=user_id,
        )
    )
    pushed = slack.wait_for("views.push", count=before + 1)[-1]
    assert pushed.json_param("view")["callback_id"] == "loading"
    [filled] = slack.wait_for(
        "views.update", where=lambda c: c.params["view_id"] == pushed.answer["view"]["id"]
    )
    return {
        **filled.json_param("view"),
        "id": filled.answer["view"]["id"],
        "hash": filled.answer["view"]["hash"],
        "root_view_id": menu["id"],
    }


def menu_redrawn(slack: FakeSlack, menu: dict[str, Any]) -> Any:
    """The menu underneath redrawn after a section was saved (the root view of the form)."""
    [redrawn] = slack.wait_for("views.update", where=lambda c: c.params["view_id"] == menu["id"])
    return redrawn


def submit(
    bot: SlackSender, form: dict[str, Any], values: dict[str, Any], user_id: str = ADMIN
) -> dict[str, Any] | None:
    reply = bot.interaction(view_submission_payload(form, values, user_id=user_id))
    assert reply.status == 200
    return reply.json() if reply.body else None


def test_an_admin_changes_the_digests_and_the_menu_shows_the_change(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    menu = open_menu(bot, slack)
    assert menu["callback_id"] == "team.settings.menu"
    shown = json.dumps(menu)
    assert "Monday 09:00 (UTC)" in shown and "3 live contacts (2 for SMB)" in shown
    assert "renewal window 180 days enterprise, 120 mid-market, 90 SMB" in shown
    assert "no sponsor watched for enterprise, mid-market" in shown
    assert "None yet" in shown
    form = open_section(bot, slack, menu, "digests")
    assert form["callback_id"] == "team.settings"
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert blocks["weekday"]["element"]["initial_option"]["value"] == "0"
    assert blocks["at"]["element"]["initial_time"] == "09:00"

    assert submit(bot, form, digest_values()) is None  # closes the form, back to the menu
    with database.transaction() as session:
        saved = digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())[TEAM_ID]
        history = [
            (c.field, c.old_value, c.new_value) for c in settings_history(session, team_id=TEAM_ID)
        ]
    assert (saved.weekday, saved.at.isoformat(), saved.timezone) == (2, "08:30:00", "Asia/Tokyo")
    assert (saved.portfolio_channel_id, saved.owner_digests, saved.all_clear) == (
        "C0LEADS",
        True,
        False,
    )
    assert sorted(history) == [
        ("all_clear", "True", "False"),
        ("at", "09:00:00", "08:30:00"),
        ("owner_digests", "False", "True"),
        ("portfolio_channel_id", None, "C0LEADS"),
        ("timezone", "UTC", "Asia/Tokyo"),
        ("weekday", "0", "2"),
    ]
    redrawn = menu_redrawn(slack, menu)
    text = json.dumps(redrawn.json_param("view"), ensure_ascii=False)
    assert "Wednesday 08:30 (Asia/Tokyo)" in text
    assert "<@U0ADMIN> · Digest day: Monday → Wednesday" in text
    assert "Portfolio digest channel: none → <#C0LEADS>" in text


def test_an_admin_keeps_weekly_all_clears_and_the_menu_says_so(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    menu = open_menu(bot, slack)
    assert "all-clear lines when an account turns green" in json.dumps(menu)
    form = open_section(bot, slack, menu, "digests")
    kept = [{"value": "all_clear"}, {"value": "weekly_all_clear"}]
    assert submit(bot, form, digest_values(options=kept)) is None
    with database.transaction() as session:
        saved = digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())[TEAM_ID]
        history = [(c.field, c.new_value) for c in settings_history(session, team_id=TEAM_ID)]
    assert (saved.all_clear, saved.weekly_all_clear) == (True, True)
    assert ("weekly_all_clear", "True") in history
    text = json.dumps(menu_redrawn(slack, menu).json_param("view"), ensure_ascii=False)
    assert "all-clear lines every week" in text
    assert "Weekly all-clear lines: off → on" in text


def test_a_bad_time_zone_is_refused_inline_and_nothing_is_written(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "digests")
    body = submit(bot, form, digest_values(timezone="Mars/Olympus"))
    assert body is not None and body["response_action"] == "errors"
    assert "'Mars/Olympus' is not a time zone name" in body["errors"]["timezone"]
    with database.transaction() as session:
        assert settings_history(session, team_id=TEAM_ID) == []
        stored = digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())
    assert stored[TEAM_ID] == DigestSettings()


def test_an_admin_changes_a_threshold_and_the_card_follows(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    acme = make_account(database, "Acme")
    for name, role in (("Ana", Role.CHAMPION), ("Ben", Role.ECONOMIC_BUYER)):
        add_person(database, acme, name, role, contacted_days_ago=5)
    bot.command("acme")
    assert "thin coverage: 2 live contacts (target 3)" in json.dumps(
        slack.wait_for("response_url")[0].params
    )

    menu = open_menu(bot, slack)
    form = open_section(bot, slack, menu, "thresholds")
    assert form["callback_id"] == "team.thresholds"
    element = next(b for b in form["blocks"] if b.get("block_id") == "min_threads")["element"]
    assert element == {
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": "3",
        "min_value": "1",
        "max_value": "20",
        "action_id": "value",
    }
    assert submit(bot, form, threshold_values(min_threads="2")) is None
    with database.transaction() as session:
        assert thresholds_for(session, team_id=TEAM_ID) == Thresholds(min_threads=2)
        [change] = settings_history(session, team_id=TEAM_ID)
    assert (change.section, change.field, change.old_value, change.new_value) == (
        "thresholds",
        "min_threads",
        "3",
        "2",
    )
    assert change.changed_by_user_id == ADMIN
    redrawn = menu_redrawn(slack, menu)
    assert "Live contacts needed: 3 → 2" in json.dumps(
        redrawn.json_param("view"), ensure_ascii=False
    )

    bot.command("acme", response_url=slack.response_url("after"))
    slack.wait_for("response_url", where=lambda c: c.path.endswith("/after"))
    assert "thin coverage" not in json.dumps(slack.replies_to("after")[0].params)


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"min_threads": "0"}, {"min_threads": "Too small: at least 1."}),
        ({"min_threads": "21"}, {"min_threads": "Too large: at most 20."}),
        ({"stale_map_days": "2.5"}, {"stale_map_days": "Enter a whole number."}),
        (
            {"renewal_window_enterprise_days": "soon"},
            {"renewal_window_enterprise_days": "Enter a whole number."},
        ),
        ({"renewal_window_smb_days": "0"}, {"renewal_window_smb_days": "Too small: at least 1."}),
        ({"gone_dark_days": "4000"}, {"gone_dark_days": "Too large: at most 3,650."}),
        ({"sponsor_watch_smb": "2"}, {"sponsor_watch_smb": "Too large: at most 1."}),
        ({"min_threads_smb": "0"}, {"min_threads_smb": "Too small: at least 1."}),
        ({"action_due_soon_days": "-1"}, {"action_due_soon_days": "Too small: at least 0."}),
        (
            {"adoption_risk_seat_percent": "85"},
            {
                "adoption_risk_seat_percent": "Low adoption must start below the expansion signal "
                "(80%), or an account could be both at once."
            },
        ),
    ],
)
def test_bad_thresholds_are_refused_beside_the_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    values: dict[str, str],
    errors: dict[str, str],
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "thresholds")
    body = submit(bot, form, threshold_values(**values))
    assert body == {"response_action": "errors", "errors": errors}
    with database.transaction() as session:
        assert thresholds_for(session, team_id=TEAM_ID) == Thresholds()
        assert settings_history(session, team_id=TEAM_ID) == []


def test_a_missing_threshold_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "thresholds")
    values = threshold_values()
    del values["stale_map_days"]
    assert submit(bot, form, values) == {
        "response_action": "errors",
        "errors": {"stale_map_days": "This field is required."},
    }


def test_a_double_submitted_form_is_recorded_once(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "thresholds")
    for _ in range(2):
        submit(bot, form, threshold_values(stale_map_days="45"))
    with database.transaction() as session:
        assert len(settings_history(session, team_id=TEAM_ID)) == 1


def test_someone_who_is_not_an_admin_is_refused_at_every_step(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    menu = open_menu(bot, slack, user_id="U0ALICE")
    assert "Only workspace admins and owners can change the team's settings." in json.dumps(menu)
    crafted_menu = {**menu, "callback_id": "team.settings.menu"}
    pushed = open_section(bot, slack, crafted_menu, "thresholds", user_id="U0ALICE")
    assert "Only workspace admins and owners" in json.dumps(pushed)
    assert "min_threads" not in json.dumps(pushed)
    for callback_id, values, first in (
        ("team.settings", digest_values(), "weekday"),
        ("team.thresholds", threshold_values(min_threads="1"), "min_threads"),
    ):
        forged = {"type": "modal", "callback_id": callback_id, "private_metadata": "{}"}
        body = submit(bot, {**forged, "blocks": []}, values, user_id="U0ALICE")
        assert body == {
            "response_action": "errors",
            "errors": {first: "Only workspace admins and owners can change the team's settings."},
        }
    with database.transaction() as session:
        assert thresholds_for(session, team_id=TEAM_ID) == Thresholds()
        assert settings_history(session, team_id=TEAM_ID) == []
        stored = digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())
    assert stored[TEAM_ID] == DigestSettings()


def test_a_section_button_with_a_tampered_value_is_refused(
    bot: SlackSender, slack: FakeSlack
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    menu = open_menu(bot, slack)
    bot.interaction(
        view_block_action_payload(
            menu,
            {"type": "button", "action_id": "settings.section", "value": "billing"},
            user_id=ADMIN,
        )
    )
    [pushed] = slack.wait_for("views.push")  # a notice saying why, no form
    assert "That button no longer points at a setting." in json.dumps(pushed.json_param("view"))
