"""Digests rendered from the jinja2 templates in `digests/templates/` into Block Kit.

Every value a template prints is escaped for Slack unless it is a mention the bot built itself,
so user text can never ping `@channel` or forge a mention. Slack's limits are kept by the block
helpers: at most 50 blocks, 3,000 characters a section, "and N more" past that. Words, days and
money read the same everywhere (`store.wording`): `17 Sep (in 41 days)`, `$480k`, `2 days`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from commands.ui.ids import Action
from commands.ui.text import escape
from commands.ui.values import FullCardValue
from commands.ui.views.blocks import Block, button, clip, context, header, line_sections, section
from commands.ui.views.card import BAND_ICON
from commands.ui.views.pipeline import KIND_WORDS
from digests.content import AccountDigest, OwnerBook, PortfolioDigest
from store.enums import Band, Segment, label
from store.models import saved_id
from store.signals import RISK_ORDER, stage_words
from store.wording import compact_money, dated, day, plural

TEMPLATES = Path(__file__).parent / "templates"
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")
SEPARATOR = "\x1e"
"""Between the parts of one rendered digest (the ASCII record separator)."""
MOST_LINES = 400
"""More lines than 22 sections can hold: rendering the rest would be wasted ("and N more")."""
OWNER_LINES = 12
"""Accounts at risk listed under each owner in the portfolio digest; the rest are counted."""


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
        day=lambda value, today: day(value, today) if isinstance(value, date) else "",
        dated=lambda value, today: dated(value, today) if isinstance(value, date) else "",
        money=lambda amount, currency: compact_money(Decimal(amount), currency),
        plural=plural,
    )
    return env


@cache
def template(name: str) -> Template:
    """A compiled template, looked up once: a week's build renders thousands of digests, and
    jinja2's own lookup (its cache, keyed by loader and name, behind a lock) costs each time."""
    return environment().get_template(name)


def render(template_name: str, /, **values: Any) -> str:
    return template(template_name).render(icons=BAND_ICON, **values).strip()


def _since_words(digest: AccountDigest) -> str:
    before = digest.before
    if before is None or (digest.today - before.week).days <= 7:
        return "last week"
    return f"the digest of {day(before.week, digest.today)}"


def account_digest_blocks(
    digest: AccountDigest, *, all_clear: bool = True, weekly_all_clear: bool = False
) -> tuple[list[Block], str] | None:
    """The channel digest of one account and its plain-text fallback; None when nothing is owed
    (green and quiet, unless it just turned green or the team keeps weekly all-clears)."""
    account = digest.account
    today = digest.today
    if not digest.posts(all_clear=all_clear, weekly_all_clear=weekly_all_clear):
        return None
    if digest.quiet:
        line = render("all_clear.md.j2", digest=digest, today=today)
        fallback = f"{escape(account.name)} is green " + (
            "again." if digest.improved else "this week."
        )
        return [section(line), *growth_blocks(digest)], fallback
    parts = render(
        "account_digest.md.j2",
        digest=digest,
        today=today,
        reasons=digest.headline_reasons,
        stage=stage_words(account, today),
        since_words=_since_words(digest),
        sep=Safe(SEPARATOR),
    ).split(SEPARATOR)
    # `render` strips whitespace, and Python counts the separator as whitespace: empty last
    # parts (nothing changed, no step) are cut off with it
    headline, changes, steps = parts + [""] * (3 - len(parts))
    blocks: list[Block] = [
        section(part.strip()) for part in (headline, changes, steps) if part.strip()
    ]
    more = digest.more_on_card
    note = (
        f"{plural(more, 'more flag or step', 'more flags and steps')} on the full card"
        if more
        else "The map, the plan and every flag are on the full card"
    )
    blocks += growth_blocks(digest)
    blocks.append(section(note, accessory=full_card_button(saved_id(account.id))))
    first = headline.strip().split("\n")[0].replace("*", "")
    return blocks, clip(first, 3000)


