"""The `accountbot` command line (also `python -m bot`)."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from bot.imports import BATCH_SIZE
from bot.logs import configure_logging
from bot.settings import DATABASE, DIGESTS, WEB_API, Needs, Settings, SettingsError, load_settings
from store.db import Database, DatabaseFileMissing, alembic_config, current_revision

if TYPE_CHECKING:
    from slack_bolt import App

    from commands.ui.directory import Directory
    from commands.work import WorkPool
    from digests.deliver import ClientFor

cli = typer.Typer(
    name="accountbot",
    help="A Slack bot that keeps a living account record for B2B account teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database schema commands.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
usage_cli = typer.Typer(help="Usage readings of the accounts.", no_args_is_help=True)
cli.add_typer(usage_cli, name="usage")
events_cli = typer.Typer(help="Business events at the accounts.", no_args_is_help=True)
cli.add_typer(events_cli, name="events")
logger = logging.getLogger("accountbot.db")
startup_logger = logging.getLogger("accountbot.startup")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
REJECTS_SHOWN = 20


def _settings(uses: frozenset[str] | None = None, needs: Needs | None = None) -> Settings:
    """The settings a command `uses` (all by default) and `needs`; every problem with them
    stops it, one line each."""
    try:
        return load_settings(uses=uses, needs=needs)
    except SettingsError as exc:
        for problem in exc.problems:
            typer.echo(f"accountbot: {problem}", err=True)
        raise typer.Exit(2) from None


def _configure_logging(level: str, *, json: bool = False) -> None:
    configure_logging(level, json=json)


def _tokens(why: str) -> Needs:
    """Posting through Slack needs a bot token, or the key that opens the stored ones."""

    def missing(settings: Settings) -> list[str]:
        if not settings.slack_bot_token and not settings.many_workspaces:
            return [
                f"SLACK_BOT_TOKEN is missing: {why} "
                "(or set SLACK_CLIENT_ID and the rest, for workspaces installed by OAuth)"
            ]
        if settings.many_workspaces and not settings.token_encryption_key:
            return ["TOKEN_ENCRYPTION_KEY is missing: it opens the stored tokens"]
        return []

    return missing


def _database(settings: Settings, *, create: bool = False, serving: bool = False) -> Database:
    """DATABASE_URL, migrated to the latest schema; what the migrations report is logged. A
    SQLite file that is not there is created only by the commands documented to create it
    (`create`: `run`, `demo`, `db upgrade`); the others stop rather than work on an empty one.
    Its pool is sized for the process's threads (`serving`: Slack's requests too)."""
    db = _connect(settings, serving=serving)
    try:
        notes = db.upgrade(create=create)
    except DatabaseFileMissing as missing:
        typer.echo(f"accountbot: {missing}", err=True)
        raise typer.Exit(2) from None
    for note in notes:
        logger.warning("%s", note)
    return db


def _connect(settings: Settings, *, serving: bool = False) -> Database:
    connections = settings.database_connections(serving=serving)
    return Database(settings.database_url, connections=connections)


def _team_clients(settings: Settings, db: Database) -> ClientFor:
    from bot.app import make_client
    from bot.workspaces import team_clients

    return team_clients(settings, db, make_client(settings))


@cli.command()
def run(
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="HTTP processes sharing PORT (one core each); Socket Mode runs one.",
        ),
    ] = 1,
) -> None:
    """Serve Slack: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PORT."""
    from bot.server import free_port, listening_sockets

    settings = _settings(needs=Settings.slack_problems)
    _configure_logging(settings.log_level, json=settings.log_format == "json")
    try:
        settings.require_slack()
        if workers > 1 and settings.socket_mode:
            raise SettingsError(
                "--workers is for HTTP mode: in Socket Mode run one process (unset SLACK_APP_TOKEN "
                "to serve HTTP)"
            )
        if not settings.socket_mode and workers == 1:
            free_port(settings.port)  # (several: `listening_sockets` checks it)
        db = _database(settings, create=True, serving=True)
        if workers == 1:
            _serve_one(settings, db)
            return
        db.dispose()  # each worker opens its own connections
        sockets = listening_sockets(settings.port, workers)
    except SettingsError as exc:
        typer.echo(f"accountbot: {exc}", err=True)
        raise typer.Exit(2) from None
    from bot.workers import run_workers

    def serve_one(sock: socket.socket, number: int) -> None:
        _serve_one(settings, _connect(settings, serving=True), sockets=[sock])

    raise typer.Exit(run_workers(sockets, serve_one))


def _serve_one(
    settings: Settings, db: Database, *, sockets: list[socket.socket] | None = None
) -> None:
    """One process serving Slack until stopped (on `sockets` when `run --workers` made them)."""
    from bot.app import work_pool
    from bot.server import serve
    from commands.ui.directory import Directory

    # what Slack said of channels: the app's and the scheduler's
    directory = Directory(db, max_age=settings.channel_facts_max_age)
    work = work_pool(settings)  # drained when the server stops
    app = _checked_app(settings, db, directory, work)
    if app is None:  # stopped while Slack did not answer
        return
    serve(settings, app, db, directory=directory, work=work, sockets=sockets)


def _checked_app(
    settings: Settings, db: Database, directory: Directory, work: WorkPool
) -> App | None:
    """The Bolt app; Bolt checks the bot token with `auth.test` as it starts. A token Slack
    refuses stops the start (one line); Slack down, unreachable or answering badly is tried
    again with a back-off, one line an attempt, until it answers, or SIGTERM / SIGINT (None)."""
    from slack_bolt.error import BoltError

    from bot.app import build_app
    from bot.socket_mode import RETRY_DELAYS
    from commands.ui.slack_failures import Outcome, classify

    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set()) for number in STOP_SIGNALS}
    attempt = 0

    def attempt_build() -> App | None:
        """One start (Bolt's `auth.test`, with the client's own retries), in a daemon thread
        so that a stop signal during it ends the wait at once (None) instead of after it."""
        started: Future[App] = Future()

        def build() -> None:
            try:
                started.set_result(build_app(settings, db, directory=directory, work=work))
            except BaseException as error:  # raised in the waiting thread by result()
                started.set_exception(error)

        threading.Thread(target=build, name="startup-check", daemon=True).start()
        while not stop.is_set():
            try:
                return started.result(timeout=0.05)
            except FutureTimeout:
                continue
        return None

    try:
        while True:
            try:
                app = attempt_build()
                if app is None:
                    startup_logger.warning("stopped before Slack answered")
                return app
            except Exception as error:
                # Bolt wraps only Slack's JSON answers (a BoltError from the SlackApiError)
                answer = error.__context__ if isinstance(error, BoltError) else error
                failure = classify(answer) if answer is not None else None
                if failure is None:
                    raise
                if failure.outcome is Outcome.REFUSED:
                    raise SettingsError(
                        f"SLACK_BOT_TOKEN was refused by Slack ({failure.code}): expected the bot "
                        "token (xoxb-…) of the workspace this app is installed in"
                    ) from None
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                attempt += 1
                startup_logger.warning(
                    "could not check SLACK_BOT_TOKEN with Slack (%s): retrying in %g s",
                    failure.trouble or failure.cause,
                    delay,
                )
                if stop.wait(delay):
                    startup_logger.warning("stopped before Slack answered")
                    return None
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@cli.command()
def demo(
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="Show this account (repeatable).")
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="Pretend today is this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Seed a sample portfolio into the local store and print what Slack would show."""
    from bot.demo import run_demo

    settings = _settings(DATABASE)
    _configure_logging("WARNING")
    try:
        day = date.fromisoformat(today) if today else date.today()  # noqa: DTZ011 (the viewer's own day)
    except ValueError:
        typer.echo(f"accountbot: --today {today!r} is not a date: expected YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    run_demo(Database(settings.database_url), today=day, console=Console(), accounts=account or ())


@cli.command()
def remind(
    now: Annotated[
        str | None, typer.Option(help="Pretend it is this UTC time (ISO 8601), for a dry check.")
    ] = None,
) -> None:
    """Send the due-day reminders owed right now (the scheduler does this every few minutes)."""
    from digests.queue import new_holder
    from digests.reminders import send_due_reminders
    from store.deliveries import INTERRUPTED

    settings = _settings(
        DATABASE | WEB_API | {"log_level"}, needs=_tokens("reminders are sent through Slack")
    )
    _configure_logging(settings.log_level)
    try:
        moment = datetime.fromisoformat(now).astimezone(UTC) if now else datetime.now(UTC)
    except ValueError:
        typer.echo(f"accountbot: --now {now!r} is not a time: expected ISO 8601", err=True)
        raise typer.Exit(2) from None
    db = _database(settings)
    # On PostgreSQL several processes share the teams out through the work queue, as the
    # scheduler's and `digest --now` do; on SQLite one process sends them all.
    holder = new_holder() if db.engine.dialect.name == "postgresql" else None
    run = send_due_reminders(db, _team_clients(settings, db), now=moment, holder=holder)
    typer.echo(
        f"{len(run.sent)} reminder(s) sent, {len(run.failed)} failed, "
        f"{len(run.interrupted)} interrupted"
    )
    for item_id, reason in run.failed.items():
        typer.echo(f"  item {item_id}: {reason}")
    for item_id in run.interrupted:
        typer.echo(f"  item {item_id}: {INTERRUPTED}")


@cli.command()
def digest(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print this week's digests; post nothing.")
    ] = False,
    now: Annotated[
        bool, typer.Option("--now", help="Post this week's digests now (once a week).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --now: post again even if already sent.")
    ] = False,
    account: Annotated[
        list[str] | None, typer.Option("--account", "-a", help="Only this account (repeatable).")
    ] = None,
    team: Annotated[
        list[str] | None, typer.Option("--team", "-t", help="Only this team id (repeatable).")
    ] = None,
    at: Annotated[str | None, typer.Option(help="Pretend it is this time (ISO 8601).")] = None,
) -> None:
    """Print (--dry-run) or post (--now) this week's account-channel and portfolio digests."""
    from commands.ui.delivery import SHARED_OUTSIDE
    from commands.ui.directory import Directory
    from digests.cli import UnknownAccount, post_digests, print_digests

    if dry_run == now:
        typer.echo("accountbot: choose one of --dry-run or --now", err=True)
        raise typer.Exit(2)
    if force and not now:
        typer.echo("accountbot: --force goes with --now", err=True)
        raise typer.Exit(2)
    if dry_run:
        settings = _settings(DATABASE | DIGESTS)
    else:
        posting = DATABASE | DIGESTS | WEB_API | {"log_level"}
        settings = _settings(posting, needs=_tokens("digests are posted through Slack"))
    _configure_logging("WARNING" if dry_run else settings.log_level)
    try:
        moment = datetime.fromisoformat(at).astimezone(UTC) if at else datetime.now(UTC)
    except ValueError:
        typer.echo(f"accountbot: --at {at!r} is not a time: expected ISO 8601", err=True)
        raise typer.Exit(2) from None
    db = _database(settings)
    try:
        if dry_run:
            shown = print_digests(
                db,
                Console(),
                now=moment,
                defaults=settings.digest_defaults(),
                teams=team or (),
                accounts=account or (),
            )
            typer.echo(f"{shown} digest(s) shown; nothing was posted")
            return
        runs = post_digests(
            db,
            _team_clients(settings, db),
            directory=Directory(db, max_age=settings.channel_facts_max_age),
            now=moment,
            defaults=settings.digest_defaults(),
            force=force,
            teams=team or (),
            accounts=account or (),
            workers=settings.digest_workers,
        )
    except UnknownAccount as error:
        typer.echo(f"accountbot: {error}", err=True)
        raise typer.Exit(2) from None
    for team_id, run in runs.items():
        done = f"{len(run.sent)} sent, {len(run.failed)} failed, {len(run.skipped)} already sent"
        typer.echo(f"{team_id} week of {run.week}: {done}")
        for target, reason in run.failed.items():
            typer.echo(f"  {target}: {reason}")
        for target, owner in run.to_owner.items():
            typer.echo(f"  {target}: sent to {owner} by DM instead: {SHARED_OUTSIDE}")


