"""Pure Block Kit builders: data in, blocks out, no I/O; Slack's limits enforced here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from commands.text import channel_mention, days_phrase, escape, money, short_date, user_mention
from store.accounts import AccountSummary
from store.enums import label

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150


def header(text: str) -> Block:
    clipped = text if len(text) <= MAX_HEADER_TEXT else text[: MAX_HEADER_TEXT - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": clipped, "emoji": True}}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}


def fields(*items: str) -> Block:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": clip(i, 2000)} for i in items]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text)}]}


def divider() -> Block:
    return {"type": "divider"}


def clip(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    """Cut text to Slack's limit on a line boundary, saying how much was left out."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        note = f"\n…and {len(lines) - index} more"
        if used + len(line) + 1 + len(note) > limit:
            return "\n".join(kept) + note if kept else text[: limit - 1] + "…"
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def renewal_text(renewal: date | None, today: date) -> str:
    if renewal is None:
        return "_no renewal date_"
    return f"{short_date(renewal)} ({days_phrase((renewal - today).days)})"


def seats_text(summary: AccountSummary) -> str:
    account = summary.account
    if not account.seats_licensed:
        return "_seats not recorded_"
    active = account.seats_active or 0
    return f"{active:,} of {account.seats_licensed:,} ({active / account.seats_licensed:.0%})"


def account_blocks(summary: AccountSummary, *, today: date) -> list[Block]:
    """The account at a glance: snapshot, people and open commitments."""
    account = summary.account
    people = f"{summary.active_stakeholders} active"
    if summary.departed_stakeholders:
        people += f", {summary.departed_stakeholders} departed"
    people += f" · {summary.champions} champion{'s' if summary.champions != 1 else ''}"
    plan = f"{summary.open_actions} open"
    if summary.overdue_actions:
        plan += f", *{summary.overdue_actions} overdue*"
    return [
        header(account.name),
        fields(
            f"*ARR*\n{money(account.arr, account.currency)}",
            f"*Renewal*\n{renewal_text(account.renewal_date, today)}",
            f"*Owner*\n{user_mention(account.owner_user_id)}",
            f"*Channel*\n{channel_mention(account.channel_id)}",
            f"*Segment*\n{label(account.segment)}",
            f"*Seats*\n{seats_text(summary)}",
        ),
        fields(f"*Stakeholders*\n{people}", f"*Mutual action plan*\n{plan}"),
        context(_products_line(account.products)),
    ]


def _products_line(products: Sequence[str]) -> str:
    if not products:
        return "Products in use: _none recorded_"
    return "Products in use: " + ", ".join(escape(p) for p in products)


def portfolio_lines(summaries: Sequence[AccountSummary], *, today: date) -> list[str]:
    """One line per account, soonest renewal first."""
    ordered = sorted(
        summaries,
        key=lambda s: (
            s.account.renewal_date is None,
            s.account.renewal_date or today,
            s.account.name,
        ),
    )
    return [
        f"*{escape(s.account.name)}* · {money(s.account.arr, s.account.currency)} · "
        f"renews {renewal_text(s.account.renewal_date, today)}"
        + (f" · {s.overdue_actions} overdue" if s.overdue_actions else "")
        for s in ordered
    ]


def portfolio_blocks(
    summaries: Sequence[AccountSummary], *, today: date, title: str
) -> list[Block]:
    if not summaries:
        return [
            section(
                f"*{escape(title)}*\nNo accounts yet. "
                "Type `/account help` to see how to look one up."
            )
        ]
    return [header(title), section("\n".join(portfolio_lines(summaries, today=today)))]


def not_found_blocks(name: str) -> list[Block]:
    return [
        section(
            f"No account is named *{escape(name)}*. "
            "Check the spelling, or type `/account` to list yours."
        )
    ]


def help_blocks() -> list[Block]:
    return [
        header("How to use /account"),
        section(
            "`/account Acme` shows the account named Acme (case does not matter).\n"
            "`/account` in an account's channel shows that account; "
            "elsewhere it lists the accounts you own.\n"
            "`/account help` shows this message."
        ),
    ]


def home_view(summaries: Sequence[AccountSummary], *, today: date) -> dict[str, Any]:
    """The App Home tab: the user's portfolio."""
    blocks = [header("Your accounts")]
    if summaries:
        blocks.append(section("\n".join(portfolio_lines(summaries, today=today))))
    else:
        blocks.append(section("You own no accounts yet."))
    blocks.append(context("Type `/account <name>` in any channel to see an account."))
    return {"type": "home", "blocks": blocks[:MAX_BLOCKS]}