def growth_blocks(digest: AccountDigest) -> list[Block]:
    """A green account's Growth section: its top high-readiness hypotheses, each with its
    estimate and who cares. Internal: it goes where the digest goes, never to a channel shared
    with another organisation (the delivery sends such a digest to the owner by DM)."""
    if not digest.growth:
        return []
    lines = [
        f"• *{escape(g.kind)}*: {escape(g.evidence)} · "
        + (
            f"est. {compact_money(g.estimate, g.currency)} ARR"
            if g.estimate is not None
            else f"no estimate: {escape(g.no_estimate)}"
            if g.no_estimate
            else "no estimate"
        )
        + (f" · {escape(g.stakeholder)} cares" if g.stakeholder else "")
        for g in digest.growth
    ]
    return [section(clip("*Growth* (high readiness, internal)\n" + "\n".join(lines)))]


def expansion_lines(portfolio: PortfolioDigest) -> list[Block]:
    """The portfolio digest's growth: the identified expansion ARR, the hypotheses first seen
    this week, the leads from champion moves this week (over the accounts listed only)."""
    total = _amounts(portfolio.identified)
    apart = (
        f" ({plural(portfolio.no_estimate, 'hypothesis', 'hypotheses')} without an estimate, "
        "not counted)"
        if portfolio.no_estimate
        else ""
    )
    new = portfolio.new_hypotheses
    named = ", ".join(f"{escape(name)} ({KIND_WORDS[h.kind]})" for name, h in new[:8])
    leads = portfolio.champion_leads
    lead_words = ", ".join(f"{escape(words)} ({escape(name)})" for name, words in leads[:8])
    lines = [
        f"*Identified expansion:* {f'{total} ARR' if total else 'none estimated'}{apart}, "
        "green accounts' open hypotheses only (observations never)",
        f"*New hypotheses this week:* {len(new)}"
        + (f": {named}" + (f" and {len(new) - 8} more" if len(new) > 8 else "") if new else ""),
        f"*Leads from champion moves this week:* {len(leads)}"
        + (
            f": {lead_words}" + (f" and {len(leads) - 8} more" if len(leads) > 8 else "")
            if leads
            else ""
        ),
    ]
    return [section(clip("\n".join(lines)))]


def full_card_button(account_id: int) -> dict[str, Any]:
    return button(
        "Full card",
        action_id=Action.FULL_CARD,
        value=FullCardValue.write(account_id=account_id),
    )


def _amounts(totals: Mapping[str, Decimal]) -> str:
    """`$3.22M`, or `$2.1M + €480k` (currencies are never added together)."""
    shown = [compact_money(v, c) for c, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v]
    return " + ".join(shown)


def _share(part: Mapping[str, Decimal], whole: Mapping[str, Decimal]) -> str:
    """`$1.49M (46%)`, per currency."""
    return " + ".join(
        f"{compact_money(v, c)} ({v / whole[c]:.0%})"
        for c, v in sorted(part.items(), key=lambda kv: -kv[1])
        if v and whole.get(c)
    )


def _line(digest: AccountDigest, *, step: bool = False) -> str:
    return render(
        "portfolio_line.md.j2",
        digest=digest,
        today=digest.today,
        reasons=digest.headline_reasons,
        stage=stage_words(digest.account, digest.today),
        step=digest.steps[0] if step and digest.steps else None,
    )


def _owner_lines(book: OwnerBook, *, with_heading: bool, with_steps: bool) -> list[str]:
    lines = []
    if with_heading:
        lines.append(
            render("owner_line.md.j2", book=book, arr=_amounts(book.arr), red=_amounts(book.red))
        )
    lines += [_line(d, step=with_steps) for d in book.at_risk[:OWNER_LINES]]
    if len(book.at_risk) > OWNER_LINES:
        lines.append(f"…and {len(book.at_risk) - OWNER_LINES} more at risk")
    return lines


