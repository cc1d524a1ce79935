"""Views of an account's deals: their lines (on the card and on `/account Acme deals`), the list
with its buttons, the Move stage form (the exit criteria of the stages passed, as a checklist)
and the MEDDIC and scorecard form. Pure: data in, Block Kit out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from commands.ui.ids import Action, QualifyField, StageField, View
from commands.ui.text import day, escape, money
from commands.ui.values import AccountValue, DealStageValue, DealValue, ModalMeta
from commands.ui.views.blocks import Block, actions, button, context, fit, header, section
from commands.ui.views.leads import NEXT_STEP, STAGE_WORDS
from commands.ui.views.modal import initial, input_block, modal, option, text_input
from store.deals import (
    CRITERION_WORDS,
    EXIT_CRITERIA,
    MEDDIC_PARTS,
    MEDDIC_PEOPLE,
    criteria_passed,
    deal_flags,
    is_open,
    meddic_gaps,
    scorecard,
)
from store.enums import OPEN_STAGE_ORDER, ExitCriterion, OpportunityStage, label
from store.models import Opportunity
from store.wording import plural

CARD_DEALS = 5
"""Open deals the card lists; the rest are counted, on `/account Acme deals`."""
DEALS_SHOWN = 20
"""Deals `/account Acme deals` draws (each a section and its buttons, within 50 blocks)."""
FLAG = ":triangular_flag_on_post:"
SCORE_WORDS = {
    QualifyField.BUDGET: "Budget",
    QualifyField.AUTHORITY: "Authority",
    QualifyField.NEED: "Need",
    QualifyField.TIMELINE: "Timeline",
    QualifyField.CHAMPION_SCORE: "Champion",
    QualifyField.COMPETITION: "Competition",
}
MEDDIC_WORDS = {
    QualifyField.METRICS: ("Metrics", "The measurable outcome they want."),
    QualifyField.DECISION_CRITERIA: ("Decision criteria", "Must-haves vs nice-to-haves."),
    QualifyField.DECISION_PROCESS: ("Decision process", "How they evaluate and decide."),
    QualifyField.IDENTIFIED_PAIN: ("Identified pain", "The cost of not solving it."),
}


def deal_line(deal: Opportunity, *, today: date) -> str:
    """`*Acme: seats* · Proposal (60%) · $48k · closes 3 Feb · next: Call Dana by 9 Dec ·
    score 22/30 (work on the weak areas) · 🚩 no champion` (user text escaped)."""
    next_step = "no next step"
    if deal.next_step:
        by = f" by {day(deal.next_step_on, today)}" if deal.next_step_on else ""
        next_step = f"next: {escape(deal.next_step)}{by}"
    parts = [
        f"*{escape(deal.name)}*",
        STAGE_WORDS[deal.stage],
        money(deal.amount, deal.currency),
        f"closes {day(deal.close_date, today)}",
        next_step,
        f"score {scorecard(deal).words()}",
    ]
    if deal.stage is OpportunityStage.CLOSED_LOST and deal.lost_reason:
        parts.append(f"lost: {escape(deal.lost_reason)}")
    if flags := deal_flags(deal):
        parts.append(f"{FLAG} {', '.join(flags)}")
    return " · ".join(parts)


def card_deals(deals: Sequence[Opportunity], *, today: date) -> list[Block]:
    """The card's open deals, soonest close first, at most `CARD_DEALS` of them."""
    shown = [d for d in deals if is_open(d.stage)]
    if not shown:
        return [context("No open deals. *Add deal* opens one.")]
    lines = [f"• {deal_line(d, today=today)}" for d in shown[:CARD_DEALS]]
    if len(shown) > CARD_DEALS:
        lines.append(f"…and {plural(len(shown) - CARD_DEALS, 'more deal')} on *Deals*")
    return [section(f"*Open deals ({len(shown)})*\n" + "\n".join(lines))]


def deals_blocks(
    *,
    account_id: int,
    account_name: str,
    deals: Sequence[Opportunity],
    people: Mapping[int, str],
    today: date,
) -> list[Block]:
    """`/account Acme deals`: each deal's line, its MEDDIC (filled or gaps), and its buttons
    (Edit, a menu of stages to move to while it is open, MEDDIC / score)."""
    open_count = sum(is_open(d.stage) for d in deals)
    blocks: list[Block] = [
        header(f"Deals: {account_name}"),
        context(f"{plural(open_count, 'open deal')}, {len(deals) - open_count} closed"),
    ]
    for deal in deals[:DEALS_SHOWN]:
        blocks.append(section(f"{deal_line(deal, today=today)}\n{_meddic_line(deal, people)}"))
        value = DealValue.write(account_id=account_id, opportunity_id=deal.id)
        elements = [button("Edit", action_id=Action.EDIT_DEAL, value=value)]
        if is_open(deal.stage):
            elements.append(_stage_menu(deal, account_id))
        elements.append(button("MEDDIC / score", action_id=Action.QUALIFY_DEAL, value=value))
        blocks.append(actions(*elements))
    if len(deals) > DEALS_SHOWN:
        blocks.append(context(f"…and {plural(len(deals) - DEALS_SHOWN, 'more deal')}"))
    if not deals:
        blocks.append(section("No deals yet."))
    this = AccountValue.write(account_id=account_id)
    blocks.append(actions(button("Add deal", action_id=Action.ADD_DEAL, value=this)))
    return fit(blocks)


