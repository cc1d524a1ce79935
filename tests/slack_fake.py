"""A fake Slack Web API on 127.0.0.1 that records every call the bot makes.

It answers like Slack (`{"ok": true, ...}`), can be told to fail a channel with Slack's own error
codes or to rate-limit a method with 429 and `Retry-After`, and also stands in for the
`response_url` endpoints of slash commands and interactions. `fault()` makes it misbehave as a
network or an overloaded Slack does, after it has read the request: reset or close the
connection without answering, answer a 5xx, an HTML page, broken JSON, an empty or cut-off body.
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
FAULTS = ("reset", "close", "cut_off", "status", "html", "broken_json", "empty", "body")
"""What `FakeSlack.fault` can do to a request it has read (see there)."""
FAULTED = 0
"""The `status` recorded for a call that got no proper answer (reset, closed, cut off)."""


WAIT = 30.0
"""How long a test waits for a call before failing. The waits end as soon as the call arrives, so
this bounds only a failing test's time; it is generous because a loaded machine (a CI runner, a
laptop running two suites) can take seconds to get a background thread onto a core."""


@dataclass
class Fault:
    kind: str
    status: int
    channel: str | None
    left: int
    body: bytes = b""


@dataclass
class Hold:
    reached: threading.Event
    """Set when an answer is made and held."""
    release: threading.Event
    """Set it to send the answers held."""


@dataclass
class Call:
    """One request the bot sent: an API method (`chat.postMessage`) or a response URL."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    path: str = ""
    answer: dict[str, Any] = field(default_factory=dict)

    def json_param(self, name: str) -> Any:
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


