"""The owner's band override from Slack, through the signed endpoint: the card's button opens the
form with the rules' band in it; a save shows the override on the card with the rules' band
beside it and records it in the history; a missing reason or an expiry beyond 90 days is refused
beside its field and nothing is written."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from store.db import Database
from store.enums import RenewalStage
from store.models import Account, AccountChange, BandOverride
from store.types import utcnow
from store.wording import day
from tests.factories import make_account
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender, block_actions_payload, view_submission_payload

TODAY = utcnow().date()


def open_form(bot: SlackSender, slack: FakeSlack, account_id: int, user_id: str = "U0ALICE"):
    click = block_actions_payload(
        "account.override",
        str(account_id),
        user_id=user_id,
        response_url=slack.response_url("card"),
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view()


def values(band: str = "yellow", reason: str = "Lab move: back on the 7th", days: int = 14):
    return {
        "band": {"type": "static_select", "selected_option": {"value": band}},
        "reason": {"type": "plain_text_input", "value": reason},
        "expires_on": {
            "type": "datepicker",
            "selected_date": (TODAY + timedelta(days=days)).isoformat(),
        },
    }


def submit(bot: SlackSender, view: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any] | None:
    reply = bot.interaction(view_submission_payload(view, typed))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def stored(database: Database) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(BandOverride)).scalar_one()


def test_the_owner_overrides_the_band_and_the_card_shows_it_beside_the_rules(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Umbrella")  # nobody on the map: the rules say red
    form = open_form(bot, slack, account.id)
    assert form["callback_id"] == "account.override"
    shown = json.dumps(form)
    assert "The rules say *red* for *Umbrella*: " in shown
    assert "no active stakeholders on the map" in shown
    assert submit(bot, form, values()) is None  # saved: the modal closes
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    band = card.params["blocks"][1]["text"]["text"]
    assert band.startswith(":large_yellow_circle: *Yellow* by override until ")
    assert "“Lab move: back on the 7th” (<@U0ALICE>)" in band
    # the rules' band and its one-line why (each reason is then in the Flags, once)
    assert band.endswith(
        "\n:red_circle: rules say red: renewal in 100 days with 1 risk open: map the account first"
    )
    assert stored(database) == 1
    bot.command("umbrella history", response_url=slack.response_url("history"))
    [history] = slack.wait_for("response_url", where=lambda c: c.path == "/response/history")
    assert ":pushpin: band overridden to yellow until " in json.dumps(
        history.params, ensure_ascii=False
    )
    assert "(rules: red): Lab move: back on the 7th · by <@U0ALICE>" in json.dumps(
        history.params, ensure_ascii=False
    )


@pytest.mark.parametrize(
    ("typed", "errors"),
    [
        (
            values(reason="   "),
            {"reason": "Say why you override the band: the reason is shown beside it."},
        ),
        (values(days=91), {"expires_on": "An override lasts 90 days at most: pick a day up to "}),
        (values(days=-1), {"expires_on": "The override must last until today ("}),
        (values(band="purple"), {"band": ""}),
    ],
)
def test_a_bad_override_is_refused_beside_its_field_and_nothing_is_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    typed: dict[str, Any],
    errors: dict[str, str],
) -> None:
    account = make_account(database, "Umbrella")
    form = open_form(bot, slack, account.id)
    answer = submit(bot, form, typed)
    assert answer is not None and answer["response_action"] == "errors"
    [(field, message)] = answer["errors"].items()
    [(expected_field, start)] = errors.items()
    assert field == expected_field and message.startswith(start), answer
    assert stored(database) == 0


def test_someone_who_may_not_change_the_account_is_refused_in_the_form(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Umbrella", channel_id=None)
    shown = open_form(bot, slack, account.id, user_id="U0STRANGER")
    assert shown["callback_id"] != "account.override"
    assert "only" in json.dumps(shown).lower(), shown
    forged = {**shown, "callback_id": "account.override"}
    forged["private_metadata"] = json.dumps({"account_id": account.id})
    answer = bot.interaction(view_submission_payload(forged, values(), user_id="U0STRANGER"))
    assert answer.status == 200 and "Nothing was saved." in answer.body
    assert stored(database) == 0


# -- the renewal stage ---------------------------------------------------------------------------


def renewal_values(stage: str, *, signed_on=None, notice_on=None) -> dict[str, Any]:
    return {
        "renewal_stage": {"type": "static_select", "selected_option": {"value": stage}},
        "renewal_signed_on": {
            "type": "datepicker",
            "selected_date": signed_on.isoformat() if signed_on else None,
        },
        "notice_date": {
            "type": "datepicker",
            "selected_date": notice_on.isoformat() if notice_on else None,
        },
    }


def open_renewal(bot: SlackSender, slack: FakeSlack, account_id: int) -> dict[str, Any]:
    click = block_actions_payload(
        "account.renewal", str(account_id), response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view()


def test_the_owner_moves_the_renewal_on_and_the_card_shows_stage_and_notice_date(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Stark", renewal_date=TODAY + timedelta(days=28))
    form = open_renewal(bot, slack, account.id)
    assert form["callback_id"] == "account.renewal"
    assert "renews " in json.dumps(form) and "(in 28 days)" in json.dumps(form)
    notice = TODAY + timedelta(days=10)
    assert submit(bot, form, renewal_values("proposal_sent", notice_on=notice)) is None
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    renewal = next(
        f["text"]
        for b in card.params["blocks"]
        for f in b.get("fields", [])
        if f["text"].startswith("*Renewal*")
    )
    assert renewal.split("\n")[2:] == ["proposal sent", f"notice by {notice:%-d %b}"]
    with database.transaction() as session:
        stored_account = session.get(Account, account.id)
        assert stored_account is not None
        assert (stored_account.renewal_stage, stored_account.notice_date) == (
            RenewalStage.PROPOSAL_SENT,
            notice,
        )


@pytest.mark.parametrize(
    ("typed", "field", "start"),
    [
        (renewal_values("signed"), "renewal_signed_on", "A signed renewal needs the day"),
        (
            renewal_values("verbal_yes", notice_on=TODAY + timedelta(days=29)),
            "notice_date",
            "The notice date (",
        ),
    ],
)
def test_a_renewal_that_cannot_be_true_is_refused_beside_its_field_and_nothing_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    typed: dict[str, Any],
    field: str,
    start: str,
) -> None:
    account = make_account(database, "Stark", renewal_date=TODAY + timedelta(days=28))
    answer = submit(bot, open_renewal(bot, slack, account.id), typed)
    assert answer is not None and answer["response_action"] == "errors"
    [(refused, message)] = answer["errors"].items()
    assert refused == field and message.startswith(start), answer
    with database.transaction() as session:
        stored_account = session.get(Account, account.id)
        assert stored_account is not None
        assert (stored_account.renewal_stage, stored_account.notice_date) == (
            RenewalStage.NOT_STARTED,
            None,
        )
        assert session.scalars(select(AccountChange)).all() == []  # no history of a refusal


def test_each_move_of_the_renewal_is_a_line_of_the_accounts_history(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Issue 19: the stage, the notice date and the signed date, as they moved, by whom."""
    account = make_account(database, "Stark", renewal_date=TODAY + timedelta(days=28))
    notice = TODAY + timedelta(days=10)
    form = open_renewal(bot, slack, account.id)
    assert submit(bot, form, renewal_values("proposal_sent", notice_on=notice)) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    slack.calls.clear()
    form = open_renewal(bot, slack, account.id)
    assert submit(bot, form, renewal_values("signed", signed_on=TODAY, notice_on=notice)) is None
    slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    slack.calls.clear()
    bot.command("stark history")
    [shown] = slack.wait_for("response_url")
    lines = shown.params["blocks"][1]["text"]["text"].split("\n")
    now = day(TODAY, TODAY)
    assert [line.split("` ", 1)[1] for line in lines] == [
        f":date: renewal stage: proposal sent → signed; signed on: _none_ → {now} · by <@U0ALICE>",
        f":date: renewal stage: not started → proposal sent; notice date: _none_ → "
        f"{day(notice, TODAY)} · by <@U0ALICE>",
    ]
    assert lines[0].startswith(f"`{now} ")
