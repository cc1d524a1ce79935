"""The "Record usage" form: one dated reading of an account's usage, its latest readings above."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from commands.ui.ids import View
from commands.ui.text import escape
from commands.ui.values import ModalMeta
from commands.ui.views.blocks import context, section
from commands.ui.views.modal import date_input, initial, input_block, modal
from commands.ui.views.org import department_select
from store.models import Account, AccountDepartment, UsageReading
from store.wording import day

READ_ON = "read_on"
SEATS_ACTIVE = "seats_active"
MAU = "monthly_active_users"
ADOPTION = "adoption_percent"
SATISFACTION = "satisfaction"
ESCALATIONS = "escalations"
DEPARTMENT = "department_id"
"""Block ids: the fields of `store.usage.UsageFigures`, so its refusals land beside them."""


def _number(value: object, *, decimal: bool = False) -> dict[str, Any]:
    element = {"type": "number_input", "is_decimal_allowed": decimal}
    return initial(element, "initial_value", None if value is None else str(value))


def reading_line(reading: UsageReading, today: date) -> str:
    """`2 Nov: 80 seats active · 120 MAU · adoption 64% · satisfaction 4.1 · 1 escalation`."""
    parts = [f"{reading.seats_active:,} seats active"]
    if reading.monthly_active_users is not None:
        parts.append(f"{reading.monthly_active_users:,} MAU")
    if reading.adoption_percent is not None:
        parts.append(f"adoption {reading.adoption_percent}%")
    if reading.satisfaction is not None:
        parts.append(f"satisfaction {reading.satisfaction:.1f}")
    if reading.escalations:
        parts.append(f"{reading.escalations} escalation" + ("s" if reading.escalations > 1 else ""))
    return f"{day(reading.read_on, today)}: " + " · ".join(parts)


def usage_form(
    *,
    meta: ModalMeta,
    account: Account,
    latest: Sequence[UsageReading],
    today: date,
    departments: Sequence[AccountDepartment] = (),
) -> dict[str, Any]:
    """A usage reading for one day (today by default), of the whole account or of one of its
    departments (a select only when it has any); one already recorded is replaced."""
    last = latest[0] if latest else None
    seats = last.seats_active if last else account.seats_active
    recorded = "\n".join(reading_line(r, today) for r in latest[:3]) or "none yet"
    blocks = [
        section(f"Usage of *{escape(account.name)}*. Latest readings:\n{recorded}"),
        input_block(READ_ON, "Day of the reading", date_input(today)),
        *(
            [
                input_block(
                    DEPARTMENT,
                    "Department",
                    department_select(departments, None),
                    optional=True,
                    hint="Leave empty for the whole account.",
                )
            ]
            if departments
            else []
        ),
        input_block(SEATS_ACTIVE, "Seats active", _number(seats)),
        input_block(MAU, "Monthly active users", _number(None), optional=True),
        input_block(
            ADOPTION,
            "Core-feature adoption (%)",
            _number(None),
            optional=True,
            hint="From 0 to 100.",
        ),
        input_block(
            SATISFACTION,
            "Support satisfaction (of 5)",
            _number(None, decimal=True),
            optional=True,
            hint="From 0 to 5, one decimal: 4.2",
        ),
        input_block(
            ESCALATIONS, "Support escalations since the last reading", _number(None), optional=True
        ),
        context(
            "A reading for a day (and department) already recorded replaces it. The latest "
            "whole-account reading sets the account's active seats and feeds the usage signals "
            "and the card's trend; departments' readings feed the expansion hypotheses."
        ),
    ]
    return modal(callback_id=View.USAGE_FORM, title="Record usage", blocks=blocks, meta=meta)
