"""Configuration from the environment (and an optional `.env`), validated once at start-up."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.settings import WEEKDAYS, DigestSettings

SLACK_API_URL_DEFAULT = "https://slack.com/api/"


class SettingsError(Exception):
    """A missing or malformed setting; its message is one line naming the variable."""


class Settings(BaseSettings):
    """Every setting the bot reads; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = Field(
        default=None, pattern=r"^xoxb-", description="a bot token starting with xoxb-"
    )
    slack_signing_secret: str | None = Field(
        default=None, min_length=8, description="the app's signing secret (Basic Information page)"
    )
    slack_app_token: str | None = Field(
        default=None, pattern=r"^xapp-", description="an app-level token starting with xapp-"
    )
    slack_api_url: str = Field(
        default=SLACK_API_URL_DEFAULT,
        pattern=r"^https?://\S+$",
        description="an http(s) URL of the Slack Web API",
    )
    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'accountbot.db'}",
        pattern=r"^(sqlite|postgresql)(\+\w+)?://",
        description="a SQLAlchemy URL such as sqlite:///accountbot.db or postgresql+psycopg://…",
    )
    port: Annotated[int, Field(ge=1, le=65535, description="a TCP port from 1 to 65535")] = 3000
    http_threads: Annotated[
        int, Field(ge=1, le=256, description="a number of server threads from 1 to 256")
    ] = 16
    digest_day: str = Field(
        default="monday",
        pattern=r"(?i)^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)$",
        description="a day of the week, like monday",
    )
    digest_time: str = Field(
        default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="a time like 09:00"
    )
    digest_timezone: str = Field(
        default="UTC", description="a time zone name like Europe/Paris or America/New_York"
    )
    digest_portfolio_channel: str | None = Field(
        default=None, pattern=r"^[CG][A-Z0-9]{2,31}$", description="a channel id like C0123ABCD"
    )
    digest_all_clear: bool = Field(default=True, description="true or false")
    digest_owner_dms: bool = Field(default=False, description="true or false")
    log_format: str = Field(default="text", pattern=r"^(text|json)$", description="text or json")
    log_level: str = Field(
        default="INFO",
        pattern=r"^(DEBUG|INFO|WARNING|ERROR)$",
        description="one of DEBUG, INFO, WARNING, ERROR",
    )

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("digest_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    def digest_defaults(self) -> DigestSettings:
        """The deployment's digest settings; each team may override them with /account settings."""
        hours, minutes = (int(part) for part in self.digest_time.split(":"))
        return DigestSettings(
            weekday=WEEKDAYS.index(self.digest_day.lower()),
            at=time(hours, minutes),
            timezone=self.digest_timezone,
            all_clear=self.digest_all_clear,
            portfolio_channel_id=self.digest_portfolio_channel,
            owner_digests=self.digest_owner_dms,
        )

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def require_slack(self) -> None:
        """Serving Slack needs a bot token, and a signing secret unless Socket Mode is used."""
        if not self.slack_bot_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is missing: expected a bot token starting with xoxb-"
            )
        if not self.socket_mode and not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is missing: expected the app's signing secret "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            )


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning the first validation error into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "setting"
    field = Settings.model_fields.get(name)
    expected = field.description if field and field.description else error["msg"]
    value = error.get("input")
    shown = "" if value is None or "secret" in name or "token" in name else f" (got {value!r})"
    return f"{name.upper()} is malformed{shown}: expected {expected}"
