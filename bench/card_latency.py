"""How soon Slack gets its acknowledgement, and the user the card, side by side with the floor.

python -m bench.card_latency [--accounts 10000] [--small 1000] [--requests 300] [--warmup 20]
                             [--threads 16] [--cached 20] [--team T0BENCH] [--seed 7]

It generates a portfolio into a fresh temporary SQLite file, and serves on 127.0.0.1, each with
the production waitress server, one after the other:

- **the floor**: a bare WSGI app that checks Slack's signature and answers 200, nothing else;
- **stock Bolt**: a bare `slack_bolt.App` (Flask adapter) whose `/noop` just acks, as Bolt runs
  by default (its listener in a thread, the request thread polling for `ack()` every 10 ms);
- **Bolt, process_before_response**: the same app with `process_before_response=True`;
- **the real app** (`bot.app.build_app`) with a `/noop` added, its Web API client on a fake
  Slack, and every kind of request Slack sends it: `/account <name>` (a slash command), the
  card's "show" button (`account.show`), the message shortcut "Log contact", the event
  `app_home_opened`, and the account form submitted (a view submission that saves).

Every request is signed and shaped as Slack sends it (`tests/slack_sender.py`), one at a time:
the next one is sent only once the previous one's visible effect reached the fake Slack (the
card at the response URL, the form filled in, the App Home published), so no request's
background work overlaps the next one's acknowledgement. The acknowledgement is timed as the
HTTP round trip; the card from just before the POST until it reached the response URL, with
the user's rights on the account known (`--cached` accounts asked again and again, their
channels already seen) and not known (every request a channel not seen yet, so the access
check asks the fake Slack). It prints p50/p95/p99/max of each with its target beside it, and
the SQL statements per card at `--small` and `--accounts`. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing
import os
import platform
import random
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import slack_bolt
import sqlalchemy
from flask import Flask, request
from rich.console import Console
from rich.table import Table
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from bench.generate import DEFAULT_ACCOUNTS, DEFAULT_SEED, DEFAULT_TEAM, generate_portfolio
from bench.stats import count_statements, percentiles, timed
from bot.app import build_app
from bot.server import EVENTS_PATH, HttpServer, make_web_app
from bot.settings import Settings, load_settings
from commands.ui.values import ModalMeta
from commands.ui.views.account import account_form
from commands.work import WorkPool
from store.db import Database
from store.models import Account
from tests.slack_fake import Call, FakeSlack
from tests.slack_sender import (
    SlackSender,
    block_actions_payload,
    message_shortcut_payload,
    view_submission_payload,
)

SMALL_SCALE = 1_000
REQUESTS = 300
WARMUP = 20
CACHED = 20
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-0000-bench-token"
NOOP = "/noop"
TIMEOUT = 30.0
PERCENTILES = (50, 95, 99)
HTTP_THREADS: int = Settings.model_fields["http_threads"].default  # what production runs with
ACK = (1.5, 5.0)  # p50, p95 targets in ms of a command's, button's, shortcut's, event's ack
SUBMISSION_ACK = (None, 50.0)  # a view submission validates and saves before it acks
CARD_CACHED = (None, 10.0)
CARD_UNCACHED = (None, 25.0)


class TokenSlack(FakeSlack):
    """The fake Slack, also noting when each response URL (`/response/<token>`) was called."""

    def __init__(self) -> None:
        self._path = threading.local()
        self.arrivals: dict[str, tuple[float, Call]] = {}  # token -> (perf_counter, call)
        self.counts: Counter[str] = Counter()  # calls by method
        self.answered: Counter[str] = Counter()  # API calls answered, by method
        super().__init__()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler_class()
        fake = self

        class Handler(base):  # type: ignore[valid-type,misc]
            def do_POST(self) -> None:
                path = urlparse(self.path).path
                fake._path.value = path  # one handler thread per request
                super().do_POST()
                with fake._condition:  # answered, not only recorded: a large view takes a while
                    fake.answered[path.removeprefix("/api/")] += 1
                    fake._condition.notify_all()

            do_GET = do_POST

        return Handler

    def _record(self, call: Call) -> None:
        with self._condition:  # an RLock: FakeSlack._record takes it again
            path: str = getattr(self._path, "value", "")
            if call.method == "response_url" and path.startswith("/response/"):
                self.arrivals[path.removeprefix("/response/")] = (time.perf_counter(), call)
            self.counts[call.method] += 1
            super()._record(call)

    def wait_count(self, method: str, count: int, *, timeout: float = TIMEOUT) -> None:
        """Until `method` has been called and answered `count` times in all."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.answered[method] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method} called {self.counts[method]} times, not {count}")
                self._condition.wait(left)

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


