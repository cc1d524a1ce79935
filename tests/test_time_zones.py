"""A digest time zone is a place's IANA zone name (Europe/Paris, UTC), in the settings form and
in DIGEST_TIMEZONE alike: not `localtime` (the machine's own), `Factory` ("zone not set"),
`posixrules`, or the `posix/` and `right/` copies of the zone files, which all load as zones."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bot.cli import cli
from store.db import Database
from store.models import TeamSettings
from store.settings import DigestSettings, digest_settings_of, settings_history
from tests.factories import make_account
from tests.slack_fake import TEAM_ID, FakeSlack
from tests.slack_sender import SlackSender
from tests.test_team_settings import ADMIN, digest_values, open_menu, open_section, submit

NOT_ZONES = ["localtime", "Factory", "posixrules", "right/UTC", "posix/Europe/Paris"]


def test_zone_files_that_are_not_places_are_refused_inline(
    bot: SlackSender, slack: FakeSlack, database: Database
) -> None:
    slack.users[ADMIN] = {"is_admin": True}
    form = open_section(bot, slack, open_menu(bot, slack), "digests")
    for name in NOT_ZONES:
        body = submit(bot, form, digest_values(timezone=name))
        assert body is not None, name
        assert body["errors"] == {
            "timezone": f"{name!r} is not a time zone name like Europe/Paris"
        }, name
    with database.transaction() as session:
        assert settings_history(session, team_id=TEAM_ID) == []
    assert submit(bot, form, digest_values(timezone="America/Argentina/Buenos_Aires")) is None


@pytest.mark.parametrize("name", NOT_ZONES)
def test_digest_timezone_follows_the_same_rule(
    monkeypatch: pytest.MonkeyPatch, database: Database, name: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("DIGEST_TIMEZONE", name)
    result = CliRunner().invoke(cli, ["digest", "--dry-run"])
    assert result.exit_code == 2
    assert result.output == (
        f"accountbot: DIGEST_TIMEZONE is malformed (got {name!r}): expected a time zone name "
        "like Europe/Paris or America/New_York\n"
    )


def test_a_zone_stored_before_the_rule_still_reads(
    monkeypatch: pytest.MonkeyPatch, database: Database
) -> None:
    """A team that saved `localtime` before keeps its digests (the form asks for a real name
    at its next save): a stored row never stops every team's digest run."""
    make_account(database, "Acme")
    with database.transaction() as session:
        session.merge(TeamSettings(team_id=TEAM_ID, digest={"timezone": "localtime"}))
    with database.transaction() as session:
        stored = digest_settings_of(session, team_ids=[TEAM_ID], defaults=DigestSettings())
    assert stored[TEAM_ID].timezone == "localtime"
    monkeypatch.setenv("DATABASE_URL", database.url)
    result = CliRunner().invoke(cli, ["digest", "--dry-run"])
    assert result.exit_code == 0, result.output
