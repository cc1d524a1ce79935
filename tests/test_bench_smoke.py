"""Every benchmark still runs: each one's real command line, at a tiny scale, in seconds.

A benchmark nobody runs rots (the digest delivery one posted nothing for a while, every post
failing against a fake Slack whose signature had moved on). Here each `python -m bench.<name>`
runs as a subprocess with tiny arguments; it must exit 0, or 3 (`TARGET_MISSED`: a time target
missed, which a tiny run on a busy machine may well do), print its figures, and print no
traceback. Nothing here is timed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.stats import TARGET_MISSED

ROOT = Path(__file__).resolve().parent.parent
SMOKE: dict[str, tuple[list[str], list[str]]] = {
    # module: (tiny arguments, what its output must show)
    "generate": (
        ["--accounts", "20", "--database-url", "sqlite:///generated.db"],
        [r"account\s+20\b", r"total\s+[\d,]+ rows in"],
    ),
    "run": (
        ["--accounts", "60", "--small", "30", "--repeats", "3", "--history-weeks", "8"],
        [
            r"SQL/call card_of\(account_id=id\): 30: \d+, 60: \d+",
            r"portfolio: bare /account \(U0BENCH001\) at 60: \d+ accounts, p50 [\d.]+ ms, "
            r"p95 [\d.]+ ms \(target p95 ≤ 50 ms\)",
            r"App Home: app_home_opened \(U0BENCH001\) at 60: \d+ accounts, p50",
            r"revenue report \(whole team\) at 60: \d+ accounts at the start, p50 [\d.]+ ms, "
            r"p95 [\d.]+ ms, \d+ statements",
            r"SQL/call revenue report \(whole team\): 30: (\d+), 60: \1\b",
            r"peak resident memory",
        ],
    ),
    "card_latency": (
        ["--accounts", "60", "--small", "30", "--requests", "5", "--warmup", "2"],
        [r"SQL statements per /account request: 30: \d+", r"Target at 60 accounts"],
    ),
    "digests": (
        [
            "--accounts",
            "120",
            "--small",
            "60",
            "--delivery-accounts",
            "150",
            "--history-weeks",
            "8",
        ],
        [
            r"SQL statements per build: 60: (\d+), 120: \1 - same at every scale",
            r"Delivering to 150 accounts' channels under 429 bursts",
            r"429s answered [1-9]",
            r"Duplicates \(channels posted more than once\): 0; missing after the catch-up: 0; "
            r"posts to unexpected channels: 0 - exactly once",
        ],
    ),
    "growth": (
        ["--accounts", "120", "--small", "60", "--repeats", "3"],
        [
            r"hypotheses refresh at 120: \d+ accounts, \d+ hypotheses, \d+ observations, "
            r"[\d.]+ s, \d+ statements, peak traced [\d.]+ MiB",
            r"/account expansion \(U0BENCH001\) at 120: \d+ accounts, p50 [\d.]+ ms, "
            r"p95 [\d.]+ ms, \d+ statements",
            r"SQL statements per refresh: 60: (\d+), 120: \1 - same at every scale",
            r"SQL statements per /account expansion: 60: (\d+), 120: \1 - same at every scale",
        ],
    ),
    "load": (
        [
            *("--accounts", "120", "--concurrency", "3", "--duration", "2", "--warmup", "1"),
            *("--workers", "1,2"),
        ],
        [
            r"card at response URL \(end to end\)\s+[1-9]",
            r"throughput [\d.]+ req/s",
            r"bot process\(es\) [\d.]+s \(\d+% of one core, [\d.]+ ms a request\)",
            r"Errors by kind\s+kind\s+count\s+none\s+0",
            r"bot stopped cleanly on SIGTERM",
            r"By worker processes",
            r"errors 1 [\d.]+ 1\.00 \d+ \d+ \d+ [\d.]+ ms 0 2 [\d.]+ [\d.]+ \d+",  # the curve
        ],
    ),
    "monday": (  # PostgreSQL only: its --database-url is added from TEST_DATABASE_URL
        [
            *("--workspaces", "2", "--accounts", "3", "--processes", "1,2"),
            *("--workers", "2", "--reminders"),
        ],
        [
            r"scaling 2 1 ([1-9]\d*) \1 0 0",  # every digest expected delivered, none twice or lost
            r"scaling 2 2 ([1-9]\d*) \1 0 0",
            r"reminders 2 2 (\d+) \1 0 0",  # Tuesday's reminders (at this scale, maybe none)
            r"exactly once: held in every run",
        ],
    ),
    "socket_mode": (
        ["--rounds", "1"],
        [
            r"refresh_requested: envelope on the new one acked\s+median",
            r"silence: replaced after\s+median",
        ],
    ),
}


ON_POSTGRES = {"monday"}
"""Benchmarks of what only PostgreSQL does (several processes sharing one queue)."""


def test_every_benchmark_has_a_smoke_run() -> None:
    """A new benchmark (a module of bench/ with a command line) gets its line in SMOKE."""
    commands = {
        path.stem
        for path in (ROOT / "bench").glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text()
    }
    assert commands == set(SMOKE)


@pytest.mark.parametrize("module", sorted(SMOKE))
def test_the_benchmark_runs_and_prints_its_figures(module: str, tmp_path: Path) -> None:
    arguments, shown = SMOKE[module]
    if module in ON_POSTGRES:
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url.startswith("postgresql"):
            pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): `make test` runs it there")
        arguments = [*arguments, "--database-url", url]
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *arguments],
        cwd=tmp_path,  # what a bench leaves behind (temporary files too) stays in tmp_path
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
            "TMPDIR": str(tmp_path),
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode in (0, TARGET_MISSED), output[-4000:]
    assert "Traceback" not in output, output[-4000:]
    text = " ".join(re.sub("[\u2500-\u257f]", " ", output).split())  # tables, wrapped lines
    for figure in shown:
        assert re.search(" ".join(figure.split()), text), f"{figure!r} not in:\n{output[-4000:]}"