@dataclass
class Row:
    """One line of the table: what was sent, until when it was timed, and its target."""

    what: str
    until: str
    target: tuple[float | None, float | None] = (None, None)
    samples: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    team: str
    requests: int
    warmup: int
    seed: int
    threads: int
    cached: int
    load_clients: int
    load_seconds: float
    slack_delay: float


def main(argv: Iterable[str] | None = None) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    if args.requests < 1 or args.cached < 1:
        raise SystemExit("--requests and --cached must be at least 1")
    logging.basicConfig(level=logging.WARNING)
    options = Options(
        team=args.team,
        requests=args.requests,
        warmup=args.warmup,
        seed=args.seed,
        threads=args.threads,
        cached=args.cached,
        load_clients=args.load_clients,
        load_seconds=args.load_seconds,
        slack_delay=args.slack_delay,
    )
    console = Console(width=None if sys.stdout.isatty() else 140)
    today = datetime.now(UTC).date()
    scales = sorted({min(args.small, args.accounts), args.accounts})
    console.print(
        f"[bold]accountbot acknowledgements and cards[/] {today.isoformat()} · Python "
        f"{platform.python_version()} · slack-bolt {slack_bolt.version.__version__} · "
        f"SQLAlchemy {sqlalchemy.__version__} · SQLite {sqlite3.sqlite_version} · "
        f"{os.cpu_count()} CPUs · {args.accounts:,} accounts · {args.requests} timed requests "
        f"of each kind, one at a time, after {args.warmup} untimed · {args.threads} server "
        f"threads · rights known for {args.cached} accounts"
    )
    statements: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="accountbot-card-") as scratch:
        rows = floors(options)
        for scale in scales:
            path = Path(scratch) / f"card-{scale}.db"
            measured, per_card = measure_app(
                path, scale=scale, today=today, options=options, full=scale == args.accounts
            )
            statements[scale] = per_card
            console.print(f"measured {scale:,} accounts")
        rows += measured
    console.print(_table(rows, scale=args.accounts))
    for line in verdict(rows, statements, scale=args.accounts):
        console.print(line)
    return 0


# -- the floors -----------------------------------------------------------------------------


def bare_signature_check(secret: str) -> Callable[..., list[bytes]]:
    """A WSGI app that checks Slack's signature over the body and answers 200: nothing else."""
    verifier = SignatureVerifier(secret)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        valid = verifier.is_valid(
            body=body,
            timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            signature=environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        )
        start_response("200 OK" if valid else "401 Unauthorized", [("Content-Length", "0")])
        return [b""]

    return app


def bare_bolt(slack: FakeSlack, *, process_before_response: bool) -> Flask:
    """A stock Bolt app (Flask adapter, Bolt's own signature check) whose `/noop` just acks."""
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=process_before_response,
    )
    add_noop(app)
    handler = SlackRequestHandler(app)
    web = Flask("stock-bolt")
    web.post(EVENTS_PATH)(lambda: handler.handle(request))
    return web


def _serve_child(build: Callable[[], Any], threads: int, port: Connection) -> None:
    """In the child process: build the WSGI app, serve it, say its port; SIGTERM stops it."""
    server = HttpServer(
        build(), host="127.0.0.1", port=0, threads=threads, asyncore_loop_timeout=0.05
    )
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    port.send(server.port)
    server.run()


