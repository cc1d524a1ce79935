"""The Revenue reporting section of `/account settings` attacked through the signed endpoint: a
crafted submission naming a currency the form never offers (lower case, four letters, a code
that is not a currency) and rates that are absurd are refused beside their input, nothing
written; a form opened on an older version of the settings is refused."""

from __future__ import annotations

import json
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from commands.ui.values import ModalMeta
from commands.ui.views.settings import revenue_form
from store.db import Database
from store.settings import RevenueSettings, revenue_settings, settings_version
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender, view_submission_payload

VIEWS = count(1)


def submit(
    bot: SlackSender, database: Database, rates: dict[str, str], *, version: int | None = None
) -> Any:
    """The form as Slack sends it back (a new view each time: one view is saved once)."""
    with database.transaction() as session:
        opened_on = settings_version(session, team_id=TEAM_ID) if version is None else version
    view = revenue_form(
        meta=ModalMeta(version=opened_on), current=RevenueSettings(), in_use=["EUR", "USD"]
    )
    n = next(VIEWS)
    view = {**view, "id": f"V0RATES{n}", "hash": f"1700000000.{n}"}
    state: dict[str, dict[str, Any]] = {
        "currency": {"type": "static_select", "selected_option": {"value": "USD"}}
    }
    state |= {f"rate_{code}": {"type": "number_input", "value": v} for code, v in rates.items()}
    reply = bot.interaction(view_submission_payload(view, state, user_id="U0ADMIN"))
    assert reply.status == 200
    return json.loads(reply.body) if reply.body else None


def stored(database: Database) -> RevenueSettings:
    with database.transaction() as session:
        return revenue_settings(session, team_id=TEAM_ID)


@pytest.mark.parametrize("code", ["eur", "EURO", "E1", "XYZ", "XAU"])
def test_a_rate_for_a_currency_the_form_never_offers_is_refused_beside_it(
    bot: SlackSender, slack: FakeSlack, database: Database, code: str
) -> None:
    """`eur` and `EURO` were a bug id (the store's model refused them past the form); `XYZ`,
    not a currency, was saved as a rate."""
    slack.users["U0ADMIN"] = {"is_admin": True}
    refused = submit(bot, database, {code: "1.1"})
    assert refused is not None and refused["response_action"] == "errors"
    said = refused["errors"][f"rate_{code}"]
    assert said.startswith("Not a currency the bot knows:"), said
    assert stored(database) == RevenueSettings()


@pytest.mark.parametrize("rate", ["1e-30", "0.0000001", "0", "-1", "1e400", "1000001", "NaN"])
def test_an_absurd_rate_is_refused_beside_it(
    bot: SlackSender, slack: FakeSlack, database: Database, rate: str
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    assert submit(bot, database, {"EUR": rate}) == {
        "response_action": "errors",
        "errors": {"rate_EUR": "A rate is a number from 0.000001 to 1,000,000."},
    }
    assert stored(database) == RevenueSettings()


def test_the_smallest_and_largest_rates_are_kept_and_two_admins_cannot_overwrite_each_other(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users["U0ADMIN"] = {"is_admin": True}
    assert submit(bot, database, {"EUR": "0.000001", "JPY": "1000000"}) is None
    first = stored(database)
    assert {code: str(rate) for code, rate in first.rates.items()} == {
        "EUR": "0.000001",
        "JPY": "1E+6",
    }
    stale = submit(bot, database, {"EUR": "1.2"}, version=0)  # opened before that save
    assert stale is not None and "changed by someone else" in stale["errors"]["currency"]
    assert stored(database) == first


def test_a_new_reporting_currency_with_the_old_rates_left_in_is_refused_beside_each(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    """Rates say what 1 GBP is worth in the reporting currency: switched from USD to EUR with
    GBP's USD rate left as it was, the report would have converted at the wrong rate, silently.
    A rate typed anew (or emptied) goes in with the new currency."""
    slack.users["U0ADMIN"] = {"is_admin": True}
    with database.transaction() as session:
        opened_on = settings_version(session, team_id=TEAM_ID)
    current = RevenueSettings(
        currency="USD", rates={"GBP": Decimal("1.27"), "EUR": Decimal("1.08")}
    )
    view = revenue_form(meta=ModalMeta(version=opened_on), current=current, in_use=["GBP", "EUR"])
    view = {**view, "id": "V0SWITCH", "hash": "1700000000.9"}
    state: dict[str, dict[str, Any]] = {
        "currency": {"type": "static_select", "selected_option": {"value": "EUR"}},
        "rate_GBP": {"type": "number_input", "value": "1.27"},
        "rate_EUR": {"type": "number_input", "value": "1.08"},
    }
    reply = bot.interaction(view_submission_payload(view, state, user_id="U0ADMIN"))
    assert json.loads(reply.body) == {
        "response_action": "errors",
        "errors": {
            "rate_GBP": "This rate is what 1 GBP is worth in USD: with EUR as the reporting "
            "currency, enter what it is worth in EUR.",
        },
    }
    assert stored(database) == RevenueSettings()
    state["rate_GBP"] = {"type": "number_input", "value": "1.17"}
    again = {**view, "id": "V0SWITCH2", "hash": "1700000000.10"}
    assert bot.interaction(view_submission_payload(again, state, user_id="U0ADMIN")).body == ""
    assert stored(database) == RevenueSettings(currency="EUR", rates={"GBP": Decimal("1.17")})
