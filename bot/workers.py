"""`accountbot run --workers N`: N processes serving HTTP on one port.

One Python process serves on one core at a time (the interpreter lock), so more requests a
second need more processes. This parent binds N listening sockets on the port (`SO_REUSEPORT`,
`bot.server.listening_sockets`: the kernel spreads connections between them), forks one worker
per socket, and supervises them: each worker builds its own database engine, pool and app and
serves as a single `run` does (the scheduler too: the scheduler lease on SQLite, the work queue
on PostgreSQL, keep each job to one process). SIGTERM or SIGINT is passed on to every worker,
each finishing its queued work (`STOP_GRACE`) before it exits. A worker that exits on its own
stops the others, and `run` exits 1: the orchestrator restarts the whole, as it would a single
process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

logger = logging.getLogger("accountbot.workers")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

ServeOne = Callable[[socket.socket, int], None]
"""Serves on the socket, as worker number n, until stopped (in the forked process)."""


def run_workers(sockets: list[socket.socket], serve_one: ServeOne) -> int:
    """Fork a worker per socket, pass stop signals on, and wait for them all: 0 when every
    worker stopped cleanly after a stop signal, 1 otherwise."""
    children: dict[int, int] = {}  # pid -> worker number
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):  # gone: its exit is collected below
                os.kill(pid, signal.SIGTERM)

    previous = {number: signal.signal(number, stop) for number in STOP_SIGNALS}
    try:
        # No stop signal while forking: in a child before its own handlers are set, and in the
        # parent between two forks (it would stop the workers forked so far, then fork the rest,
        # which nothing would stop). One arriving meanwhile is delivered once all are forked.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for number, sock in enumerate(sockets, start=1):
                pid = os.fork()
                if pid == 0:
                    _worker(sockets, sock, number, serve_one)  # never returns
                children[pid] = number
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        for sock in sockets:
            sock.close()  # the workers hold them now
        logger.info(
            "serving HTTP with %d worker processes (%s)",
            len(children),
            ", ".join(str(pid) for pid in children),
        )
        status = 0
        while children:
            pid, wait_status = os.wait()
            number = children.pop(pid)
            code = os.waitstatus_to_exitcode(wait_status)
            if code != 0 or not stopping:
                status = 1
                logger.error(
                    "worker %d (pid %d) exited with status %d%s",
                    number,
                    pid,
                    code,
                    "" if stopping else ": stopping the others",
                )
            if not stopping:
                stop()
        logger.info("every worker process stopped")
        return status
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _worker(
    sockets: list[socket.socket], sock: socket.socket, number: int, serve_one: ServeOne
) -> None:
    """In the forked process: serve on `sock` only, then exit (never back into the parent's
    code): 0 when stopped cleanly, 1 when serving raised, or the status it exited with."""
    code = 1
    try:
        for number_ in STOP_SIGNALS:
            signal.signal(number_, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        for other in sockets:
            if other is not sock:
                other.close()
        serve_one(sock, number)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        logger.exception("worker %d failed", number)
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
