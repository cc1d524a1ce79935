"""Load: many signed `/account <name>` requests in flight at once against one real bot process.

python -m bench.load [--accounts 10000] [--concurrency 50] [--duration 60] [--warmup 5]
                     [--http-threads N] [--database-url URL] [--team T0BENCH] [--seed 7]

It fills a database with a synthetic portfolio (a temporary SQLite file, or `--database-url`,
which must be an empty, throwaway database), starts `python -m bot run` as a subprocess in HTTP
mode with its Web API pointed at a fake Slack served by this process, waits for `GET /healthz`,
then runs `--concurrency` clients that each send signed slash commands back to back, exactly as
Slack form-encodes them, for random live account names, each with its own response URL on the
fake Slack. Every request is timed twice: until the HTTP ack came back (what Slack's 3-second
limit applies to) and until the card reached its response URL (end to end). The first
`--warmup` seconds are not counted. At the end the bot is stopped with SIGTERM.

Target: no errors and p99 under 1 s (end to end). The exit status is 1 (`BROKEN`) on any error
or an unclean stop, 3 (`TARGET_MISSED`) when only the p99 was over.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPException
from pathlib import Path
from typing import IO

import slack_bolt
import sqlalchemy
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.generate import (
    DEFAULT_ACCOUNTS,
    DEFAULT_SEED,
    DEFAULT_TEAM,
    OWNERS,
    PortfolioExists,
    generate_portfolio,
)
from bench.stats import BROKEN, TARGET_MISSED, percentiles, timed
from bot.settings import Settings
from store.db import Database
from store.models import Account
from tests.slack_fake import Call, FakeSlack
from tests.slack_sender import FORM, SlackSender

CONCURRENCY = 50
DURATION = 60.0
WARMUP = 5.0
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-0000-bench-token"
ACK_TIMEOUT = 3.0
"""Slack gives up on an ack after 3 seconds and shows the user an error."""
CARD_TIMEOUT = 10.0
"""A card that has not reached its response URL this long after the request never arrived."""
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
TARGET_P99_MS = 1000.0
PERCENTILES = (50, 95, 99)
FAKE_SLACK_BACKLOG = 256
SETTINGS_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})
KEPT_ERROR_LINES = 5
JOB_ADDED = 'Added job "'
SERVING = "serving HTTP on port"
JOB_DONE = ("executed successfully", "raised an exception")


# -- the fake Slack ----------------------------------------------------------------------------
@dataclass
class Expected:
    """A response URL a request is waiting on, and what reached it."""

    name: str
    arrived: threading.Event = field(default_factory=threading.Event)
    at: float = 0.0  # perf_counter when the fake Slack received the reply
    answer: str = ""  # "card", "warning" or "other"


class LoadSlack(FakeSlack):
    """The fake Slack, waking each waiting request when its own response URL is called.

    Nothing is kept per call, only counts per method: a minute of load is tens of thousands of
    calls, and a card is kilobytes of blocks.
    """

    def __init__(self) -> None:
        super().__init__()
        self._expected: dict[str, Expected] = {}
        self._lock = threading.Lock()
        self.methods: Counter[str] = Counter()
        self.late = 0  # replies to response URLs nobody waited on any more
        # The standard library listens with a backlog of 5; under load the bot opens many
        # connections at once, and a dropped SYN would add a one-second retransmit to a card.
        self._server.socket.listen(FAKE_SLACK_BACKLOG)

    def expect(self, token: str, name: str) -> Expected:
        """Wait on `response_url(token)`, for the card of account `name`."""
        expected = Expected(name)
        with self._lock:
            self._expected[token] = expected
        return expected

    def forget(self, token: str) -> None:
        with self._lock:
            self._expected.pop(token, None)

    def _record(self, call: Call) -> None:
        at = time.perf_counter()
        with self._lock:
            self.methods[call.method] += 1
            expected = (
                self._expected.get(call.path.removeprefix("/response/"))
                if call.method == "response_url"
                else None
            )
            if call.method == "response_url" and expected is None:
                self.late += 1
        if expected is not None and not expected.arrived.is_set():
            expected.at, expected.answer = at, _answer_kind(call, expected.name)
            expected.arrived.set()


def _answer_kind(call: Call, name: str) -> str:
    """ "card" when the reply is the card of account `name`; "warning" for the bot's error
    answer (`:warning: …`); "other" for anything else (a choice of names, a refusal)."""
    if str(call.params.get("text", "")).startswith(":warning:"):
        return "warning"
    blocks = call.json_param("blocks") or []
    header = blocks[0] if blocks else {}
    if header.get("type") == "header" and header.get("text", {}).get("text") == name:
        return "card"
    return "other"


# -- the bot process ---------------------------------------------------------------------------
@dataclass
class BotLog:
    """What the bot wrote (one JSON record a line), counted by level as it is read."""

    levels: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # the first few ERROR records, shortened
    tail: list[str] = field(default_factory=list)  # the last lines, to explain a failed start
    jobs_added: int = 0  # scheduled jobs; each runs once as the bot starts
    queue_lines: int = 0  # waitress.queue lines: a summary at most every 10 s (bot/server.py)
    queued: int = 0  # requests that waited for a free HTTP thread, as those lines count them
    deepest: int = 0  # the deepest the queue got
    jobs_run: int = 0
    serving: int = 0  # processes that said they serve HTTP (one, or each of --workers)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def read(self, stream: IO[str]) -> None:
        for line in stream:
            line = line.rstrip("\n")
            self.tail = [*self.tail[-19:], line]
            try:
                record = json.loads(line)
                level = str(record.get("level", "?")) if isinstance(record, dict) else "?"
            except ValueError:
                # Not the bot's logging: an uncaught exception in a thread, a warning printed
                # by Python. A traceback there is an error; other lines are only counted.
                level = "ERROR" if line.startswith("Traceback") else "unstructured"
                record = {"message": line}
            self.levels[level] += 1
            self._note_job(record)
            self._note_queue(record)
            if str(record.get("message", "")).startswith(SERVING):
                with self.changed:
                    self.serving += 1
                    self.changed.notify_all()
            if level in ERROR_LEVELS and len(self.errors) < KEPT_ERROR_LINES:
                shown = f"{record.get('logger', '')} {record.get('message', '')}".strip()
                if record.get("exc_info"):
                    shown += " | " + str(record["exc_info"]).strip().splitlines()[-1]
                self.errors.append(shown[:300])

    @property
    def error_records(self) -> int:
        return sum(self.levels[level] for level in ERROR_LEVELS)

    def _note_job(self, record: dict[str, object]) -> None:
        """APScheduler says when it adds a job and when a run of one is over."""
        if not str(record.get("logger", "")).startswith("apscheduler"):
            return
        message = str(record.get("message", ""))
        with self.changed:
            self.jobs_added += message.startswith(JOB_ADDED)
            self.jobs_run += message.startswith('Job "') and message.endswith(JOB_DONE)
            self.changed.notify_all()

    def _note_queue(self, record: dict[str, object]) -> None:
        """The HTTP server's summary of requests that waited for a thread (or, from a bot
        without the summary, waitress's own line per queued request)."""
        if record.get("logger") != "waitress.queue":
            return
        self.queue_lines += 1
        queued, deepest = record.get("queued"), record.get("deepest")
        self.queued += queued if isinstance(queued, int) else 1
        if isinstance(deepest, int):
            self.deepest = max(self.deepest, deepest)

    def wait_for_serving(self, processes: int, timeout: float) -> bool:
        """Until `processes` processes have said they serve HTTP (true), or `timeout` passed."""
        with self.changed:
            return self.changed.wait_for(lambda: self.serving >= processes, timeout=timeout)

    def wait_for_jobs(self, timeout: float) -> bool:
        """Until every scheduled job has had its first run (true), or `timeout` passed."""
        with self.changed:
            return self.changed.wait_for(
                lambda: 0 < self.jobs_added <= self.jobs_run, timeout=timeout
            )


