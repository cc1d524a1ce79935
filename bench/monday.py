"""A Monday morning of many workspaces: every digest posted once by several processes sharing
one PostgreSQL database as their work queue.

python -m bench.monday --database-url postgresql+psycopg://USER@HOST:PORT/postgres
    [--workspaces 100] [--accounts 100] [--processes 1,2,4] [--workers 32] [--kill]
    [--full 1000] [--seed 7] [--keep-templates]

For `--workspaces` teams it writes a template database once: the schema, a bot installation per
team saved through the bot's own installation store (the rows OAuth writes, token sealed), and a
synthetic portfolio of `--accounts` accounts per team (`bench.generate`), all due Monday 09:00
UTC, every team keeping its weekly all-clear posts (`DIGEST_WEEKLY_ALL_CLEAR`), so that every
account with a channel owes a digest, green ones included: the load of issue 18's target. Then,
for each K of `--processes`, a fresh copy of it, a fake Slack in this process
(`MondaySlack`: 30-80 ms per call, Slack's rate limits answered with 429 and `Retry-After`), and
K real `accountbot digest --now` processes started at once (each claims teams from the queue,
`DIGEST_WORKERS` at a time). Printed per run: digests expected and delivered, duplicates and
lost (both must be 0: a post not delivered is lost unless the ledger reports it as failed, as
it does a post a killed process had in flight, interrupted, whether or not it reached Slack),
wall time, each process's share, 429s.
`--kill` adds a run with the largest K where a process holding teams is killed (SIGKILL) a
third of the way through: the others must take its teams over and finish, each digest once,
its posts in flight reported. `--full N` adds one run at N workspaces with the largest K
(target: 100,000 digests within 15 minutes with 4 processes). `--database-url` is the server's
admin URL: the bench makes and drops its own databases there. With `--keep-templates` each
template is named after its size and seed and left on the server, marked complete once written,
and a later run of the same size reuses it instead of generating it again (a 1,000-workspace
template takes minutes to write). Nothing is asserted: it prints figures and the target.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

from bench.generate import generate_portfolio
from bench.stats import BROKEN, TARGET_MISSED
from bot.settings import load_settings
from bot.workspaces import installation_store
from digests.deliver import team_week
from store.actions import items_due_around
from store.db import Database
from store.deliveries import FAILED, INTERRUPTED, SENT, TO_OWNER
from store.models import Account, ActionReminder, DigestDelivery, WorkClaim
from store.settings import DigestSettings
from tests.slack_fake import Call, FakeSlack

MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
"""Half an hour after every team's digest time (Monday 09:00 UTC, the default)."""
TUESDAY = MONDAY + timedelta(days=1)
"""The reminders' morning: the generator puts open items 1-90 days after Monday, so about one
in ninety is due on Tuesday (owners' time zone: UTC, as the fake's users.info says)."""
REMINDED = re.compile(r"^(\d+) reminder\(s\) sent, (\d+) failed, (\d+) interrupted")
PORTFOLIO = "C0BENCHPORTFOLIO"
CLIENT_ID = "1234567890.0987654321"
TOKEN_KEY = "cw_0x689RpI-jtRR7oWOVLdVBNmiYnbRvoRfoaqoHmk="
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
TARGET_DIGESTS, TARGET_SECONDS, TARGET_PROCESSES = 100_000, 15 * 60, 4
LATENCY = (0.030, 0.080)
TIERS = {
    "conversations.list": 20,  # Tier 2
    "conversations.info": 50,  # Tier 3
    "conversations.members": 100,  # Tier 4
    "users.info": 100,  # Tier 4
    "conversations.open": 50,  # Tier 3
    "auth.test": 100,  # Special: a generous Tier 4
}
"""Calls a minute per method per workspace (Slack's tiers); a minute's worth may come at once."""
PER_CHANNEL = (1.0, 3)
"""chat.postMessage: one a second per channel, bursts of three."""
SUMMARY = re.compile(r"^(T\w+) week of \S+: (\d+) sent, (\d+) failed, (\d+) already sent")


