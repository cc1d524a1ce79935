"""A portfolio: accounts riskiest first, each with band, ARR, renewal and top reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from commands.ui.text import dated, escape
from commands.ui.views.blocks import Block, context, header, line_sections, section
from commands.ui.views.card import BAND_ICON
from store.signals import (
    RENEWAL_KINDS,
    RISK_ORDER,
    AccountSnapshot,
    Assessment,
    Band,
    Severity,
    stage_words,
)
from store.signals import riskiest_first as risk_order
from store.wording import compact_money, plural

Assessed = tuple[AccountSnapshot, Assessment]


def riskiest_first(assessed: Sequence[Assessed]) -> list[Assessed]:
    """The one risk order of every list of accounts (`store.signals.RISK_ORDER`)."""
    return risk_order(assessed, pick=lambda pair: (pair[0].account, pair[1]))


def portfolio_line(snapshot: AccountSnapshot, assessment: Assessment, today: date) -> str:
    """`🔴 *Acme* · $480k at stake · renews … · proposal sent · reasons`: "at stake" only for a
    renewal open inside its window, "ARR" otherwise; an override says so, with the rules' band."""
    account = snapshot.account
    amount = compact_money(account.arr, account.currency)
    amount += " at stake" if assessment.renewal_open and assessment.at_stake else " ARR"
    renewal = (
        f"renews {dated(account.renewal_date, today)}"
        if account.renewal_date
        else "no renewal date"
    )
    said = assessment.rule_reasons
    if assessment.in_window:
        # the date is said once: the renewal's own reason ("renewal in 95 days with …") gives
        # way to what it adds, the risks open and what to do first
        renewal += f" · {stage_words(account, today)}"
        said = tuple(
            s.reason
            for s in assessment.signals
            if s.kind not in RENEWAL_KINDS and s.severity in (Severity.CRITICAL, Severity.RISK)
        )
        if assessment.renewal_open and assessment.first_move:
            renewal += f" · 1 risk open: {escape(assessment.first_move)} first"
        elif assessment.renewal_open and assessment.risks > 1:
            renewal += f" · {plural(assessment.risks, 'risk')} open"
    if assessment.override is not None:
        renewal += f" · by override (rules say {assessment.rules_band.value})"
    reasons = ", ".join(escape(r) for r in said[:3])
    return f"{BAND_ICON[assessment.band]} *{escape(account.name)}* · {amount} · {renewal}" + (
        f" · {reasons}" if reasons else ""
    )


def portfolio_blocks(
    assessed: Sequence[Assessed],
    *,
    today: date,
    title: str,
    max_blocks: int = 45,
    empty: str | None = None,
) -> list[Block]:
    """`empty`: what to say when there is nothing to list (by default: no accounts yet)."""
    if not assessed and empty is not None:
        return [section(f"*{escape(title)}*\n{escape(empty)}")]
    if not assessed:
        return [
            section(f"*{escape(title)}*\nNo accounts yet."),
            context("`/account new` adds one; `/account help` shows every form."),
        ]
    ordered = riskiest_first(assessed)
    bands = [a.band for _, a in ordered]
    counts = " · ".join(
        f"{BAND_ICON[band]} {bands.count(band)} {band.value}"
        for band in (Band.RED, Band.YELLOW, Band.GREEN)
        if band in bands
    )
    lines = [portfolio_line(s, a, today) for s, a in ordered]
    return [
        header(f"{title} ({len(ordered)})"),
        context(f"{RISK_ORDER[:1].upper() + RISK_ORDER[1:]} · {counts}"),
        *line_sections(lines, max_blocks=max_blocks - 2),
    ]
