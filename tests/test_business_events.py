"""Business events through the signed endpoint, as Slack sends them: the card's "Log event",
`/account Acme event`, the message shortcut (in the account's channel and elsewhere), the new
leader proposed after a high-influence executive joins the map; bad input refused inline with
nothing written; the card's recent events; `events_of` as one set-based read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from store.db import Database
from store.enums import EventKind, EventSource
from store.events import events_of, log_event
from store.models import BusinessEvent
from store.stakeholders import mark_departed
from tests.factories import add_person, app_today, make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    message_shortcut_payload,
    view_submission_payload,
)


def open_event_form(bot: SlackSender, slack: FakeSlack, account_id: int) -> dict[str, Any]:
    click = block_actions_payload(
        "account.event", str(account_id), response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    return slack.opened_view()


def submit(bot: SlackSender, view: dict[str, Any], values: dict[str, Any]) -> Any:
    reply = bot.interaction(view_submission_payload(view, values))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def typed(kind: str, day: str, note: str = "", link: str = "") -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": {"type": "static_select", "selected_option": {"value": kind}},
        "happened_on": {"type": "datepicker", "selected_date": day},
    }
    if note:
        values["note"] = {"type": "plain_text_input", "value": note}
    if link:
        values["link"] = {"type": "plain_text_input", "value": link}
    return values


def events(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    BusinessEvent.account_id,
                    BusinessEvent.kind,
                    BusinessEvent.happened_on,
                    BusinessEvent.note,
                    BusinessEvent.link,
                    BusinessEvent.source,
                ).order_by(BusinessEvent.id)
            )
        ]


def test_an_event_logged_from_the_card_is_recorded_and_the_card_lists_it(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    form = open_event_form(bot, slack, account.id)
    assert form["callback_id"] == "account.event"
    day = app_today() - timedelta(days=3)
    values = typed(
        "funding", day.isoformat(), "Series C <b>$40M</b>", "https://news.example.com/acme-c"
    )
    assert submit(bot, form, values) is None
    [card] = slack.wait_for("response_url", where=lambda c: c.path == "/response/card")
    shown = json.dumps(card.params)
    assert "Events (90 days):" in shown
    assert (
        "funding round: Series C &lt;b&gt;$40M&lt;/b&gt; (<https://news.example.com/acme-c|link>)"
        in shown
    )
    assert events(database) == [
        (
            account.id,
            EventKind.FUNDING,
            day,
            "Series C <b>$40M</b>",
            "https://news.example.com/acme-c",
            EventSource.FORM,
        )
    ]


def test_account_acme_event_opens_the_form_for_acme(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    make_account(database, "Acme")
    assert bot.command("Acme event", response_url=slack.response_url("c1")).status == 200
    form = slack.opened_view()
    assert form["callback_id"] == "account.event"
    assert "A business event at *Acme*" in json.dumps(form)


@pytest.mark.parametrize(
    ("days_ahead", "link", "field", "message"),
    [
        (1, "", "happened_on", "That date is in the future."),
        (0, "ftp://files.example.com/x", "link", "Give a web address starting with https://"),
        (0, "javascript:alert(1)", "link", "Give a web address starting with https://"),
        (0, "news.example.com/acme", "link", "Give a web address starting with https://"),
        (0, "https://example.com/a b", "link", "Give a web address starting with https://"),
        (0, "slack://open?team=T0", "link", "Give a web address starting with https://"),
        (0, "https://example.com/<!channel>", "link", "Give a web address starting with https://"),
        (-36525, "", "happened_on", "That is more than 10 years ago."),
    ],
)
def test_a_future_day_or_a_bad_link_is_refused_beside_it_and_nothing_written(
    bot: SlackSender,
    slack: FakeSlack,
    database: Database,
    days_ahead: int,
    link: str,
    field: str,
    message: str,
) -> None:
    account = make_account(database, "Acme")
    form = open_event_form(bot, slack, account.id)
    day = (app_today() + timedelta(days=days_ahead)).isoformat()
    reply = submit(bot, form, typed("acquisition", day, "merger", link))
    assert reply["response_action"] == "errors"
    assert reply["errors"][field] == message
    assert events(database) == []


def test_the_same_kind_on_the_same_day_twice_is_refused(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    form = open_event_form(bot, slack, account.id)
    today = app_today().isoformat()
    assert submit(bot, form, typed("reorganisation", today, "first")) is None
    reply = submit(bot, {**form, "hash": "2"}, typed("reorganisation", today, "again"))
    assert "already has a reorganisation event" in reply["errors"]["happened_on"]
    assert [e[3] for e in events(database)] == ["first"]


# -- the message shortcut -------------------------------------------------------------------


def test_a_news_link_in_the_accounts_channel_opens_the_form_filled_in(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme", channel_id="C0ACME")
    posted = datetime.combine(app_today() - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    text = "Big news: <https://news.example.com/acme-buys-initech|Acme buys Initech>"
    payload = message_shortcut_payload(
        text=text,
        channel_id="C0ACME",
        message_ts=f"{posted.timestamp():.6f}",
        response_url=slack.response_url(),
        callback_id="log_message_event",
    )
    assert bot.interaction(payload).status == 200
    view = slack.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert (
        blocks["link"]["element"]["initial_value"] == "https://news.example.com/acme-buys-initech"
    )
    assert blocks["note"]["element"]["initial_value"] == "Big news: Acme buys Initech"
    assert blocks["happened_on"]["element"]["initial_date"] == posted.date().isoformat()
    assert blocks["account_id"]["element"]["initial_option"]["value"] == str(account.id)
    state = typed(
        "acquisition", posted.date().isoformat(), text, "https://news.example.com/acme-buys-initech"
    )
    state["account_id"] = {"type": "external_select", "selected_option": {"value": str(account.id)}}
    assert submit(bot, view, state) is None
    [(account_id, kind, _, _, link, source)] = events(database)
    assert (account_id, kind, source) == (account.id, EventKind.ACQUISITION, EventSource.SHORTCUT)
    assert link == "https://news.example.com/acme-buys-initech"


def test_the_shortcut_elsewhere_asks_which_account_and_refuses_another_teams(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    acme = make_account(database, "Acme", channel_id="C0ACME")
    secret = make_account(database, "Secret", team_id="T0OTHER", channel_id="C0SECRET")
    payload = message_shortcut_payload(
        text="https://news.example.com/acme-hires",
        channel_id="C0RANDOM",
        response_url=slack.response_url(),
        callback_id="log_message_event",
    )
    assert bot.interaction(payload).status == 200
    view = slack.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "initial_option" not in blocks["account_id"]["element"]
    today = app_today().isoformat()
    state = typed("headcount_growth", today, "hiring", "https://news.example.com/acme-hires")
    reply = submit(bot, view, state)  # no account picked
    assert reply["errors"] == {"account_id": "Pick the account."}
    crafted = {
        **state,
        "account_id": {"type": "external_select", "selected_option": {"value": str(secret.id)}},
    }
    reply = submit(bot, {**view, "hash": "2"}, crafted)
    assert reply["errors"] == {"account_id": "That account no longer exists."}
    assert events(database) == []
    picked = {
        **state,
        "account_id": {"type": "external_select", "selected_option": {"value": str(acme.id)}},
    }
    assert submit(bot, {**view, "hash": "3"}, picked) is None
    assert [e[:2] for e in events(database)] == [(acme.id, EventKind.HEADCOUNT_GROWTH)]


# -- a new leader, proposed -----------------------------------------------------------------


def add_person_values(name: str, *, level: str | None, influence: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": {"type": "plain_text_input", "value": name},
        "title": {"type": "plain_text_input", "value": "CFO"},
        "role": {"type": "static_select", "selected_option": {"value": "economic_buyer"}},
        "influence": {"type": "static_select", "selected_option": {"value": influence}},
    }
    if level:
        values["level"] = {"type": "static_select", "selected_option": {"value": level}}
    return values


def test_a_new_high_influence_executive_is_proposed_as_a_new_leader_event_never_logged_alone(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    click = block_actions_payload(
        "stakeholder.add", str(account.id), response_url=slack.response_url("card")
    )
    assert bot.interaction(click).status == 200
    form = slack.opened_view()
    # a manager of high influence, then an executive of medium: nothing proposed
    assert submit(bot, form, add_person_values("Mo", level="manager", influence="high")) is None
    assert (
        submit(
            bot,
            {**form, "hash": "2"},
            add_person_values("Ed", level="executive", influence="medium"),
        )
        is None
    )
    assert (
        submit(
            bot,
            {**form, "hash": "3"},
            add_person_values("Dana Lee", level="executive", influence="high"),
        )
        is None
    )
    replies = slack.wait_for("response_url", where=lambda c: c.path == "/response/card", count=4)
    proposals = [c for c in replies if "event.new_leader" in json.dumps(c.params)]
    assert len(proposals) == 1
    [proposal] = proposals
    assert proposal.params["replace_original"] is False
    assert "*Dana Lee* joined *Acme*'s map" in json.dumps(proposal.params)
    assert events(database) == []  # proposed, not logged
    button = next(
        e
        for b in proposal.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "event.new_leader"
    )
    clicked = block_actions_payload(
        "event.new_leader", button["value"], response_url=slack.response_url("proposal")
    )
    assert bot.interaction(clicked).status == 200
    event_form = slack.opened_view(nth=2)
    blocks = {b.get("block_id"): b for b in event_form["blocks"]}
    assert blocks["kind"]["element"]["initial_option"]["value"] == "new_leader"
    note = blocks["note"]["element"]["initial_value"]
    assert note == "Dana Lee, CFO joined the map as a high-influence executive."
    assert submit(bot, event_form, typed("new_leader", app_today().isoformat(), note)) is None
    assert [e[1] for e in events(database)] == [EventKind.NEW_LEADER]


# -- the record, read set-based --------------------------------------------------------------


def test_events_of_reads_many_accounts_in_one_statement_newest_first_and_only_the_team(
    database: Database,
) -> None:
    today = app_today()
    accounts = [make_account(database, f"A{n}", channel_id=f"C0A{n}") for n in range(5)]
    other = make_account(database, "Other", team_id="T0OTHER", channel_id="C0O")
    with database.transaction() as session:
        for n, account in enumerate(accounts):
            for days in (1, 50, 200):
                log_event(
                    session,
                    team_id=TEAM_ID,
                    account_id=account.id,  # type: ignore[arg-type]
                    kind=EventKind.FUNDING,
                    happened_on=today - timedelta(days=days + n),
                    by_user_id=None,
                )
        log_event(
            session,
            team_id="T0OTHER",
            account_id=other.id,  # type: ignore[arg-type]
            kind=EventKind.FUNDING,
            happened_on=today,
            by_user_id=None,
        )
    statements: list[str] = []
    sa_event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ids = [a.id for a in accounts] + [other.id]
    with database.reading() as session:
        found = events_of(
            session, team_id=TEAM_ID, account_ids=ids, since=today - timedelta(days=90)
        )
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) == 1
    assert other.id not in found
    assert [[e.happened_on for e in found[a.id]] for a in accounts[:1]] == [
        [today - timedelta(days=1), today - timedelta(days=50)]
    ]
    assert all(len(found[a.id]) == 2 for a in accounts)
    with database.transaction() as session:
        assert session.execute(select(func.count()).select_from(BusinessEvent)).scalar_one() == 16


def test_the_shortcut_reads_slacks_escaped_text_a_link_with_amp_and_a_labelled_link_as_plain(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Slack sends a message's `&`, `<`, `>` as entities, inside links too, and links as
    `<url|label>`: the event's link is the address itself, its note the text as people read it."""
    make_account(database, "Acme", channel_id="C0ACME")
    text = (
        "Tom &amp; Jerry &lt;3 <@U0BOB>: "
        "<https://news.example.com/story?id=1&amp;ref=slack|Acme raises $5M> "
        "and <https://other.example.com/two>"
    )
    payload = message_shortcut_payload(
        text=text,
        channel_id="C0ACME",
        response_url=slack.response_url(),
        callback_id="log_message_event",
    )
    assert bot.interaction(payload).status == 200
    blocks = {b.get("block_id"): b for b in slack.opened_view()["blocks"]}
    assert (
        blocks["link"]["element"]["initial_value"]
        == "https://news.example.com/story?id=1&ref=slack"
    )
    assert blocks["note"]["element"]["initial_value"] == (
        "Tom & Jerry <3 <@U0BOB>: Acme raises $5M and https://other.example.com/two"
    )


