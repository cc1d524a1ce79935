"""A fake Slack Socket Mode endpoint: sends envelopes over a WebSocket and records the acks."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve


class FakeSocketMode:
    """Greets each connection with `hello`, then delivers the queued envelopes in order."""

    def __init__(self, envelopes: list[dict[str, Any]]) -> None:
        self.envelopes = envelopes
        self.received: list[dict[str, Any]] = []
        self._condition = threading.Condition()
        self._server: Server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test"

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                for message in self.received:
                    if message.get("envelope_id") == envelope_id:
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for {envelope_id}; received {self.received}")
                self._condition.wait(left)

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))
        for envelope in self.envelopes:
            connection.send(json.dumps(envelope))
        for raw in connection:
            with self._condition:
                self.received.append(json.loads(raw))
                self._condition.notify_all()
