"""Socket Mode: slack_sdk's Socket Mode client contract on the `websockets` threading client.

None of slack_sdk's own clients keeps a Socket Mode connection as Slack expects. The builtin one
(tried against the stand-in server of `tests/test_socket_mode.py`, figures in `bench/README.md`)
reads nothing on a new connection until the old connection's 3 s read times out, and takes 50 to
60 s to notice a connection closed without a close frame or gone silent. By their source, the
websocket-client one closes the old connection before it starts reading the new one and passes
no ping timeout (a silent connection is never noticed); the asyncio ones need an asyncio Bolt app.

So this client keeps slack_sdk's parts (listeners, `SocketModeRequest`/`SocketModeResponse`,
Bolt's adapter contract) and lets `websockets` run each connection: it pings every
`PING_INTERVAL` s and closes a connection whose pong is `PING_TIMEOUT` s late, so a dead or
silent connection ends within about 6 s. Each connection has its own reader: when Slack says it
will close one (`disconnect`: `refresh_requested` or `warning`), a new one opens at once while
the old one is still read, and every envelope is acknowledged on the connection it came on
while that one is open. Slack closes the old connection when it is done; after
`DRAIN_SECONDS` the client closes it itself.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from logging import Logger
from queue import Queue
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientNotConnectedError
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.protocol import State
from websockets.sync.client import ClientConnection, connect

from bot.inbound import Refused, envelope_payload
from bot.logs import ContextExecutor
from commands.ui.slack_failures import MalformedAnswer, Outcome, classify
from commands.work import AfterResponse

PING_INTERVAL = 2.0
PING_TIMEOUT = 3.0
CLOSE_TIMEOUT = 1.0
"""Seconds to wait for the other side's close frame: a silent connection gets no longer."""
OPEN_TIMEOUT = 10.0
DRAIN_SECONDS = 10.0
"""How long a replaced connection is still read if Slack does not close it (Slack's `warning`
comes about 10 s before it closes a connection)."""
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds between attempts to reach Slack (the last one repeats), at start and after."""
MAX_MESSAGE_BYTES = 16 * 2**20
DROPPED_STATUSES = frozenset({400, 404})
"""Bolt's answers that Slack sending the envelope again would not change: malformed, unhandled."""

WEBSOCKETS_LOGGER = logging.getLogger("accountbot.socket_mode")


