"""Which workspaces the bot serves, and with which bot token: one token, or one per installation."""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import timedelta

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.state_store.stateless import StatelessOAuthStateStore
from sqlalchemy.exc import SQLAlchemyError

from bot.install_pages import failure_page
from bot.settings import Settings
from commands.ui.slack_failures import classify
from digests.deliver import ClientFor
from store.db import Database
from store.installations import EncryptedInstallationStore
from store.oauth_states import use_state
from store.types import utcnow

logger = logging.getLogger("accountbot.workspaces")

BOT_SCOPES = ("commands", "chat:write", "users:read", "channels:read", "groups:read")
"""What the bot asks for when installed; `manifest.yml` lists the same (a test checks)."""
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRES_SECONDS = 300


def installation_store(settings: Settings, db: Database) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(
        client_id=settings.slack_client_id or "",
        engine=db.engine,
        cipher=settings.token_cipher(),
    )


class SingleUseStateStore(StatelessOAuthStateStore):
    """slack_sdk's signed OAuth `state` (any process can check one), made to work once: the
    state that finishes an install is remembered in the database until it expires, so its
    replay is refused wherever it lands. Each state carries a random nonce, so two installs
    started in the same second do not share one."""

    def __init__(self, *, db: Database, expiration_seconds: int, signing_secret: str) -> None:
        super().__init__(
            expiration_seconds=expiration_seconds,
            signing_secret=signing_secret,
            logger=logging.getLogger("accountbot.oauth"),
        )
        self.db = db

    def issue(self, *args: object, **kwargs: object) -> str:
        claims = {"exp": int(time.time()) + self.expiration_seconds, "nonce": secrets.token_hex(8)}
        header = self._b64url_encode(b'{"alg":"HS256","typ":"JWT"}')
        payload = self._b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}.{self._sign(f'{header}.{payload}')}"

    def consume(self, state: str) -> bool:
        if not super().consume(state):
            return False
        now = utcnow()
        expires_at = now + timedelta(seconds=self.expiration_seconds)
        try:
            with self.db.transaction() as session:
                first = use_state(session, state=state, expires_at=expires_at, now=now)
        except SQLAlchemyError:
            self.logger.exception("could not record the OAuth state: the install is refused")
            return False
        if not first:
            self.logger.warning("an OAuth state was used again: refused")
        return first


class InstallFlow(OAuthFlow):
    """Bolt's install flow; a database error while saving the installation shows the "could
    not be saved" page (Bolt expects the store to fail with a BoltError) instead of a bare 500,
    and so does Slack or the network failing the code's exchange (Bolt catches only Slack's
    JSON errors): the "did not finish, try again" page."""

    def run_installation(self, code: str) -> Installation | None:
        try:
            return super().run_installation(code)
        except Exception as error:
            if (failure := classify(error)) is None:
                raise
            self.logger.warning("the install's code exchange failed: %s", failure.cause)
            return None

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        try:
            super().store_installation(request, installation)
        except SQLAlchemyError as error:
            self.logger.exception("saving the installation of team %s failed", installation.team_id)
            raise BoltError("the installation could not be saved") from error


def _success(args: SuccessArgs) -> BoltResponse:
    return args.default.success(args)


def _failure(args: FailureArgs) -> BoltResponse:
    page = failure_page(args.reason)
    logger.info("install not finished: %r", args.reason)
    return BoltResponse(
        status=page.status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
        body=page.html(install_path=args.settings.install_path),
    )


def install_flow(settings: Settings, db: Database) -> InstallFlow:
    return InstallFlow(
        settings=oauth_settings(settings, installation_store(settings, db), db),
        logger=logging.getLogger("accountbot.oauth"),
    )


def oauth_settings(
    settings: Settings, store: EncryptedInstallationStore, db: Database
) -> OAuthSettings:
    """Bolt's OAuth flow: the install page, the redirect, and tokens saved (sealed) per team.

    The `state` is signed with SLACK_STATE_SECRET, expires in five minutes and works once (any
    process behind the load balancer can check it and refuse its replay); Bolt also ties it to
    the browser with a cookie. An install that does not finish shows a page that says why.
    """
    oauth_logger = logging.getLogger("accountbot.oauth")
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=_success, failure=_failure),
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SingleUseStateStore(
            db=db,
            expiration_seconds=STATE_EXPIRES_SECONDS,
            signing_secret=settings.slack_state_secret or "",
        ),
        state_expiration_seconds=STATE_EXPIRES_SECONDS,
        logger=oauth_logger,
    )
    # The same authorization, remembering each token's auth.test answer: without it Bolt asks
    # Slack on every request. The token itself is still looked up (and may be gone) each time.
    oauth.authorize = InstallationStoreAuthorize(
        logger=oauth_logger,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        installation_store=store,
        bot_only=True,
        cache_enabled=True,
    )
    return oauth


def team_clients(settings: Settings, db: Database, base: WebClient) -> ClientFor:
    """For scheduled work: the one client, or a client with the team's own installed token."""
    if not settings.many_workspaces:
        return lambda _team_id: base
    store = installation_store(settings, db)

    def client_for(team_id: str) -> WebClient | None:
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            logger.info("team %s has no installation (uninstalled?): skipped", team_id)
            return None
        return WebClient(
            token=bot.bot_token,
            base_url=base.base_url,
            timeout=base.timeout,
            retry_handlers=list(base.retry_handlers),
            logger=base.logger,
            team_id=team_id,
        )

    return client_for
