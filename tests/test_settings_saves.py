"""Saving the team's settings as two admins may: at the same moment (the first save ever too), or
one after another from forms opened on the same version. One save wins; the other is told the
settings changed since its form opened, nothing is lost or written twice, and the history's old
values are the values each save replaced. Run it on PostgreSQL (TEST_DATABASE_URL), where the
two saves really overlap."""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import delete

from store.db import Database
from store.enums import Role
from store.models import TeamSettings, TeamSettingsChange
from store.settings import Thresholds, settings_history, thresholds_for
from tests.factories import add_person, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender
from tests.test_team_settings import open_menu, open_section, submit, threshold_values

ADMINS = ("U0ADMIN", "U0OTHERADMIN")
ROUNDS = 20
CHANGED = (
    "Team settings was changed by someone else after you opened this form. "
    "Close it and open it again to see their change."
)


def at_once(bot: SlackSender, forms: list[dict[str, Any]], values: list[dict[str, Any]]) -> list:
    """Each admin submits their form at the same moment; what each was answered."""
    start = threading.Barrier(len(forms))
    answers: list[Any] = [None] * len(forms)

    def send(index: int) -> None:
        start.wait()
        answers[index] = submit(bot, forms[index], values[index], user_id=ADMINS[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_two_first_saves_at_the_same_moment_store_one_and_refuse_the_other(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    for admin in ADMINS:
        slack.users[admin] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "thresholds")  # the team saved nothing
    assert json.loads(form["private_metadata"])["version"] == 0
    typed = [threshold_values(min_threads="2"), threshold_values(min_threads="4")]
    for round_ in range(ROUNDS):
        with database.transaction() as session:  # back to a team that never saved
            session.execute(delete(TeamSettings))
            session.execute(delete(TeamSettingsChange))
        forms = [{**form, "id": f"V{round_}x{i}", "hash": f"h{round_}"} for i in range(2)]
        answers = at_once(bot, forms, typed)
        refused = {"response_action": "errors", "errors": {"min_threads": CHANGED}}
        assert sorted(answers, key=lambda a: a is not None) == [None, refused], round_
        winner = answers.index(None)
        with database.transaction() as session:
            stored = thresholds_for(session, team_id=TEAM_ID)
            history = [
                (c.field, c.old_value, c.new_value, c.changed_by_user_id)
                for c in settings_history(session, team_id=TEAM_ID)
            ]
        assert stored == Thresholds(min_threads=(2, 4)[winner]), round_
        assert history == [("min_threads", "3", str((2, 4)[winner]), ADMINS[winner])], round_


def test_forms_without_a_version_saved_at_the_same_moment_both_save_in_turn(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Forms opened before settings had a version carry none: both saves go through, one after
    the other (the row is made once and locked), and each history line's old value is the value
    that save replaced."""
    for admin in ADMINS:
        slack.users[admin] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "thresholds")
    unversioned = {**form, "private_metadata": "{}"}
    typed = [threshold_values(min_threads="2"), threshold_values(min_threads="4")]
    for round_ in range(ROUNDS):
        with database.transaction() as session:
            session.execute(delete(TeamSettings))
            session.execute(delete(TeamSettingsChange))
        forms = [{**unversioned, "id": f"V{round_}x{i}", "hash": f"h{round_}"} for i in range(2)]
        assert at_once(bot, forms, typed) == [None, None], round_
        with database.transaction() as session:
            stored = thresholds_for(session, team_id=TEAM_ID).min_threads
            history = [
                (c.old_value, c.new_value)
                for c in reversed(settings_history(session, team_id=TEAM_ID))
            ]
        assert history in ([("3", "2"), ("2", "4")], [("3", "4"), ("4", "2")]), round_
        assert stored == int(history[-1][1]), round_


def test_a_save_over_a_change_made_since_the_form_opened_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    for admin in ADMINS:
        slack.users[admin] = {"is_admin": True}
    menu = open_menu(bot, slack)
    first = open_section(bot, slack, menu, "thresholds", user_id=ADMINS[0])
    second = open_section(bot, slack, menu, "thresholds", user_id=ADMINS[1])
    assert submit(bot, second, threshold_values(stale_map_days="45"), user_id=ADMINS[1]) is None
    assert submit(bot, first, threshold_values(stale_map_days="20"), user_id=ADMINS[0]) == {
        "response_action": "errors",
        "errors": {"min_threads": CHANGED},
    }
    reopened = open_section(bot, slack, menu, "thresholds", user_id=ADMINS[0])
    assert submit(bot, reopened, threshold_values(stale_map_days="20"), user_id=ADMINS[0]) is None
    with database.transaction() as session:
        history = [
            (c.old_value, c.new_value) for c in reversed(settings_history(session, team_id=TEAM_ID))
        ]
        assert thresholds_for(session, team_id=TEAM_ID).stale_map_days == 20
    assert history == [("30", "45"), ("45", "20")]


def test_a_stored_row_breaking_the_forms_rule_never_fails_a_card(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Low adoption at or above the expansion signal is refused when an admin saves the form;
    a row that breaks that rule anyway (written by hand, or before the rule) is read as it is."""
    acme = make_account(
        database, "Acme", seats_licensed=100, seats_active=85, renewal_date=None
    )  # no renewal inside its window: yellow, so the expansion signal shows
    add_person(database, acme, "Ana", Role.CHAMPION, contacted_days_ago=3)
    with database.transaction() as session:
        session.merge(
            TeamSettings(
                team_id=TEAM_ID,
                thresholds={"expansion_seat_percent": 60, "adoption_risk_seat_percent": 90},
            )
        )
    assert bot.command("acme", response_url=slack.response_url("card")).status == 200
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    shown = json.dumps(card.params)
    assert card.params["blocks"][0]["text"]["text"] == "Acme"
    assert "error id" not in shown and "seat utilisation 85%" in shown