class Bucket:
    """A token bucket: `rate` a second, at most `burst` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.at = rate, burst, burst, time.monotonic()

    def take(self) -> float:
        """0 when a token was taken; else seconds until one is due (the call is refused)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class MondaySlack(FakeSlack):
    """The fake Slack with Slack's latency and limits, keyed by the workspace of the token.
    It keeps only what the bench counts of each call (method, channel, status, workspace).
    conversations.list answers with the workspace's own channels (`team_channels`), as Slack
    does for the channels a bot can see: without them every post would ask conversations.info
    and wait on its Tier 3 limit, and the bench would measure its own fake."""

    def __init__(
        self,
        *,
        latency: tuple[float, float] = LATENCY,
        team_channels: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.team_channels = team_channels or {}
        # Hundreds of connections may open at once: a deeper accept queue than socketserver's
        # five, or the kernel resets the overflow and the bench measures its own fake.
        self._server.socket.listen(4096)
        self.latency = latency
        self._limits: dict[tuple[str, str, str], Bucket] = {}
        self._limits_lock = threading.Lock()
        self.refused: Counter[str] = Counter()

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None = None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        time.sleep(random.uniform(*self.latency))
        team = (token or "").removeprefix("xoxb-bench-")
        channel = str(params.get("channel") or "")
        if method == "chat.postMessage":
            key, rate, burst = (team, method, channel), PER_CHANNEL[0], PER_CHANNEL[1]
        elif method in TIERS:
            key, rate, burst = (team, method, ""), TIERS[method] / 60, TIERS[method]
        else:
            key = None
        if key is not None:
            with self._limits_lock:
                bucket = self._limits.setdefault(key, Bucket(rate, burst))
                wait = bucket.take()
            if wait:
                self.refused[method] += 1
                retry = str(max(1, math.ceil(wait)))  # Slack sends whole seconds
                return 429, {"Retry-After": retry}, {"ok": False, "error": "ratelimited"}
        if method == "conversations.list":
            return 200, {}, self._team_channel_list(team, params)
        return super()._answer(method, params, token)

    def _team_channel_list(self, team: str, params: dict[str, Any]) -> dict[str, Any]:
        """A page of `team`'s channels, public and inside the workspace."""
        ids = self.team_channels.get(team, [])
        start = int(params.get("cursor") or 0)
        end = start + min(int(params.get("limit") or 100), self.list_page)
        return {
            "ok": True,
            "channels": [
                {"id": c, "is_channel": True, "is_private": False} for c in ids[start:end]
            ],
            "response_metadata": {"next_cursor": str(end) if end < len(ids) else ""},
        }

    def _record(self, call: Call) -> None:
        slim = {"channel": call.params.get("channel")}
        auth = {"Authorization": call.headers.get("Authorization", "")}
        super()._record(Call(call.method, slim, auth, status=call.status, at=call.at))


@dataclass
class RunFigures:
    label: str
    processes: int
    workspaces: int
    expected: int
    delivered: int
    duplicates: int
    lost: int
    failed: int
    """Posts the ledger records as failed, reported (other than interrupted): an uncertain
    answer from Slack, say. Never sent again by themselves, so not lost."""
    interrupted: int
    """Posts in flight in a killed process: reported as interrupted, never sent again."""
    uncertain_delivered: int
    """Of those, how many Slack did get before the process died."""
    wall: float
    shares: list[int]
    refused: Counter[str]
    killed: bool = False
    exit_codes: list[int] = field(default_factory=list)
    cpu: float = 0.0
    """CPU seconds (user + system) the K processes used, from the kernel's count of the
    bench's reaped children: rendering, the ledger, the HTTP calls."""
    load: tuple[float, float] = (0.0, 0.0)
    """The machine's 1-minute load average as the processes started and as the last exited."""


def database_url(admin: str, name: str) -> str:
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


@contextmanager
def admin_connection(admin: str) -> Iterator[Any]:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def drop(admin: str, name: str) -> None:
    with admin_connection(admin) as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def teams_of(count: int) -> list[str]:
    return [f"T0MON{n:05d}" for n in range(count)]


def worker_env(url: str, slack: FakeSlack, workers: int) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))}
    return base | {
        "DATABASE_URL": url,
        "SLACK_API_URL": slack.api_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "bench-client-secret",
        "SLACK_STATE_SECRET": "bench-state-secret-0123456789",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "DIGEST_PORTFOLIO_CHANNEL": PORTFOLIO,
        "DIGEST_WEEKLY_ALL_CLEAR": "true",
        "DIGEST_WORKERS": str(workers),
        "LOG_LEVEL": "WARNING",
    }


