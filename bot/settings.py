"""Configuration from the environment (and an optional `.env`), validated once at start-up.

Every problem is reported at once, one line each naming its variable; a command asks only for
the settings it uses (`load_settings(uses=…)`), so a malformed PORT does not stop
`accountbot digest --dry-run`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.channels import FACTS_MAX_AGE
from store.installations import TokenCipher
from store.settings import WEEKDAYS, DigestSettings, zone_name

SLACK_API_URL_DEFAULT = "https://slack.com/api/"
SCHEDULED_JOBS = 4
"""The scheduler's jobs (digests, reminders, renewal questions, history), each in a thread of
its own while it runs: the digests' own workers come on top."""


class SettingsError(Exception):
    """Missing or malformed settings: one line each (`problems`), naming the variable."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


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
    slack_api_timeout: Annotated[
        float, Field(gt=0, le=120, description="seconds, more than 0 and at most 120")
    ] = 10.0
    channel_facts_max_age: Annotated[
        int,
        Field(ge=0, le=86400, description="seconds from 0 (ask Slack before every post) to 86400"),
    ] = FACTS_MAX_AGE
    slack_client_id: str | None = Field(
        default=None,
        pattern=r"^\d+\.\d+$",
        description="the app's client id, like 1234567890.0987654321 (Basic Information page)",
    )
    slack_client_secret: str | None = Field(
        default=None, min_length=8, description="the app's client secret (Basic Information page)"
    )
    slack_state_secret: str | None = Field(
        default=None,
        min_length=16,
        description="a random secret of at least 16 characters that signs OAuth states",
    )
    slack_redirect_uri: str | None = Field(
        default=None,
        pattern=r"^https://\S+/slack/oauth_redirect$",
        description="the https URL of /slack/oauth_redirect registered with the app",
    )
    token_encryption_key: str | None = Field(
        default=None,
        description=(
            "Fernet keys, comma-separated, newest first (make one with `accountbot token-key`)"
        ),
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
    work_threads: Annotated[
        int, Field(ge=1, le=256, description="a number of worker threads from 1 to 256")
    ] = 16
    work_queue: Annotated[
        int, Field(ge=0, le=10_000, description="a number of waiting requests from 0 to 10000")
    ] = 64
    stop_grace: Annotated[float, Field(ge=0, le=300, description="seconds, from 0 to 300")] = 10.0
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
    digest_weekly_all_clear: bool = Field(default=False, description="true or false")
    digest_owner_dms: bool = Field(default=False, description="true or false")
    digest_workers: Annotated[
        int, Field(ge=1, le=64, description="a whole number of teams from 1 to 64")
    ] = 8
    database_pool_size: Annotated[
        int | None,
        Field(ge=1, le=1000, description="a number of connections from 1 to 1000"),
    ] = None
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

    @field_validator("token_encryption_key")
    @classmethod
    def _fernet_keys(cls, value: str | None) -> str | None:
        if value is not None:
            TokenCipher(token_keys(value))
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return zone_name(value)

    def digest_defaults(self) -> DigestSettings:
        """The deployment's digest settings; each team may override them with /account settings."""
        hours, minutes = (int(part) for part in self.digest_time.split(":"))
        return DigestSettings(
            weekday=WEEKDAYS.index(self.digest_day.lower()),
            at=time(hours, minutes),
            timezone=self.digest_timezone,
            all_clear=self.digest_all_clear,
            weekly_all_clear=self.digest_weekly_all_clear,
            portfolio_channel_id=self.digest_portfolio_channel,
            owner_digests=self.digest_owner_dms,
        )

    def database_connections(self, *, serving: bool) -> int:
        """Connections each process keeps open to PostgreSQL: DATABASE_POOL_SIZE, or one for each
        thread that may hold one at once, so no transaction waits for, or opens, a connection
        of its own: the digest workers and the scheduler's other jobs, and when `serving` the
        request and work threads too."""
        if self.database_pool_size is not None:
            return self.database_pool_size
        threads = self.digest_workers + SCHEDULED_JOBS
        if serving:
            threads += self.http_threads + self.work_threads
        return threads

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def many_workspaces(self) -> bool:
        """Installed by OAuth into any number of workspaces, rather than one with one token."""
        return any((self.slack_client_id, self.slack_client_secret, self.slack_state_secret))

    def require_slack(self) -> None:
        """Serving Slack needs a bot token (one workspace) or OAuth credentials (many), and a
        signing secret unless Socket Mode is used."""
        if problems := self.slack_problems():
            raise SettingsError(*problems)

    def slack_problems(self) -> list[str]:
        """What serving Slack still needs (see `require_slack`), one line each."""
        if self.many_workspaces:
            return self._oauth_problems()
        problems = []
        if not self.slack_bot_token:
            problems.append(
                "SLACK_BOT_TOKEN is missing: expected a bot token starting with xoxb-"
                " (or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET to serve "
                "many workspaces)"
            )
        if not self.socket_mode and not self.slack_signing_secret:
            problems.append(
                "SLACK_SIGNING_SECRET is missing: expected the app's signing secret "
                "(or set SLACK_APP_TOKEN for Socket Mode)"
            )
        return problems

    def _oauth_problems(self) -> list[str]:
        problems = [
            f"{name.upper()} is missing: serving many workspaces needs SLACK_CLIENT_ID, "
            f"SLACK_CLIENT_SECRET and SLACK_STATE_SECRET; expected "
            f"{Settings.model_fields[name].description}"
            for name in ("slack_client_id", "slack_client_secret", "slack_state_secret")
            if not getattr(self, name)
        ]
        if self.slack_bot_token:
            problems.append(
                "SLACK_BOT_TOKEN is set as well as SLACK_CLIENT_ID: choose one workspace (a bot "
                "token) or many (OAuth, with each workspace's token kept in the database)"
            )
        if self.socket_mode:
            problems.append(
                "SLACK_APP_TOKEN is set as well as SLACK_CLIENT_ID: installing into many "
                "workspaces needs HTTP mode, for /slack/install and /slack/oauth_redirect"
            )
        if not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is missing: expected the app's signing secret")
        if not self.token_encryption_key:
            problems.append(
                "TOKEN_ENCRYPTION_KEY is missing: workspaces' bot tokens are encrypted at rest; "
                "make a key with `accountbot token-key`"
            )
        return problems

    def token_cipher(self) -> TokenCipher:
        return TokenCipher(token_keys(self.token_encryption_key or ""))


