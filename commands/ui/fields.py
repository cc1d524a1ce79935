"""Lengths and choices of the bot's inputs: the forms that validate them and the views that draw
them read the same numbers."""

NAME = 150
"""A person's or a typed owner's name, a title."""
EMAIL = 254
TEXT = 3000
"""Notes and summaries (Slack's limit for a plain-text input)."""
TITLE = 300
"""An action item's title."""
SLACK_ID = r"^[A-Z0-9]{2,32}$"
CURRENCIES = (
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "JPY", "SEK", "NOK", "DKK", "INR", "SGD",
    "BRL", "MXN", "ZAR",
)  # fmt: skip
