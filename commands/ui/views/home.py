"""The App Home tab: my portfolio riskiest first, renewals ahead, my open commitments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from commands.ui.text import dated, due_phrase, escape
from commands.ui.views.blocks import Block, context, divider, header, line_sections, section
from commands.ui.views.card import BAND_ICON
from commands.ui.views.portfolio import Assessed, portfolio_line, riskiest_first
from store.rows import ItemRow
from store.signals import RISK_ORDER, stage_words
from store.wording import compact_money

HOME_BLOCKS = 100


def home_view(
    assessed: Sequence[Assessed], actions: Sequence[tuple[ItemRow, str]], *, today: date
) -> dict[str, Any]:
    blocks: list[Block] = [header("Your accounts")]
    if assessed:
        lines = [portfolio_line(s, a, today) for s, a in riskiest_first(assessed)]
        blocks.append(context(RISK_ORDER[:1].upper() + RISK_ORDER[1:]))
        blocks += line_sections(lines, max_blocks=30)
    else:
        blocks.append(
            section("You own no accounts yet. Type `/account new` in any channel to add one.")
        )
    blocks += [divider(), header("Renewals within their window")]
    renewing = sorted(
        (
            (s.account.renewal_date, s, a)
            for s, a in assessed
            if s.account.renewal_date and a.in_window
        ),
        key=lambda found: found[0],
    )
    if renewing:
        blocks += line_sections(
            [
                f"{BAND_ICON[a.band]} *{escape(s.account.name)}* · "
                f"{dated(renews, today)} · "
                f"{compact_money(s.account.arr, s.account.currency)} · "
                f"{stage_words(s.account, today)}"
                for renews, s, a in renewing
            ],
            max_blocks=20,
        )
    else:
        blocks.append(section("None of your accounts renews within its window."))
    blocks += [divider(), header("Your action items")]
    if actions:
        blocks += line_sections(
            [_action_line(item, account, today) for item, account in actions], max_blocks=20
        )
    else:
        blocks.append(section("No open action items on your side."))
    blocks.append(context("`/account <name>` shows any account · `/account help` lists every form"))
    return {"type": "home", "blocks": blocks[:HOME_BLOCKS]}


def _action_line(item: ItemRow, account_name: str, today: date) -> str:
    when = due_phrase(item.due_on, today)
    if item.due_on < today:
        when = f":warning: *{when}*"
    return f"• *{escape(item.title)}* · {escape(account_name)} · {when}"