@contextmanager
def served(build: Callable[[], Any], *, threads: int) -> Iterator[str]:
    """The WSGI app `build()` makes, on waitress as production serves it, on 127.0.0.1, in a
    process of its own (forked): its base URL. The client and the fake Slack stay in this
    process, as Slack is another machine: their work never competes with the server's for one
    interpreter lock, while the server's own background work does, as in production."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve_child, args=(build, threads, theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(TIMEOUT):
            raise RuntimeError("the server process did not start")
        yield f"http://127.0.0.1:{ours.recv()}"
    finally:
        time.sleep(0.2)  # the server's threads finish with the last connection (its trigger)
        child.terminate()  # SIGTERM: the server stops
        child.join(TIMEOUT)
        if child.is_alive():
            child.kill()


def floors(options: Options) -> list[Row]:
    """The do-nothing acknowledgements: the raw floor, stock Bolt, Bolt processing first."""
    rows = [
        Row("floor: waitress + signature check", "HTTP 200"),
        Row("stock Bolt, /noop acks", "HTTP ack"),
        Row("Bolt process_before_response, /noop", "HTTP ack"),
    ]
    slack = TokenSlack().start()
    try:
        builds: list[Callable[[], Any]] = [
            lambda: bare_signature_check(SIGNING_SECRET),
            lambda: bare_bolt(slack, process_before_response=False),
            lambda: bare_bolt(slack, process_before_response=True),
        ]
        for row, build in zip(rows, builds, strict=True):
            with served(build, threads=options.threads) as base_url:
                sender = SlackSender(base_url, SIGNING_SECRET, response_url=slack.response_url())
                body = sender.command_body("", command=NOOP, team_id=options.team)
                for i in range(options.warmup + options.requests):
                    elapsed = _ack(sender, body)
                    if i >= options.warmup:
                        row.samples.append(elapsed)
    finally:
        slack.stop()
    return rows


# -- the real app ---------------------------------------------------------------------------


def measure_app(
    path: Path, *, scale: int, today: date, options: Options, full: bool
) -> tuple[list[Row], float]:
    """Generate `scale` accounts into `path`, count SQL statements per card (in this process),
    then serve the real app in a process of its own and time every kind of request: the rows
    (none when not `full`), and the statements per card."""
    database = Database(f"sqlite:///{path}")
    try:
        database.upgrade()
        with timed():
            generate_portfolio(
                database.engine,
                team_id=options.team,
                accounts=scale,
                seed=options.seed,
                today=today,
            )
        with database.transaction() as session:
            accounts = list(
                session.execute(
                    select(Account)
                    .where(
                        Account.team_id == options.team,
                        Account.archived.is_(False),  # type: ignore[attr-defined]
                    )
                    .order_by(Account.id)
                ).scalars()
            )
            session.expunge_all()
        per_card = statements_per_card(database, accounts, options)
    finally:
        database.dispose()  # the server process opens its own connections
    if not full:
        return [], per_card
    with serving(path, team=options.team, threads=options.threads) as (slack, sender):
        rows = AppBench(slack, sender, accounts, options).run()
    if options.load_seconds > 0:
        with serving(path, team=options.team, threads=options.threads) as (slack, sender):
            rows += under_load(slack, sender, accounts, options)
    return rows, per_card


STATEMENT_REQUESTS = 20


def statements_per_card(database: Database, accounts: Sequence[Account], options: Options) -> float:
    """SQL statements per `/account <name>` (the card and its rights check), counted on the
    engine of an app served in this process, over `STATEMENT_REQUESTS` cards."""
    slack = TokenSlack().start()
    slack.token_teams[BOT_TOKEN] = options.team
    work = WorkPool(threads=1, queue=STATEMENT_REQUESTS)
    try:
        app = build_app(_settings(slack, f"{database.url}"), database, work=work)
        web = make_web_app(app, database, signing_secret=SIGNING_SECRET)
        server = HttpServer(web, host="127.0.0.1", port=0, threads=1, asyncore_loop_timeout=0.05)
        thread = threading.Thread(target=server.run, name="bench-statements", daemon=True)
        thread.start()
        sender = SlackSender(
            f"http://127.0.0.1:{server.port}", SIGNING_SECRET, response_url=slack.response_url()
        )
        picks = random.Random(options.seed).sample(list(accounts), STATEMENT_REQUESTS)
        with count_statements(database.engine) as count:
            for account in picks:
                token = f"sql{account.id}"
                body = sender.command_body(
                    account.name,
                    team_id=options.team,
                    user_id=_not_owner(account),
                    response_url=slack.response_url(token),
                )
                _ack(sender, body)
                slack.wait_for_token(token)
        server.stop()
        thread.join(timeout=5)
        work.close()
        return count.queries / STATEMENT_REQUESTS
    finally:
        slack.stop()


def _settings(slack: FakeSlack, database_url: str) -> Settings:
    return load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token=None,
        slack_api_url=slack.api_url,
        database_url=database_url,
    )


@contextmanager
def serving(
    path: Path, *, team: str, threads: int = HTTP_THREADS
) -> Iterator[tuple[TokenSlack, SlackSender]]:
    """The real app with `/noop` added, served over HTTP in a process of its own on the SQLite
    file `path`, its Web API client on a fake Slack (in this process) whose bot token belongs
    to `team` (requests naming another team are refused)."""
    slack = TokenSlack().start()
    slack.token_teams[BOT_TOKEN] = team

    def build() -> Any:
        settings = _settings(slack, f"sqlite:///{path}")
        database = Database(settings.database_url)
        app = build_app(settings, database)
        add_noop(app)
        return make_web_app(app, database, signing_secret=SIGNING_SECRET)

    try:
        with served(build, threads=threads) as base_url:
            yield slack, SlackSender(base_url, SIGNING_SECRET, response_url=slack.response_url())
    finally:
        slack.stop()


def add_noop(app: App) -> None:
    """A do-nothing slash command on this app instance only: it acks and returns."""

    def noop(ack: Ack) -> None:
        ack()

    app.command(NOOP)(noop)


class AppBench:
    """Every kind of request to the real app, one at a time, each waited for to the end."""

    def __init__(
        self,
        slack: TokenSlack,
        sender: SlackSender,
        accounts: Sequence[Account],
        options: Options,
    ) -> None:
        self.slack, self.sender = slack, sender
        self.options, self.team = options, options.team
        self.rng = random.Random(options.seed)
        self.accounts = list(accounts)
        self.rng.shuffle(self.accounts)
        self.fresh = iter(self.accounts)  # never asked before: channels not seen yet
        self.tokens = itertools.count()
        self.cards = 0
        self.asked = 0

    def run(self) -> list[Row]:
        n, warm = self.options.requests, self.options.warmup
        cached = [next(self.fresh) for _ in range(self.options.cached)]
        noop = Row("our /noop", "HTTP ack", ACK)
        command = Row("slash command /account <name>", "HTTP ack", ACK)
        button = Row("button account.show", "HTTP ack", ACK)
        shortcut = Row("shortcut: Log contact", "HTTP ack", ACK)
        event = Row("event app_home_opened", "HTTP ack", ACK)
        submission = Row("view submission: account form", "HTTP ack (saved)", SUBMISSION_ACK)
        card_cached = Row("card, rights known", "card at response URL", CARD_CACHED)
        card_uncached = Row("card, rights not known", "card at response URL", CARD_UNCACHED)
        for account in cached:  # warm: their channels seen, within the directory's 2 minutes
            self.card(account)
        for _ in range(n):
            ack, visible = self.card(next(self.fresh))
            command.samples.append(ack)
            card_uncached.samples.append(visible)
        for i in range(warm + n):
            ack, visible = self.card(self.rng.choice(cached))
            if i >= warm:
                command.samples.append(ack)
                card_cached.samples.append(visible)
        owned = (a for a in self.fresh if a.owner_user_id)  # its owner may change it
        timings: list[tuple[Row, Callable[[], float]]] = [
            (noop, self.noop),
            (button, lambda: self.button(self.rng.choice(cached))),
            (shortcut, lambda: self.shortcut(self.rng.choice(cached))),
            (event, self.event),
            (submission, lambda: self.submission(next(owned))),
        ]
        for row, send in timings:
            for i in range(warm + n):
                elapsed = send()
                if i >= warm:
                    row.samples.append(elapsed)
        return [noop, command, button, shortcut, event, submission, card_cached, card_uncached]

    def _token(self) -> str:
        return f"t{next(self.tokens)}"

    def card(self, account: Account) -> tuple[float, float]:
        """`/account <name>` as a user who does not own it: (ack, card at the response URL)."""
        token = self._token()
        body = self.sender.command_body(
            account.name,
            team_id=self.team,
            user_id=_not_owner(account),
            response_url=self.slack.response_url(token),
        )
        started = time.perf_counter()
        acked = _ack(self.sender, body, started=started)
        arrived, call = self.slack.wait_for_token(token)
        self.asked += 1
        self.cards += _is_card(call, account.name)
        return acked, (arrived - started) * 1000

    def noop(self) -> float:
        body = self.sender.command_body("", command=NOOP, team_id=self.team)
        return _ack(self.sender, body)

    def button(self, account: Account) -> float:
        token = self._token()
        click = block_actions_payload(
            "account.show",
            str(account.id),
            team_id=self.team,
            user_id=_not_owner(account),
            response_url=self.slack.response_url(token),
        )
        elapsed = _ack(self.sender, click, interaction=True)
        self.slack.wait_for_token(token)
        return elapsed

    def shortcut(self, account: Account) -> float:
        """Log contact from a message in the account's channel: the loading view, then the form."""
        before = self.slack.answered["views.update"]
        shortcut = message_shortcut_payload(
            text="Call went well",
            channel_id=account.channel_id or "C0BENCH",
            team_id=self.team,
            user_id=account.owner_user_id or "U0BENCH001",
            response_url=self.slack.response_url(self._token()),
        )
        elapsed = _ack(self.sender, shortcut, interaction=True)
        self.slack.wait_count("views.update", before + 1)
        return elapsed

    def event(self) -> float:
        """The App Home of one of the 50 owners (about 200 accounts each) opened."""
        before = self.slack.answered["views.publish"]
        owner = f"U0BENCH{self.rng.randint(1, 50):03d}"
        event = {"type": "app_home_opened", "user": owner, "channel": "D0HOME", "tab": "home"}
        started = time.perf_counter()
        reply = self.sender.event(event, team_id=self.team)
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status != 200:
            raise RuntimeError(f"app_home_opened answered {reply.status}: {reply.body[:200]}")
        self.slack.wait_count("views.publish", before + 1)
        return elapsed

    def submission(self, account: Account) -> float:
        """Its owner saves the account form with a new ARR; the card redrawn afterwards."""
        token = self._token()
        meta = ModalMeta(
            account_id=account.id,
            version=account.version,
            response_url=self.slack.response_url(token),
            replace_card=True,
        )
        view = account_form(meta=meta, account=account) | {"id": f"V{token}", "hash": token}
        payload = view_submission_payload(
            view, _form_state(account), user_id=account.owner_user_id or "U0BENCH001"
        )
        payload["team"]["id"] = payload["user"]["team_id"] = self.team
        payload["view"]["team_id"] = self.team
        started = time.perf_counter()
        reply = self.sender.interaction(payload)
        elapsed = (time.perf_counter() - started) * 1000
        if reply.status != 200 or reply.body:
            raise RuntimeError(f"the form was not saved: {reply.status} {reply.body[:300]}")
        self.slack.wait_for_token(token)
        return elapsed


