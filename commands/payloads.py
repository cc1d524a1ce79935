"""Typed views of the Slack payloads the bot reads, and the grammar of `/account`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from store.names import NAME_LENGTH, name_key


def request_team(body: dict[str, Any], *, installed: str | None) -> str | None:
    """The one team id of a request: the workspace Bolt authorised it for (`installed`: the
    team of the installation it found, or of the one bot token), when every team id the payload
    names agrees with it: `team.id` (or `team`), `team_id` (a slash command's, an event
    envelope's), `user.team_id`, `view.team_id` and `view.app_installed_team_id`. None when
    any disagrees or none is named, and the request is refused (see `bot.app`); so in a request
    that is served, whichever of those fields a listener reads, it reads this team."""
    claims = {claim for claim in _team_claims(body) if claim is not None}
    if installed is None or claims != {installed}:
        return None
    return installed


def payload_team(body: dict[str, Any]) -> str | None:
    """The team a payload names, wherever this kind of payload puts it (a served request's
    fields all agree with `request_team`, so this is that team)."""
    return next((claim for claim in _team_claims(body) if isinstance(claim, str) and claim), None)


def _team_claims(body: dict[str, Any]) -> list[object]:
    team, user, view = body.get("team"), body.get("user"), body.get("view")
    return [
        team.get("id") if isinstance(team, dict) else team,
        body.get("team_id"),
        user.get("team_id") if isinstance(user, dict) else None,
        view.get("team_id") if isinstance(view, dict) else None,
        view.get("app_installed_team_id") if isinstance(view, dict) else None,
    ]


class SlashCommand(BaseModel):
    """A slash command as Slack posts it (form fields)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    team_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    text: str = ""
    response_url: str | None = None
    trigger_id: str | None = None

    @property
    def in_channel(self) -> bool:
        """True in a public or private channel, False in a DM or group DM."""
        return self.channel_id[:1] in {"C", "G"}


class BlockAction(BaseModel):
    """One click in a `block_actions` payload: who, where, which button, and its value as Slack
    sent it (a button's, a menu option's or a conversation picked), for its route to decode
    (`commands.ui.values.ButtonValue`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    team_id: str
    user_id: str
    action_id: str
    value: str = ""
    trigger_id: str | None = None
    response_url: str | None = None
    channel_id: str | None = None
    block_id: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_body(cls, body: Any) -> Any:
        if not isinstance(body, dict) or "actions" not in body:
            return body
        action = body["actions"][0]
        selected = action.get("selected_option") or {}
        return {
            "team_id": payload_team(body),
            "user_id": body["user"]["id"],
            "action_id": action["action_id"],
            "value": action.get("value")
            or selected.get("value")
            or action.get("selected_conversation")
            or "",
            "trigger_id": body.get("trigger_id"),
            "response_url": body.get("response_url"),
            "channel_id": (body.get("channel") or {}).get("id"),
            "block_id": action.get("block_id") or "",
        }


class AccountVerb(StrEnum):
    HELP = "help"
    SHOW = "show"
    NEW = "new"
    EDIT = "edit"
    HERE_OR_MINE = "here_or_mine"
    STAKEHOLDER = "stakeholder"
    CONTACT = "contact"
    HISTORY = "history"
    ITEM = "action"
    """`/account Acme action`: add a mutual-action item (the word users type stays `action`)."""
    PLAN = "plan"
    SETTINGS = "settings"
    PORTFOLIO = "portfolio"
    """`/account portfolio`: the team's accounts at risk (leads and admins)."""
    USAGE = "usage"
    """Text the grammar cannot take (too long to be a name, words after `settings`)."""
    REVENUE = "revenue"
    """`/account Acme revenue`: the account's NRR and GRR."""
    TEAM_REVENUE = "team_revenue"
    """`/account revenue`: the portfolio's (your accounts; the team's for leads and admins)."""
    EVENT = "event"
    """`/account Acme event`: log a business event at the customer."""
    DEPARTMENTS = "departments"
    """`/account Acme departments`: the account's departments (its owner and admins)."""
    LEADS = "leads"
    """`/account leads`: former champions at their new companies (the whole team's)."""
    GROW = "grow"
    """`/account Acme grow`: the account's growth view (hypotheses, whitespace, coverage)."""
    EXPANSION = "expansion"
    """`/account expansion`: the expansion pipeline (yours; the team's for leads and admins)."""
    DEALS = "deals"
    """`/account Acme deals`: the account's deals, to edit, move and qualify."""


RESERVED_WORDS = {
    "new": AccountVerb.NEW,
    "edit": AccountVerb.EDIT,
    "show": AccountVerb.SHOW,
    "help": AccountVerb.HELP,
    "?": AccountVerb.HELP,
    "-h": AccountVerb.HELP,
    "--help": AccountVerb.HELP,
    "settings": AccountVerb.SETTINGS,
    "portfolio": AccountVerb.PORTFOLIO,
    "revenue": AccountVerb.TEAM_REVENUE,
    "leads": AccountVerb.LEADS,
    "expansion": AccountVerb.EXPANSION,
}
"""`/account <word> …`: a first word that makes the text a command (rule 2). No account may be
named exactly like one (`command_word`): the word alone is always the command."""
_COMMAND_KEYS = {name_key(word): word for word in RESERVED_WORDS}


def command_word(name: str) -> str | None:
    """The reserved word `name` is, compared as account names are (by their key), or None."""
    return _COMMAND_KEYS.get(name_key(name))


TRAILING_VERBS = {
    verb.value: verb
    for verb in (
        AccountVerb.STAKEHOLDER,
        AccountVerb.CONTACT,
        AccountVerb.HISTORY,
        AccountVerb.ITEM,
        AccountVerb.PLAN,
        AccountVerb.REVENUE,
        AccountVerb.EVENT,
        AccountVerb.DEPARTMENTS,
        AccountVerb.GROW,
        AccountVerb.DEALS,
    )
}
"""`/account Acme <verb>`: the last word names what to do with the account (rule 3)."""
MINE = "mine"
"""`/account expansion mine`: the owner filter (a lead's or admin's own accounts)."""
TOO_LONG = f"That is too long to be an account name ({NAME_LENGTH} characters at most)."


@dataclass(frozen=True)
class Readings:
    """The ways the grammar may read a command's text (`readings`): what `AccountRequest.parse`
    decides between, and the account names looked up before it does."""

    whole: str
    """The text, its spacing collapsed."""
    verb: AccountVerb | None = None
    """The trailing verb (`/account Acme plan`), if the last word is one."""
    before: str = ""
    """The text before that trailing verb (empty without one)."""
    command: AccountVerb | None = None
    """The command of a reserved first word (`/account edit Acme`), if the first word is one."""
    rest: str = ""
    """The text after the first word."""

    @property
    def names(self) -> tuple[str, ...]:
        """Every reading that may be an account's exact name and fits in one: the whole text,
        the text before a trailing verb, the text after a reserved word. A command's answer
        looks them all up at once."""
        candidates = (self.whole, self.before, self.rest if self.command else "")
        return tuple(dict.fromkeys(n for n in candidates if n and len(n) <= NAME_LENGTH))


def readings(text: str) -> Readings:
    """`/account <text>` taken apart as the grammar reads it (see `AccountRequest`)."""
    words = text.split()
    if not words:
        return Readings(whole="")
    first, last = words[0].casefold(), words[-1].casefold()
    return Readings(
        whole=" ".join(words),
        verb=TRAILING_VERBS.get(last),
        before=" ".join(words[:-1]) if last in TRAILING_VERBS else "",
        command=RESERVED_WORDS.get(first),
        rest=" ".join(words[1:]),
    )


def _no_account(_name: str) -> bool:
    return False


class AccountRequest(BaseModel):
    """What `/account <text>` asks for. The grammar, one rule read in this order:

    1. the text is exactly an account's name (by its key), and not a reserved word alone:
       that account's card; the text up to a trailing verb is exactly one: that verb on that
       account (`/account Acme plan plan`);
    2. the first word is reserved (`RESERVED_WORDS`): that command, the rest being its account
       name (`show <anything>` always takes the rest as a name, verbs and all);
    3. `<name> <verb>` (`TRAILING_VERBS`);
    4. anything else is a name, matched ignoring case and small typos.

    Text longer than any name could be is a usage error, answered without the store.
    """

    model_config = ConfigDict(frozen=True)

    verb: AccountVerb
    name: str = ""
    problem: str = ""

    @classmethod
    def parse(cls, text: str, *, is_account: Callable[[str], bool] = _no_account) -> AccountRequest:
        """Read `text` by the grammar; `is_account(name)` says whether a team's account has
        exactly that name (only names from `readings(text).names` are asked about)."""
        read = readings(text)
        if not read.whole:
            return cls(verb=AccountVerb.HERE_OR_MINE)

        def named(name: str) -> bool:
            return 0 < len(name) <= NAME_LENGTH and is_account(name)

        if command_word(read.whole) is None and named(read.whole):
            return cls(verb=AccountVerb.SHOW, name=read.whole)
        if read.verb and named(read.before):
            return cls(verb=read.verb, name=read.before)
        if read.command:
            return cls._command(read.command, read.rest)
        if read.verb:
            return cls._named(read.verb, read.before)
        return cls._named(AccountVerb.SHOW, read.whole)

    @classmethod
    def _command(cls, verb: AccountVerb, rest: str) -> AccountRequest:
        if verb is AccountVerb.HELP:
            return cls(verb=verb)
        if verb in (
            AccountVerb.SETTINGS,
            AccountVerb.PORTFOLIO,
            AccountVerb.TEAM_REVENUE,
            AccountVerb.LEADS,
        ):
            if rest:
                return cls(
                    verb=AccountVerb.USAGE,
                    problem=f"`/account {verb.value}` takes nothing after it.",
                )
            return cls(verb=verb)
        if verb is AccountVerb.EXPANSION:
            if rest.casefold() not in ("", MINE):
                return cls(
                    verb=AccountVerb.USAGE,
                    problem=f"`/account expansion` takes nothing after it, or `{MINE}`.",
                )
            return cls(verb=verb, name=rest.casefold())  # `mine`: a lead's own accounts only
        if verb is AccountVerb.NEW:
            return cls(verb=verb, name=rest)  # a suggestion for the form, cut to fit it
        if verb is AccountVerb.SHOW and not rest:
            return cls(verb=AccountVerb.HERE_OR_MINE)
        return cls._named(verb, rest)

    @classmethod
    def _named(cls, verb: AccountVerb, name: str) -> AccountRequest:
        if len(name) > NAME_LENGTH:
            return cls(verb=AccountVerb.USAGE, problem=TOO_LONG)
        return cls(verb=verb, name=name)


class MessageShortcut(BaseModel):
    """A message shortcut (`message_action`): the message and where it was."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    team_id: str
    user_id: str
    channel_id: str
    message_ts: str
    text: str = ""
    trigger_id: str | None = None
    response_url: str | None = None
    permalink: str | None = None
    """The message's link, asked of Slack once the form's loading view is up."""

    @model_validator(mode="before")
    @classmethod
    def _from_body(cls, body: Any) -> Any:
        if not isinstance(body, dict) or "message" not in body:
            return body
        return {
            "team_id": payload_team(body),
            "user_id": body["user"]["id"],
            "channel_id": body["channel"]["id"],
            "message_ts": body.get("message_ts") or body["message"].get("ts"),
            "text": body["message"].get("text") or "",
            "trigger_id": body.get("trigger_id"),
            "response_url": body.get("response_url"),
        }

    @property
    def posted_on(self) -> date:
        return datetime.fromtimestamp(float(self.message_ts), tz=UTC).date()


class AppHomeOpened(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    user: str
    tab: str = "home"
