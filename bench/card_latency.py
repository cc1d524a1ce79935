"""End to end: how long `/account <name>` takes over HTTP, against a do-nothing slash command.

python -m bench.card_latency [--accounts 10000] [--small 1000] [--requests 300] [--concurrency 1]
                            [--pool N]

For each scale it generates a portfolio into a fresh temporary SQLite file, builds the real Bolt
app (`bot.app.build_app`) with its Web API client pointed at a fake Slack, serves it with the
production waitress server on 127.0.0.1, and sends signed slash commands as Slack does:

- `/account <name>` for random existing (live) account names, each with its own response URL,
  timed from just before the POST until the fake Slack has received the card on that URL;
- `/noop`, a command registered here on this app instance only, whose listener just acks,
  timed as the HTTP round trip of the ack: the floor that Bolt, waitress and HTTP cost.

It prints percentiles of both, their ratios, SQL statements per card request at each scale, and
whether the target (p95 under 50 ms and at most twice the do-nothing command) was met.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import slack_bolt
import sqlalchemy
from rich.console import Console
from rich.table import Table
from slack_bolt import Ack, App
from sqlalchemy import select

from bench.generate import DEFAULT_ACCOUNTS, DEFAULT_SEED, DEFAULT_TEAM, generate_portfolio
from bench.stats import count_statements, percentiles, timed
from bot.app import build_app
from bot.server import HttpServer, make_web_app
from bot.settings import Settings, load_settings
from store.db import Database
from store.models import Account
from tests.slack_fake import Call, FakeSlack
from tests.slack_sender import SlackSender

SMALL_SCALE = 1_000
REQUESTS = 300
WARMUP = 20
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-0000-bench-token"
NOOP = "/noop"
TIMEOUT = 30.0
TARGET_P95_MS = 50.0
TARGET_RATIO = 2.0
PERCENTILES = (50, 95, 99)
HTTP_THREADS: int = Settings.model_fields["http_threads"].default  # what production runs with


class TokenSlack(FakeSlack):
    """The fake Slack, also noting when each response URL (`/response/<token>`) was called."""

    def __init__(self) -> None:
        self._path = threading.local()
        self.arrivals: dict[str, tuple[float, Call]] = {}  # token -> (perf_counter, call)
        super().__init__()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler_class()
        fake = self

        class Handler(base):  # type: ignore[valid-type,misc]
            def do_POST(self) -> None:
                fake._path.value = urlparse(self.path).path  # one handler thread per request
                super().do_POST()

            do_GET = do_POST

        return Handler

    def _record(self, call: Call) -> None:
        with self._condition:  # an RLock: FakeSlack._record takes it again
            path: str = getattr(self._path, "value", "")
            if call.method == "response_url" and path.startswith("/response/"):
                self.arrivals[path.removeprefix("/response/")] = (time.perf_counter(), call)
            super()._record(call)

    def wait_for_token(self, token: str, *, timeout: float = TIMEOUT) -> tuple[float, Call]:
        """When the response URL with this token was called, and what it received."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while token not in self.arrivals:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no call to response URL {token} within {timeout}s")
                self._condition.wait(left)
            return self.arrivals[token]


@dataclass(frozen=True)
class Figures:
    """What one scale measured, in milliseconds."""

    scale: int
    account: list[float]  # POST until the card reached the response URL
    account_ack: list[float]  # POST until the HTTP ack of /account came back
    noop: list[float]  # HTTP round trip of /noop
    statements: float  # SQL statements per /account request, BEGIN and COMMIT not counted
    transaction_control: float  # BEGIN, SAVEPOINT… per /account request (COMMIT is no statement)
    cards: int  # replies whose header is the account asked for
    seconds: float  # generation


@dataclass(frozen=True)
class Options:
    team: str
    requests: int
    concurrency: int
    warmup: int
    seed: int
    threads: int
    pool: int


def main(argv: Iterable[str] | None = None) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    if args.requests < 1 or args.concurrency < 1:
        raise SystemExit("--requests and --concurrency must be at least 1")
    logging.basicConfig(level=logging.WARNING)
    scales = sorted({min(args.small, args.accounts), args.accounts})
    options = Options(
        team=args.team,
        requests=args.requests,
        concurrency=args.concurrency,
        warmup=args.warmup,
        seed=args.seed,
        threads=args.threads,
        pool=args.pool,
    )
    console = Console(width=None if sys.stdout.isatty() else 120)
    today = datetime.now(UTC).date()
    console.print(
        f"[bold]accountbot card latency[/] {today.isoformat()} · Python "
        f"{platform.python_version()} · slack-bolt {slack_bolt.version.__version__} · "
        f"SQLAlchemy {sqlalchemy.__version__} · SQLite {sqlite3.sqlite_version} · "
        f"{os.cpu_count()} CPUs · scales {', '.join(f'{s:,}' for s in scales)} accounts · "
        f"{args.requests} requests of each kind · concurrency {args.concurrency} · "
        f"{args.threads} server threads · "
        + (f"names drawn from {args.pool} accounts" if args.pool else "names drawn from all")
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="accountbot-card-") as scratch:
        for scale in scales:
            path = Path(scratch) / f"card-{scale}.db"
            results.append(measure_scale(path, scale=scale, today=today, options=options))
            console.print(f"measured {scale:,} accounts")
    console.print(_latency_table(results))
    for line in verdict(results):
        console.print(line)
    return 0


