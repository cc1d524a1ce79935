"""Block Kit primitives, and Slack's limits in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_CONTEXT_TEXT = 2000


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit), "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER_TEXT)}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def fields(*items: str) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": clip(i, MAX_FIELD_TEXT)} for i in items[:10]],
    }


def context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT_TEXT)}],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str, *, action_id: str, value: str = "", style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id:
        block["block_id"] = block_id
    return block


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    """Cut text to Slack's limit on a line boundary, saying how many lines were left out."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        note = f"\n…and {len(lines) - index} more"
        if used + len(line) + 1 + len(note) > limit:
            return "\n".join(kept) + note if kept else shorten(text, limit)
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def listing(title: str, lines: Sequence[str], *, max_lines: int = 50) -> str:
    """A titled list within one section's limit, ending "…and N more" with the true N."""
    shown: list[str] = []
    used = len(title)
    for index, line in enumerate(lines):
        left = len(lines) - index
        reserve = len(f"\n…and {left} more") if left > 1 else 0
        if index >= max_lines or used + 1 + len(line) + reserve > MAX_SECTION_TEXT:
            return (
                "\n".join([title, *shown, f"…and {left} more"])
                if title
                else "\n".join([*shown, f"…and {left} more"])
            )
        shown.append(line)
        used += 1 + len(line)
    return "\n".join([title, *shown]) if title else "\n".join(shown)


def line_sections(
    lines: Sequence[str], *, max_blocks: int, title: str = "", hidden: int = 0
) -> list[Block]:
    """Pack lines into as few sections as fit; past `max_blocks`, end with "and N more".
    `hidden` counts further lines the caller did not even render."""
    blocks: list[Block] = []
    current = title
    for index, line in enumerate(lines):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= MAX_SECTION_TEXT - 40:
            current = candidate
            continue
        if len(blocks) + 1 >= max_blocks:
            left = len(lines) - index + hidden
            blocks.append(section(f"{current}\n…and {left} more"))
            return blocks
        blocks.append(section(current))
        current = line
    if hidden:
        current = f"{current}\n…and {hidden} more" if current else f"…and {hidden} more"
    if current:
        blocks.append(section(current))
    return blocks


def fit(blocks: list[Block], *, limit: int = MAX_BLOCKS) -> list[Block]:
    """Never hand Slack more blocks than it accepts; the last kept block says what was dropped."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, context(f"…and {len(blocks) - len(kept)} more blocks not shown")]
