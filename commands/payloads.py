"""Typed views of the Slack payloads the bot reads."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SlashCommand(BaseModel):
    """A slash command as Slack posts it (form fields)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    team_id: str = Field(min_length=1)
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    text: str = ""
    response_url: str | None = None


class AccountVerb(StrEnum):
    HELP = "help"
    SHOW = "show"
    HERE_OR_MINE = "here_or_mine"


class AccountRequest(BaseModel):
    """What `/account <text>` asks for."""

    model_config = ConfigDict(frozen=True)

    verb: AccountVerb
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> AccountRequest:
        words = text.split()
        if not words:
            return cls(verb=AccountVerb.HERE_OR_MINE)
        if len(words) == 1 and words[0].casefold() in {"help", "?", "-h", "--help"}:
            return cls(verb=AccountVerb.HELP)
        return cls(verb=AccountVerb.SHOW, name=" ".join(words))


class AppHomeOpened(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    user: str
    tab: str = "home"