TeamOption = Annotated[
    str | None,
    typer.Option("--team", "-t", help="The team id (needed when the store has several)."),
]
RejectsOption = Annotated[
    Path | None,
    typer.Option(help="Where to write the rejected rows (default: FILE.rejects.csv)."),
]
BatchSizeOption = Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")]
"""The options every file import shares (`usage import`, `events import`)."""


@usage_cli.command("import")
def usage_import(
    file: Annotated[Path, typer.Argument(help="A CSV file: account, date, seats active, …")],
    team: TeamOption = None,
    rejects: RejectsOption = None,
    batch_size: BatchSizeOption = BATCH_SIZE,
) -> None:
    """Import usage readings: a row per account and day (account name or external id, date,
    seats active; optionally monthly active users, adoption %, satisfaction of 5, escalations).
    A day already recorded is replaced and said so; bad rows go to a rejects file with their
    line, the good ones go in. Safe to run again."""
    from bot.usage_import import UsageImport

    _import_file(file, UsageImport, team=team, rejects=rejects, batch_size=batch_size)


@events_cli.command("import")
def events_import(
    file: Annotated[Path, typer.Argument(help="A CSV file: account, kind, date, note, link")],
    team: TeamOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count every row; write nothing.")
    ] = False,
    rejects: RejectsOption = None,
    batch_size: BatchSizeOption = BATCH_SIZE,
) -> None:
    """Import business events: a row per event (account name or external id, kind, date;
    optionally a note and a link). Kinds: funding, acquisition, new_office, headcount_growth,
    new_leader, regulatory, reorganisation. The same account, kind and day again is left alone
    or its note replaced, and said so; bad rows (an unknown account or another team's, a day in
    the future, an unknown kind, a bad link) go to a rejects file with their line. Safe to run
    again."""
    from bot.events_import import EventsImport

    _import_file(
        file, EventsImport, team=team, rejects=rejects, batch_size=batch_size, dry_run=dry_run
    )


