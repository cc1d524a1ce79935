"""The revenue report as Slack shows it: NRR and GRR over the last 12 months and month by month,
against the practice's 120 % target, with starting ARR, expansion, contraction and churn."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from commands.ui.text import money
from commands.ui.views.blocks import Block, context, fields, fit, header, line_sections, section
from store.revenue import TARGET_NRR, Movement, RevenueReport
from store.wording import day, plural


def percent(ratio: Decimal | None) -> str:
    return "n/a" if ratio is None else f"{ratio * 100:.0f}%"


def signed(amount: Decimal, code: str, sign: str) -> str:
    """`+$30k`, `-$20k`; nothing moved is `$0`, unsigned."""
    return f"{sign}{money(amount, code)}" if amount else money(amount, code)


def against_target(nrr: Decimal | None) -> str:
    if nrr is None:
        return "no ARR at the start"
    if nrr >= TARGET_NRR:
        return f"at or above the {percent(TARGET_NRR)} target"
    return f"below the {percent(TARGET_NRR)} target"


def month_line(month: Movement, today: date, code: str) -> str:
    """`Nov 2026: NRR 104% · GRR 97% · expansion $20k · …` (the current month to date)."""
    label = f"{month.start:%b %Y}" + (" (to date)" if month.end >= today else "")
    return (
        f"{label}: NRR *{percent(month.nrr)}* · GRR {percent(month.grr)} · "
        f"expansion {money(month.expansion, code)} · contraction {money(month.contraction, code)}"
        f" · churn {money(month.churn, code)}"
    )


def revenue_blocks(
    report: RevenueReport, *, title: str, today: date, extra: Sequence[Block] = ()
) -> list[Block]:
    """The report: the 12 months' NRR and GRR and their parts, then month by month."""
    year, code = report.year, report.currency
    blocks: list[Block] = [
        header(f"Revenue: {title}"),
        section(
            f"*NRR {percent(year.nrr)}* ({against_target(year.nrr)}) · *GRR "
            f"{percent(year.grr)}* over the last 12 months ({day(year.start, today)} to "
            f"{day(year.end, today)}), in {code}."
        ),
        fields(
            f"*Starting ARR*\n{money(year.starting, code)} ({plural(year.accounts, 'account')})",
            f"*Expansion*\n{signed(year.expansion, code, '+')}",
            f"*Contraction*\n{signed(year.contraction, code, '-')}",
            f"*Churn*\n{signed(year.churn, code, '-')}",
        ),
        *line_sections(
            [month_line(m, today, code) for m in report.months], max_blocks=4, title="*By month*"
        ),
        context(
            "Over the accounts active at the start of each period: new logos are left out, "
            "corrections are not movement. NRR = (starting + expansion - contraction - churn) "
            "/ starting; GRR leaves expansion out."
        ),
        *extra,
    ]
    return fit(blocks)