COMPLETE = "accountbot bench.monday template, complete"
"""The comment a kept template gets once every team is written: one without it is remade."""


def template_name(*, workspaces: int, accounts: int, seed: int) -> str:
    return f"accountbot_monday_{workspaces}x{accounts}_s{seed}"


def is_complete(admin: str, name: str) -> bool:
    with admin_connection(admin) as connection:
        comment = connection.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = :name"
            ),
            {"name": name},
        ).scalar()
    return comment == COMPLETE


def make_template(
    admin: str, name: str, *, workspaces: int, accounts: int, seed: int, reuse: bool = False
) -> float | None:
    """The schema, an installation and a portfolio per team; returns seconds it took, or None
    when `reuse` and a complete template of that name is already there."""
    if reuse and is_complete(admin, name):
        return None
    started = time.monotonic()
    drop(admin, name)
    with admin_connection(admin) as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = database_url(admin, name)
    db = Database(url)
    db.upgrade()
    settings = load_settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret="bench-client-secret",
        slack_state_secret="bench-state-secret-0123456789",
        slack_signing_secret=SIGNING_SECRET,
        token_encryption_key=TOKEN_KEY,
        database_url=url,
    )
    store = installation_store(settings, db)
    for index, team in enumerate(teams_of(workspaces)):
        store.save(  # what Bolt's OAuth flow saves after oauth.v2.access
            Installation(
                app_id="A0ACCOUNTBOT",
                team_id=team,
                team_name=f"Bench {team}",
                user_id="U0INSTALLER",
                bot_token=f"xoxb-bench-{team}",
                bot_id="B0BOT",
                bot_user_id="U0BOT",
                bot_scopes="commands,chat:write,users:read,channels:read,groups:read",
                is_enterprise_install=False,
                token_type="bot",
            )
        )
        generate_portfolio(
            db.engine, team_id=team, accounts=accounts, seed=seed + index, today=MONDAY.date()
        )
    db.dispose()
    with admin_connection(admin) as connection:
        connection.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{COMPLETE}'"))
    return time.monotonic() - started


def expected_posts(url: str, *, workspaces: int) -> set[tuple[str, str]]:
    """(team, channel) of every digest the week owes: as the bot renders them, plus each team's
    portfolio digest."""
    db = Database(url)
    settings = DigestSettings(portfolio_channel_id=PORTFOLIO, weekly_all_clear=True)
    wanted: set[tuple[str, str]] = set()
    for team in teams_of(workspaces):
        owed = team_week(db, team_id=team, now=MONDAY, settings=settings).owed
        wanted |= {(team, d.account.channel_id or "") for d in owed}
        wanted.add((team, PORTFOLIO))
    db.dispose()
    return wanted


def expected_reminders(url: str) -> Counter[tuple[str, str]]:
    """(team, owner) of every reminder Tuesday morning owes, counted: open items with an owner
    on our side, due that day, at active accounts (the bot's own query)."""
    db = Database(url)
    with db.reading() as session:
        due = items_due_around(session, day=TUESDAY.date())
    db.dispose()
    return Counter(
        (item.team_id, str(item.our_owner_user_id))
        for item, _ in due
        if item.due_on == TUESDAY.date()
    )


def channels_of(url: str) -> dict[str, list[str]]:
    """Each workspace's channels: its accounts' channels and the portfolio channel."""
    db = Database(url)
    found: dict[str, list[str]] = {}
    with db.reading() as session:
        rows = session.execute(
            select(col(Account.team_id), col(Account.channel_id)).where(
                col(Account.channel_id).is_not(None)
            )
        ).all()
    db.dispose()
    for team, channel in rows:
        found.setdefault(team, []).append(str(channel))
    for channels in found.values():
        channels.append(PORTFOLIO)
        channels.sort()
    return found