def test_the_new_leader_proposal_clicked_after_the_person_left_logs_nothing(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """The proposal stays in the channel; clicked after Dana departed, it offers no form to log
    her as the account's new leader."""
    account = make_account(database, "Acme")
    dana = add_person(database, account, "Dana Lee", title="CFO")
    with database.transaction() as session:
        mark_departed(
            session,
            team_id=TEAM_ID,
            stakeholder_id=dana,
            on=app_today(),
            by_user_id="U0ALICE",
        )
    clicked = block_actions_payload(
        "event.new_leader", str(dana), response_url=slack.response_url("proposal")
    )
    assert bot.interaction(clicked).status == 200
    slack.wait_until(
        lambda calls: "no longer on acme's map" in json.dumps([c.params for c in calls]).lower()
    )
    assert not [
        c
        for c in slack.calls
        if "event.form" in json.dumps(c.params) and "new_leader" in json.dumps(c.params)
    ]


def test_a_kind_not_offered_or_a_note_over_the_limit_is_refused_and_nothing_written(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    account = make_account(database, "Acme")
    form = open_event_form(bot, slack, account.id)
    today = app_today().isoformat()
    reply = submit(bot, form, typed("ipo", today, "listed"))
    assert list(reply["errors"]) == ["kind"]
    reply = submit(bot, {**form, "hash": "2"}, typed("funding", today, "x" * 5000))
    assert list(reply["errors"]) == ["note"]
    assert events(database) == []
