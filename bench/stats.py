"""Measuring helpers shared by the benchmarks: statement counts, percentiles, time and memory."""

from __future__ import annotations

import math
import resource
import sys
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
BROKEN = 1
"""Exit status of a benchmark that found something broken (errors, a post lost or sent twice, a
wait that gave up, an unclean stop), as of one that raised: its figures cannot be trusted."""
TARGET_MISSED = 3
"""Exit status of a benchmark that measured everything, found nothing broken, and printed that a
time or memory target was missed. `tests/test_bench_smoke.py` accepts it (a tiny run on a busy
machine may well miss a target); it fails on anything else but 0."""


@dataclass
class StatementCount:
    """SQL statements seen on an engine; `queries` leaves out transaction control (BEGIN…)."""

    total: int = 0
    queries: int = 0
    statements: list[tuple[str, Any]] = field(default_factory=list)  # (SQL, parameters)


@contextmanager
def count_statements(engine: Engine, *, keep: bool = False) -> Iterator[StatementCount]:
    """Count every statement sent to the database in the block; `keep` keeps SQL and parameters."""
    count = StatementCount()

    def _before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        count.total += 1
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            count.queries += 1
        if keep:
            count.statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def percentiles(
    samples: Iterable[float], wanted: Sequence[float] = (50, 95, 99)
) -> dict[float, float]:
    """Percentiles by linear interpolation between closest ranks (numpy's default method)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("percentiles of no samples")
    result = {}
    for p in wanted:
        if not 0 <= p <= 100:
            raise ValueError(f"percentile {p} is outside 0..100")
        rank = (len(ordered) - 1) * p / 100
        low, high = math.floor(rank), math.ceil(rank)
        result[p] = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return result


@dataclass
class Timer:
    """Wall-clock seconds of a `timed()` block, set when the block ends."""

    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Timer]:
    """Time a block with the monotonic high-resolution clock."""
    timer = Timer()
    started = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - started


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (the OS's high-water mark)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


@dataclass
class TracedMemory:
    """Peak bytes Python allocated inside a `traced_memory()` block."""

    peak: int = 0


@contextmanager
def traced_memory() -> Iterator[TracedMemory]:
    """Peak Python allocations of a block via tracemalloc (slows the block down several times)."""
    memory = TracedMemory()
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        yield memory
    finally:
        memory.peak = tracemalloc.get_traced_memory()[1]
        if not already:
            tracemalloc.stop()