class _KeepaliveEnded(logging.Filter):
    """`websockets` logs a keepalive ping timeout as an error with the connection's own
    ConnectionClosed traceback; the client reports that loss in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (
            record.getMessage() == "keepalive ping failed" and isinstance(error, ConnectionClosed)
        )


WEBSOCKETS_LOGGER.addFilter(_KeepaliveEnded())

_arrived_on: ContextVar[Connection | None] = ContextVar("socket_mode_connection", default=None)


class AppTokenRefused(Exception):
    """Slack refused the app-level token (`apps.connections.open`): a setting to fix."""


@dataclass(eq=False)
class Connection:
    number: int
    websocket: ClientConnection
    replaced: bool = False

    @property
    def is_open(self) -> bool:
        return self.websocket.state is State.OPEN


class SocketModeClient(BaseSocketModeClient):
    """Keeps one Socket Mode connection open (two while one replaces the other) until `close()`;
    envelopes run on `concurrency` worker threads, each in a fresh logging context."""

    def __init__(
        self,
        app_token: str,
        *,
        web_client: WebClient,
        logger: Logger,
        concurrency: int = 10,
        ping_interval: float = PING_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
        drain_seconds: float = DRAIN_SECONDS,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.app_token = app_token
        self.web_client = web_client
        self.logger = logger
        self.wss_uri = ""
        self.message_queue = Queue()  # slack_sdk's; envelopes go straight to the workers here
        self.message_listeners = []
        self.socket_mode_request_listeners = []
        self.message_workers = ContextExecutor(
            max_workers=concurrency, thread_name_prefix="socket-mode-worker"
        )
        self.closed = False
        self.connect_operation_lock = threading.Lock()
        self._connect_options: dict[str, Any] = {
            "open_timeout": OPEN_TIMEOUT,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "close_timeout": CLOSE_TIMEOUT,
            "max_size": MAX_MESSAGE_BYTES,
            "logger": WEBSOCKETS_LOGGER,
        }
        if web_client.ssl is not None:
            self._connect_options["ssl"] = web_client.ssl
        self._drain_seconds = drain_seconds
        self._retry_delays = retry_delays
        self._lock = threading.Lock()
        self._connections: list[Connection] = []
        self._current: Connection | None = None
        self._numbers = itertools.count(1)
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    # -- slack_sdk's client interface --------------------------------------------------------
    def issue_new_wss_url(self) -> str:
        """A single-use WebSocket URL (the Web API client already retries 429s and drops)."""
        answer = self.web_client.apps_connections_open(app_token=self.app_token)
        url = answer.get("url")
        if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
            raise MalformedAnswer("apps.connections.open answered without a WebSocket `url`")
        return url

    def connect(self) -> None:
        """Check the app token, then keep a connection open from a background thread; a
        connection that cannot be opened is retried (and logged) until `close()`.

        A token Slack refuses raises `AppTokenRefused`. Slack down, unreachable or answering
        badly is no refusal: asked again with a back-off, one line an attempt, until it answers,
        or `interrupt()` / `close()` (then nothing is opened)."""
        url = self._first_url()
        if url is None:
            return
        self._supervisor = threading.Thread(
            target=self._supervise, args=(url,), name="socket-mode", daemon=True
        )
        self._supervisor.start()

    def interrupt(self) -> None:
        """Stop trying to connect (SIGTERM): `connect()` returns, the supervisor opens no more."""
        self._stopping.set()
        self._wanted.set()

    def _first_url(self) -> str | None:
        attempt = 0
        while True:
            try:
                return self.issue_new_wss_url()
            except Exception as error:
                if (failure := classify(error)) is None:
                    raise
                if failure.outcome is Outcome.REFUSED:
                    raise AppTokenRefused(failure.code) from None
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                attempt += 1
                self.logger.warning(
                    "could not connect to Slack in Socket Mode (%s): retrying in %g s",
                    failure.trouble or failure.cause,
                    delay,
                )
                if self._stopping.wait(delay):
                    return None

    def is_connected(self) -> bool:
        with self._lock:
            return self._current is not None and self._current.is_open

    def disconnect(self) -> None:
        """Close the current connection; another one replaces it."""
        with self._lock:
            current = self._current
        if current is not None:
            current.websocket.close()

    def close(self) -> None:
        """Finish the envelopes in hand (their acks still go out), then close every connection."""
        self.closed = True
        self._stopping.set()
        self._wanted.set()
        self.message_workers.shutdown(wait=True)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.websocket.close()
        if self._supervisor is not None:
            self._supervisor.join(timeout=OPEN_TIMEOUT + 5)

    def send_message(self, message: str) -> None:
        if not self._send(message, preferred=None):
            raise SlackClientNotConnectedError("no open Socket Mode connection")

    def send_socket_mode_response(self, response: dict[str, Any] | SocketModeResponse) -> None:
        """Acknowledge on the connection the envelope came on, or else on any open one."""
        body = response.to_dict() if isinstance(response, SocketModeResponse) else response
        if not self._send(json.dumps(body), preferred=_arrived_on.get()):
            self.logger.error(
                "no open Socket Mode connection to acknowledge envelope %s: Slack will send it "
                "again",
                body.get("envelope_id"),
            )

    # -- connections ---------------------------------------------------------------------------
    def _supervise(self, url: str | None) -> None:
        """Open a connection whenever the current one is gone or replaced (asked for through
        `_wanted`), retrying with growing delays."""
        failures = 0
        while not self._stopping.is_set():
            if self._needs_connection():
                try:
                    self._open(url or self.issue_new_wss_url())
                    failures = 0
                except Exception as error:
                    delay = self._retry_delays[min(failures, len(self._retry_delays) - 1)]
                    failures += 1
                    expected = isinstance(error, OSError | WebSocketException) or bool(
                        classify(error)
                    )
                    self.logger.warning(
                        "could not connect to Slack in Socket Mode (%s: %s): retrying in %g s",
                        type(error).__name__,
                        error,
                        delay,
                        exc_info=not expected,
                    )
                    if self._stopping.wait(delay):
                        return
                    continue
                finally:
                    url = None
            # Several reasons may have asked for the connection just opened (a notice, then
            # the old connection closing): the check above opens one, not one per reason.
            self._wanted.wait()
            self._wanted.clear()

    def _needs_connection(self) -> bool:
        with self._lock:
            current = self._current
            return current is None or current.replaced or not current.is_open

    def _open(self, url: str) -> None:
        number = next(self._numbers)
        opened: Future[Connection] = Future()
        threading.Thread(
            target=self._run_connection,
            args=(url, number, opened),
            name=f"socket-mode-{number}",
            daemon=True,
        ).start()
        opened.result()  # raises what opening it raised

    def _run_connection(self, url: str, number: int, opened: Future[Connection]) -> None:
        """Open one connection and read it until it ends, whoever ends it."""
        options = dict(self._connect_options)
        if not url.startswith("wss:"):
            options.pop("ssl", None)
        connection: Connection | None = None
        ended: Exception | None = None
        try:
            with connect(url, **options) as websocket:
                if self._stopping.is_set():  # close() came while it opened: leave it unread
                    opened.set_result(Connection(number, websocket))
                    return
                connection = Connection(number, websocket)
                self._adopt(connection)
                opened.set_result(connection)
                for raw in websocket:
                    self._dispatch(connection, raw)
        except Exception as error:
            if connection is None:  # it never opened: the supervisor says why and retries
                opened.set_exception(error)
                return
            if not isinstance(error, ConnectionClosed | OSError):
                self.logger.exception("Socket Mode connection %d failed", number)
            ended = error
        finally:
            if connection is not None:
                self._forget(connection, ended)

    def _adopt(self, connection: Connection) -> None:
        """The new connection becomes the current one; those it replaces are read until Slack
        closes them, or closed after `DRAIN_SECONDS`."""
        with self._lock:
            replaced = list(self._connections)
            self._connections.append(connection)
            self._current = connection
            for old in replaced:
                old.replaced = True
        self.logger.info("connected to Slack in Socket Mode (connection %d)", connection.number)
        for old in replaced:
            timer = threading.Timer(self._drain_seconds, self._close_replaced, args=(old,))
            timer.daemon = True
            timer.start()

    def _close_replaced(self, connection: Connection) -> None:
        if connection.is_open:
            self.logger.info("closing replaced Socket Mode connection %d", connection.number)
            connection.websocket.close()

    def _forget(self, connection: Connection, error: Exception | None) -> None:
        with self._lock:
            self._connections.remove(connection)
            was_current = connection is self._current
            if was_current:
                self._current = None
        if self._stopping.is_set():
            return
        if not was_current:
            self.logger.info("replaced Socket Mode connection %d closed", connection.number)
            return
        if error is None:
            self.logger.info(
                "Socket Mode connection %d closed by Slack: reconnecting", connection.number
            )
        else:
            self.logger.warning(
                "Socket Mode connection %d lost (%s: %s): reconnecting",
                connection.number,
                type(error).__name__,
                error,
            )
        self._wanted.set()

    # -- messages ----------------------------------------------------------------------------
    def _dispatch(self, connection: Connection, raw: str | bytes) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.logger.warning("Socket Mode message that is not a JSON object dropped")
            return
        kind = message.get("type")
        if kind == "hello":
            self.logger.debug("Socket Mode connection %d: hello", connection.number)
            return
        if kind == "disconnect":
            self._replace(connection, str(message.get("reason")))
            return
        envelope_id = message.get("envelope_id")
        try:  # the HTTP door's rules: Slack's shapes only, text made harmless
            message["payload"] = envelope_payload(message)
        except Refused as refused:
            self.logger.warning(
                "Socket Mode envelope %s refused (%s): acknowledged and dropped",
                envelope_id,
                refused.reason,
            )
            if isinstance(envelope_id, str) and envelope_id:
                self._send(json.dumps({"envelope_id": envelope_id}), preferred=connection)
            return
        try:
            self.message_workers.submit(self._handle, connection, message, text)
        except RuntimeError:  # close() has begun: Slack sends it again to the next process
            self.logger.info("stopping: envelope %s left for Slack to send again", envelope_id)

    def _handle(self, connection: Connection, message: dict[str, Any], raw: str) -> None:
        _arrived_on.set(connection)
        self.run_message_listeners(message, raw)

    def _replace(self, connection: Connection, reason: str) -> None:
        with self._lock:
            wanted = connection is self._current and not connection.replaced
            connection.replaced = True
        if wanted:
            self.logger.info(
                "Slack will close Socket Mode connection %d (%s): opening another",
                connection.number,
                reason,
            )
            self._wanted.set()

    def _send(self, text: str, *, preferred: Connection | None) -> bool:
        with self._lock:
            candidates = [preferred, self._current, *reversed(self._connections)]
        for connection in dict.fromkeys(c for c in candidates if c is not None):
            try:
                connection.websocket.send(text)
            except ConnectionClosed:
                continue
            if self.logger.isEnabledFor(logging.DEBUG):
                self.logger.debug("sent on connection %d: %s", connection.number, text)
            return True
        return False


class SocketModeHandler(BaseSocketModeHandler):
    """Bolt's Socket Mode adapter on `SocketModeClient`. Every envelope is acknowledged, also
    one that Bolt finds malformed or that no listener handles: sending it again would not help."""

    client: SocketModeClient

    def __init__(self, app: App, client: SocketModeClient) -> None:
        self.app = app
        self.client = client
        client.socket_mode_request_listeners.append(self.handle)

    # Bolt's connect() and close() do just this, unannotated.
    def connect(self) -> None:
        self.client.connect()

    def close(self) -> None:
        self.client.close()

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        """Bolt's answer sent as the envelope's ack; only then does the work the listener
        handed to the pool start (`commands.work.AfterResponse`), as over HTTP."""
        after = AfterResponse()
        try:
            self._answer(client, req, after)
        finally:
            after.start()

    def _answer(
        self, client: BaseSocketModeClient, req: SocketModeRequest, after: AfterResponse
    ) -> None:
        start = time.time()
        try:
            with after.collecting():
                response = run_bolt_app(self.app, req)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            self._drop(client, req, f"{type(error).__name__}: {error}")
            return
        if response.status in DROPPED_STATUSES:
            # Bolt has said why already ("Unhandled request", or the refusal's own line).
            self._drop(client, req, f"status {response.status}", level=logging.INFO)
            return
        send_response(client, req, response, start)

    def _drop(
        self,
        client: BaseSocketModeClient,
        req: SocketModeRequest,
        why: str,
        *,
        level: int = logging.WARNING,
    ) -> None:
        client.logger.log(
            level,
            "Socket Mode envelope %s (%s, %s) not handled (%s): acknowledged and dropped",
            req.envelope_id,
            req.type,
            req.payload.get("type") or req.payload.get("command") or "no payload type",
            why,
        )
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


def socket_mode_handler(app: App, app_token: str) -> SocketModeHandler:
    return SocketModeHandler(
        app, SocketModeClient(app_token, web_client=app.client, logger=app.logger)
    )