def measure_scale(path: Path, *, scale: int, today: date, options: Options) -> Figures:
    """Generate `scale` accounts into `path`, serve the real app and time both commands."""
    database = Database(f"sqlite:///{path}")
    try:
        database.upgrade()
        with timed() as generation:
            generate_portfolio(
                database.engine,
                team_id=options.team,
                accounts=scale,
                seed=options.seed,
                today=today,
            )
        with database.transaction() as session:
            names = list(
                session.execute(
                    select(Account.name)
                    .where(
                        Account.team_id == options.team,
                        Account.archived.is_(False),  # type: ignore[attr-defined]
                    )
                    .order_by(Account.id)
                ).scalars()
            )
        rng = random.Random(options.seed)
        if options.pool:  # a team's working set: channels already seen, rights remembered
            names = rng.sample(names, min(options.pool, len(names)))
        picks = [rng.choice(names) for _ in range(options.warmup + options.requests)]
        with serving(database, team=options.team, threads=options.threads) as (slack, sender):
            return _measure(
                database,
                slack,
                sender,
                picks=picks,
                scale=scale,
                options=options,
                generation_seconds=generation.seconds,
            )
    finally:
        database.dispose()


@contextmanager
def serving(
    database: Database, *, team: str, threads: int = HTTP_THREADS
) -> Iterator[tuple[TokenSlack, SlackSender]]:
    """The real app with `/noop` added, served over HTTP, its Web API client on a fake Slack
    whose bot token belongs to `team` (requests naming another team are refused)."""
    slack = TokenSlack().start()
    slack.token_teams[BOT_TOKEN] = team
    try:
        settings = load_settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token=None,
            slack_api_url=slack.api_url,
            database_url=database.url,
        )
        app = build_app(settings, database)
        add_noop(app)
        server = HttpServer(
            make_web_app(app, database, signing_secret=SIGNING_SECRET),
            host="127.0.0.1",
            port=0,
            threads=threads,
            asyncore_loop_timeout=0.05,
        )
        thread = threading.Thread(target=server.run, name="bench-http", daemon=True)
        thread.start()
        try:
            base_url = f"http://127.0.0.1:{server.port}"
            yield slack, SlackSender(base_url, SIGNING_SECRET, response_url=slack.response_url())
        finally:
            server.stop()
            thread.join(timeout=5)
    finally:
        slack.stop()


def add_noop(app: App) -> None:
    """A do-nothing slash command on this app instance only: it acks and returns."""

    def noop(ack: Ack) -> None:
        ack()

    app.command(NOOP)(noop)


def _measure(
    database: Database,
    slack: TokenSlack,
    sender: SlackSender,
    *,
    picks: Sequence[str],
    scale: int,
    options: Options,
    generation_seconds: float,
) -> Figures:
    team = options.team

    def account(i: int) -> tuple[float, float, bool]:
        token = f"s{scale}-r{i}"
        body = sender.command_body(
            picks[i], team_id=team, user_id="U0BENCH001", response_url=slack.response_url(token)
        )
        started = time.perf_counter()
        reply = sender.post(body, content_type="application/x-www-form-urlencoded")
        acked = time.perf_counter()
        if reply.status != 200:
            raise RuntimeError(f"/account answered {reply.status}: {reply.body[:200]}")
        arrived, call = slack.wait_for_token(token)
        return (arrived - started) * 1000, (acked - started) * 1000, _is_card(call, picks[i])

    def noop(i: int) -> float:
        body = sender.command_body("", command=NOOP, team_id=team, user_id="U0BENCH001")
        started = time.perf_counter()
        reply = sender.post(body, content_type="application/x-www-form-urlencoded")
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status != 200:
            raise RuntimeError(f"{NOOP} answered {reply.status}: {reply.body[:200]}")
        return elapsed

    warm = range(options.warmup)
    timed_range = range(options.warmup, options.warmup + options.requests)
    _run(noop, warm, options.concurrency)
    _run(account, warm, options.concurrency)
    noop_ms = _run(noop, timed_range, options.concurrency)
    with count_statements(database.engine) as count:
        account_results = _run(account, timed_range, options.concurrency)
    return Figures(
        scale=scale,
        account=[total for total, _ack, _card in account_results],
        account_ack=[ack for _total, ack, _card in account_results],
        noop=noop_ms,
        statements=count.queries / options.requests,
        transaction_control=(count.total - count.queries) / options.requests,
        cards=sum(card for _total, _ack, card in account_results),
        seconds=generation_seconds,
    )


