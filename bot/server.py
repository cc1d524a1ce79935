"""HTTP mode (Flask routes on waitress, a threaded production server) and Socket Mode."""

from __future__ import annotations

import errno
import gc
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from werkzeug.wsgi import ClosingIterator

from bot.inbound import Refused, slack_request
from bot.logs import QueueSummary, begin_request
from bot.settings import Settings, SettingsError
from bot.socket_mode import AppTokenRefused, socket_mode_handler
from bot.workspaces import INSTALL_PATH, REDIRECT_PATH, team_clients
from commands.ui.directory import Directory
from commands.work import AfterResponse, WorkPool
from digests.scheduler import build_scheduler
from store.db import Database, DatabaseFileMissing, StoreNotWritable
from store.types import utcnow

logger = logging.getLogger("accountbot.server")

EVENTS_PATH = "/slack/events"
PROCESS_HEADER = "X-Accountbot-Process"
MAX_BODY_BYTES = 1_000_000
STOP_WAIT = 10.0
"""Seconds a stopping server waits for the requests in flight to be answered."""
HOST = "0.0.0.0"
BACKLOG = 1024
"""Connections waiting to be accepted, per listening socket (waitress's default)."""
QUEUE_SUMMARY_SECONDS = 10.0
"""At most one line this often about requests waiting for a free HTTP thread (per process)."""
QUEUE_LOGGER = logging.getLogger("waitress.queue")
QUEUE_SUMMARY = QueueSummary(every=QUEUE_SUMMARY_SECONDS)
QUEUE_LOGGER.addFilter(QUEUE_SUMMARY)


def make_web_app(bolt_app: App, db: Database, *, signing_secret: str) -> Flask:
    """`POST /slack/events` for commands, interactivity and events; `GET /healthz` for probes;
    with OAuth, `GET /slack/install` and `GET /slack/oauth_redirect`."""
    web = Flask("accountbot")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    slack = SlackRequestHandler(bolt_app)
    verifier = SignatureVerifier(signing_secret)

    web.before_request(begin_request)
    web.wsgi_app = starting_work_after_response(web.wsgi_app)  # type: ignore[assignment,method-assign]  # Flask's documented place for WSGI middleware

    @web.post(EVENTS_PATH)
    def slack_events() -> Response | tuple[Response, int]:
        """Signed, parsed and shaped at the door (`bot.inbound`), then handed to Bolt."""
        try:
            bolt_request = slack_request(request, verifier)
        except Refused as refused:
            logger.info(
                "request refused with %s: %s (%s bytes from %s)",
                refused.status,
                refused.reason,
                request.content_length,
                request.remote_addr,
            )
            return jsonify(error=refused.reason), refused.status
        return to_flask_response(bolt_app.dispatch(bolt_request))

    if bolt_app.oauth_flow is not None:  # many workspaces: Bolt serves the install flow

        @web.get(INSTALL_PATH)
        @web.get(REDIRECT_PATH)
        def slack_oauth() -> Response:
            return slack.handle(request)

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        """200 only when the store takes a write (a read would pass on a read-only file)."""
        try:
            db.check_writable()
        except DatabaseFileMissing:
            logger.exception("health check: the database file is missing")
            return jsonify(status="error", database="missing"), 503
        except StoreNotWritable:
            logger.exception("health check: the database refuses writes")
            return jsonify(status="error", database="read-only"), 503
        except Exception:
            logger.exception("health check: database unreachable")
            return jsonify(status="error", database="unreachable"), 503
        answer = jsonify(status="ok", database="ok")
        answer.headers[PROCESS_HEADER] = str(os.getpid())  # which of `--workers` answered
        return answer, 200

    return web


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def starting_work_after_response(app: WsgiApp) -> WsgiApp:
    """The work a request hands to the pool (`commands.work`) starts only once its response
    has been written. Waitress sends each chunk as it is written, from the request thread,
    then closes the WSGI response in that thread (PEP 3333's `close()`), also when the client
    went away or serving failed: the work starts there. An empty body (most acks) has no chunk
    to write, and waitress would write its headers only after `close()`: they are written
    first through `start_response`'s `write` (PEP 3333), when the body turns out empty."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        after = AfterResponse()
        writes: list[Callable[[bytes], Any]] = []

        def starting(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            write = start_response(status, headers, *exc_info)
            writes.append(write)
            return write

        try:
            with after.collecting():
                body = app(environ, starting)
        except BaseException:
            after.start()
            raise
        return ClosingIterator(_headers_first(body, writes), [_closer(body), after.start])

    return serve


def _headers_first(body: Iterable[bytes], writes: list[Callable[[bytes], Any]]) -> Iterator[bytes]:
    """`body`'s chunks; when none had any bytes, the headers are written before it ends."""
    empty = True
    for chunk in body:
        empty = empty and not chunk
        yield chunk
    if empty and writes:
        writes[-1](b"")  # waitress writes the status line and headers on the first write


