"""Many workspaces: install over OAuth, tokens sealed at rest, each team served with its own
token, and uninstalling (or revoking) removes that workspace's tokens."""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from sqlalchemy import text

from bot.app import make_client
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings
from bot.workspaces import BOT_SCOPES, STATE_EXPIRES_SECONDS, installation_store, team_clients
from store.db import Database
from store.installations import EncryptedInstallationStore, TokenCipher, is_sealed
from store.types import utcnow
from tests.conftest import (
    CLIENT_ID,
    SIGNING_SECRET,
    TOKEN_KEY,
    many_workspaces_settings,
    serving,
)
from tests.slack_fake import FakeSlack
from tests.slack_sender import Reply, SlackSender

TEAM_A, TOKEN_A = "T0ALPHA", "xoxb-1111-2222-alphaalphaalpha"
TEAM_B, TOKEN_B = "T0BRAVO", "xoxb-3333-4444-bravobravobravo"


def install(bot: SlackSender, slack: FakeSlack, *, team_id: str, token: str) -> str:
    """Click "Add to Slack" and come back from Slack's consent page, as a browser would."""
    state, cookie = open_install_page(bot)
    return come_back(bot, slack, state, cookie, team_id=team_id, token=token).body


def open_install_page(bot: SlackSender) -> tuple[str, str]:
    """The install page: the `state` in its "Add to Slack" link, and the cookie it sets."""
    page = bot.get("/slack/install")
    assert page.status == 200
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body)
    assert authorize, page.body
    query = parse_qs(urlparse(authorize.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(BOT_SCOPES)]
    return query["state"][0], page.headers["Set-Cookie"].split(";")[0]


def come_back(
    bot: SlackSender, slack: FakeSlack, state: str, cookie: str, *, team_id: str, token: str
) -> Reply:
    """Slack's consent page sends the browser back with a new code (granted to `team_id`)."""
    code = f"code-{team_id}-{len(slack.calls_to('oauth.v2.access'))}"
    slack.grant(code, team_id=team_id, token=token)
    return bot.get(f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie})