def portfolio_digest_blocks(portfolio: PortfolioDigest) -> tuple[list[Block], str]:
    """The team lead's digest in money, then the accounts at risk by owner (riskiest first),
    renewals within their window, and digests that could not be delivered."""
    today = portfolio.today
    summary = render(
        "portfolio_summary.md.j2",
        portfolio=portfolio,
        total=_amounts(portfolio.total) or compact_money(0, "USD"),
        red=Band.RED,
        red_share=_share(portfolio.red, portfolio.total),
        renewing=_amounts(portfolio.renewing),
        renewing_red=_amounts(portfolio.renewing_red),
        renewing_signed=_amounts(portfolio.renewing_signed),
    )
    blocks: list[Block] = [
        header(portfolio.title),
        context(render("portfolio_header.md.j2", portfolio=portfolio, order=RISK_ORDER)),
        section(summary),
        *expansion_lines(portfolio),
    ]
    lines: list[str] = []
    for book in portfolio.owners:
        if len(lines) >= MOST_LINES:
            break
        lines += _owner_lines(
            book, with_heading=portfolio.by_owner, with_steps=not portfolio.by_owner
        )
    at_risk = len(portfolio.at_risk)
    title = f"*At risk* ({at_risk})" + (", by owner" if portfolio.by_owner else "")
    budget = 40
    if lines:
        packed = line_sections(lines[:MOST_LINES], max_blocks=budget // 2, title=title)
    else:
        packed = [section(f"{title}\nNone.")]
    budget -= len(packed)
    blocks += packed
    windows = ", ".join(f"{label_of(s)} {d} days" for s, d in portfolio.windows)
    renewal_title = f"*Renewals within their window* ({len(portfolio.renewals)})" + (
        f": {windows}" if windows else ""
    )
    if portfolio.renewals:
        renewal_lines = [
            render(
                "renewal_line.md.j2",
                digest=d,
                today=today,
                stage=stage_words(d.account, today),
            )
            for d in portfolio.renewals[:MOST_LINES]
        ]
        hidden = len(portfolio.renewals) - len(renewal_lines)
        blocks += line_sections(
            renewal_lines, max_blocks=max(1, budget), title=renewal_title, hidden=hidden
        )
    else:
        blocks.append(section(f"{renewal_title}\nNone."))
    if portfolio.failures:
        failed = [
            render("failure_line.md.j2", name=n, channel=c, error=e)
            for n, c, e in portfolio.failures
        ]
        blocks += line_sections(
            failed, max_blocks=4, title=f"*Digests not delivered* ({len(failed)})"
        )
    if portfolio.to_owners:
        moved = [
            render("to_owner_line.md.j2", name=n, channel=c, owner=o)
            for n, c, o in portfolio.to_owners
        ]
        blocks += line_sections(
            moved,
            max_blocks=2,
            title=f"*Sent to the owner by DM instead* ({len(moved)}): their channel is shared "
            "with another organisation",
        )
    red = portfolio.counts.get(Band.RED, 0)
    fallback = (
        f"{portfolio.title}: {_amounts(portfolio.total) or '$0'} ARR, "
        f"{_share(portfolio.red, portfolio.total) or 'nothing'} red, {red} red accounts"
    )
    return blocks[:50], escape(fallback)


SEGMENT_WORDS = {Segment.ENTERPRISE: "enterprise", Segment.MID_MARKET: "mid-market"}


def label_of(segment: str) -> str:
    """`enterprise`, `mid-market`, `SMB`: a segment inside a sentence."""
    return SEGMENT_WORDS.get(Segment(segment)) or label(Segment(segment))


def to_owner_blocks(blocks: list[Block], text: str, *, channel_id: str) -> tuple[list[Block], str]:
    """An account's digest as its owner gets it by DM when the account's channel is shared with
    another organisation: the same, saying where it did not go and why."""
    note = context(render("to_owner_note.md.j2", channel=channel_id))
    at = 1 if blocks and blocks[0].get("type") == "header" else 0
    return [*blocks[:at], note, *blocks[at:]][:50], clip(f"(By DM) {text}", 3000)