@dataclass
class BotProcess:
    """`python -m bot run` serving HTTP on `port`."""

    process: subprocess.Popen[str]
    port: int
    log: BotLog
    reader: threading.Thread

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float | None:
        """User and system CPU time the bot has used so far, its worker processes' included
        (`run --workers`; Linux only)."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        total = 0.0
        for one in [pid, *map(int, children)]:
            try:
                fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self.reader.join(timeout=5)
                raise RuntimeError(
                    f"the bot exited with status {self.process.returncode} before serving:\n"
                    + "\n".join(self.log.tail)
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (OSError, HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not answer GET /healthz within {timeout:g}s")
            time.sleep(0.1)

    def stop(self) -> str | None:
        """SIGTERM, then wait; None when it stopped cleanly, else what went wrong."""
        if self.process.poll() is not None:
            return f"it had already exited with status {self.process.returncode}"
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return f"it did not stop within {STOP_TIMEOUT:g}s of SIGTERM and was killed"
        finally:
            self.reader.join(timeout=5)
        return None if status == 0 else f"it exited with status {status} after SIGTERM"


@contextmanager
def bot_process(
    *,
    database_url: str,
    slack_api_url: str,
    workdir: Path,
    threads: int | None,
    digest_day: str,
    workers: int = 1,
) -> Iterator[BotProcess]:
    """The bot as its own process; killed if the block fails before `stop()` was called."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES}
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "LOG_FORMAT": "json",  # one line per record, tracebacks included: cheap to count
        "LOG_LEVEL": "INFO",  # the scheduler's job runs are seen at INFO
        "DIGEST_DAY": digest_day,
    }
    if threads is not None:
        env["HTTP_THREADS"] = str(threads)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", *(["--workers", str(workers)] if workers > 1 else [])],
        cwd=workdir,  # no stray .env of the developer's
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = BotLog()
    assert process.stdout is not None
    reader = threading.Thread(target=log.read, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        yield BotProcess(process, port, log, reader)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the load ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    accounts: int = DEFAULT_ACCOUNTS
    concurrency: int = CONCURRENCY
    duration: float = DURATION
    warmup: float = WARMUP
    database_url: str | None = None
    http_threads: int | None = None  # None: the bot's own default (HTTP_THREADS)
    team: str = DEFAULT_TEAM
    seed: int = DEFAULT_SEED
    digest_day: str | None = None  # None: tomorrow, so the weekly digests do not run meanwhile
    workers: tuple[int, ...] = (1,)  # one run per value: `accountbot run --workers N`


@dataclass(frozen=True)
class Outcome:
    """One request: when it started, its two latencies (ms; None if unknown) and any error."""

    started: float
    ack_ms: float | None
    card_ms: float | None
    error: str | None


@dataclass
class Result:
    """What one load run measured."""

    options: Options
    database: str
    live_accounts: int
    generation_seconds: float
    digest_day: str
    workers: int = 1
    startup_seconds: float = 0.0  # from healthy until the scheduler's first runs were over
    startup_jobs_done: bool = False
    before_load: Counter[str] = field(default_factory=Counter)  # fake Slack calls by then
    window_seconds: float = 0.0  # from the end of the warm-up until the last counted reply
    acks: list[float] = field(default_factory=list)  # ms
    cards: list[float] = field(default_factory=list)  # ms, end to end
    requests: int = 0  # counted requests (started after the warm-up), whatever their outcome
    errors: Counter[str] = field(default_factory=Counter)
    warmup_requests: int = 0
    warmup_errors: Counter[str] = field(default_factory=Counter)
    bot_levels: Counter[str] = field(default_factory=Counter)
    bot_queue: tuple[int, int, int] = (0, 0, 0)  # waitress.queue lines, requests queued, deepest
    bot_errors: list[str] = field(default_factory=list)
    web_api: Counter[str] = field(default_factory=Counter)
    late_cards: int = 0
    bot_cpu_seconds: float | None = None  # during the counted window
    bench_cpu_seconds: float = 0.0  # this process (clients and fake Slack), same window
    stop_problem: str | None = None

    @property
    def throughput(self) -> float:
        return self.requests / self.window_seconds if self.window_seconds else 0.0

    @property
    def bot_error_records(self) -> int:
        return sum(self.bot_levels[level] for level in ERROR_LEVELS)

    @property
    def error_count(self) -> int:
        requests = sum(self.errors.values()) + sum(self.warmup_errors.values())
        return requests + self.bot_error_records

    @property
    def broken(self) -> bool:
        """No card at all, an error of any kind, or the bot did not stop cleanly."""
        return not self.cards or self.error_count > 0 or self.stop_problem is not None

    @property
    def met(self) -> bool:
        """No error of any kind, the bot stopped cleanly, and end-to-end p99 under 1 s."""
        return (
            bool(self.cards)
            and self.error_count == 0
            and self.stop_problem is None
            and percentiles(self.cards, PERCENTILES)[99] < TARGET_P99_MS
        )


def run_load(options: Options, *, console: Console | None = None) -> list[Result]:
    """Fill the database, then for each of `options.workers` start the bot with that many
    worker processes (each run on its own copy of the filled SQLite file, so no run inherits
    what an earlier one cached), load it, stop it; every figure comes back in a `Result`."""
    say = console.print if console else (lambda *_: None)
    digest_day = options.digest_day or WEEKDAYS[(datetime.now(UTC) + timedelta(days=1)).weekday()]
    if options.database_url and len(options.workers) > 1:
        raise ValueError("--database-url takes one --workers value (the runs would share it)")
    with tempfile.TemporaryDirectory(prefix="accountbot-load-") as scratch:
        filled = Path(scratch) / "filled.db"
        url = options.database_url or f"sqlite:///{filled}"
        say(f"generating {options.accounts:,} accounts into {_shown(url)}…")
        names, seconds = fill_database(url, options)
        results = []
        for number, workers in enumerate(options.workers):
            if not options.database_url:  # a fresh copy per run
                run_file = Path(scratch) / f"load-{number}.db"
                shutil.copyfile(filled, run_file)
                url = f"sqlite:///{run_file}"
            result = Result(
                options=options,
                database=_shown(url),
                live_accounts=len(names),
                generation_seconds=seconds,
                digest_day=digest_day,
                workers=workers,
            )
            _run_bot(result, url, Path(scratch), names, say)
            results.append(result)
    return results


def _run_bot(
    result: Result, url: str, scratch: Path, names: Sequence[str], say: Callable[..., None]
) -> None:
    """One bot (with `result.workers` worker processes) on `url`, loaded, stopped."""
    options = result.options
    slack = LoadSlack().start()
    slack.token_teams[BOT_TOKEN] = options.team  # the bot token's workspace (auth.test)
    try:
        with bot_process(
            database_url=url,
            slack_api_url=slack.api_url,
            workdir=scratch,
            threads=options.http_threads,
            digest_day=result.digest_day,
            workers=result.workers,
        ) as bot:
            bot.wait_until_healthy()
            bot.log.wait_for_serving(result.workers, START_TIMEOUT)  # every worker
            # Each scheduled job runs once as the bot starts (today's due-day reminders
            # caught up, say): measure /account after that, not beside a one-off burst.
            with timed() as startup:
                result.startup_jobs_done = bot.log.wait_for_jobs(START_TIMEOUT)
            result.startup_seconds = startup.seconds
            result.before_load = Counter(slack.methods)
            say(
                f"bot serving on port {bot.port} (pid {bot.process.pid}, "
                f"{result.workers} worker process(es)); {options.concurrency} clients for "
                f"{options.warmup:g}s warm-up + {options.duration:g}s…"
            )
            _load(bot, slack, names, options, result)
            result.stop_problem = bot.stop()
            result.bot_levels = bot.log.levels
            result.bot_queue = bot.log.queue_lines, bot.log.queued, bot.log.deepest
            result.bot_errors = bot.log.errors
    finally:
        slack.stop()
    result.web_api = slack.methods
    result.late_cards = slack.late


def fill_database(url: str, options: Options) -> tuple[list[str], float]:
    """Migrate with the app's own `Database(url).upgrade()`, generate the portfolio, and return
    the live accounts' names (what users look up) and the seconds generation took."""
    database = Database(url)
    try:
        database.upgrade()
        with timed() as generation:
            generate_portfolio(
                database.engine,
                team_id=options.team,
                accounts=options.accounts,
                seed=options.seed,
                today=datetime.now(UTC).date(),
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
    except PortfolioExists:
        raise SystemExit(
            f"team {options.team} already has accounts there: --database-url must be an empty, "
            "throwaway database (the bench fills it and leaves the rows in it)"
        ) from None
    finally:
        database.dispose()
    return names, generation.seconds


def _load(
    bot: BotProcess, slack: LoadSlack, names: Sequence[str], options: Options, result: Result
) -> None:
    sender = SlackSender(bot.base_url, SIGNING_SECRET, response_url=slack.response_url())
    numbers = itertools.count()
    outcomes: list[Outcome] = []  # list.append is atomic: the clients share it
    began = time.perf_counter()
    counted_from = began + options.warmup
    until = counted_from + options.duration
    cpu: list[tuple[float | None, float]] = []  # (bot, this process) CPU seconds at the start
    marker = threading.Timer(
        options.warmup, lambda: cpu.append((bot.cpu_seconds(), time.process_time()))
    )

    def client(index: int) -> None:
        rng = random.Random(options.seed * 1_000 + index)
        while time.perf_counter() < until:
            outcomes.append(
                one_request(
                    sender,
                    slack,
                    token=f"q{next(numbers)}",
                    name=rng.choice(names),
                    user_id=rng.choice(OWNERS),
                    team_id=options.team,
                )
            )

    clients = [
        threading.Thread(target=client, args=(i,), name=f"load-client-{i}", daemon=True)
        for i in range(options.concurrency)
    ]
    marker.start()
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    marker.join()
    finished = time.perf_counter()
    cpu_after = bot.cpu_seconds(), time.process_time()
    counted = [o for o in outcomes if o.started >= counted_from]
    for outcome in outcomes:
        if outcome.started >= counted_from:
            result.requests += 1
            if outcome.error:
                result.errors[outcome.error] += 1
            if outcome.ack_ms is not None:
                result.acks.append(outcome.ack_ms)
            if outcome.card_ms is not None:
                result.cards.append(outcome.card_ms)
        else:
            result.warmup_requests += 1
            if outcome.error:
                result.warmup_errors[outcome.error] += 1
    last = max((o.started + (o.card_ms or o.ack_ms or 0) / 1000 for o in counted), default=0.0)
    result.window_seconds = max(last, min(finished, until)) - counted_from
    if cpu:
        (bot_before, bench_before), (bot_after, bench_after) = cpu[0], cpu_after
        if bot_before is not None and bot_after is not None:
            result.bot_cpu_seconds = bot_after - bot_before
        result.bench_cpu_seconds = bench_after - bench_before


def one_request(
    sender: SlackSender, slack: LoadSlack, *, token: str, name: str, user_id: str, team_id: str
) -> Outcome:
    """Send `/account <name>` signed, as Slack does, and wait for the card on its response URL."""
    expected = slack.expect(token, name)
    body = sender.command_body(
        name, team_id=team_id, user_id=user_id, response_url=slack.response_url(token)
    )
    request = urllib.request.Request(
        sender.events_url,
        data=body.encode(),
        headers={"Content-Type": FORM, **sender.sign(body)},
        method="POST",
    )
    started = time.perf_counter()
    error: str | None = None
    ack_ms: float | None = None
    try:
        with urllib.request.urlopen(request, timeout=ACK_TIMEOUT) as reply:
            reply.read()
            status = reply.status
        ack_ms = (time.perf_counter() - started) * 1000
    except urllib.error.HTTPError as refused:
        refused.read()
        ack_ms, status = (time.perf_counter() - started) * 1000, refused.code
    except (TimeoutError, urllib.error.URLError, OSError, HTTPException) as failure:
        reason = failure.reason if isinstance(failure, urllib.error.URLError) else failure
        status = 0
        error = (
            f"no ack within {ACK_TIMEOUT:g}s"
            if isinstance(reason, TimeoutError)
            else f"connection error ({type(reason).__name__})"
        )
    if status not in (0, 200):
        error = f"HTTP {status}"
    card_ms: float | None = None
    # After a timeout the bot may still be working on it: wait, so no more than one request
    # per client is ever in flight.
    if status == 200 or error == f"no ack within {ACK_TIMEOUT:g}s":
        if expected.arrived.wait(CARD_TIMEOUT):
            card_ms = (expected.at - started) * 1000
            if expected.answer == "warning":
                error = error or "answered :warning: (an error)"
            elif expected.answer != "card":
                error = error or "answered, but not with the card asked for"
        else:
            error = error or f"no card within {CARD_TIMEOUT:g}s"
    slack.forget(token)
    return Outcome(started, ack_ms, card_ms, error)


# -- printing ----------------------------------------------------------------------------------
def _shown(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {sqlite3.sqlite_version} (temporary file)"
    return f"PostgreSQL ({parsed.render_as_string(hide_password=True)})"


def _row(label: str, samples: Sequence[float]) -> tuple[str, ...]:
    if not samples:
        return (label, "0", "-", "-", "-", "-")
    p = percentiles(samples, PERCENTILES)
    return (
        label,
        f"{len(samples):,}",
        *(f"{p[q]:.1f}" for q in PERCENTILES),
        f"{max(samples):.1f}",
    )


def report(result: Result, console: Console) -> None:
    options = result.options
    processes = "one bot process" if result.workers == 1 else f"{result.workers} bot processes"
    table = Table(title=f"Signed /account <name> over HTTP, {processes}, milliseconds")
    for column in ("measured until", "n", "p50", "p95", "p99", "max"):
        table.add_column(column, justify="left" if column == "measured until" else "right")
    table.add_row(*_row("HTTP ack (Slack's 3 s limit)", result.acks))
    table.add_row(*_row("card at response URL (end to end)", result.cards))
    console.print(table)
    console.print(
        f"requests completed: {result.requests:,} in {result.window_seconds:.1f}s after "
        f"{result.warmup_requests:,} warm-up ones; "
        f"throughput [bold]{result.throughput:.1f} req/s[/]"
    )
    if result.window_seconds:
        window = result.window_seconds
        bot_cpu = result.bot_cpu_seconds
        console.print(
            "CPU in the window: "
            + (
                f"bot process(es) {bot_cpu:.1f}s ({bot_cpu / window:.0%} of one core, "
                f"{bot_cpu / max(result.requests, 1) * 1000:.1f} ms a request); "
                if bot_cpu is not None
                else ""
            )
            + f"this process (clients and fake Slack) {result.bench_cpu_seconds:.1f}s "
            f"({result.bench_cpu_seconds / window:.0%} of one core)"
        )
    kinds = [(f"{kind}", n) for kind, n in result.errors.most_common()]
    kinds += [(f"{kind} (warm-up)", n) for kind, n in result.warmup_errors.most_common()]
    if result.bot_error_records:
        kinds.append(("bot log records at ERROR (whole run)", result.bot_error_records))
    errors = Table(title="Errors by kind")
    errors.add_column("kind")
    errors.add_column("count", justify="right")
    for kind, n in kinds or [("none", 0)]:
        errors.add_row(escape(kind), f"{n:,}")
    console.print(errors)
    for line in result.bot_errors:
        console.print(f"  bot: {escape(line)}")
    levels = ", ".join(f"{level} {n:,}" for level, n in sorted(result.bot_levels.items()))
    console.print(f"bot log lines by level (whole run): {levels or 'none'}")
    lines, queued, deepest = result.bot_queue
    console.print(
        f"requests that waited for a free HTTP thread (whole run): {queued:,}, told in "
        f"{lines:,} waitress.queue line(s); deepest queue {deepest:,}"
    )
    calls = ", ".join(f"{method} {n:,}" for method, n in sorted(result.web_api.items()))
    console.print(
        f"fake Slack received (whole run): {calls or 'nothing'}"
        + (
            f"; {result.late_cards:,} replies after their request gave up"
            if result.late_cards
            else ""
        )
    )
    console.print(
        "bot stopped cleanly on SIGTERM"
        if result.stop_problem is None
        else f"[bold red]bot did NOT stop cleanly:[/] {escape(result.stop_problem)}"
    )
    if not result.cards:
        console.print("[bold red]target NOT met[/]: no card arrived")
        return
    card, ack = percentiles(result.cards, PERCENTILES), percentiles(result.acks or [0.0])
    console.print(
        f"Target (no errors, p99 < {TARGET_P99_MS / 1000:g} s, judged on the end-to-end p99; "
        f"{options.concurrency} in flight): {result.error_count:,} errors; end-to-end p99 "
        f"{card[99]:.0f} ms {'under' if card[99] < TARGET_P99_MS else 'OVER'} "
        f"{TARGET_P99_MS:g} ms (ack p99 {ack[99]:.0f} ms) - "
        + ("[bold green]target met[/]" if result.met else "[bold red]target NOT met[/]")
    )


def main(argv: Iterable[str] | None = None) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    if args.concurrency < 1 or args.duration <= 0 or args.warmup < 0 or args.accounts < 1:
        raise SystemExit("--concurrency, --duration and --accounts must be positive")
    options = Options(
        accounts=args.accounts,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        database_url=args.database_url,
        http_threads=args.http_threads,
        team=args.team,
        seed=args.seed,
        digest_day=args.digest_day,
        workers=args.workers,
    )
    if args.database_url and len(args.workers) > 1:
        raise SystemExit("--database-url takes one --workers value (the runs would share it)")
    console = Console(width=None if sys.stdout.isatty() else 120)
    threads = args.http_threads or Settings.model_fields["http_threads"].default
    console.print(
        f"[bold]accountbot load[/] {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · "
        f"{platform.machine()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
        f"slack-bolt {slack_bolt.version.__version__} · SQLAlchemy {sqlalchemy.__version__} · "
        f"{args.accounts:,} accounts · {args.concurrency} clients · {args.duration:g}s "
        f"(+{args.warmup:g}s warm-up) · {threads} HTTP threads"
        + ("" if args.http_threads else " (the bot's default)")
    )
    results = run_load(options, console=console)
    for result in results:
        _report_run(result, console)
    if len(results) > 1:
        console.print(curve(results))
    if all(result.met for result in results):
        return 0
    return BROKEN if any(result.broken for result in results) else TARGET_MISSED


def _report_run(result: Result, console: Console) -> None:
    console.rule(f"--workers {result.workers}")
    console.print(
        f"database: {result.database}; {result.live_accounts:,} live accounts to ask for; "
        f"generated in {result.generation_seconds:.1f}s; DIGEST_DAY={result.digest_day} "
        "(so the weekly digests are not due during the run)"
    )
    before = ", ".join(f"{m} {n:,}" for m, n in sorted(result.before_load.items()))
    console.print(
        (
            f"the scheduler's start-up runs were over {result.startup_seconds:.1f}s after the "
            "bot answered /healthz, before the load began"
            if result.startup_jobs_done
            else "[bold red]the scheduler's start-up runs were NOT over[/] when the load began"
        )
        + f"; fake Slack calls by then: {before or 'none'}"
    )
    report(result, console)


def curve(results: Sequence[Result]) -> Table:
    """Throughput and latency by the number of worker processes, side by side."""
    table = Table(title="By worker processes (`accountbot run --workers N`), milliseconds")
    for column in (
        "workers",
        "req/s",
        "x of 1",
        "ack p99",
        "end to end p50",
        "p99",
        "bot CPU a request",
        "errors",
    ):
        table.add_column(column, justify="right")
    base = results[0].throughput or 1.0
    for result in results:
        card = percentiles(result.cards or [0.0], PERCENTILES)
        ack = percentiles(result.acks or [0.0], PERCENTILES)
        cpu = result.bot_cpu_seconds
        table.add_row(
            str(result.workers),
            f"{result.throughput:.1f}",
            f"{result.throughput / base:.2f}",
            f"{ack[99]:.0f}",
            f"{card[50]:.0f}",
            f"{card[99]:.0f}",
            f"{cpu / max(result.requests, 1) * 1000:.1f} ms" if cpu is not None else "?",
            f"{result.error_count:,}",
        )
    return table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Many signed /account requests in flight against one `accountbot run`.",
    )
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument(
        "--concurrency", type=int, default=CONCURRENCY, help="clients, each one request in flight"
    )
    parser.add_argument("--duration", type=float, default=DURATION, help="counted seconds")
    parser.add_argument("--warmup", type=float, default=WARMUP, help="uncounted seconds first")
    parser.add_argument(
        "--http-threads", type=int, help="HTTP_THREADS of the bot (default: the bot's default)"
    )
    parser.add_argument(
        "--database-url",
        help="fill and use this database instead of a temporary SQLite file; it must be an "
        "empty, throwaway database (the portfolio is left in it)",
    )
    parser.add_argument(
        "--digest-day",
        choices=WEEKDAYS,
        help="DIGEST_DAY of the bot (default: tomorrow, so the weekly digests do not run)",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=(1,),
        help="worker processes of the bot (`run --workers N`); a list such as 1,2 runs once "
        "per value, each on a fresh copy of the database, and prints the curve",
    )
    parser.add_argument("--team", default=DEFAULT_TEAM)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser


def _workers(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers such as 1,2, not {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("every --workers value must be at least 1")
    return values


if __name__ == "__main__":
    sys.exit(main())
