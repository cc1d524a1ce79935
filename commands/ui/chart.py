"""The revenue report's chart: monthly NRR and GRR against the 120 % target, drawn as a PNG with
matplotlib's Agg backend (no display, no pyplot state: safe in the bot's worker threads)."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from store.revenue import TARGET_NRR, RevenueReport


def revenue_chart(report: RevenueReport, *, title: str) -> bytes:
    """A PNG of the report's months: NRR and GRR (%), the target and 100 % as lines."""
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [f"{month.start:%b %y}" for month in report.months]
    nrr = [float(m.nrr * 100) if m.nrr is not None else float("nan") for m in report.months]
    grr = [float(m.grr * 100) if m.grr is not None else float("nan") for m in report.months]
    axes.plot(labels, nrr, marker="o", label="NRR")
    axes.plot(labels, grr, marker="s", label="GRR")
    axes.axhline(float(TARGET_NRR * 100), linestyle="--", color="green", label="NRR target")
    axes.axhline(100, linestyle=":", color="grey")
    axes.set_ylabel("% of starting ARR")
    axes.set_title(title, parse_math=False)  # an account's name: `$…$` is text, not a formula
    axes.legend(loc="best")
    axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