class FakeSlack:
    """Start with `start()`, point the WebClient's base_url at `api_url`, read `calls`. It
    listens on `port` when given (a Slack that comes up after the bot started), else any."""

    def __init__(self, *, port: int = 0) -> None:
        self.calls: list[Call] = []
        self._failing_channels: dict[str, str] = {}
        self._rate_limits: dict[str, list[int]] = {}
        self._delays: dict[str, float] = {}
        self._holds: dict[str, threading.Event] = {}
        self._answer_holds: dict[str, Hold] = {}
        self._started: dict[str, int] = {}
        self._faults: dict[str, list[Fault]] = {}
        self.socket_mode_url: str | None = None
        self.users: dict[str, dict[str, Any]] = {}
        """users.info answers by user id (`tz`, `is_admin`, …); unknown users are in UTC."""
        self.channels: dict[str, dict[str, Any]] = {}
        """conversations.info/members answers by channel id: `is_private`, `members`, or an
        `error` (a private channel the bot is not in answers `channel_not_found`); any other key
        (`is_ext_shared`, `is_shared`, `shared_team_ids`, …) is part of conversations.info's
        channel as given."""
        self.workspace_channels: list[str] = []
        """Channels conversations.list names beside those of `channels` the bot can see."""
        self.list_page = 1000
        """The most channels a page of conversations.list holds (Slack's own limit too)."""
        self.default_members = ["U0ALICE", "U0BOB"]
        """Members of a channel not in `channels` (a public one)."""
        self.grants: dict[str, dict[str, Any]] = {}
        """OAuth codes `oauth.v2.access` accepts (once each): code -> the workspace's grant."""
        self.uploads: dict[str, bytes] = {}
        """Files uploaded (files upload v2, step 2), by file id: the bytes the bot sent."""
        self.token_teams: dict[str, str] = {}
        """Bot tokens handed out by `oauth.v2.access`, and their team (auth.test answers it)."""
        self.refused_tokens: dict[str, str] = {}
        """Tokens every method refuses, with Slack's error code (`invalid_auth`)."""
        self._condition = threading.Condition()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, token: str = "r1") -> str:
        return f"{self.base_url}/response/{token}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        for method in list(self._holds):
            self.release(method)
        for answer in self._answer_holds.values():
            answer.release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- behaviour -------------------------------------------------------------------------
    def fail_channel(self, channel: str, error: str) -> None:
        """Every call naming this channel answers `{"ok": false, "error": error}`."""
        self._failing_channels[channel] = error

    def rate_limit(self, method: str, *, times: int = 1, retry_after: float = 1) -> None:
        """The next `times` calls of `method` answer 429 with `Retry-After: retry_after` (a
        fraction, like 1.5, is sent as such)."""
        self._rate_limits[method] = [retry_after] * times  # type: ignore[list-item]

    def fault(
        self,
        method: str,
        kind: str,
        *,
        times: int = 1,
        status: int | None = None,
        channel: str | None = None,
        body: bytes = b"",
    ) -> None:
        """The next `times` calls of `method` (only those naming `channel`, when given; the
        method `response_url` for the response URLs, `file.upload` for files upload v2's upload
        URL) are read, recorded, then answered badly:

        - `reset`: the connection is reset (RST) without an answer;
        - `close`: the connection is closed (FIN) without an answer;
        - `cut_off`: a 200 whose Content-Length promises more than is sent before closing;
        - `status`: an HTTP `status` (default 503) with Slack's JSON error body;
        - `html`: an HTML error page with `status` (default 502), as a proxy answers;
        - `broken_json`: a 200 whose JSON body stops half-way;
        - `empty`: `status` (default 200) with an empty body;
        - `body`: `status` (default 200) with `body` as it is, as JSON (`[1]`, `"ok"`, bytes
          that are not UTF-8, `{"ok": true}` without the fields the method answers).

        Slack may well have carried such a request out: it counts among `calls` (with status
        `FAULTED` when no status line was sent).
        """
        assert kind in FAULTS, f"unknown fault {kind!r}: one of {FAULTS}"
        default = {"status": 503, "html": 502}.get(kind, 200)
        with self._condition:
            self._faults.setdefault(method, []).append(
                Fault(kind, status or default, channel, times, body)
            )

    def _take_fault(self, method: str, channel: str | None) -> Fault | None:
        with self._condition:
            for fault in self._faults.get(method, []):
                if fault.left > 0 and fault.channel in (None, channel):
                    fault.left -= 1
                    return fault
        return None

    def grant(self, code: str, *, team_id: str, token: str, team_name: str = "Acme Corp") -> None:
        """Accept `code` once at `oauth.v2.access`, installing the bot into `team_id`."""
        self.grants[code] = {"team_id": team_id, "token": token, "team_name": team_name}

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds

    def hold_answer(self, method: str, channel: str) -> Hold:
        """Answers of `method` for `channel` are made, then held until `release` is set (Slack
        said it, and the answer is on its way while the world changes)."""
        self._answer_holds[f"{method}#{channel}"] = held = Hold(
            threading.Event(), threading.Event()
        )
        return held

    def hold(self, method: str) -> None:
        """Answer `method` only once `release(method)` is called (the calls come in, see
        `wait_for_start`, and wait)."""
        with self._condition:
            self._holds[method] = threading.Event()

    def release(self, method: str) -> None:
        """Let every held call of `method` be answered, and the next ones straight away."""
        with self._condition:
            held = self._holds.pop(method, None)
        if held is not None:
            held.set()

    def delay_channel(self, method: str, channel: str, seconds: float) -> None:
        """Answer `method` for one channel only after `seconds` (the call still takes effect)."""
        self._delays[f"{method}#{channel}"] = seconds

    # -- inspection ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._condition:
            return [c for c in self.calls if c.method == method]

    def replies_to(self, token: str) -> list[Call]:
        """What the bot sent to the response URL `response_url(token)`."""
        return [c for c in self.calls_to("response_url") if c.path == f"/response/{token}"]

    def started(self, method: str) -> int:
        """How many requests to `method` came in, answered yet or not."""
        with self._condition:
            return self._started.get(method, 0)

    def wait_for_start(self, method: str, *, count: int = 1, timeout: float = WAIT) -> None:
        """Block until `count` requests to `method` have come in (recorded or not yet)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._started.get(method, 0) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} request(s) to {method} to start"
                self._condition.wait(left)

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = WAIT,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until `count` calls of `method` (matching `where`) arrived, then return them."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [
                    c for c in self.calls if c.method == method and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self.calls})
                    raise AssertionError(
                        f"expected {count} call(s) to {method}, got {len(found)}; seen: {seen}"
                    )
                self._condition.wait(left)

    def wait_until(self, seen: Callable[[list[Call]], bool], *, timeout: float = WAIT) -> None:
        """Block until `seen(calls)` holds for what the bot has sent so far."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not seen(self.calls):
                left = deadline - time.monotonic()
                assert left > 0, f"not seen; calls: {sorted({c.method for c in self.calls})}"
                self._condition.wait(left)

    def opened_view(self, *, timeout: float = WAIT, nth: int = 1) -> dict[str, Any]:
        """The `nth` modal the bot opened (the first, unless the test opened several): a loading
        view at once, then the real one by views.update."""
        opened = self.wait_for("views.open", count=nth, timeout=timeout)[nth - 1]
        assert opened.json_param("view")["callback_id"] == "loading"
        updated = self.wait_for("views.update", count=nth, timeout=timeout)[nth - 1]
        assert opened.at <= updated.at
        assert updated.params["view_id"] == opened.answer["view"]["id"]
        return {
            **updated.json_param("view"),
            **{k: updated.answer["view"][k] for k in ("id", "hash")},
        }

    def _record(self, call: Call) -> None:
        with self._condition:
            self.calls.append(call)
            self._condition.notify_all()

    # -- HTTP ------------------------------------------------------------------------------
    def _answer(
        self, method: str, params: dict[str, Any], token: str | None = None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if token in self.refused_tokens:
            return 200, {}, {"ok": False, "error": self.refused_tokens[token]}
        if pending := self._rate_limits.get(method):
            retry_after = pending.pop(0)
            return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
        channel = params.get("channel") or params.get("channel_id") or params.get("user")
        if channel in self._failing_channels:
            return 200, {}, {"ok": False, "error": self._failing_channels[channel]}
        if method in {"views.open", "views.update", "views.push"} and (
            broken := _overlong_inputs(params.get("view"))
        ):
            return 200, {}, {"ok": False, "error": "invalid_arguments", "messages": broken}
        return 200, {}, self._success(method, params, token)

    def _success(
        self, method: str, params: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "oauth.v2.access":
            return self._oauth_access(params)
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test Team",
                "user": "accountbot",
                "team_id": self.token_teams.get(token or "", TEAM_ID),
                "user_id": BOT_USER_ID,
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        if method == "apps.connections.open" and self.socket_mode_url:
            return {"ok": True, "url": self.socket_mode_url}
        if method == "chat.postMessage":
            where = str(params.get("channel"))
            if where[:1] in {"U", "W"}:  # a DM to a user lands in their D… conversation
                where = "D" + where[1:]
            return {"ok": True, "channel": where, "ts": ts, "message": {"ts": ts}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {
                "ok": True,
                "upload_url": f"{self.base_url}/upload/{file_id}",
                "file_id": file_id,
            }
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in {"views.open", "views.update", "views.push", "views.publish"}:
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else view or {}
            return {"ok": True, "view": {**view, "id": f"V{next(self._ts):08d}", "hash": ts}}
        if method == "chat.getPermalink":
            channel, ts = params.get("channel"), str(params.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://test.slack.com/archives/{channel}/p{ts}",
            }
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "U"))[1:]}}
        if method in {"conversations.info", "conversations.members"}:
            return self._conversation(method, str(params.get("channel")))
        if method == "conversations.list":
            return self._channel_list(params)
        if method == "users.info":
            user_id = params.get("user")
            if user_id in self.users and self.users[user_id].get("error"):
                return {"ok": False, "error": self.users[user_id]["error"]}
            known = {"id": user_id, "tz": "UTC", "is_admin": False}
            return {"ok": True, "user": known | self.users.get(user_id, {})}
        return {"ok": True}

    def _conversation(self, method: str, channel_id: str) -> dict[str, Any]:
        channel = {"is_private": False, "members": self.default_members} | self.channels.get(
            channel_id, {}
        )
        if channel.get("error"):
            return {"ok": False, "error": channel["error"]}
        if method == "conversations.members":
            return {
                "ok": True,
                "members": list(channel["members"]),
                "response_metadata": {"next_cursor": ""},
            }
        flags = {k: v for k, v in channel.items() if k not in {"members", "error"}}
        return {"ok": True, "channel": {"id": channel_id, "is_channel": True, **flags}}

    def _channel_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """A page of the channels the bot can see, as conversations.info describes them; the
        cursor is where the next page starts."""
        hidden = {c for c, flags in self.channels.items() if flags.get("error")}
        ids = sorted((set(self.channels) | set(self.workspace_channels)) - hidden)
        start = int(params.get("cursor") or 0)
        end = start + min(int(params.get("limit") or 100), self.list_page)
        return {
            "ok": True,
            "channels": [
                self._conversation("conversations.info", c)["channel"] for c in ids[start:end]
            ],
            "response_metadata": {"next_cursor": str(end) if end < len(ids) else ""},
        }

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = self.grants.pop(str(params.get("code")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        self.token_teams[grant["token"]] = grant["team_id"]
        return {
            "ok": True,
            "app_id": "A0ACCOUNTBOT",
            "authed_user": {"id": "U0INSTALLER"},
            "scope": "commands,chat:write,users:read,channels:read,groups:read",
            "token_type": "bot",
            "access_token": grant["token"],
            "bot_user_id": BOT_USER_ID,
            "team": {"id": grant["team_id"], "name": grant["team_name"]},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                path = urlparse(self.path).path
                if path.startswith("/upload/"):  # files upload v2, step 2: the file's bytes
                    if fault := fake._take_fault("file.upload", None):
                        call = Call("file.upload", {"length": len(data)}, {}, path=self.path)
                        call.status = FAULTED if fault.kind in {"reset", "close"} else fault.status
                        fake._record(call)
                        self._misbehave(fault)
                        return
                    self._upload(path.removeprefix("/upload/"), data)
                    return
                raw = data.decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = dict(parse_qsl(raw, keep_blank_values=True))
                channel = str(params.get("channel") or params.get("user") or "")
                if path.startswith("/response/"):
                    if fault := fake._take_fault("response_url", None):
                        call = Call("response_url", params, dict(self.headers), path=path)
                        call.status = FAULTED if fault.kind in {"reset", "close"} else fault.status
                        fake._record(call)
                        self._misbehave(fault)
                        return
                    method, status, headers, body = "response_url", 200, {}, {"ok": True}
                else:
                    method = path.removeprefix("/api/")
                    with fake._condition:
                        fake._started[method] = fake._started.get(method, 0) + 1
                        fake._condition.notify_all()
                    if delay := fake._delays.get(f"{method}#{channel}") or fake._delays.get(method):
                        time.sleep(delay)
                    with fake._condition:
                        held = fake._holds.get(method)
                    if held is not None:
                        held.wait()
                    if fault := fake._take_fault(method, channel):
                        call = Call(method, params, dict(self.headers), path=path)
                        call.status = FAULTED if fault.kind in {"reset", "close"} else fault.status
                        fake._record(call)
                        self._misbehave(fault)
                        return
                    bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    status, headers, body = fake._answer(
                        method, params, params.get("token") or bearer or None
                    )
                    if answer_held := fake._answer_holds.get(f"{method}#{channel}"):
                        answer_held.reached.set()
                        answer_held.release.wait(10)
                fake._record(
                    Call(method, params, dict(self.headers), status=status, answer=body, path=path)
                )
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def _upload(self, file_id: str, data: bytes) -> None:
                """Slack's upload URL: takes the bytes, answers `OK - <length>` in plain text."""
                with fake._condition:
                    fake.uploads[file_id] = data
                fake._record(
                    Call(
                        "file.upload", {"file_id": file_id, "length": len(data)}, {}, path=self.path
                    )
                )
                answer = f"OK - {len(data)}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _misbehave(self, fault: Fault) -> None:
                """Answer a request already read as `fault` says (see `FakeSlack.fault`)."""
                self.close_connection = True
                if fault.kind == "close":
                    return  # the server closes the connection: FIN, no status line
                if fault.kind == "reset":  # SO_LINGER 0: close() sends RST, not FIN
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.rfile.close()  # drop the makefile reference, or close() waits for it
                    self.connection.close()
                    return
                body, content_type = {
                    "cut_off": (b'{"ok": true, "channel": "C', "application/json"),
                    "status": (
                        b'{"ok": false, "error": "service_unavailable"}',
                        "application/json",
                    ),
                    "html": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
                    "broken_json": (
                        b'{"ok": true, "ts": "1700000000.0001", "chan',
                        "application/json",
                    ),
                    "empty": (b"", "application/json"),
                    "body": (fault.body, "application/json"),
                }[fault.kind]
                self.send_response(fault.status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                length = len(body) + (500 if fault.kind == "cut_off" else 0)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _overlong_inputs(view: Any) -> list[str]:
    """Slack refuses a view whose input starts with more text than it accepts."""
    view = json.loads(view) if isinstance(view, str) else view or {}
    return [
        f"[ERROR] must be at most {element['max_length']} characters "
        f"[json-pointer:/view/blocks/{index}/element/initial_value]"
        for index, block in enumerate(view.get("blocks") or [])
        if isinstance(element := block.get("element"), dict)
        and "max_length" in element
        and len(element.get("initial_value") or "") > element["max_length"]
    ]
