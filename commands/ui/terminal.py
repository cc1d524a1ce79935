"""Shows Block Kit in a terminal with rich, so the demo prints exactly what Slack would get."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape as rich_escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"<([@#])(\w+)(?:\|[^>]*)?>|<(https?://[^|>]+)\|([^>]+)>")


def mrkdwn_to_rich(text: str) -> Text:
    """Slack mrkdwn to rich: bold, italics, code, real mentions and links; escaped text as typed."""
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(_inline(text[position : match.start()]))
        if match.group(1):
            out.append(f"[cyan]{match.group(1)}{match.group(2)}[/cyan]")
        else:
            out.append(f"[underline]{rich_escape(html.unescape(match.group(4)))}[/underline]")
        position = match.end()
    out.append(_inline(text[position:]))
    return Text.from_markup("".join(out))


# Slack's emoji names that rich spells differently.
_EMOJI = {":large_green_circle:": "🟢", ":large_yellow_circle:": "🟡", ":red_circle:": "🔴"}


def _inline(segment: str) -> str:
    for name, glyph in _EMOJI.items():
        segment = segment.replace(name, glyph)
    marked = rich_escape(html.unescape(segment))
    marked = _CODE.sub(r"[magenta]\1[/magenta]", marked)
    marked = _BOLD.sub(r"[bold]\1[/bold]", marked)
    return _ITALIC.sub(r"[italic]\1[/italic]", marked)


def render_blocks(blocks: Iterable[dict[str, Any]]) -> RenderableType:
    """One renderable per block, stacked."""
    return Group(*(_render(block) for block in blocks))


def _render(block: dict[str, Any]) -> RenderableType:
    kind = block["type"]
    if kind == "header":
        return Text(block["text"]["text"], style="bold underline")
    if kind == "divider":
        return Rule(style="dim")
    if kind == "context":
        return Text.assemble(
            *(mrkdwn_to_rich(e.get("text", "")) for e in block["elements"]), style="dim"
        )
    if kind == "actions":
        return Text("  ".join(_element(e) for e in block["elements"]), style="bold blue")
    if kind == "section":
        parts: list[RenderableType] = []
        if "text" in block:
            line = mrkdwn_to_rich(block["text"]["text"])
            if "accessory" in block:
                line.append(f"  {_element(block['accessory'])}", style="bold blue")
            parts.append(line)
        if "fields" in block:
            grid = Table.grid(padding=(0, 4))
            grid.add_column()
            grid.add_column()
            cells = [mrkdwn_to_rich(f["text"]) for f in block["fields"]]
            for left, right in zip(cells[::2], [*cells[1::2], Text("")], strict=False):
                grid.add_row(left, right)
            parts.append(grid)
        return Group(*parts)
    return Text(f"({kind} block)", style="dim")


def _element(element: dict[str, Any]) -> str:
    """A button as `[ Done ]`; a menu as `[ ⋯ ]`."""
    if "text" in element:
        return f"[ {element['text']['text']} ]"
    return "[ ⋯ ]" if element.get("type") == "overflow" else f"[ {element.get('type', '?')} ]"


def print_message(console: Console, title: str, blocks: list[dict[str, Any]]) -> None:
    console.print(Panel(render_blocks(blocks), title=title, title_align="left", expand=False))
