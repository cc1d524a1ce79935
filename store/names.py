"""How names (and emails) are compared: one key for accounts and people alike, computed in Python
(never by the database's own `lower()`, which on SQLite folds only ASCII) and stored in a unique
column."""

from __future__ import annotations

import unicodedata

NAME_LENGTH = 150
"""The longest name a person types into a form (Slack's input limit we set)."""
NAME_KEY_LENGTH = 4 * NAME_LENGTH
"""Room for a name's key: folding can lengthen text (`ß` becomes `ss`, `ﬃ` becomes `ffi`)."""
EMAIL_LENGTH = 254
"""The longest email address (RFC 5321's path limit)."""
EMAIL_KEY_LENGTH = 3 * EMAIL_LENGTH
"""Room for an email's key: case folding makes a character at most three."""


def clean_name(name: str) -> str:
    """A name as stored: surrounding and repeated whitespace (of any script) collapsed."""
    return " ".join(name.split())


def name_key(name: str) -> str:
    """The form two names are the same in: whitespace collapsed, then Unicode compatibility
    normalisation around full case folding (NFKC, casefold, NFKC), so `ÉLISE`, `élise` typed
    with a combining accent, and `Acme` typed in full-width letters (as CJK keyboards do) all
    compare equal.

    A key longer than its column (only names built of characters that fold into many, over
    four each on average) is cut to fit: such names are compared on their first
    `NAME_KEY_LENGTH` folded characters.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return clean_name(folded)[:NAME_KEY_LENGTH]


def email_key(email: str | None) -> str | None:
    """The form two emails are the same in: surrounding space trimmed, case folded (any
    script). None for no email. Stored beside the email and kept unique per map."""
    if email is None or not email.strip():
        return None
    return email.strip().casefold()[:EMAIL_KEY_LENGTH]