def _closer(body: Iterable[bytes]) -> Callable[[], None]:
    close = getattr(body, "close", None)
    return close if callable(close) else (lambda: None)


class HttpServer:
    """A waitress server (threaded, production grade) that can be stopped from any thread."""

    def __init__(
        self,
        web: Flask,
        *,
        threads: int,
        host: str | None = None,
        port: int | None = None,
        sockets: list[socket.socket] | None = None,
        **adjustments: Any,
    ):
        """On `host` and `port`, or on `sockets` already bound (one of `--workers`)."""
        self._sockets: dict[int, Any] = {}
        where: dict[str, Any] = {"sockets": sockets} if sockets else {"host": host, "port": port}
        server = create_server(
            web,
            map=self._sockets,
            threads=threads,
            max_request_body_size=MAX_BODY_BYTES,
            ident="accountbot",
            clear_untrusted_proxy_headers=True,
            **where,
            **adjustments,
        )
        # One host and port make one server (only several `listen` addresses make more).
        assert isinstance(server, BaseWSGIServer)
        self._server = server

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[attr-defined]  # set on binding; types-waitress leaves it out

    def run(self) -> None:
        """Serve until `stop()`."""
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown()
            QUEUE_SUMMARY.flush(QUEUE_LOGGER)  # the requests queued since the last line

    def stop(self) -> None:
        """Take no more connections, let the requests in flight be answered (for at most
        `STOP_WAIT` seconds: a form being saved waits for its save), then close every socket from
        inside the serving loop, which then returns. Returns at once: it is called from a signal
        handler, on the thread that runs the loop, which must keep running to send the answers."""
        threading.Thread(target=self._drain, name="http-stop", daemon=True).start()

    def _drain(self) -> None:
        # the listening socket only (the server's own close() also closes the trigger that task
        # threads pull to have their answers sent): waitress has no graceful stop of its own
        self._in_loop(lambda: wasyncore.dispatcher.close(self._server))
        logger.info("stopping: no new connections; answering the requests in flight")
        deadline = time.monotonic() + STOP_WAIT
        while self._in_flight() and time.monotonic() < deadline:
            time.sleep(0.05)
        self._in_loop(lambda: wasyncore.close_all(self._sockets))

    def _in_flight(self) -> bool:
        """A connection with a request read and not yet answered, or an answer not yet sent."""
        channels = [c for c in list(self._sockets.values()) if isinstance(c, HTTPChannel)]
        return any(c.requests or c.total_outbufs_len for c in channels)

    def _in_loop(self, call: Callable[[], None]) -> None:
        try:
            self._server.trigger.pull_trigger(call)  # type: ignore[attr-defined]  # types-waitress says int: it is waitress's trigger
        except OSError:  # the loop has already gone and closed its trigger: do it here
            call()