def _import_file(
    file: Path,
    kind: Any,
    *,
    team: str | None,
    rejects: Path | None,
    batch_size: int,
    dry_run: bool = False,
) -> None:
    """Run an import of `kind` (built with the team) for the one team named or in the store,
    print its summary; exit 1 when rows were rejected, 2 when the file or team is wrong."""
    from bot.imports import ImportFileError, run_import
    from store.settings import teams_with_accounts
    from store.types import utcnow

    settings = _settings(DATABASE)
    _configure_logging("WARNING")
    db = _database(settings)
    with db.reading() as session:
        teams = teams_with_accounts(session)
    if team is None:
        if len(teams) != 1:
            known = ", ".join(teams) or "none"
            typer.echo(
                f"accountbot: say which team with --team (teams with accounts: {known})", err=True
            )
            raise typer.Exit(2)
        team = teams[0]
    elif team not in teams:
        typer.echo(f"accountbot: team {team} has no accounts in this store", err=True)
        raise typer.Exit(2)
    console = Console()
    try:
        summary = run_import(
            db,
            file,
            kind(team_id=team),
            context={"today": utcnow().date()},
            rejects=rejects,
            batch_size=batch_size,
            console=console,
            dry_run=dry_run,
        )
    except ImportFileError as error:
        typer.echo(f"accountbot: {error}", err=True)
        raise typer.Exit(2) from None
    counts = summary.counts
    would = "dry run, nothing written: " if dry_run else ""
    typer.echo(
        f"{file.name} ({summary.encoding}, separated by {summary.delimiter!r}): {would}"
        f"{summary.rows} row(s): {counts['created']} created, {counts['replaced']} replaced, "
        f"{counts['unchanged']} unchanged, {summary.rejected_count} rejected"
    )
    for line, note in summary.replaced:
        typer.echo(f"  line {line}: {note}")
    if summary.rejects_file is not None:
        typer.echo(f"rejected rows, with their line and reasons: {summary.rejects_file}")
        for rejected in summary.rejected[:REJECTS_SHOWN]:
            typer.echo(f"  line {rejected.line}: {'; '.join(rejected.reasons)}")
        if summary.rejected_count > REJECTS_SHOWN:
            typer.echo(f"  … and {summary.rejected_count - REJECTS_SHOWN} more in the file")
        raise typer.Exit(1)


