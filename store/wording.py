"""How numbers, days and money read in every message: one wording for the rules' reasons, the
digests and the views.

`plural(2, "live contact")` -> `2 live contacts`; `day(date(2027, 9, 17), today)` -> `17 Sep`
(the year only when it is not this year's and more than half a year away, or in the past);
`dated(...)` -> `17 Sep (in 41 days)`; `compact_money(Decimal("480000"), "USD")` -> `$480k`.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
"""Currencies shown by their symbol; any other by its code (`CHF 480k`), always the same way."""
_UNITS = ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "k"))
HALF_YEAR = 183


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 day`, `2 days`, `0 days`; `many` when the plural is not the word plus `s`."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""The months as `%b` writes them in the C locale, the bot's: spelled from this table, not by
`strftime`, which took ten times as long (a thousand dates in an owner's App Home)."""


def day(value: date, today: date) -> str:
    """`17 Sep`; `3 Jan 2028` when the year would otherwise be guessed wrong."""
    near = value.year == today.year or 0 <= (value - today).days <= HALF_YEAR
    month = MONTHS[value.month - 1]
    return f"{value.day} {month}" if near else f"{value.day} {month} {value.year}"


def days_from(value: date, today: date) -> str:
    """`today`, `tomorrow`, `in 41 days`, `yesterday`, `9 days ago`."""
    days = (value - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {plural(days, 'day')}" if days > 0 else f"{plural(-days, 'day')} ago"


def dated(value: date, today: date) -> str:
    """`17 Sep (in 41 days)`."""
    return f"{day(value, today)} ({days_from(value, today)})"


def compact_money(amount: Decimal | int | float, currency: str) -> str:
    """Whole amounts to three figures at most: `$480k`, `$1.58M`, `€12.5k`, `CHF 950`."""
    value = Decimal(amount)
    sign, value = ("-" if value < 0 else ""), abs(value)
    text = f"{value.quantize(Decimal(1), ROUND_HALF_UP):,}"
    for size, unit in _UNITS:
        if value >= size or _rounds_up_to(value, size):
            text = _three_figures(value / size) + unit
            break
    code = currency.upper()
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{code} {text}"


def _three_figures(value: Decimal) -> str:
    """`480`, `12.5`, `1.58`: three significant figures, trailing zeros dropped."""
    places = 0 if value >= 100 else 1 if value >= 10 else 2
    rounded = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rounds_up_to(value: Decimal, size: Decimal) -> bool:
    """999,999 shows as `$1M`, not `$1,000k`: a value that rounds to the next unit takes it."""
    below = size / 1000
    return value >= below * Decimal("999.5")
