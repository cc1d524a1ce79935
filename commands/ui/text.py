"""Safe text for Slack: user-supplied strings never become mentions, links or markup."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from store import wording
from store.wording import compact_money

_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        # explicit direction controls: an override left open turns the rest of the line
        # (a name typed with U+202E shows what follows it reversed); letters keep their own
        **dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)], None),
    }
)


def escape(text: str | None) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so `<!channel>` or `<@U1>` show as text, and
    leave out the explicit direction controls (embeddings, overrides, isolates), so a name
    cannot turn the text after it; right-to-left letters show as typed."""
    return "" if text is None else text.translate(_ESCAPES)


def user_mention(user_id: str | None) -> str:
    """A mention of a Slack user id we stored ourselves (ids are validated on the way in)."""
    return f"<@{user_id}>" if user_id else "_nobody_"


def channel_mention(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "_no channel_"


def money(amount: Decimal, currency: str) -> str:
    """`480000, USD` -> `$480k`, `1234567.5, CHF` -> `CHF 1.23M`: compact, and each currency
    always shown the same way (`store.wording.compact_money`)."""
    return compact_money(amount, currency)


def day(value: date, today: date) -> str:
    """`17 Sep`; the year only when it would otherwise be guessed wrong (`store.wording.day`)."""
    return wording.day(value, today)


def days_from(value: date, today: date) -> str:
    """`today`, `tomorrow`, `in 41 days`, `yesterday`, `9 days ago`."""
    return wording.days_from(value, today)


def fallback_text(blocks: list[dict[str, object]]) -> str:
    """Notification text (parsed as mrkdwn by Slack): the first header or section, made safe."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            value = str(text["text"])
            return (escape(value) if text.get("type") == "plain_text" else value)[:300]
    return "Account"


def dated(day: date, today: date) -> str:
    """`3 Jan (in 41 days)`; the year only when it would otherwise be guessed wrong."""
    return wording.dated(day, today)


def due_phrase(due: date, today: date) -> str:
    """`due 26 Nov (in 3 days)`, `due today`, or `9 days overdue (due 14 Nov)`: the short date
    and, where it helps, how far."""
    days = (due - today).days
    if days < 0:
        return f"{wording.plural(-days, 'day')} overdue (due {day(due, today)})"
    if days == 0:
        return "due today"
    return f"due {dated(due, today)}"
