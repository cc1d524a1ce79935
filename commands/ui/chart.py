"""The revenue report's chart: NRR and GRR of the 12 months so far at each month's end, against the
120 % target (a 12-month figure: one month's NRR cannot be read against it), drawn as a PNG with
matplotlib's Agg backend (no display, no pyplot state: safe in the bot's worker threads).

matplotlib is imported where the chart is drawn, not with this module: it is about 40 MiB of a
process's memory, and only the revenue report draws a chart (a digest run, a reminder run or a bot
nobody asks for the report never needs it; `tests/test_start_up_imports.py`)."""

from __future__ import annotations

import io

from store.revenue import TARGET_NRR, RevenueReport


def revenue_chart(report: RevenueReport, *, title: str) -> bytes:
    """A PNG of the 12 months so far at each month's end: NRR and GRR (%), the target and 100 %."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [f"{month.start:%b %y}" for month in report.months]
    nrr = [float(m.nrr * 100) if m.nrr is not None else float("nan") for m in report.so_far]
    grr = [float(m.grr * 100) if m.grr is not None else float("nan") for m in report.so_far]
    axes.plot(labels, nrr, marker="o", label="NRR")
    axes.plot(labels, grr, marker="s", label="GRR")
    axes.axhline(float(TARGET_NRR * 100), linestyle="--", color="green", label="NRR target")
    axes.axhline(100, linestyle=":", color="grey")
    axes.set_ylabel("% of starting ARR, to each month's end")
    # an account's name: `$…$` is text, not a formula
    axes.set_title(f"NRR and GRR since {report.year.start:%-d %b %Y}: {title}", parse_math=False)
    axes.legend(loc="best")
    axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
