""" "Did Acme renew?": the question sent by DM with its four answers, the question once answered,
and the small form each answer opens (the new ARR where it changes, the reason of a churn)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from commands.ui.ids import Action, View
from commands.ui.text import escape, money, user_mention
from commands.ui.values import ModalMeta, RenewalAnswerValue
from commands.ui.views.blocks import Block, actions, button, context, section
from commands.ui.views.modal import input_block, modal, text_input
from store.enums import RenewalOutcome
from store.wording import dated, day

NEW_ARR = "new_arr"
REASON = "reason"
"""Block ids of the answer form (the store's refusals name `new_arr`)."""
REASON_LENGTH = 500
ANSWERS = {
    RenewalOutcome.RENEWED: "Renewed",
    RenewalOutcome.EXPANDED: "Renewed with expansion",
    RenewalOutcome.CONTRACTED: "Renewed with contraction",
    RenewalOutcome.CHURNED: "Churned",
}
TITLES = {
    RenewalOutcome.RENEWED: "Renewed",
    RenewalOutcome.EXPANDED: "Renewed, expanded",
    RenewalOutcome.CONTRACTED: "Renewed, contracted",
    RenewalOutcome.CHURNED: "Churned",
}


def question_blocks(
    *,
    account_id: int,
    name: str,
    renewal_date: date,
    arr: Decimal,
    currency: str,
    today: date,
    owner_left: str | None = None,
) -> list[Block]:
    """The question with its four answers; `owner_left` names an owner who left the workspace
    (the question passed to the team's leads)."""
    passed = (
        f"\n{user_mention(owner_left)} owned it and has left the workspace: it is yours to answer."
        if owner_left
        else ""
    )
    buttons = [
        button(
            text,
            action_id=Action.RENEWAL_ANSWER,
            value=RenewalAnswerValue.write(
                outcome=outcome, account_id=account_id, renewal_date=renewal_date
            ),
        )
        for outcome, text in ANSWERS.items()
    ]
    return [
        section(
            f":calendar: *Did {escape(name)} renew?* Its renewal is "
            f"{dated(renewal_date, today)}, at {money(arr, currency)} ARR.{passed}"
        ),
        actions(*buttons),
        context("Your answer goes in the revenue ledger and moves the renewal to the next term."),
    ]


def answered_blocks(
    *,
    name: str,
    renewal_date: date,
    outcome: RenewalOutcome,
    arr_before: Decimal,
    arr_after: Decimal,
    currency: str,
    by_user_id: str | None,
    next_renewal: date | None,
    reason: str | None,
    today: date,
) -> list[Block]:
    """The question once answered: what was recorded, by whom; no buttons left."""
    said = {
        RenewalOutcome.RENEWED: f"renewed at {money(arr_after, currency)}",
        RenewalOutcome.EXPANDED: (
            f"renewed with expansion: {money(arr_before, currency)} → {money(arr_after, currency)}"
        ),
        RenewalOutcome.CONTRACTED: (
            f"renewed with contraction: {money(arr_before, currency)} → "
            f"{money(arr_after, currency)}"
        ),
        RenewalOutcome.CHURNED: f"churned ({escape(reason or '')})",
    }[outcome]
    after = (
        f" Next renewal {day(next_renewal, today)}."
        if next_renewal and outcome is not RenewalOutcome.CHURNED
        else ""
    )
    return [
        section(
            f":white_check_mark: *{escape(name)}* {said} on its renewal of "
            f"{day(renewal_date, today)}, recorded by {user_mention(by_user_id)}.{after}"
        )
    ]


def answer_form(
    *,
    meta: ModalMeta,
    name: str,
    outcome: RenewalOutcome,
    arr: Decimal,
    currency: str,
    renewal_date: date,
    next_renewal: date,
    today: date,
) -> dict[str, Any]:
    """The form an answer opens: what will be recorded, and what it needs."""
    now = money(arr, currency)
    blocks: list[Block] = []
    if outcome is RenewalOutcome.RENEWED:
        blocks.append(
            section(
                f"*{escape(name)}* renewed at {now} ARR: the renewal of "
                f"{day(renewal_date, today)} is recorded and the next is set for "
                f"{day(next_renewal, today)}."
            )
        )
    elif outcome is RenewalOutcome.CHURNED:
        blocks += [
            section(
                f"*{escape(name)}* churned: its {now} ARR leaves on {day(renewal_date, today)}. "
                "The account becomes inactive (no digests, signals or reminders); its history "
                "is kept."
            ),
            input_block(
                REASON,
                "Why did they leave?",
                text_input(max_length=REASON_LENGTH, multiline=True),
            ),
        ]
    else:
        raised = outcome is RenewalOutcome.EXPANDED
        blocks += [
            section(
                f"*{escape(name)}* renewed with {'expansion' if raised else 'contraction'}: ARR "
                f"is {now} now. The next renewal is set for {day(next_renewal, today)}."
            ),
            input_block(
                NEW_ARR,
                f"New ARR ({currency})",
                {"type": "number_input", "is_decimal_allowed": True, "min_value": "0"},
                hint=f"{'More' if raised else 'Less'} than {now}.",
            ),
        ]
    if outcome is not RenewalOutcome.CHURNED:
        blocks.append(
            input_block(
                REASON,
                "Note",
                text_input(max_length=REASON_LENGTH, multiline=True),
                optional=True,
                hint="Kept with the answer (and the ARR entry, when ARR changes).",
            )
        )
    return modal(
        callback_id=View.RENEWAL_ANSWER_FORM,
        title=TITLES[outcome],
        submit="Record",
        blocks=blocks,
        meta=meta,
    )