def run(
    admin: str,
    template: str,
    *,
    label: str,
    processes: int,
    workspaces: int,
    workers: int,
    kill: bool = False,
    console: Console,
) -> RunFigures:
    name, url = fresh_copy(admin, template)
    expected = expected_posts(url, workspaces=workspaces)
    slack = MondaySlack(team_channels=channels_of(url)).start()
    env = worker_env(url, slack, workers)
    command = [sys.executable, "-m", "bot", "digest", "--now", "--at", MONDAY.isoformat()]
    cpu_before = _children_cpu()
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    children, outputs, readers = _start(command, env, processes)
    if kill:
        slack.wait_until(
            lambda calls: sum(c.method == "chat.postMessage" for c in calls) >= len(expected) // 3,
            timeout=3600,
        )
        victim = holding(url, children)
        children[victim].send_signal(signal.SIGKILL)
        console.print(
            f"  killed process {victim} (pid {children[victim].pid}), which held teams, a third "
            "of the way through"
        )
    wall, cpu, load_after = finish(children, readers, started=started, cpu_before=cpu_before)
    slack.stop()
    posts = posted(slack)
    db = Database(url)
    with db.transaction() as session:
        by_holder = session.execute(
            select(DigestDelivery.holder, func.count())
            .where(col(DigestDelivery.status).in_([SENT, TO_OWNER]))
            .group_by(col(DigestDelivery.holder))
        ).all()
        failed = {
            (team, channel or "")
            for team, channel in session.execute(
                select(DigestDelivery.team_id, DigestDelivery.channel_id).where(
                    DigestDelivery.status == FAILED
                )
            )
        }
        interrupted = {
            (team, channel or "")
            for team, channel in session.execute(
                select(DigestDelivery.team_id, DigestDelivery.channel_id).where(
                    DigestDelivery.status == FAILED, DigestDelivery.error == INTERRUPTED
                )
            )
        }
    db.dispose()
    drop(admin, name)
    pids = {child.pid: n for n, child in enumerate(children)}
    shares = [0] * processes
    for holder, count in by_holder:
        if (n := pids.get(int(str(holder).split(":")[1]))) is not None:
            shares[n] += count
    for n, output in enumerate(outputs):
        problems = [line for line in output.splitlines() if not SUMMARY.match(line)]
        problems = [line for line in problems if not line.startswith("  ")]
        if problems:
            console.print(f"  process {n} also said: " + " | ".join(problems[:5]))
    delivered = set(posts)
    return RunFigures(
        label=label,
        processes=processes,
        workspaces=workspaces,
        expected=len(expected),
        delivered=len(delivered & expected),
        duplicates=sum(1 for count in posts.values() if count > 1),
        lost=len(expected - delivered - failed),
        failed=len(failed - interrupted),
        interrupted=len(interrupted),
        uncertain_delivered=len(interrupted & delivered),
        wall=wall,
        shares=shares,
        refused=slack.refused,
        killed=kill,
        exit_codes=[child.returncode for child in children],
        cpu=cpu,
        load=(load_before, load_after),
    )


def fresh_copy(admin: str, template: str) -> tuple[str, str]:
    """A run's own copy of the template (name, URL), brought to the latest migration: a kept
    template may predate them."""
    name = f"{template}_run"
    drop(admin, name)
    with admin_connection(admin) as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = database_url(admin, name)
    upgraded = Database(url)
    upgraded.upgrade()
    upgraded.dispose()
    return name, url


def finish(
    children: list[subprocess.Popen[str]],
    readers: list[threading.Thread],
    *,
    started: float,
    cpu_before: float,
) -> tuple[float, float, float]:
    """Wait for every process: the wall time, their CPU seconds, the load average then."""
    for child in children:
        child.wait()
    wall = time.monotonic() - started
    cpu, load_after = _children_cpu() - cpu_before, os.getloadavg()[0]
    for reader in readers:
        reader.join()
    return wall, cpu, load_after


def posted(slack: FakeSlack) -> Counter[tuple[str, str]]:
    """(team, channel) of every post Slack accepted, counted."""
    return Counter(
        (c.headers["Authorization"].removeprefix("Bearer xoxb-bench-"), c.params["channel"])
        for c in slack.calls
        if c.method == "chat.postMessage" and c.status == 200
    )


