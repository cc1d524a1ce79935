"""`accountbot digest`: print this week's digests, or post them now."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from rich.console import Console

from commands.ui.directory import Directory
from commands.ui.terminal import print_message
from digests.content import build_portfolio_digest
from digests.deliver import (
    ClientFor,
    DeliveryRun,
    Pacer,
    deliver_team_digests,
    scheduled_day,
    team_digests,
)
from digests.queue import WORKERS, new_holder, settled_run, work_digests
from digests.render import account_digest_blocks, portfolio_digest_blocks
from store.accounts import search_accounts
from store.db import Database
from store.models import saved_id
from store.settings import DigestSettings, digest_settings_of, teams_with_accounts


class UnknownAccount(Exception):
    pass


def _selection(
    db: Database, *, teams: Sequence[str], accounts: Sequence[str], defaults: DigestSettings
) -> tuple[list[str], dict[str, DigestSettings], dict[str, list[int] | None]]:
    """Teams to cover, their settings, and (with --account) which account ids of each."""
    with db.transaction() as session:
        known = teams_with_accounts(session)
        chosen = [t for t in known if not teams or t in teams]
        settings = digest_settings_of(session, team_ids=chosen, defaults=defaults)
        picks: dict[str, list[int] | None] = {t: None for t in chosen}
        if accounts:
            for team in chosen:
                picks[team] = [
                    saved_id(m.exact.id)
                    for m in (search_accounts(session, team_id=team, text=a) for a in accounts)
                    if m.exact
                ]
            if not any(picks.values()):
                raise UnknownAccount(f"no account matches {', '.join(accounts)}")
            chosen = [t for t in chosen if picks[t]]
    return chosen, settings, picks


def print_digests(
    db: Database,
    console: Console,
    *,
    now: datetime,
    defaults: DigestSettings,
    teams: Sequence[str] = (),
    accounts: Sequence[str] = (),
) -> int:
    """Print every digest this week would post (no Slack needed); returns how many."""
    chosen, settings, picks = _selection(db, teams=teams, accounts=accounts, defaults=defaults)
    shown = 0
    for team in chosen:
        week, digests = team_digests(
            db,
            team_id=team,
            now=now,
            settings=settings[team],
            account_ids=picks[team],
            preview=True,  # the growth the run would find, not stored
        )
        console.print(f"[bold]Team {team}[/bold] · digests of the week of {week:%a %-d %b %Y}")
        for digest in digests:
            rendered = account_digest_blocks(
                digest,
                all_clear=settings[team].all_clear,
                weekly_all_clear=settings[team].weekly_all_clear,
            )
            if rendered is None:
                continue
            where = (
                f"#{digest.account.channel_id}"
                if digest.account.channel_id
                else "no linked channel: not posted"
            )
            print_message(console, f"{digest.account.name} → {where}", rendered[0])
            shown += 1
        if picks[team] is None and digests:
            blocks, _ = portfolio_digest_blocks(
                build_portfolio_digest(digests, today=digests[0].today)
            )
            channel = settings[team].portfolio_channel_id
            where = (  # as the leads get it: the channel's leaves out private channels
                f"#{channel} (no private-channel accounts) and the leads' DMs"
                if channel
                else "the leads' DMs (no portfolio channel set)"
            )
            print_message(console, f"Portfolio → {where}", blocks)
            shown += 1
    return shown


def post_digests(
    db: Database,
    clients: ClientFor,
    *,
    now: datetime,
    defaults: DigestSettings,
    force: bool,
    teams: Sequence[str] = (),
    accounts: Sequence[str] = (),
    directory: Directory | None = None,
    workers: int = WORKERS,
) -> dict[str, DeliveryRun]:
    """Post the chosen teams' digests now; workspaces that uninstalled the bot are left out.
    `directory` reads what Slack said of channels (CHANNEL_FACTS_MAX_AGE's, from the CLI).
    On PostgreSQL a whole week's run (no `--force`, no `--account`) goes through the work queue:
    several of these processes (and the bots' schedulers) share the teams, a team one of them
    holds is left to it (taken over if its claim expires), and a team already finished this
    week is reported from the ledger."""
    chosen, settings, picks = _selection(db, teams=teams, accounts=accounts, defaults=defaults)
    directory = Directory(db) if directory is None else directory
    if db.engine.dialect.name == "postgresql" and not force and not accounts:
        started = time.monotonic()
        queued = work_digests(
            db,
            clients,
            teams={team: settings[team] for team in chosen},
            clock=lambda: now + timedelta(seconds=time.monotonic() - started),
            holder=new_holder(),
            directory=directory,
            workers=workers,
        )
        finished = {
            team: settled_run(db, team_id=team, week=scheduled_day(now, settings[team]))
            for team in sorted(queued.by_others)
        }
        return {
            team: (queued.runs | finished)[team]
            for team in chosen
            if team in queued.runs or team in finished
        }
    clients_of = {team: clients(team) for team in chosen}
    return {
        team: deliver_team_digests(
            db,
            client,
            team_id=team,
            settings=settings[team],
            now=now,
            pacer=Pacer(),
            force=force,
            account_ids=picks[team],
            directory=directory,
        )
        for team, client in clients_of.items()
        if client is not None
    }