SLOW_METHODS = (
    "conversations.info",
    "conversations.members",
    "users.info",
    "chat.getPermalink",
    "chat.postMessage",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
)


def under_load(
    slack: TokenSlack, sender: SlackSender, accounts: Sequence[Account], options: Options
) -> list[Row]:
    """`--load-clients` clients sending `/account <name>` back to back (each once the answer to
    its previous one reached its response URL, or was "busy") for `--load-seconds`, every Web
    API method answering only after `--slack-delay` seconds: each acknowledgement's round trip,
    and how many were the "busy" answer (the pool full), failed, or took 3 s or more (Slack
    would have given up)."""
    for method in SLOW_METHODS:
        slack.delay(method, options.slack_delay)
    rng = random.Random(options.seed + 1)
    deadline = time.perf_counter() + options.load_seconds
    acks: list[float] = []
    busy: list[float] = []
    missed: Counter[str] = Counter()
    lock = threading.Lock()

    tokens = itertools.count()

    def client(number: int) -> None:
        while time.perf_counter() < deadline:
            account = rng.choice(accounts)
            token = f"load{next(tokens)}"
            body = sender.command_body(
                account.name,
                team_id=options.team,
                user_id=_not_owner(account),
                response_url=slack.response_url(token),
            )
            started = time.perf_counter()
            try:
                reply = sender.post(body, content_type="application/x-www-form-urlencoded")
            except OSError as error:
                with lock:
                    missed[type(error).__name__] += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if reply.status != 200:
                    missed[f"HTTP {reply.status}"] += 1
                elif elapsed >= 3000:
                    missed["acknowledged after 3 s"] += 1
                (busy if "busy" in reply.body else acks).append(elapsed)
            if reply.status == 200 and "busy" not in reply.body:
                try:  # the next request once this one's answer came, as a user would
                    slack.wait_for_token(token, timeout=120)
                except TimeoutError:
                    with lock:
                        missed["no answer at the response URL"] += 1

    threads = [
        threading.Thread(target=client, args=(n,), name=f"bench-load-{n}")
        for n in range(options.load_clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for method in SLOW_METHODS:
        slack.delay(method, 0)
    what = f"{options.load_clients} in flight, Slack answering in {options.slack_delay:g} s: "
    rows = [
        Row(what + "/account acks", "HTTP ack", (None, 1000.0), acks),
        Row(what + '"busy" acks', "HTTP ack", (None, 1000.0), busy),
    ]
    LOAD_MISSED.clear()
    LOAD_MISSED.update(missed)
    return [row for row in rows if row.samples]


LOAD_MISSED: Counter[str] = Counter()
"""What the load run counted as missed, by kind (printed under the table)."""


def _not_owner(account: Account) -> str:
    """A user who does not own the account, so the access check asks about its channel."""
    return "U0BENCH002" if account.owner_user_id == "U0BENCH001" else "U0BENCH001"


def _form_state(account: Account) -> dict[str, dict[str, Any]]:
    """The account form as Slack reports it, every field as it is but the ARR, one more (an
    expansion, as the form asks), and active seats no more than licensed ones (which the form
    requires and generated accounts may exceed)."""
    seats_active = account.seats_active
    if seats_active is not None and account.seats_licensed is not None:
        seats_active = min(seats_active, account.seats_licensed)
    return {
        "name": {"type": "plain_text_input", "value": account.name},
        "channel_id": {"type": "conversations_select", "selected_conversation": account.channel_id},
        "owner_user_id": {"type": "users_select", "selected_user": account.owner_user_id},
        "arr": {"type": "number_input", "value": str(account.arr + 1)},
        "arr_kind": {"type": "static_select", "selected_option": {"value": "expansion"}},
        "currency": {"type": "static_select", "selected_option": {"value": account.currency}},
        "contract_start": {
            "type": "datepicker",
            "selected_date": account.contract_start and account.contract_start.isoformat(),
        },
        "renewal_date": {
            "type": "datepicker",
            "selected_date": account.renewal_date and account.renewal_date.isoformat(),
        },
        "seats_licensed": {"type": "number_input", "value": str(account.seats_licensed or "")},
        "seats_active": {"type": "number_input", "value": str(seats_active or "")},
        "segment": {"type": "static_select", "selected_option": {"value": account.segment.value}},
    }


def _ack(
    sender: SlackSender,
    body: str | dict[str, Any],
    *,
    interaction: bool = False,
    started: float | None = None,
) -> float:
    """The HTTP round trip of one signed request, in milliseconds."""
    started = time.perf_counter() if started is None else started
    if interaction:
        assert isinstance(body, dict)
        reply = sender.interaction(body)
    else:
        assert isinstance(body, str)
        reply = sender.post(body, content_type="application/x-www-form-urlencoded")
    elapsed = (time.perf_counter() - started) * 1000
    if reply.status != 200:
        raise RuntimeError(f"answered {reply.status}: {reply.body[:200]}")
    return elapsed


def _is_card(call: Call, name: str) -> bool:
    """True when the response URL got a card headed with the account's name."""
    blocks = call.json_param("blocks") or []
    header = blocks[0] if blocks else {}
    return header.get("type") == "header" and header.get("text", {}).get("text") == name


# -- printing -------------------------------------------------------------------------------


def _target(target: tuple[float | None, float | None]) -> str:
    p50, p95 = target
    parts = ([f"p50 ≤ {p50:g}"] if p50 is not None else []) + (
        [f"p95 ≤ {p95:g}"] if p95 is not None else []
    )
    return ", ".join(parts)


def _met(row: Row) -> bool | None:
    if row.target == (None, None):
        return None
    p = percentiles(row.samples, PERCENTILES)
    p50, p95 = row.target
    return (p50 is None or p[50] <= p50) and (p95 is None or p[95] <= p95)


def _table(rows: Sequence[Row], *, scale: int) -> Table:
    table = Table(title=f"Over HTTP at {scale:,} accounts, one request at a time, milliseconds")
    for column in ("request", "measured until", "n", "p50", "p95", "p99", "max", "target", ""):
        table.add_column(
            column,
            justify="left" if column in ("request", "measured until", "target", "") else "right",
        )
    for row in rows:
        p = percentiles(row.samples, PERCENTILES)
        met = _met(row)
        table.add_row(
            row.what,
            row.until,
            str(len(row.samples)),
            f"{p[50]:.2f}",
            f"{p[95]:.2f}",
            f"{p[99]:.2f}",
            f"{max(row.samples):.2f}",
            _target(row.target),
            "" if met is None else ("[green]met[/]" if met else "[red]MISSED[/]"),
            end_section=row.what.startswith("Bolt process_before_response"),
        )
    return table


def verdict(rows: Sequence[Row], statements: dict[int, float], *, scale: int) -> list[str]:
    """SQL statements per card at each scale, and whether every target was met."""
    per_scale = ", ".join(f"{s:,}: {n:g}" for s, n in sorted(statements.items()))
    same = len(set(statements.values())) == 1
    missed = [row.what for row in rows if _met(row) is False]
    floor = percentiles(rows[0].samples, PERCENTILES)
    load = "Under load: " + (
        ", ".join(f"{n} {kind}" for kind, n in LOAD_MISSED.items()) + " - [red]MISSED[/]"
        if LOAD_MISSED
        else "no acknowledgement missed (every request answered 200 within 3 s)"
    )
    return [
        load,
        f"SQL statements per /account request: {per_scale} - "
        + ("[green]same at every scale[/]" if same else "[red]GROWS with the portfolio[/]"),
        f"Target at {scale:,} accounts (acks p50 ≤ {ACK[0]:g} ms and p95 ≤ {ACK[1]:g} ms, view "
        f"submissions p95 ≤ {SUBMISSION_ACK[1]:g} ms, card p95 ≤ {CARD_CACHED[1]:g} ms with "
        f"rights known and ≤ {CARD_UNCACHED[1]:g} ms without; the floor's p50 "
        f"{floor[50]:.2f} ms): "
        + (
            "[bold green]target met[/]"
            if not missed and same and not LOAD_MISSED
            else "[bold red]target NOT met[/]: " + ", ".join(missed or ["statements grow"])
        ),
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.card_latency",
        description="Acknowledgements and the card over HTTP, beside the floor and stock Bolt.",
    )
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS, help="scale")
    parser.add_argument(
        "--small", type=int, default=SMALL_SCALE, help="smaller scale: SQL statements per card"
    )
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed requests per kind")
    parser.add_argument(
        "--threads", type=int, default=HTTP_THREADS, help="waitress threads (HTTP_THREADS)"
    )
    parser.add_argument(
        "--cached", type=int, default=CACHED, help="accounts whose rights are known (asked again)"
    )
    parser.add_argument(
        "--load-clients", type=int, default=50, help="clients in flight in the load run"
    )
    parser.add_argument(
        "--load-seconds", type=float, default=10.0, help="length of the load run (0: none)"
    )
    parser.add_argument(
        "--slack-delay", type=float, default=5.0, help="seconds the Web API takes in the load run"
    )
    parser.add_argument("--team", default=DEFAULT_TEAM)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser


if __name__ == "__main__":
    sys.exit(main())
