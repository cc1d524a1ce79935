"""Digests rendered from the jinja2 templates in `digests/templates/` into Block Kit.

Every value a template prints is escaped for Slack unless it is a mention the bot built itself,
so user text can never ping `@channel` or forge a mention. Slack's limits are kept by the block
helpers: at most 50 blocks, 3,000 characters a section, "and N more" past that.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from commands.ui.text import escape, money, short_date
from commands.ui.views.blocks import Block, clip, context, header, line_sections, section
from commands.ui.views.card import BAND_ICON
from digests.content import AccountDigest, PortfolioDigest
from store.signals import Band

TEMPLATES = Path(__file__).parent / "templates"
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
SEPARATOR = "\x1e"
"""Between the sections of one rendered digest (the ASCII record separator)."""
MOST_LINES = 400
"""More lines than 22 sections can hold: rendering the rest would be wasted ("and N more")."""


class Safe(str):
    """Text already safe for Slack: a mention or link the bot built from a validated id."""


def _finalize(value: Any) -> Any:
    if isinstance(value, Safe):
        return value
    if isinstance(value, str):
        return escape(value)
    return value


def _mention(user_id: str | None) -> str:
    return Safe(f"<@{user_id}>") if user_id and _SLACK_ID.match(user_id) else "nobody"


def _channel(channel_id: str | None) -> str:
    return Safe(f"<#{channel_id}>") if channel_id and _SLACK_ID.match(channel_id) else "no channel"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        finalize=_finalize,
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=False,
        keep_trailing_newline=False,
    )
    env.filters.update(
        mention=_mention,
        channel=_channel,
        day=lambda value: short_date(value) if isinstance(value, date) else "",
        money=lambda amount, currency: money(Decimal(amount), currency),
    )
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(icons=BAND_ICON, **values).strip()


def account_digest_blocks(
    digest: AccountDigest, *, min_threads: int, all_clear: bool = True
) -> tuple[list[Block], str] | None:
    """The channel digest of one account and its plain-text fallback; None when nothing is owed
    (a healthy account, with the team's all-clear lines turned off)."""
    account = digest.account
    if digest.all_clear:
        if not all_clear:
            return None
        line = render("all_clear.md.j2", digest=digest)
        return [section(line)], f"{escape(account.name)} is green this week."
    headline, *parts = render(
        "account_digest.md.j2",
        digest=digest,
        band_icon=BAND_ICON[digest.assessment.band],
        min_threads=min_threads,
        sep=Safe(SEPARATOR),
    ).split(SEPARATOR)
    blocks: list[Block] = [header(f"{account.name} · weekly digest"), section(headline.strip())]
    blocks += [section(clip(part.strip())) for part in parts if part.strip()]
    blocks.append(context(f"`/account {escape(account.name)}` shows the whole card"))
    fallback = f"{escape(account.name)} weekly digest: " + headline.strip().replace("*", "")
    return blocks[:50], clip(fallback, 3000)


def portfolio_digest_blocks(portfolio: PortfolioDigest) -> tuple[list[Block], str]:
    """The team lead's digest: at risk by ARR, renewals in 90 days, bands, undelivered digests."""
    blocks: list[Block] = [
        header(portfolio.title),
        context(render("portfolio_header.md.j2", portfolio=portfolio)),
    ]
    sections = [
        (
            f"*At risk* ({len(portfolio.at_risk)}), most ARR first",
            portfolio.at_risk,
            "portfolio_line.md.j2",
        ),
        (
            f"*Renewals in the next 90 days* ({len(portfolio.renewals)})",
            portfolio.renewals,
            "renewal_line.md.j2",
        ),
    ]
    budget = 44
    for title, digests, template in sections:
        if not digests:
            blocks.append(section(f"{title}\nNone."))
            continue
        lines = [render(template, digest=d) for d in digests[:MOST_LINES]]
        hidden = len(digests) - len(lines)
        packed = line_sections(lines, max_blocks=max(1, budget // 2), title=title, hidden=hidden)
        budget -= len(packed)
        blocks += packed
    if portfolio.failures:
        lines = [
            render("failure_line.md.j2", name=n, channel=c, error=e)
            for n, c, e in portfolio.failures
        ]
        blocks += line_sections(
            lines, max_blocks=4, title=f"*Digests not delivered* ({len(lines)})"
        )
    if portfolio.to_owners:
        lines = [
            render("to_owner_line.md.j2", name=n, channel=c, owner=o)
            for n, c, o in portfolio.to_owners
        ]
        blocks += line_sections(
            lines,
            max_blocks=2,
            title=f"*Sent to the owner by DM instead* ({len(lines)}): their channel is shared "
            "with another organisation",
        )
    red = portfolio.counts.get(Band.RED, 0)
    fallback = (
        f"{portfolio.title}: {red} red, {len(portfolio.at_risk)} at risk, "
        f"{len(portfolio.renewals)} renewals in 90 days"
    )
    return blocks[:50], fallback


def to_owner_blocks(blocks: list[Block], text: str, *, channel_id: str) -> tuple[list[Block], str]:
    """An account's digest as its owner gets it by DM when the account's channel is shared with
    another organisation: the same, saying where it did not go and why."""
    note = context(render("to_owner_note.md.j2", channel=channel_id))
    at = 1 if blocks and blocks[0].get("type") == "header" else 0
    return [*blocks[:at], note, *blocks[at:]][:50], clip(f"(By DM) {text}", 3000)