def serve(
    settings: Settings,
    bolt_app: App,
    db: Database,
    *,
    directory: Directory | None = None,
    work: WorkPool | None = None,
    sockets: list[socket.socket] | None = None,
) -> None:
    """Run until interrupted, in Socket Mode when an app token is set, else over HTTP (on PORT,
    or on `sockets` already listening: one process of `run --workers`); the scheduler
    (due-day reminders) runs beside either, with the app's `directory` (with several
    processes, the scheduler lease or the work queue in the database keeps each job to one).
    Once no more requests come in, the app's `work` pool finishes (or answers) what is
    queued."""
    scheduler = build_scheduler(
        db,
        team_clients(settings, db, bolt_app.client),
        clock=utcnow,
        digest_defaults=settings.digest_defaults(),
        directory=directory,
        workers=settings.digest_workers,
    )
    scheduler.start()
    freeze_startup_heap()
    try:
        _serve(settings, bolt_app, db, sockets)
    finally:
        scheduler.shutdown(wait=False)
        if work is not None:
            work.close()


def freeze_startup_heap() -> None:
    """Leave what start-up made (modules, the app, SQLAlchemy's and pydantic's machinery: some
    170,000 objects) out of every later garbage collection (`gc.freeze`). Without it each full
    collection walks them all, about 150 ms on this project's 2-core machine, and a request's own
    objects trigger one every few owner's portfolios: that pause was most of the lists' p95.
    Start-up's garbage is collected first, so none of it is kept for good."""
    gc.collect()
    gc.freeze()


def _serve(
    settings: Settings, bolt_app: App, db: Database, sockets: list[socket.socket] | None
) -> None:
    stopping = threading.Event()
    if settings.socket_mode:
        handler = socket_mode_handler(bolt_app, settings.slack_app_token or "")

        def stop() -> None:  # also while connect() still waits for Slack to answer
            stopping.set()
            handler.client.interrupt()

        _on_stop_signal(stop)
        try:
            handler.connect()  # "connected to Slack in Socket Mode" once a connection is open
        except AppTokenRefused as refused:
            handler.close()
            raise SettingsError(
                f"SLACK_APP_TOKEN was refused by Slack ({refused}): expected an app-level token "
                "(xapp-…) of this app with the connections:write scope"
            ) from None
        # Waited in slices: a stop signal Linux hands to another thread only trips a flag, which
        # the main thread reads when it next runs Python; blocked in one endless wait it never
        # would (a SIGTERM was lost that way, about one run in five).
        while not stopping.wait(timeout=0.2):
            pass
        handler.close()
        logger.info("Socket Mode connection closed")
        return
    where: dict[str, Any] = (
        {"sockets": sockets} if sockets else {"host": HOST, "port": settings.port}
    )
    try:
        server = HttpServer(
            make_web_app(bolt_app, db, signing_secret=settings.slack_signing_secret or ""),
            threads=settings.http_threads,
            **where,
        )
    except OSError as error:  # taken since `run` checked it free
        if error.errno != errno.EADDRINUSE:
            raise
        raise SettingsError(
            f"port {settings.port} is in use by another process: stop it, or set PORT to a free one"
        ) from None
    _on_stop_signal(server.stop)
    logger.info("serving HTTP on port %s (POST %s, GET /healthz)", server.port, EVENTS_PATH)
    server.run()
    logger.info("HTTP server stopped")


def listening_sockets(port: int, count: int, *, host: str = HOST) -> list[socket.socket]:
    """`count` sockets listening on one port, one per process of `run --workers`: each has
    `SO_REUSEPORT`, so the kernel spreads new connections between them (by the connection's
    addresses), and a process that stops takes only its own socket's queue with it. Port 0
    picks a free port for all of them. The port is first checked free (`free_port`): another
    process's `SO_REUSEPORT` sockets would otherwise take these in and share its requests."""
    port = free_port(port, host=host)
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(BACKLOG)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def free_port(port: int, *, host: str = HOST) -> int:
    """`port` (or, for 0, one the system picks), checked free by binding it without
    `SO_REUSEPORT`, which fails while any other process listens there, even one of another
    `run --workers` (whose sockets would take ours into their group). In use, it stops the
    start (`SettingsError`) before anything else starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed one's TIME_WAIT
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise SettingsError(
                f"port {port} is in use by another process: stop it, or set PORT to a free one"
            ) from None
        return int(probe.getsockname()[1])


def _on_stop_signal(stop: Callable[[], None]) -> None:
    """SIGTERM (from an orchestrator) and SIGINT (Ctrl-C) both stop the bot cleanly."""
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: stop())
