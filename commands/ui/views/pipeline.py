"""The expansion pipeline (`/account expansion`): accounts grouped by readiness, each with its top
stored hypothesis and estimate, the total identified ARR, and the red accounts held apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from commands.ui.text import dated, escape
from commands.ui.views.blocks import Block, context, header, line_sections, listing, section
from commands.ui.views.card import BAND_ICON
from store.expansion import HypothesisKind, Readiness
from store.growth import StoredHypothesis
from store.signals import Band
from store.wording import compact_money, plural

KIND_WORDS = {
    HypothesisKind.SEATS: "more seats",
    HypothesisKind.USAGE_CONCENTRATED: "usage concentrated",
    HypothesisKind.DEPARTMENTS_NOT_USING: "departments not using it",
    HypothesisKind.WHITESPACE_MODULE: "module",
    HypothesisKind.NEW_LEADER: "new leader",
    HypothesisKind.CHAMPION_PROMOTED: "champion promoted",
    HypothesisKind.GROWTH_EVENT: "growth event",
    HypothesisKind.MERGER_ACQUISITION: "M&A",
    HypothesisKind.REGULATORY_CHANGE: "regulatory change",
}
EVIDENCE_WORDS = 80
"""The evidence is cut to this many characters on a line: a few words, the growth view has it
whole."""
AT_RISK_LINES = 10
PIPELINE_LINES = 50
"""Accounts listed at most (as `listing`'s lists); the rest said as "…and N more"."""
READINESS_ORDER = (Readiness.HIGH, Readiness.MEDIUM, Readiness.LOW)


@dataclass(frozen=True, slots=True)
class PipelineAccount:
    """An account of the pipeline: its band now and its open stored hypotheses, best first."""

    name: str
    band: Band
    arr: Decimal
    currency: str
    hypotheses: Sequence[StoredHypothesis]
    computed: bool = True
    """False for an account the engine has not run over yet: not "nothing found"."""


@dataclass(frozen=True, slots=True)
class Identified:
    """What the open hypotheses (never observations) of the green accounts add up to, in the
    reporting currency (a yellow account's, stored while it was green, are not hypotheses now:
    it is to be stabilised first); those without an estimate, or estimated in another currency
    (a refresh before the reporting currency changed), counted apart, never added."""

    amount: Decimal
    counted: int
    no_estimate: int
    other_currency: int


def identified(accounts: Sequence[PipelineAccount], *, currency: str) -> Identified:
    amount, counted, none, other = Decimal(0), 0, 0, 0
    for account in accounts:
        if account.band is not Band.GREEN:
            continue
        for h in account.hypotheses:
            if h.observation:
                continue
            if h.estimate is None:
                none += 1
            elif h.currency != currency:
                other += 1
            else:
                amount += h.estimate
                counted += 1
    return Identified(amount, counted, none, other)


def _readiness(account: PipelineAccount) -> Readiness:
    """The top hypothesis's readiness; a yellow account's is low whatever was stored (it is to be
    stabilised first)."""
    if account.band is not Band.GREEN:
        return Readiness.LOW
    return Readiness(account.hypotheses[0].readiness)


def _estimate(h: StoredHypothesis, band: Band) -> str:
    if band is not Band.GREEN:
        return "stabilise it first: no estimate counted"
    if h.observation:
        return "observation: find out more"
    if h.estimate is None:
        return f"no estimate: {escape(h.no_estimate)}" if h.no_estimate else "no estimate"
    return f"est. {compact_money(h.estimate, h.currency)} ARR"


def _evidence(text: str) -> str:
    return text if len(text) <= EVIDENCE_WORDS else text[: EVIDENCE_WORDS - 1].rstrip() + "…"


def pipeline_line(account: PipelineAccount) -> str:
    """`🟢 *Acme* · more seats: 95 of 100 seats used · est. $1.5k ARR · 2 more`."""
    top = account.hypotheses[0]
    more = len(account.hypotheses) - 1
    return (
        f"{BAND_ICON[account.band]} *{escape(account.name)}* · {KIND_WORDS[top.kind]}: "
        f"{escape(_evidence(top.evidence))} · {_estimate(top, account.band)}"
        + (f" · {more} more" if more else "")
    )


def pipeline_blocks(
    accounts: Sequence[PipelineAccount],
    *,
    title: str,
    currency: str,
    as_of: date | None,
    today: date,
    max_blocks: int = 45,
    max_lines: int = PIPELINE_LINES,
) -> list[Block]:
    """The pipeline of `accounts` (each with its open hypotheses, possibly none): the total
    identified, the red accounts apart (no expansion talk before they are stable), then the rest
    by readiness of their top hypothesis, largest estimate first; past Slack's limits, the lines
    end with "…and N more"."""
    red = [a for a in accounts if a.band is Band.RED]
    listed = [a for a in accounts if a.band is not Band.RED and a.hypotheses]
    pending = sum(not a.computed for a in accounts if a.band is not Band.RED and not a.hypotheses)
    quiet = len(accounts) - len(red) - len(listed) - pending
    total = identified(accounts, currency=currency)
    fresh = (
        f"As of the last refresh, {dated(as_of, today)}: the weekly digest run refreshes every "
        "account, an account's growth view its own."
        if as_of is not None
        else "Not refreshed yet: the weekly digest run finds each account's hypotheses."
    )
    apart = [
        f"{plural(n, 'hypothesis', 'hypotheses')} {why}"
        for n, why in (
            (total.no_estimate, "without an estimate"),
            (total.other_currency, f"estimated in another currency than {currency}"),
        )
        if n
    ]
    blocks: list[Block] = [
        header(
            f"Expansion pipeline: {title}, {len(listed)} of {len(accounts)} with growth found"
            if accounts
            else f"Expansion pipeline: {title}, none"
        ),
        context(fresh),
        section(
            f"*Identified:* {compact_money(total.amount, currency)} ARR over "
            f"{plural(total.counted, 'hypothesis', 'hypotheses')}"
            + (f" ({', '.join(apart)}: not counted)" if apart else "")
            + ". Only green accounts' open hypotheses are counted: observations, and a yellow "
            "account's (to stabilise first), are not."
        ),
    ]
    if red:
        held = [
            f"{BAND_ICON[Band.RED]} *{escape(a.name)}* · {compact_money(a.arr, a.currency)} ARR"
            for a in sorted(red, key=lambda a: (-a.arr, a.name.casefold()))
        ]
        blocks.append(
            section(
                listing(
                    "*At risk: stabilise before any expansion talk*", held, max_lines=AT_RISK_LINES
                )
            )
        )
    if quiet:
        blocks.append(context(f"{plural(quiet, 'account')} with nothing found."))
    if pending:
        blocks.append(
            context(
                f"{plural(pending, 'account')} not computed yet: the weekly digest run computes "
                "every account's hypotheses, and an account's growth view (`/account <name> "
                "grow`) its own now."
            )
        )
    if not listed:
        blocks.append(section("No hypothesis or observation open on these accounts."))
        return blocks
    lines: list[str] = []
    shown = 0
    for readiness in READINESS_ORDER:
        group = [a for a in listed if _readiness(a) is readiness]
        if not group or shown >= max_lines:
            continue
        group.sort(key=lambda a: (-_amount(a, currency), a.name.casefold()))
        lines.append(f"*{readiness.value.capitalize()} readiness* ({len(group)})")
        kept = group[: max_lines - shown]
        lines.extend(pipeline_line(a) for a in kept)
        shown += len(kept)
    return blocks + line_sections(
        lines, max_blocks=max_blocks - len(blocks), hidden=len(listed) - shown
    )


def _amount(account: PipelineAccount, currency: str) -> Decimal:
    if account.band is not Band.GREEN:
        return Decimal(0)
    return sum(
        (
            h.estimate
            for h in account.hypotheses
            if not h.observation and h.estimate is not None and h.currency == currency
        ),
        Decimal(0),
    )
