"""An install over OAuth that Slack, or the network, fails at the last step (`oauth.v2.access`,
then `auth.test` for the new token): the installer sees the "did not finish, try again" page,
never a bare 500, and nothing is installed."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from store.db import Database
from tests.slack_fake import FakeSlack
from tests.slack_sender import SlackSender
from tests.test_oauth import TEAM_A, TOKEN_A, come_back, open_install_page


@pytest.mark.parametrize(
    ("method", "fault"),
    [
        ("oauth.v2.access", "reset"),
        ("oauth.v2.access", "close"),
        ("oauth.v2.access", "status"),
        ("oauth.v2.access", "broken_json"),
        ("auth.test", "reset"),
    ],
)
def test_an_install_slack_fails_at_the_last_step_shows_the_try_again_page(
    oauth_bot: SlackSender, slack: FakeSlack, database: Database, method: str, fault: str
) -> None:
    state, cookie = open_install_page(oauth_bot)
    slack.fault(method, fault)
    page = come_back(oauth_bot, slack, state, cookie, team_id=TEAM_A, token=TOKEN_A)
    assert page.status == 400, page.body
    assert "The installation did not finish" in page.body
    assert "Please try again" in page.body and "Start the installation again" in page.body
    with database.transaction() as session:
        assert session.execute(text("SELECT count(*) FROM slack_bots")).scalar_one() == 0