def _meddic_line(deal: Opportunity, people: Mapping[int, str]) -> str:
    """`MEDDIC: economic buyer Bo Li, champion Ana Diaz · gaps: metrics, decision process`."""
    found = []
    for column, words in MEDDIC_PARTS:
        person = getattr(deal, column) if column in MEDDIC_PEOPLE else None
        if person is not None:
            found.append(f"{words} {escape(people.get(person, 'someone removed'))}")
    gaps = meddic_gaps(deal)
    said = ", ".join(found) if found else "none named"
    return f"MEDDIC: {said} · " + (f"gaps: {', '.join(gaps)}" if gaps else "no gaps")


def _stage_menu(deal: Opportunity, account_id: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": Action.MOVE_STAGE.value,
        "placeholder": {"type": "plain_text", "text": "Move stage"},
        "options": [
            option(
                DealStageValue.write(account_id=account_id, opportunity_id=deal.id, stage=stage),
                f"Move to {STAGE_WORDS[stage]}",
            )
            for stage in OPEN_STAGE_ORDER
            if stage is not deal.stage
        ],
    }


def stage_form(*, meta: ModalMeta, deal: Opportunity, to: OpportunityStage) -> dict[str, Any]:
    """Move a deal to `to`: forward, the exit criteria of each stage it passes, to tick; a
    reason (required for any left unticked). Back, no criteria."""
    asked = criteria_passed(deal.stage, to)
    blocks: list[Block] = [
        section(f"*{escape(deal.name)}*: {STAGE_WORDS[deal.stage]} → *{STAGE_WORDS[to]}*")
    ]
    if asked:
        options = [option(c.value, _criterion_words(c)) for c in asked]
        blocks.append(
            input_block(
                StageField.CRITERIA,
                "Exit criteria met",
                {"type": "checkboxes", "options": options},
                optional=True,
            )
        )
        hint = "Required for any criterion left unticked; kept in the deal's history."
    else:
        blocks.append(context("Moving back: no exit criteria to meet."))
        hint = "Kept in the deal's history."
    blocks.append(
        input_block(
            StageField.REASON,
            "Why it moves on without the unticked ones" if asked else "Why (optional)",
            text_input(max_length=NEXT_STEP, multiline=True),
            optional=True,
            hint=hint,
        )
    )
    return modal(callback_id=View.STAGE_FORM, title="Move stage", blocks=blocks, meta=meta)


def _criterion_words(criterion: ExitCriterion) -> str:
    """`Demo delivered (leaving evaluation)`: the criterion and the stage that asks it."""
    stage = next(s for s in OPEN_STAGE_ORDER if criterion in EXIT_CRITERIA[s])
    return f"{CRITERION_WORDS[criterion]} (leaving {label(stage).lower()})"


def qualify_form(
    *,
    meta: ModalMeta,
    deal: Opportunity,
    people: Sequence[tuple[int, str]],
    map_buyer: int | None,
    map_champion: int | None,
) -> dict[str, Any]:
    """The deal's MEDDIC (the buyer and champion picked from the account's map, the map's own
    economic buyer and champion offered first) and its scorecard, 1-5 each; empty is a gap."""
    card = scorecard(deal)
    blocks: list[Block] = [
        section(
            f"*{escape(deal.name)}* · {STAGE_WORDS[deal.stage]} · score {card.words()}. "
            "Leave a part empty to mark it as a gap."
        )
    ]
    blocks.append(_text_part(QualifyField.METRICS, deal))
    blocks.append(
        _person(
            QualifyField.ECONOMIC_BUYER,
            "Economic buyer (who approves)",
            people,
            deal.economic_buyer_id or map_buyer,
        )
    )
    for field in (
        QualifyField.DECISION_CRITERIA,
        QualifyField.DECISION_PROCESS,
        QualifyField.IDENTIFIED_PAIN,
    ):
        blocks.append(_text_part(field, deal))
    blocks.append(
        _person(
            QualifyField.CHAMPION,
            "Champion (who advocates internally)",
            people,
            deal.champion_id or map_champion,
        )
    )
    scores = [option(str(n), str(n)) for n in range(1, 6)]
    for field, words in SCORE_WORDS.items():
        now = getattr(deal, field.value)
        element = {"type": "static_select", "options": scores}
        blocks.append(
            input_block(
                field,
                f"{words} (1-5)",
                initial(element, "initial_option", option(str(now), str(now)) if now else None),
                optional=True,
            )
        )
    return modal(callback_id=View.QUALIFY_FORM, title="MEDDIC / score", blocks=blocks, meta=meta)


def _text_part(field: QualifyField, deal: Opportunity) -> dict[str, Any]:
    title, hint = MEDDIC_WORDS[field]
    return input_block(
        field,
        title,
        text_input(max_length=NEXT_STEP, multiline=True, value=getattr(deal, field.value)),
        optional=True,
        hint=hint,
    )


def _person(
    field: QualifyField, title: str, people: Sequence[tuple[int, str]], chosen: int | None
) -> dict[str, Any]:
    if not people:
        return section(f"*{title}*: nobody on the map yet (a gap). Add them to the map first.")
    options = [option(str(i), who) for i, who in people[:100]]
    picked = next((o for o in options if o["value"] == str(chosen)), None)
    element = {"type": "static_select", "options": options}
    return input_block(
        field,
        title,
        initial(element, "initial_option", picked),
        optional=True,
        hint="Someone on this account's map; empty is a gap.",
    )
