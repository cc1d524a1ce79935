"""A portfolio: accounts riskiest first, each with band, ARR, renewal and top reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from commands.ui.text import dated, escape, money
from commands.ui.views.blocks import Block, context, header, line_sections, section
from commands.ui.views.card import BAND_ICON
from store.signals import AccountSnapshot, Assessment, Band

Assessed = tuple[AccountSnapshot, Assessment]


def riskiest_first(assessed: Sequence[Assessed]) -> list[Assessed]:
    """Band and weight of signals first, then ARR (more at stake first), then name."""
    return sorted(
        assessed,
        key=lambda pair: (-pair[1].risk_score, -pair[0].account.arr, pair[0].account.name_key),
    )


def portfolio_line(snapshot: AccountSnapshot, assessment: Assessment, today: date) -> str:
    account = snapshot.account
    renewal = (
        f"renews {dated(account.renewal_date, today)}"
        if account.renewal_date
        else "no renewal date"
    )
    reasons = ", ".join(escape(r) for r in assessment.reasons[:3])
    return (
        f"{BAND_ICON[assessment.band]} *{escape(account.name)}* · "
        f"{money(account.arr, account.currency)} · {renewal}" + (f" · {reasons}" if reasons else "")
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
        context(f"Riskiest first · {counts}"),
        *line_sections(lines, max_blocks=max_blocks - 2),
    ]
