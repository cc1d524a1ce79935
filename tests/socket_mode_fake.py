"""A stand-in for Slack's Socket Mode end: a WebSocket server that the test drives.

Each connection is greeted with `hello`. The test sends envelopes and `disconnect` messages on a
chosen connection, reads the acks, and breaks connections the ways networks and servers do: a
TCP reset, a FIN without a WebSocket close frame, or silence (nothing passes either way, as when
a NAT or a load balancer forgets the connection). The bot reaches the server through a small TCP
relay, which is what makes those faults possible.
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve


@dataclass
class Link:
    """One connection from the bot: the relay's two sockets, and the server's WebSocket."""

    index: int
    outside: socket.socket
    inside: socket.socket
    inside_port: int
    websocket: ServerConnection | None = None
    silent: bool = False
    fault: str | None = None
    """What the relay does next: `reset` or `fin` (to the bot), then it closes both sockets."""
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Event:
    """What happened, in order: `open`, `ack` (with the envelope id) or `closed`."""

    kind: str
    connection: int
    envelope_id: str | None = None
    message: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


class FakeSocketMode:
    """`url` is what `apps.connections.open` answers; envelopes given here go out on the first
    connection right after its `hello`."""

    def __init__(self, envelopes: list[dict[str, Any]] | None = None) -> None:
        self.envelopes = list(envelopes or [])
        self.events: list[Event] = []
        self.links: list[Link] = []
        self._condition = threading.Condition()
        self._server: Server = serve(self._session, "127.0.0.1", 0, ping_interval=None)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._accept, daemon=True),
        ]

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test"

    def start(self) -> FakeSocketMode:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._listener.close()
        for link in list(self.links):
            link.fault = link.fault or "fin"
        self._server.shutdown()

    # -- driving ---------------------------------------------------------------------------
    def send(self, envelope: dict[str, Any], *, connection: int = -1) -> None:
        """Send a message (an envelope, a `disconnect`) on a connection (default: the newest)."""
        websocket = self._link(connection).websocket
        assert websocket is not None
        websocket.send(json.dumps(envelope))

    def disconnect(self, reason: str = "refresh_requested", *, connection: int = -1) -> None:
        """Slack's notice that a connection will end: the bot should open another at once."""
        self.send(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}},
            connection=connection,
        )

    def close(self, connection: int = -1) -> None:
        """End a connection properly, with a close frame (as Slack does after a refresh)."""
        websocket = self._link(connection).websocket
        assert websocket is not None
        websocket.close()

    def reset(self, connection: int = -1) -> None:
        """Abort the connection with a TCP reset (RST)."""
        self._break(connection, "reset")

    def fin(self, connection: int = -1) -> None:
        """Close the TCP connection (FIN) without a WebSocket close frame."""
        self._break(connection, "fin")

    def silence(self, connection: int = -1) -> None:
        """From now on nothing passes either way, and nobody says so."""
        self._link(connection).silent = True

    # -- inspection ------------------------------------------------------------------------
    def wait_for_connections(self, count: int, *, timeout: float = 10) -> None:
        """Block until `count` connections have been greeted with `hello`."""
        self._wait(lambda: len(self._opened()) >= count, timeout, f"{count} connection(s)")

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        self._wait(lambda: self.acks(envelope_id), timeout, f"an ack for {envelope_id}")
        return self.acks(envelope_id)[0].message

    def wait_until_closed(self, connection: int, *, timeout: float = 10) -> None:
        self._wait(lambda: self.is_closed(connection), timeout, f"connection {connection} closed")

    def acks(self, envelope_id: str) -> list[Event]:
        with self._condition:
            return [e for e in self.events if e.kind == "ack" and e.envelope_id == envelope_id]

    def is_closed(self, connection: int) -> bool:
        with self._condition:
            return any(e.kind == "closed" and e.connection == connection for e in self.events)

    def first(self, kind: str, connection: int, envelope_id: str | None = None) -> Event:
        """The first event of a kind on a connection (its position in `events` gives the order)."""
        with self._condition:
            for event in self.events:
                if (event.kind, event.connection) == (kind, connection) and (
                    envelope_id is None or event.envelope_id == envelope_id
                ):
                    return event
        raise AssertionError(f"no {kind} event on connection {connection}: {self.events}")

    # -- internals -------------------------------------------------------------------------
    def _opened(self) -> list[Event]:
        return [e for e in self.events if e.kind == "open"]

    def _link(self, connection: int) -> Link:
        with self._condition:
            return self.links[connection]

    def _wait(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._condition:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"waited {timeout} s for {what}; events: {self.events}")
                self._condition.wait(left)

    def _record(self, event: Event) -> None:
        with self._condition:
            self.events.append(event)
            self._condition.notify_all()

    def _break(self, connection: int, fault: str) -> None:
        link = self._link(connection)
        link.fault = fault
        assert link.done.wait(10), "the relay did not break the connection"

    def _accept(self) -> None:
        inside_address = self._server.socket.getsockname()[:2]
        while True:
            try:
                outside, _ = self._listener.accept()
            except OSError:  # the fake was stopped
                return
            inside = socket.create_connection(inside_address)
            with self._condition:
                link = Link(len(self.links), outside, inside, inside.getsockname()[1])
                self.links.append(link)
            threading.Thread(target=self._relay, args=(link,), daemon=True).start()

    def _relay(self, link: Link) -> None:
        """Carry bytes both ways until one side closes or a fault is asked for. One thread owns
        both sockets, so a close really closes (a thread blocked in recv() would keep it open)."""
        other = {link.outside: link.inside, link.inside: link.outside}
        with selectors.DefaultSelector() as selector:
            for sock in other:
                selector.register(sock, selectors.EVENT_READ)
            while link.fault is None:
                for key, _ in selector.select(timeout=0.02):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = source.recv(65536)
                        if data and not link.silent:
                            other[source].sendall(data)
                    except OSError:
                        data = b""
                    if data:
                        continue
                    if link.silent:  # one side hung up: in silence the other never hears
                        selector.unregister(source)
                    else:  # pass the end on (a close frame, if any, went through already)
                        link.fault = "closed"
        if link.fault == "reset":
            link.outside.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        for sock in (link.outside, link.inside):
            if link.fault != "reset" or sock is link.inside:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        link.done.set()

    def _session(self, websocket: ServerConnection) -> None:
        relay_port = websocket.remote_address[1]
        with self._condition:
            link = next(k for k in self.links if k.inside_port == relay_port)
            link.websocket = websocket
        websocket.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))
        self._record(Event("open", link.index))
        if link.index == 0:
            for envelope in self.envelopes:
                websocket.send(json.dumps(envelope))
        try:
            for raw in websocket:
                message = json.loads(raw)
                self._record(Event("ack", link.index, message.get("envelope_id"), message))
        except Exception:  # the relay was cut under it: the connection is gone either way
            pass
        self._record(Event("closed", link.index))
