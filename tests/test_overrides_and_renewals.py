"""Issue 19's data on a real database: owners' band overrides, renewal stage and notice date,
the band each digest showed, and how numbers, days and money read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from store.accounts import RenewalRefused, set_renewal_stage, update_account
from store.db import Database
from store.digest_bands import ShownNow, bands_before, record_bands
from store.enums import Band, RenewalStage
from store.models import Account, BandOverride
from store.overrides import (
    OverrideRefused,
    clear_band_override,
    override_history,
    set_band_override,
)
from store.settings import Thresholds
from store.signals import assess
from store.snapshots import load_snapshots
from store.types import utcnow
from store.wording import compact_money, dated, day, plural
from tests.factories import TEAM_ID, make_account

TODAY = utcnow().date()


def overrides(database: Database) -> int:
    with database.transaction() as session:
        return session.execute(select(func.count()).select_from(BandOverride)).scalar_one()


def assessed(database: Database, account_id: int, today: date = TODAY):
    with database.transaction() as session:
        [snapshot] = load_snapshots(session, team_id=TEAM_ID, account_ids=[account_id])
    return assess(snapshot, today=today, thresholds=Thresholds())


def test_an_override_is_the_band_shown_with_the_rules_beside_it_until_it_expires(
    database: Database,
) -> None:
    account = make_account(database, "Umbrella")  # nobody on the map: the rules say red
    with database.transaction() as session:
        set_band_override(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            band=Band.YELLOW,
            reason="  Lab move:   back on the 7th ",
            expires_on=TODAY + timedelta(days=14),
            by_user_id="U0ALICE",
            today=TODAY,
        )
    shown = assessed(database, account.id)
    assert (shown.band, shown.rules_band) == (Band.YELLOW, Band.RED)
    assert shown.reasons[0].startswith("yellow by override until ")
    assert shown.reasons[0].endswith("(rules: red): Lab move: back on the 7th")
    assert "no active stakeholders on the map" in shown.reasons
    expired = assessed(database, account.id, today=TODAY + timedelta(days=15))
    assert (expired.band, expired.override) == (Band.RED, None)


def test_a_new_override_replaces_the_old_one_and_both_stay_in_history(
    database: Database,
) -> None:
    account = make_account(database, "Umbrella")
    for band, reason in ((Band.YELLOW, "First"), (Band.GREEN, "Second")):
        with database.transaction() as session:
            set_band_override(
                session,
                team_id=TEAM_ID,
                account_id=account.id,
                band=band,
                reason=reason,
                expires_on=TODAY + timedelta(days=90),
                by_user_id="U0ALICE",
                today=TODAY,
            )
    with database.transaction() as session:
        cleared = clear_band_override(
            session, team_id=TEAM_ID, account_id=account.id, by_user_id="U0BOB"
        )
        history = override_history(session, team_id=TEAM_ID, account_id=account.id)
    assert cleared is not None and cleared.reason == "Second"
    assert [(o.reason, o.band, o.rules_band, o.cleared_by_user_id) for o in history] == [
        ("Second", Band.GREEN, Band.RED, "U0BOB"),
        ("First", Band.YELLOW, Band.RED, "U0ALICE"),
    ]
    assert assessed(database, account.id).band is Band.RED


@pytest.mark.parametrize(
    ("reason", "days", "field", "message"),
    [
        ("   ", 10, "reason", "Say why you override the band"),
        ("x" * 501, 10, "reason", r"Keep the reason to 500 characters \(it has 501\)\."),
        ("Fine", 91, "expires_on", "An override lasts 90 days at most"),
        ("Fine", -1, "expires_on", "The override must last until today"),
    ],
)
def test_an_override_without_a_reason_or_beyond_90_days_is_refused_and_nothing_written(
    database: Database, reason: str, days: int, field: str, message: str
) -> None:
    account = make_account(database, "Umbrella")
    with pytest.raises(OverrideRefused, match=message) as refused, database.transaction() as s:
        set_band_override(
            s,
            team_id=TEAM_ID,
            account_id=account.id,
            band=Band.GREEN,
            reason=reason,
            expires_on=TODAY + timedelta(days=days),
            by_user_id="U0ALICE",
            today=TODAY,
        )
    assert refused.value.field == field
    assert overrides(database) == 0


def test_a_notice_date_after_the_renewal_date_is_refused(database: Database) -> None:
    renewal = TODAY + timedelta(days=60)
    with pytest.raises(RenewalRefused, match="must be on or before the renewal date") as refused:
        make_account(database, "Late", renewal_date=renewal, notice_date=renewal + timedelta(1))
    assert refused.value.field == "notice_date"
    account = make_account(database, "Acme", renewal_date=renewal, notice_date=renewal)
    with pytest.raises(RenewalRefused) as moved, database.transaction() as session:
        update_account(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            renewal_date=renewal - timedelta(days=1),
        )
    assert moved.value.field == "renewal_date"  # the date that changed is the one at fault
    with database.transaction() as session:
        stored = session.get(Account, account.id)
        assert stored is not None and (stored.renewal_date, stored.notice_date) == (
            renewal,
            renewal,
        )
        assert session.execute(select(func.count()).select_from(Account)).scalar_one() == 1


def test_a_renewal_signed_needs_its_signed_date_and_leaving_signed_forgets_it(
    database: Database,
) -> None:
    account = make_account(database, "Acme")
    with (
        pytest.raises(RenewalRefused, match="needs the day it was signed") as refused,
        database.transaction() as session,
    ):
        set_renewal_stage(
            session, team_id=TEAM_ID, account_id=account.id, stage=RenewalStage.SIGNED
        )
    assert refused.value.field == "renewal_signed_on"
    with database.transaction() as session:
        signed = set_renewal_stage(
            session,
            team_id=TEAM_ID,
            account_id=account.id,
            stage=RenewalStage.SIGNED,
            signed_on=TODAY,
        )
        assert (signed.renewal_stage, signed.renewal_signed_on) == (RenewalStage.SIGNED, TODAY)
        back = set_renewal_stage(
            session, team_id=TEAM_ID, account_id=account.id, stage=RenewalStage.VERBAL_YES
        )
        assert (back.renewal_stage, back.renewal_signed_on) == (RenewalStage.VERBAL_YES, None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE account SET notice_date = renewal_date + 1",
        "UPDATE account SET renewal_stage = 'signed'",
    ],
)
def test_the_database_refuses_renewal_facts_that_cannot_all_be_true(
    database: Database, statement: str
) -> None:
    make_account(database, "Acme", notice_date=TODAY)
    sql = statement.replace("renewal_date + 1", "'2999-01-01'")
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(text(sql))


def test_what_a_digest_showed_is_kept_and_a_second_run_of_the_week_compares_the_same(
    database: Database,
) -> None:
    account = make_account(database, "Acme", renewal_date=None)
    week1, week2 = date(2026, 11, 16), date(2026, 11, 23)

    def record(week: date, band: Band, *signals: str) -> None:
        with database.transaction() as session:
            record_bands(
                session,
                team_id=TEAM_ID,
                week=week,
                shown=[ShownNow(account.id, band, signals)],
            )

    def before(week: date):
        with database.transaction() as session:
            return bands_before(session, team_id=TEAM_ID, week=week)

    record(week1, Band.YELLOW, "stale_map", "champion_departed")
    assert before(week1) == {}
    record(week2, Band.RED, "gone_dark")
    [shown] = before(week2).values()
    assert (shown.week, shown.band, shown.signals) == (
        week1,
        Band.YELLOW,
        frozenset({"stale_map", "champion_departed"}),
    )
    record(week2, Band.GREEN)  # a second run that week: still compared with week 1
    assert before(week2)[account.id].band is Band.YELLOW
    assert before(week2 + timedelta(days=7))[account.id].band is Band.GREEN


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("480000"), "USD", "$480k"),
        (Decimal("1580000"), "USD", "$1.58M"),
        (Decimal("12500"), "EUR", "€12.5k"),
        (Decimal("950"), "CHF", "CHF 950"),
        (Decimal("999999"), "GBP", "£1M"),
        (Decimal("0"), "USD", "$0"),
    ],
)
def test_money_is_compact_and_its_currency_shown_one_way(
    amount: Decimal, currency: str, shown: str
) -> None:
    assert compact_money(amount, currency) == shown


def test_counts_and_days_read_as_people_write_them() -> None:
    today = date(2026, 8, 7)
    assert [plural(1, "day"), plural(2, "day"), plural(0, "item")] == ["1 day", "2 days", "0 items"]
    assert plural(2, "key person", "key people") == "2 key people"
    assert dated(date(2026, 9, 17), today) == "17 Sep (in 41 days)"
    assert day(date(2027, 3, 1), today) == "1 Mar 2027"  # more than half a year away
    assert dated(today - timedelta(days=1), today) == "6 Aug (yesterday)"
