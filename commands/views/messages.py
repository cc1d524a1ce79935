"""Short replies of `/account`: help, no match, several matches, refusals."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ids import Action
from commands.text import escape
from commands.views.blocks import Block, actions, button, context, header, section
from store.models import Account

HELP_TEXT = (
    "`/account Acme` shows the account card of Acme: band and why, stakeholder map, flags and the "
    "open mutual-action plan. Case, accents and small typos do not matter; when several accounts "
    "match you pick one.\n"
    "`/account Acme plan` and `/account Acme history` show its action plan and its history; "
    "`/account Acme stakeholder`, `… contact` and `… action` open the form to add a stakeholder, "
    "log a contact or add an action item.\n"
    "`/account` in an account's linked channel shows that account; anywhere else it lists the "
    "accounts you own, riskiest first.\n"
    "`/account new` opens a form to add an account.\n"
    "`/account edit Acme` opens the same form filled in, to change Acme.\n"
    "`/account settings` (workspace admins) sets when digests go out.\n"
    "`/account help` shows this message.\n"
    "The text is read by the first of these that fits: (1) it is exactly an account's name: that "
    "account (an account called New Horizons opens with `/account New Horizons`, and "
    "`/account New Horizons plan` shows its plan); (2) its first word is `new`, `edit`, `show`, "
    "`settings` or `help`: that command (`show` takes all the rest as the name: "
    "`/account show Acme plan` opens the account called Acme plan); (3) a name, then `plan`, "
    "`history`, `stakeholder`, `contact` or `action`; (4) a name, matched loosely."
)


def help_blocks() -> list[Block]:
    return [header("How to use /account"), section(HELP_TEXT)]


def not_found_blocks(name: str) -> list[Block]:
    """No match: say so, and offer to create the account under that name."""
    return [
        section(f"No account matches *{escape(name)}*."),
        actions(
            button(f"Create {name}", action_id=Action.CREATE_ACCOUNT, value=name, style="primary")
        ),
        context("Type `/account` to list your accounts."),
    ]


def choice_blocks(typed: str, candidates: Sequence[Account], *, edit: bool = False) -> list[Block]:
    """Several matches: one button per account."""
    action_id = Action.EDIT_ACCOUNT if edit else Action.SHOW_ACCOUNT
    return [
        section(f"Several accounts match *{escape(typed)}*. Which one?"),
        actions(*(button(a.name, action_id=action_id, value=str(a.id)) for a in candidates)),
    ]


def refusal_blocks(refusal: str) -> list[Block]:
    """Not for this user (`refusal` is mrkdwn, its user text already escaped)."""
    return [section(f":lock: {refusal}")]


def usage_blocks(problem: str) -> list[Block]:
    """A command we could not read: what was wrong and the forms that work."""
    return [section(f":warning: {escape(problem)}"), context(HELP_TEXT.replace("\n", " · "))]
