"""The pages an installer sees when an install over OAuth does not finish: what happened and
what to do, in plain words (Bolt's default names an error code and points to "the documents")."""

from __future__ import annotations

import html
from dataclasses import dataclass

CANCELLED = "access_denied"
EXPIRED = frozenset({"invalid_browser", "invalid_state"})
NOT_SAVED = "storage_error"


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    body: str

    def html(self, *, install_path: str) -> str:
        link = f'<a href="{html.escape(install_path)}">Start the installation again</a>'
        return (
            "<!doctype html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            '<link rel="icon" href="data:,">'
            "<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;"
            "padding:0 1em;line-height:1.5}</style></head>\n"
            f"<body><h1>{html.escape(self.title)}</h1>\n"
            f"<p>{html.escape(self.body)}</p>\n<p>{link}</p></body></html>\n"
        )


def failure_page(reason: str) -> Page:
    """The page for Bolt's failure `reason`: Slack's `error` parameter, or Bolt's own code."""
    if reason == CANCELLED:
        return Page(
            200,
            "Installation cancelled",
            "You cancelled on Slack's page, so nothing was installed and nothing was saved.",
        )
    if reason in EXPIRED:
        return Page(
            400,
            "This install link has expired",
            "An install link works once, for five minutes, in the browser that opened the "
            "install page. Nothing was installed by this one.",
        )
    if reason == NOT_SAVED:
        return Page(
            500,
            "The installation could not be saved",
            "Slack approved it, but the bot could not store it just now, so nothing was "
            "installed. Please try again in a minute.",
        )
    return Page(
        400,
        "The installation did not finish",
        f"Slack did not confirm it ({reason}), so nothing was installed. Please try again.",
    )