def _start(
    command: list[str], env: dict[str, str], processes: int
) -> tuple[list[subprocess.Popen[str]], list[str], list[threading.Thread]]:
    """K copies of `command` started at once, each one's output read by a thread of its own."""
    children = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(processes)
    ]
    outputs: list[str] = [""] * processes
    readers = [
        threading.Thread(target=_read, args=(child, outputs, n), daemon=True)
        for n, child in enumerate(children)
    ]
    for reader in readers:
        reader.start()
    return children, outputs, readers


def run_reminders(
    admin: str, template: str, *, processes: int, workspaces: int, console: Console
) -> RunFigures:
    """Tuesday morning's due-day reminders sent by K `accountbot remind` processes at once,
    sharing the teams through the work queue: each reminder once, each process a share."""
    name, url = fresh_copy(admin, template)
    expected = expected_reminders(url)
    slack = MondaySlack(team_channels=channels_of(url)).start()
    command = [sys.executable, "-m", "bot", "remind", "--now", TUESDAY.isoformat()]
    cpu_before, load_before = _children_cpu(), os.getloadavg()[0]
    started = time.monotonic()
    children, outputs, readers = _start(command, worker_env(url, slack, 1), processes)
    wall, cpu, load_after = finish(children, readers, started=started, cpu_before=cpu_before)
    slack.stop()
    posts = posted(slack)
    db = Database(url)
    with db.reading() as session:
        ledger = session.execute(
            select(ActionReminder.team_id, ActionReminder.user_id, ActionReminder.status)
        ).all()
    db.dispose()
    drop(admin, name)
    failed = Counter((team, user) for team, user, status in ledger if status == FAILED)
    shares = [int(m.group(1)) if (m := REMINDED.search(output)) else 0 for output in outputs]
    for n, output in enumerate(outputs):
        problems = [line for line in output.splitlines() if not REMINDED.match(line)]
        if problems := [line for line in problems if not line.startswith("  ")]:
            console.print(f"  process {n} also said: " + " | ".join(problems[:5]))
    owed = sum(expected.values())
    return RunFigures(
        label="reminders",
        processes=processes,
        workspaces=workspaces,
        expected=owed,
        delivered=sum(min(posts[key], count) for key, count in expected.items()),
        duplicates=sum(max(0, posts[key] - expected[key]) for key in posts),
        lost=sum(max(0, count - posts[key] - failed[key]) for key, count in expected.items()),
        failed=sum(failed.values()),
        interrupted=0,
        uncertain_delivered=0,
        wall=wall,
        shares=shares,
        refused=slack.refused,
        exit_codes=[child.returncode for child in children],
        cpu=cpu,
        load=(load_before, load_after),
    )


def _children_cpu() -> float:
    """CPU seconds of every child this process has reaped (the bench's only children are the
    digest processes)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def holding(url: str, children: list[subprocess.Popen[str]]) -> int:
    """The index of a child holding a team's claim right now (its pid is in the holder)."""
    db = Database(url)
    try:
        with db.transaction() as session:
            holders = session.scalars(
                select(WorkClaim.holder).where(col(WorkClaim.holder).is_not(None))
            ).all()
    finally:
        db.dispose()
    pids = Counter(int(str(h).split(":")[1]) for h in holders)
    return max(range(len(children)), key=lambda n: pids.get(children[n].pid, 0))


def _read(child: subprocess.Popen[str], outputs: list[str], index: int) -> None:
    assert child.stdout is not None
    outputs[index] = child.stdout.read()


