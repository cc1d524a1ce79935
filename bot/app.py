"""Builds the Bolt app: client, middleware, listeners and the error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

import commands
from bot.logs import ContextExecutor, DropMessage, bind, new_request_id, request_id
from bot.settings import Settings
from bot.workspaces import install_flow
from commands.access import Access
from commands.errors import handle_error
from commands.payloads import request_team
from commands.ui.delivery import Respond, retry_handlers, slack_logger
from commands.ui.directory import Directory
from commands.work import WorkPool
from store.db import Database
from store.types import utcnow

Clock = Callable[[], datetime]
logger = logging.getLogger("accountbot.app")

BOLT_LOGGER = logging.getLogger("accountbot.bolt")
# Bolt reads SLACK_BOT_TOKEN itself and warns that the client given wins over it: that client
# holds the same token.
BOLT_LOGGER.addFilter(DropMessage(warning_client_prioritized_and_token_skipped()))


def make_client(settings: Settings) -> WebClient:
    """A Web API client (with the one bot token, or none when each workspace's token comes from
    its installation) that retries a call only when nothing was sent, or after a 429's
    `Retry-After`: never one Slack may have carried out (see `commands.ui.delivery`)."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout,  # type: ignore[arg-type]  # slack_sdk says int; urllib takes a float
        retry_handlers=retry_handlers(),
        logger=slack_logger(),
    )


def work_pool(settings: Settings) -> WorkPool:
    """The pool listeners' slow parts run in: WORK_THREADS threads, WORK_QUEUE waiting."""
    return WorkPool(
        threads=settings.work_threads, queue=settings.work_queue, grace=settings.stop_grace
    )


def build_app(
    settings: Settings,
    db: Database,
    *,
    clock: Clock = utcnow,
    directory: Directory | None = None,
    work: WorkPool | None = None,
) -> App:
    """The Bolt app with every listener wired (served over HTTP by `bot.server.make_web_app`,
    which verifies Slack's signatures, or in Socket Mode). `directory` is what Slack said about
    channels and users (shared with the scheduler); `work` the bounded pool the slow part of
    every listener runs in (`commands.work`; `accountbot run` drains it on stop).

    Bolt answers Slack as soon as a listener returns (`process_before_response`): every route
    acknowledges in the request thread and leaves the rest to `work` (`commands.contract`)."""
    settings.require_slack()
    digest_defaults = settings.digest_defaults()
    many = settings.many_workspaces
    app = App(
        client=make_client(settings),
        signing_secret=settings.slack_signing_secret,
        # HTTP requests are verified at the door, before their body is parsed (bot.inbound)
        request_verification_enabled=False,
        oauth_flow=install_flow(settings, db) if many else None,
        process_before_response=True,  # no waiting for ack() in another thread (polled)
        listener_executor=ContextExecutor(max_workers=settings.http_threads),
        logger=BOLT_LOGGER,
    )

    if directory is None:
        directory = Directory(db, max_age=settings.channel_facts_max_age)
    work = work_pool(settings) if work is None else work

    @app.middleware
    def attach_store(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        """Hand every listener the request's one team (see `request_team`: a payload naming
        another team is refused), the database, today's date and the user's rights."""
        context["request_id"] = request_id.get() or new_request_id()  # HTTP: the door's
        authorized = context.authorize_result
        team_id = request_team(
            body, installed=(authorized and authorized.team_id) or context.team_id
        )
        if team_id is None:
            bind(context)
            logger.warning("request refused: the team ids it names disagree with its workspace")
            return BoltResponse(status=400, body={"error": "team ids disagree"})
        context["team_id"] = team_id
        bind(context)
        context["db"] = db
        context["work"] = work
        context["respond"] = Respond(  # answers at most once (Bolt's own retries a reset)
            response_url=context.response_url, timeout=settings.slack_api_timeout
        )
        context["today"] = clock().date()
        context["digest_defaults"] = digest_defaults
        context["access"] = Access(
            client=context.client,
            directory=directory,
            team_id=team_id,
            user_id=context.user_id,
        )
        next()
        return None

    app.error(handle_error)
    commands.register(app, many_workspaces=many)
    return app
