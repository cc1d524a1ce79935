"""Small builders for store rows used across tests, going through the store's own functions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from store.accounts import create_account
from store.db import Database
from store.models import Account
from tests.slack_fake import TEAM_ID


def make_account(
    db: Database, name: str = "Acme", *, team_id: str = TEAM_ID, **fields: Any
) -> Account:
    defaults: dict[str, Any] = {
        "owner_user_id": "U0ALICE",
        "channel_id": "C0ACME",
        "arr": Decimal("120000"),
        "renewal_date": date.today() + timedelta(days=100),  # noqa: DTZ011
        "seats_licensed": 100,
        "seats_active": 80,
    }
    with db.transaction() as session:
        return create_account(session, team_id=team_id, name=name, **(defaults | fields))
