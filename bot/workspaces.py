"""Which workspaces the bot serves, and with which bot token: one token, or one per installation."""

from __future__ import annotations

import logging

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.state_store.stateless import StatelessOAuthStateStore

from bot.settings import Settings
from digests.deliver import ClientFor
from store.db import Database
from store.installations import EncryptedInstallationStore

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


def oauth_settings(settings: Settings, store: EncryptedInstallationStore) -> OAuthSettings:
    """Bolt's OAuth flow: the install page, the redirect, and tokens saved (sealed) per team.

    The `state` is signed with SLACK_STATE_SECRET and expires in five minutes, so any process
    behind the load balancer can check it; Bolt also ties it to the browser with a cookie.
    """
    oauth_logger = logging.getLogger("accountbot.oauth")
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=StatelessOAuthStateStore(
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