def table(figures: Iterable[RunFigures]) -> Table:
    result = Table(title="Monday morning: digests posted by K processes sharing PostgreSQL")
    for heading in (
        "run",
        "workspaces",
        "K",
        "expected",
        "delivered",
        "duplicates",
        "lost",
        "failed (reported)",
        "interrupted",
        "wall s",
        "digests/s",
        "per-process share (sent, from the ledger)",
        "429s",
        "CPU s (ms a digest)",
        "load avg",
    ):
        result.add_column(heading, justify="left" if heading == "run" else "right")
    for f in figures:
        result.add_row(
            f.label,
            f"{f.workspaces:,}",
            str(f.processes),
            f"{f.expected:,}",
            f"{f.delivered:,}",
            str(f.duplicates),
            str(f.lost),
            str(f.failed),
            f"{f.interrupted} ({f.uncertain_delivered} reached Slack)" if f.interrupted else "0",
            f"{f.wall:.1f}",
            f"{f.delivered / f.wall:.1f}",
            " / ".join(f"{s:,}" for s in f.shares) + (" (one killed)" if f.killed else ""),
            ", ".join(f"{m} {n}" for m, n in sorted(f.refused.items())) or "0",
            f"{f.cpu:.1f} ({1000 * f.cpu / max(f.delivered, 1):.1f})",
            f"{f.load[0]:.1f} → {f.load[1]:.1f}",
        )
    return result


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.monday", description=__doc__)
    parser.add_argument("--database-url", required=True, help="the PostgreSQL server's admin URL")
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--workers", type=int, default=32, help="DIGEST_WORKERS of each process")
    parser.add_argument("--kill", action="store_true")
    parser.add_argument(
        "--reminders",
        action="store_true",
        help="one more run at the largest scale: Tuesday's due-day reminders by K processes",
    )
    parser.add_argument("--full", type=int, default=0, help="one more run at this many workspaces")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep-templates",
        action="store_true",
        help="name templates by size and seed, keep them, and reuse a complete one",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    console = Console(width=240)
    counts = [int(k) for k in args.processes.split(",")]
    keep = args.keep_templates
    figures: list[RunFigures] = []

    def prepare(workspaces: int) -> str:
        name = (
            template_name(workspaces=workspaces, accounts=args.accounts, seed=args.seed)
            if keep
            else f"accountbot_monday_{os.getpid()}"
        )
        seconds = make_template(
            args.database_url,
            name,
            workspaces=workspaces,
            accounts=args.accounts,
            seed=args.seed,
            reuse=keep,
        )
        console.print(
            f"{workspaces} workspaces x {args.accounts} accounts: "
            + (
                f"kept template {name} reused"
                if seconds is None
                else f"installed and generated in {seconds:.1f} s"
            )
        )
        return name

    def done(name: str) -> None:
        if not keep:
            drop(args.database_url, name)

    template = ""

    def reminders(workspaces: int) -> None:
        """Tuesday's reminders on the largest scale's template, by the largest K."""
        figures.append(
            run_reminders(
                args.database_url,
                template,
                processes=max(counts),
                workspaces=workspaces,
                console=console,
            )
        )
        console.print(table(figures[-1:]))

    try:
        template = prepare(args.workspaces)
        for k in counts:
            figures.append(
                run(
                    args.database_url,
                    template,
                    label="scaling",
                    processes=k,
                    workspaces=args.workspaces,
                    workers=args.workers,
                    console=console,
                )
            )
            console.print(table(figures[-1:]))
        if args.kill:
            figures.append(
                run(
                    args.database_url,
                    template,
                    label="one killed",
                    processes=max(counts),
                    workspaces=args.workspaces,
                    workers=args.workers,
                    kill=True,
                    console=console,
                )
            )
            console.print(table(figures[-1:]))
        if args.reminders and not args.full:
            reminders(args.workspaces)
        done(template)
        if args.full:
            template = prepare(args.full)
            figures.append(
                run(
                    args.database_url,
                    template,
                    label="full",
                    processes=max(counts),
                    workspaces=args.full,
                    workers=args.workers,
                    console=console,
                )
            )
        if args.reminders and args.full:
            reminders(args.full)
    finally:
        if template:
            done(template)
    console.print(table(figures))
    missed = False
    for f in figures:
        if f.label == "reminders":
            continue
        if f.workspaces * args.accounts >= TARGET_DIGESTS and f.processes == TARGET_PROCESSES:
            met = f.wall <= TARGET_SECONDS and f.lost == 0 and f.duplicates == 0
            missed = missed or not met
            console.print(
                f"target (100,000 digests within 15 minutes with 4 processes, exactly once): "
                f"{'met' if met else 'NOT met'} ({f.delivered:,} in {f.wall / 60:.1f} min)"
            )
    once = all(f.lost == 0 and f.duplicates == 0 for f in figures)
    console.print(
        "exactly once: " + ("held in every run" if once else "BROKEN (see duplicates / lost)")
    )
    return BROKEN if not once else TARGET_MISSED if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