def _run(call: Callable[[int], Any], indices: range, concurrency: int) -> list[Any]:
    if concurrency == 1:
        return [call(i) for i in indices]
    with ThreadPoolExecutor(concurrency, thread_name_prefix="bench-client") as pool:
        return list(pool.map(call, indices))


def _is_card(call: Call, name: str) -> bool:
    """True when the response URL got a card headed with the account's name."""
    blocks = call.json_param("blocks") or []
    header = blocks[0] if blocks else {}
    return header.get("type") == "header" and header.get("text", {}).get("text") == name


def _p(samples: Sequence[float]) -> dict[float, float]:
    return percentiles(samples, PERCENTILES)


def _latency_table(results: Sequence[Figures]) -> Table:
    table = Table(title="Slash commands over HTTP, milliseconds")
    columns = ("command", "scale", "measured until", "n", "p50", "p95", "p99", "max", "SQL/req")
    for column in columns:
        table.add_column(
            column, justify="left" if column in ("command", "measured until") else "right"
        )
    for figures in results:
        rows = (
            ("/account <name>", "card at response URL", figures.account, f"{figures.statements:g}"),
            ("/account <name>", "HTTP ack", figures.account_ack, ""),
            (NOOP, "HTTP ack", figures.noop, "0"),
        )
        for command, until, samples, sql in rows:
            p = _p(samples)
            table.add_row(
                command,
                f"{figures.scale:,}",
                until,
                str(len(samples)),
                f"{p[50]:.2f}",
                f"{p[95]:.2f}",
                f"{p[99]:.2f}",
                f"{max(samples):.2f}",
                sql,
                end_section=command == NOOP,
            )
    return table


def verdict(results: Sequence[Figures]) -> list[str]:
    """Ratios, statement counts per scale, and whether the target was met at the largest scale."""
    lines = []
    for figures in results:
        account, noop = _p(figures.account), _p(figures.noop)
        lines.append(
            f"{figures.scale:,} accounts: p95 /account ÷ p95 {NOOP} = "
            f"{account[95] / noop[95]:.2f}x, p50 ratio {account[50] / noop[50]:.2f}x; "
            f"{figures.cards}/{len(figures.account)} replies were the asked account's card; "
            f"portfolio generated in {figures.seconds:.1f}s"
        )
    per_scale = ", ".join(
        f"{f.scale:,}: {f.statements:g} (+{f.transaction_control:g} BEGIN)" for f in results
    )
    same = len({f.statements for f in results}) == 1
    lines.append(
        f"SQL statements per /account request: {per_scale} - "
        + ("[green]same at every scale[/]" if same else "[red]GROWS with the portfolio[/]")
    )
    largest = results[-1]
    account, noop = _p(largest.account), _p(largest.noop)
    under = account[95] < TARGET_P95_MS
    ratio = account[95] / noop[95]
    within = ratio <= TARGET_RATIO
    met = under and within and same
    lines.append(
        f"Target at {largest.scale:,} accounts (p95 < {TARGET_P95_MS:g} ms, at most "
        f"{TARGET_RATIO:g}x {NOOP}, statements not growing): p95 {account[95]:.1f} ms "
        f"{'under' if under else 'OVER'} {TARGET_P95_MS:g} ms; {ratio:.2f}x {NOOP} "
        f"{'within' if within else 'OVER'} {TARGET_RATIO:g}x; statements "
        f"{'constant' if same else 'GROW'} - "
        + ("[bold green]target met[/]" if met else "[bold red]target NOT met[/]")
    )
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.card_latency",
        description="Time /account <name> end to end over HTTP against a do-nothing command.",
    )
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS, help="large scale")
    parser.add_argument("--small", type=int, default=SMALL_SCALE, help="small scale to compare")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests per kind")
    parser.add_argument("--concurrency", type=int, default=1, help="requests in flight at once")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed requests per kind")
    parser.add_argument(
        "--threads", type=int, default=HTTP_THREADS, help="waitress threads (HTTP_THREADS)"
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="draw names from this many accounts (0: all; every card then a channel not yet "
        "seen, so each pays the Web API calls of the access check)",
    )
    parser.add_argument("--team", default=DEFAULT_TEAM)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser


if __name__ == "__main__":
    sys.exit(main())
