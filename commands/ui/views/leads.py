"""Views of the leads from champion moves (`/account leads`, the outreach form, the offer to add
the person to the account made from their lead) and of the Opportunity form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from commands.ui.fields import CURRENCIES, NAME, TEXT
from commands.ui.ids import Action, OpportunityField, OutreachField, View
from commands.ui.text import day, escape, money
from commands.ui.values import AccountValue, LeadValue, ModalMeta, OpportunityValue
from commands.ui.views.blocks import Block, actions, button, context, fit, header, section
from commands.ui.views.modal import (
    date_input,
    enum_select,
    initial,
    input_block,
    modal,
    option,
    text_input,
)
from store.champion_leads import LeadRow
from store.enums import STAGE_PROBABILITY, LeadStatus, OpportunityStage, OpportunityType, label
from store.models import Opportunity
from store.names import name_key
from store.opportunities import STAKEHOLDERS
from store.wording import plural

OF = OpportunityField
STATUS_WORDS = {
    LeadStatus.OPEN: "not contacted yet",
    LeadStatus.CONTACTED: "contacted",
    LeadStatus.CONVERTED: "converted",
    LeadStatus.DISMISSED: "dismissed",
}
STAGE_WORDS: dict[Any, str] = {
    stage: f"{label(stage)} ({STAGE_PROBABILITY[stage]}%)" for stage in OpportunityStage
}
STAGE_WORDS[OpportunityStage.EVALUATION] = "Demo / evaluation (40%)"
NEXT_STEP = 500
TYPE_WORDS: dict[Any, str] = {kind: label(kind) for kind in OpportunityType} | {
    OpportunityType.CROSS_SELL: "Cross-sell"
}


def how_long(days: int) -> str:
    """`3 weeks`, `5 months`, `2 years 3 months`: how long someone championed us."""
    if days < 1:
        return "under a day"
    if days < 60:
        return plural(max(days // 7, 1), "week") if days >= 7 else plural(days, "day")
    months = days * 12 // 365
    if months < 24:
        return plural(months, "month")
    years, rest = divmod(months, 12)
    return plural(years, "year") + (f" {plural(rest, 'month')}" if rest else "")


def leads_blocks(
    leads: Sequence[LeadRow],
    deals: Mapping[int, Sequence[Opportunity]],
    *,
    today: date,
) -> list[Block]:
    """Former champions by their new company: whether it is already our account, how long they
    championed us and where, what was done since; with the buttons to act on each."""
    blocks: list[Block] = [
        header("Leads from champion moves"),
        context(
            "Champions and sponsors who left an account for another company, by company. "
            "The whole team sees them: they are people we know, not a customer's internals."
        ),
    ]
    if not leads:
        blocks.append(
            section(
                "No leads yet. When a champion or sponsor is marked departed with the company "
                "they left for, they show here."
            )
        )
        return blocks
    for _, group in groupby(leads, key=lambda lead: name_key(lead.company)):
        people = list(group)
        first = people[0]
        company = f"*{escape(first.company)}*"
        if first.account_id is not None:
            company += f" · already our account *{escape(first.account_name)}*"
        blocks.append(section(company))
        for lead in people:
            blocks.extend(_lead(lead, deals.get(lead.id, ()), today=today))
    return fit(blocks)


def _lead(lead: LeadRow, deals: Sequence[Opportunity], *, today: date) -> list[Block]:
    title = f", now {escape(lead.title)}" if lead.title else ""
    reached = ""
    if lead.outreaches:
        when = day(lead.last_outreach, today) if lead.last_outreach else "?"
        reached = f" · {plural(lead.outreaches, 'outreach', 'outreaches')}, last {when}"
    lines = [
        f"{escape(lead.person_name)}{title} · {label(lead.role).lower()} at"
        f" {escape(lead.from_account)} for {how_long(lead.championed_days)}"
        f" ({day(lead.championed_from, today)} to {day(lead.championed_to, today)})"
        f" · {STATUS_WORDS[lead.status]}{reached}"
    ]
    for deal in deals:
        lines.append(
            f"> Deal: {escape(deal.name)} · {STAGE_WORDS[deal.stage]} ·"
            f" {money(deal.amount, deal.currency)} · closes {day(deal.close_date, today)}"
        )
    value = LeadValue.write(lead_id=lead.id)
    buttons = []
    if lead.account_id is None and lead.status is not LeadStatus.CONVERTED:
        buttons.append(button("Create account", action_id=Action.LEAD_ACCOUNT, value=value))
    elif lead.account_id is not None:
        buttons.append(
            button(
                f"Open {lead.account_name}",
                action_id=Action.SHOW_ACCOUNT,
                value=AccountValue.write(account_id=lead.account_id),
            )
        )
    buttons.append(button("Log outreach", action_id=Action.LEAD_OUTREACH, value=value))
    if lead.account_id is None:
        buttons.append(button("Create opportunity", action_id=Action.LEAD_OPPORTUNITY, value=value))
    for deal in deals[:2]:
        buttons.append(
            button(
                f"Edit {deal.name}",
                action_id=Action.EDIT_OPPORTUNITY,
                value=OpportunityValue.write(opportunity_id=deal.id),
            )
        )
    return [section("\n".join(lines)), actions(*buttons)]


def outreach_form(*, meta: ModalMeta, lead: LeadRow, today: date) -> dict[str, Any]:
    blocks = [
        section(
            f"Outreach to *{escape(lead.person_name)}*, now at *{escape(lead.company)}*"
            f" (championed us at {escape(lead.from_account)})."
        ),
        input_block(OutreachField.DATE, "When", date_input(today)),
        input_block(
            OutreachField.NOTE, "What happened", text_input(max_length=TEXT, multiline=True)
        ),
    ]
    return modal(callback_id=View.OUTREACH_FORM, title="Log outreach", blocks=blocks, meta=meta)


def person_offer(*, person: str, company: str, value: str) -> list[Block]:
    """After an account is made from a lead: the person, offered as its first stakeholder."""
    return [
        section(
            f"*{escape(company)}* is an account now. *{escape(person)}* championed us before:"
            " add them as its first stakeholder?",
            accessory=button(
                f"Add {person}", action_id=Action.LEAD_STAKEHOLDER, value=value, style="primary"
            ),
        )
    ]


def opportunity_form(
    *,
    meta: ModalMeta,
    about: str,
    owner: str | None,
    currency: str,
    trigger: str | None = None,
    current: Opportunity | None = None,
    name: str | None = None,
    amount: Decimal | None = None,
    people: Sequence[tuple[int, str]] = (),
    chosen: Sequence[int] = (),
    callback_id: View = View.OPPORTUNITY_FORM,
    types: Sequence[OpportunityType] = (),
    stages: Sequence[OpportunityStage] = tuple(OpportunityStage),
) -> dict[str, Any]:
    """An opportunity, new or edited (filled in), or new and prefilled (`name`, `amount`, the
    people of an account's deal with those `chosen`). `about` says whose it is (escaped here).
    An account's deal added directly picks its type among `types`; `stages` are those the
    form offers."""
    c = current
    currency = c.currency if c else currency
    element = {
        "type": "static_select",
        "options": [option(code, code) for code in CURRENCIES],
    }
    blocks = [
        section(escape(about)),
        input_block(OF.NAME, "Name", text_input(max_length=NAME, value=c.name if c else name)),
        *(
            [
                input_block(
                    OF.TYPE,
                    "Type",
                    enum_select(types, value=c.type if c else types[0], words=TYPE_WORDS),
                )
            ]
            if types
            else []
        ),
        input_block(
            OF.AMOUNT,
            "Amount (ARR)",
            text_input(
                max_length=20,
                value=str(c.amount) if c else (str(amount) if amount is not None else None),
            ),
        ),
        input_block(
            OF.CURRENCY,
            "Currency",
            initial(element, "initial_option", option(currency, currency))
            if currency in CURRENCIES
            else element,
        ),
        input_block(OF.CLOSE_DATE, "Close date", date_input(c.close_date if c else None)),
        input_block(
            OF.STAGE,
            "Stage",
            enum_select(
                list(stages),
                value=c.stage if c else OpportunityStage.PROSPECT,
                words=STAGE_WORDS,
            ),
        ),
        input_block(
            OF.LOST_REASON,
            "Why it was lost",
            text_input(max_length=NEXT_STEP, value=c.lost_reason if c else None),
            optional=True,
            hint="Required when the stage is closed lost.",
        ),
        input_block(
            OF.OWNER,
            "Owner",
            initial({"type": "users_select"}, "initial_user", c.owner_user_id if c else owner),
        ),
        input_block(
            OF.NEXT_STEP,
            "Next step",
            text_input(max_length=NEXT_STEP, value=c.next_step if c else None),
            optional=True,
        ),
        input_block(
            OF.NEXT_STEP_ON,
            "Next step by",
            date_input(c.next_step_on if c else None),
            optional=True,
        ),
        input_block(
            OF.TRIGGER,
            "Trigger signal",
            text_input(max_length=NEXT_STEP, value=c.trigger_signal if c else trigger),
            optional=True,
        ),
        input_block(
            OF.BUSINESS_CASE,
            "Business case",
            text_input(max_length=TEXT, multiline=True, value=c.business_case if c else None),
            optional=True,
        ),
    ]
    if people:
        options = [option(str(i), who) for i, who in people[:100]]
        picked = [o for o in options if o["value"] in {str(i) for i in chosen}]
        element = {"type": "multi_static_select", "options": options}
        blocks.append(
            input_block(
                STAKEHOLDERS,
                "People involved",
                initial(element, "initial_options", picked or None),
                optional=True,
            )
        )
    return modal(callback_id=callback_id, title="Opportunity", blocks=blocks, meta=meta)