def eventually(condition: Callable[[], bool], *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never became true"
        time.sleep(0.02)


def bearer(slack: FakeSlack, method: str) -> list[str]:
    return [c.headers.get("Authorization", "") for c in slack.calls_to(method)]


def test_install_stores_the_token_sealed_and_serves_that_workspace_with_it(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    assert "Thank you" in install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    with database.engine.connect() as connection:
        stored = connection.execute(text("SELECT team_id, bot_token FROM slack_bots")).all()
        installed = connection.execute(text("SELECT bot_token FROM slack_installations")).all()
    assert [team for team, _ in stored] == [TEAM_A]
    for (sealed,) in [(token,) for _, token in stored] + installed:
        assert TOKEN_A not in sealed and is_sealed(sealed)
        assert TokenCipher([TOKEN_KEY]).open(sealed) == TOKEN_A

    assert oauth_bot.command("new Initech", team_id=TEAM_A).status == 200
    slack.opened_view()
    assert bearer(slack, "views.open") == [f"Bearer {TOKEN_A}"]


def test_each_workspace_is_served_with_its_own_token(
    oauth_bot: SlackSender, slack: FakeSlack
) -> None:
    install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    install(oauth_bot, slack, team_id=TEAM_B, token=TOKEN_B)
    oauth_bot.command("new Initech", team_id=TEAM_B)
    slack.wait_for("views.update")
    oauth_bot.command("new Globex", team_id=TEAM_A)
    slack.wait_for("views.update", count=2)
    assert bearer(slack, "views.open") == [f"Bearer {TOKEN_B}", f"Bearer {TOKEN_A}"]


def test_a_workspace_that_never_installed_is_not_served(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    calls = len(slack.calls)
    assert oauth_bot.command("new Initech", team_id="T0STRANGER").body == ""
    [refusal] = slack.wait_for("response_url")
    assert "reinstall this app" in refusal.params["text"]  # Bolt's own words
    oauth_bot.command("new Globex", team_id=TEAM_A)
    slack.wait_for("views.update")
    methods = [c.method for c in slack.calls[calls:] if c.method != "auth.test"]
    assert methods == ["response_url", "views.open", "conversations.info", "views.update"]
    assert bearer(slack, "views.open") == [f"Bearer {TOKEN_A}"]


def test_a_forged_or_replayed_state_installs_nothing(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    page = oauth_bot.get("/slack/install")
    state = re.search(r"state=([^&\"]+)", page.body).group(1)  # type: ignore[union-attr]
    slack.grant("code-1", team_id=TEAM_A, token=TOKEN_A)
    no_cookie = oauth_bot.get(f"/slack/oauth_redirect?code=code-1&state={state}")
    forged = oauth_bot.get(
        "/slack/oauth_redirect?code=code-1&state=forged",
        headers={"Cookie": "slack-app-oauth-state=forged"},
    )
    assert 400 <= no_cookie.status < 500 and 400 <= forged.status < 500
    for page in (no_cookie, forged):
        assert "This install link has expired" in page.body
        assert 'href="/slack/install"' in page.body
    assert slack.calls_to("oauth.v2.access") == []
    assert installation_store_of(database).find_bot(enterprise_id=None, team_id=TEAM_A) is None


def test_a_state_works_once_in_every_process(
    oauth_bot: SlackSender,
    oauth_settings: Settings,
    slack: FakeSlack,
    database: Database,
) -> None:
    state, cookie = open_install_page(oauth_bot)
    done = come_back(oauth_bot, slack, state, cookie, team_id=TEAM_A, token=TOKEN_A)
    assert done.status == 200 and "Thank you" in done.body
    # The same state and cookie again, with a fresh code from Slack, to this process and to
    # another one on the same database: both refuse before asking Slack for a token.
    with serving(oauth_settings, database, slack) as other_process:
        for process in (oauth_bot, other_process):
            replay = come_back(process, slack, state, cookie, team_id=TEAM_B, token=TOKEN_B)
            assert replay.status == 400
            assert "This install link has expired" in replay.body
    assert len(slack.calls_to("oauth.v2.access")) == 1
    assert installation_store_of(database).find_bot(enterprise_id=None, team_id=TEAM_B) is None
    # Two installs started at once each get their own state, and both work.
    first, second = open_install_page(oauth_bot), open_install_page(oauth_bot)
    assert first[0] != second[0]
    for (state, cookie), (team, token) in zip(
        (first, second), ((TEAM_A, TOKEN_A), (TEAM_B, TOKEN_B)), strict=True
    ):
        assert (
            "Thank you"
            in come_back(oauth_bot, slack, state, cookie, team_id=team, token=token).body
        )


def test_an_install_link_older_than_five_minutes_says_it_expired(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    state, cookie = open_install_page(oauth_bot)
    later = utcnow() + timedelta(seconds=STATE_EXPIRES_SECONDS + 1)
    with time_machine.travel(later, tick=True):
        page = come_back(oauth_bot, slack, state, cookie, team_id=TEAM_A, token=TOKEN_A)
    assert page.status == 400
    assert "This install link has expired" in page.body
    assert 'href="/slack/install"' in page.body
    assert slack.calls_to("oauth.v2.access") == []
    assert installation_store_of(database).find_bot(enterprise_id=None, team_id=TEAM_A) is None


def test_a_cancelled_install_says_so(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    state, cookie = open_install_page(oauth_bot)
    page = oauth_bot.get(
        f"/slack/oauth_redirect?error=access_denied&state={state}", headers={"Cookie": cookie}
    )
    assert page.status == 200
    assert "Installation cancelled" in page.body and "nothing was installed" in page.body
    assert 'href="/slack/install"' in page.body
    assert "Refer to the documents" not in page.body
    assert slack.calls_to("oauth.v2.access") == []
    assert installation_store_of(database).find_bot(enterprise_id=None, team_id=TEAM_A) is None


def test_an_installation_the_database_cannot_save_asks_to_try_again(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    with database.engine.begin() as connection:  # the table is gone: every write to it fails
        connection.execute(text("ALTER TABLE slack_installations RENAME TO installations_away"))
    state, cookie = open_install_page(oauth_bot)
    page = come_back(oauth_bot, slack, state, cookie, team_id=TEAM_A, token=TOKEN_A)
    assert page.status == 500
    assert "The installation could not be saved" in page.body and "try again" in page.body
    assert 'href="/slack/install"' in page.body
    assert installation_store_of(database).find_bot(enterprise_id=None, team_id=TEAM_A) is None
    with database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE installations_away RENAME TO slack_installations"))
    assert "Thank you" in install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    assert oauth_bot.command("new Initech", team_id=TEAM_A).status == 200
    slack.opened_view()
    assert bearer(slack, "views.open") == [f"Bearer {TOKEN_A}"]


def installation_store_of(database: Database) -> EncryptedInstallationStore:
    return installation_store(many_workspaces_settings(database), database)


@pytest.mark.parametrize("event_type", ["app_uninstalled", "tokens_revoked"])
def test_uninstall_or_revocation_removes_only_that_workspaces_tokens(
    oauth_bot: SlackSender,
    oauth_settings: Settings,
    slack: FakeSlack,
    database: Database,
    event_type: str,
) -> None:
    install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
    install(oauth_bot, slack, team_id=TEAM_B, token=TOKEN_B)
    event = {"type": event_type, "event_ts": "1700000000.000100"}
    if event_type == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": ["U0BOT"]}
    assert oauth_bot.event(event, team_id=TEAM_A).status == 200
    store = installation_store_of(database)
    eventually(lambda: store.find_bot(enterprise_id=None, team_id=TEAM_A) is None)
    with database.engine.connect() as connection:
        left = connection.execute(
            text(
                "SELECT bot_token FROM slack_bots WHERE team_id = :team UNION ALL "
                "SELECT bot_token FROM slack_installations WHERE team_id = :team"
            ),
            {"team": TEAM_A},
        ).all()
    assert all(token is None for (token,) in left)  # not a sealed copy left behind
    assert store.find_bot(enterprise_id=None, team_id=TEAM_B).bot_token == TOKEN_B  # type: ignore[union-attr]

    clients = team_clients(oauth_settings, database, make_client(oauth_settings))
    assert clients(TEAM_A) is None
    assert clients(TEAM_B).token == TOKEN_B  # type: ignore[union-attr]
    calls = len(slack.calls)
    assert oauth_bot.command("new Initech", team_id=TEAM_A).body == ""
    assert "reinstall this app" in slack.wait_for("response_url")[0].params["text"]
    oauth_bot.command("new Globex", team_id=TEAM_B)
    slack.wait_for("views.update")
    assert bearer(slack, "views.open") == [f"Bearer {TOKEN_B}"]
    methods = [c.method for c in slack.calls[calls:] if c.method != "auth.test"]
    assert methods == ["response_url", "views.open", "conversations.info", "views.update"]


def test_no_token_reaches_the_logs_even_at_debug(oauth_bot: SlackSender, slack: FakeSlack) -> None:
    configure_logging("DEBUG", json=False)
    # The log handler writes into a buffer of its own, not the captured stderr: reading that
    # (capfd) while the bot's threads still log moves the file offset under them, and the
    # first lines were lost about one run in forty.
    output = io.StringIO()
    [handler] = logging.getLogger().handlers
    handler.setStream(output)  # type: ignore[attr-defined]
    try:
        install(oauth_bot, slack, team_id=TEAM_A, token=TOKEN_A)
        oauth_bot.command("new Initech", team_id=TEAM_A)
        slack.wait_for("views.update")
        logged = output.getvalue()
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    assert "oauth.v2.access" in logged  # slack_sdk did log the exchange …
    assert TOKEN_A not in logged and "alphaalpha" not in logged  # … with the token blanked
    assert "test-client-secret" not in logged and TOKEN_KEY not in logged


def test_settings_for_many_workspaces_are_checked_together() -> None:
    base = {
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": "test-client-secret",
        "slack_state_secret": "test-state-secret-0123456789",
        "slack_signing_secret": SIGNING_SECRET,
        "token_encryption_key": TOKEN_KEY,
    }
    load_settings(**base).require_slack()
    for missing, says in [
        ("slack_state_secret", "SLACK_STATE_SECRET is missing"),
        ("token_encryption_key", "TOKEN_ENCRYPTION_KEY is missing"),
        ("slack_signing_secret", "SLACK_SIGNING_SECRET is missing"),
    ]:
        with pytest.raises(SettingsError, match=says):
            load_settings(**{k: v for k, v in base.items() if k != missing}).require_slack()
    with pytest.raises(SettingsError, match="choose one workspace"):
        load_settings(**base, slack_bot_token="xoxb-1-2-3").require_slack()
    with pytest.raises(SettingsError, match="TOKEN_ENCRYPTION_KEY is malformed: expected Fernet"):
        load_settings(**base | {"token_encryption_key": "not-a-key"})
    new_key = TokenCipher.new_key()
    rotated = load_settings(**base | {"token_encryption_key": f"{new_key},{TOKEN_KEY}"})
    old = TokenCipher([TOKEN_KEY]).seal(TOKEN_A)
    assert rotated.token_cipher().open(old) == TOKEN_A  # old rows still open …
    assert TokenCipher([new_key]).open(rotated.token_cipher().reseal(old)) == TOKEN_A  # … and move