def token_keys(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


DATABASE = frozenset({"database_url", "database_pool_size"})
DIGESTS = frozenset(
    {"digest_day", "digest_time", "digest_timezone", "digest_portfolio_channel"}
    | {"digest_all_clear", "digest_weekly_all_clear", "digest_owner_dms", "digest_workers"}
)
WEB_API = frozenset(
    {"slack_bot_token", "slack_api_url", "slack_api_timeout", "slack_client_id"}
    | {"slack_client_secret", "slack_state_secret", "token_encryption_key"}
    | {"channel_facts_max_age"}
)
"""Calling Slack's Web API for one workspace (a bot token) or many (tokens in the database)."""

Needs = Callable[[Settings], list[str]]
"""What a command needs of the settings beyond their form: a line per missing one."""


def load_settings(
    *, uses: Collection[str] | None = None, needs: Needs | None = None, **overrides: Any
) -> Settings:
    """Read the settings (`overrides` first), or raise SettingsError listing every problem at
    once: each malformed setting among `uses` (every setting by default), then whatever
    `needs` says is missing. A malformed setting outside `uses` is left at its default: the
    command does not read it."""
    problems: list[str] = []
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        settings, problems = _despite(exc, uses, overrides)
    reported = {line.split(" ", 1)[0] for line in problems}
    missing = needs(settings) if needs else []
    problems += [line for line in missing if line.split(" ", 1)[0] not in reported]
    if problems:
        raise SettingsError(*problems)
    return settings


def _despite(
    exc: ValidationError, uses: Collection[str] | None, overrides: dict[str, Any]
) -> tuple[Settings, list[str]]:
    """The settings with every malformed one at its default, and a line for each of `uses`."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "setting"
        if uses is None or name in uses:
            problems.setdefault(name, _describe(name, error))
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
        if any(error["loc"][:1] == (name,) for error in exc.errors())
    }
    return Settings(**(overrides | defaults)), list(problems.values())


def _describe(name: str, error: Any) -> str:
    field = Settings.model_fields.get(name)
    expected = field.description if field and field.description else error["msg"]
    value = error.get("input")
    shown = "" if value is None or "secret" in name or "token" in name else f" (got {value!r})"
    return f"{name.upper()} is malformed{shown}: expected {expected}"
