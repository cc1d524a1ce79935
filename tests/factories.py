"""Small builders for store rows used across tests, going through the store's own functions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from store.accounts import create_account
from store.actions import add_action_item
from store.db import Database
from store.enums import ContactChannel, Role
from store.models import Account, TeamSettings
from store.stakeholders import add_stakeholder, log_contact
from store.types import utcnow
from tests.slack_fake import TEAM_ID


def app_today() -> date:
    """The day the bot itself takes as today: the UTC date, whatever the machine's time zone."""
    return utcnow().date()


def make_account(
    db: Database, name: str = "Acme", *, team_id: str = TEAM_ID, **fields: Any
) -> Account:
    defaults: dict[str, Any] = {
        "owner_user_id": "U0ALICE",
        "channel_id": "C0ACME",
        "arr": Decimal("120000"),
        "renewal_date": app_today() + timedelta(days=100),
        "seats_licensed": 100,
        "seats_active": 80,
    }
    with db.transaction() as session:
        return create_account(session, team_id=team_id, name=name, **(defaults | fields))


def add_person(
    db: Database,
    account: Account,
    name: str,
    role: Role = Role.INFLUENCER,
    *,
    contacted_days_ago: int | None = None,
    today: date | None = None,
    **fields: Any,
) -> int:
    """Put someone on an account's map (optionally with a contact some days ago); their id."""
    with db.transaction() as session:
        person = add_stakeholder(
            session,
            team_id=account.team_id,
            account_id=account.id,
            name=name,
            role=role,
            by_user_id="U0ALICE",
            **fields,
        )
        if contacted_days_ago is not None:
            log_contact(
                session,
                team_id=account.team_id,
                account_id=account.id,
                stakeholder_ids=[person.id],  # type: ignore[list-item]
                contacted_on=(today or app_today()) - timedelta(days=contacted_days_ago),
                channel=ContactChannel.CALL,
                summary="",
                by_user_id="U0ALICE",
            )
        return person.id  # type: ignore[return-value]


def corrupt_team_settings(db: Database, *, team_id: str = TEAM_ID) -> None:
    """Store thresholds no version of the bot wrote (as a botched manual edit would): reading
    them fails, which the bot must report as its own fault, with an error id."""
    with db.transaction() as session:
        session.merge(TeamSettings(team_id=team_id, thresholds={"min_threads": 0}))


def add_item(db: Database, account: Account, title: str, due: date, **fields: Any) -> int:
    """An open mutual-action item on the account (owners on both sides by default); its id."""
    fields.setdefault("our_owner_user_id", "U0ALICE")
    fields.setdefault("customer_owner_name", "Raj")
    with db.transaction() as session:
        return add_action_item(  # type: ignore[return-value]
            session,
            team_id=account.team_id,
            account_id=account.id,  # type: ignore[arg-type]
            title=title,
            due_on=due,
            by_user_id="U0ALICE",
            **fields,
        ).id
