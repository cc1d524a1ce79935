"""Builds the Bolt app: client, middleware, listeners and the error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App, BoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

import commands
from bot.errors import handle_error
from bot.logs import ContextExecutor, DropMessage, bind, new_request_id
from bot.settings import Settings
from bot.workspaces import install_flow
from commands.access import Access, Directory
from store.db import Database
from store.types import utcnow

Clock = Callable[[], datetime]

BOLT_LOGGER = logging.getLogger("accountbot.bolt")
# Bolt reads SLACK_BOT_TOKEN itself and warns that the client given wins over it: that client
# holds the same token.
BOLT_LOGGER.addFilter(DropMessage(warning_client_prioritized_and_token_skipped()))


def make_client(settings: Settings) -> WebClient:
    """A Web API client that retries rate-limited and dropped calls (with the one bot token,
    or none when each workspace's token comes from its installation)."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_app(settings: Settings, db: Database, *, clock: Clock = utcnow) -> App:
    """The Bolt app with every listener wired; Slack signatures verified unless in Socket Mode."""
    settings.require_slack()
    digest_defaults = settings.digest_defaults()
    many = settings.many_workspaces
    app = App(
        client=make_client(settings),
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=not settings.socket_mode,
        oauth_flow=install_flow(settings, db) if many else None,
        listener_executor=ContextExecutor(max_workers=settings.http_threads),
        logger=BOLT_LOGGER,
    )

    directory = Directory()

    @app.middleware
    def attach_store(context: BoltContext, next: Callable[[], None]) -> None:
        """Hand every listener the database, today's date and the user's rights."""
        context["request_id"] = new_request_id()
        bind(context)
        context["db"] = db
        context["today"] = clock().date()
        context["digest_defaults"] = digest_defaults
        context["access"] = Access(
            client=context.client,
            directory=directory,
            team_id=context.team_id or "",
            user_id=context.user_id,
        )
        next()

    app.error(handle_error)
    commands.register(app, many_workspaces=many)
    return app