@cli.command("token-key")
def token_key() -> None:
    """Print a new key for TOKEN_ENCRYPTION_KEY (Fernet: 32 random bytes, url-safe base64)."""
    from store.installations import TokenCipher

    typer.echo(TokenCipher.new_key())


@cli.command("reseal-tokens")
def reseal_tokens() -> None:
    """Re-encrypt every stored token with the first TOKEN_ENCRYPTION_KEY (to retire old keys)."""
    from bot.workspaces import installation_store

    settings = _settings(DATABASE | WEB_API, needs=_keys)
    db = _database(settings)
    changed = installation_store(settings, db).reseal_all()
    typer.echo(f"{changed} stored installation(s) re-encrypted with the first key")


def _keys(settings: Settings) -> list[str]:
    if settings.many_workspaces and settings.token_encryption_key:
        return []
    return ["needs SLACK_CLIENT_ID and TOKEN_ENCRYPTION_KEY (new key first, then the old ones)"]


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to DATABASE_URL (a SQLite file is created if there is none),
    printing each duplicate name a migration resolved."""
    settings = _settings(DATABASE)
    db = Database(settings.database_url)
    try:
        notes = db.upgrade(create=True)
    except Exception as error:  # one transaction: reported, and nothing was applied
        typer.echo(f"accountbot: the upgrade failed, so nothing was changed: {error}", err=True)
        raise typer.Exit(1) from None
    for note in notes:
        typer.echo(note)
    typer.echo(f"database at revision {current_revision(db.engine)}")


@db_cli.command("current")
def db_current() -> None:
    """Print the migration revision DATABASE_URL is at."""
    settings = _settings(DATABASE)
    try:
        revision = current_revision(Database(settings.database_url).engine)
    except DatabaseFileMissing as missing:
        typer.echo(f"accountbot: {missing}", err=True)
        raise typer.Exit(2) from None
    typer.echo(revision or "empty (no migrations)")


@db_cli.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the migration does.")],
) -> None:
    """Write a new migration from the difference between the models and DATABASE_URL (upgraded)."""
    from alembic import command

    settings = _settings(DATABASE)
    db = _database(settings, create=True)
    command.revision(alembic_config(db.engine), message=message, autogenerate=True)


def main() -> None:
    cli()
