"""The front door: what a request must be before Bolt sees it, over HTTP or Socket Mode.

Over HTTP (`POST /slack/events`), in this order, each step refusing with one log line (why, how
big, from where; never the body):

1. Slack's signature over the raw bytes, with slack_sdk's verifier (401). A timestamp that is
   not one plain number, or a header sent twice, is simply unsigned.
2. The body parsed by its content type (415 for another, 400 when broken). Bolt's own parser
   guesses interactivity from the substring `payload` anywhere in a form body, which drops a
   slash command typed as `/account payloadco` (or in `#payload-team`, by `payload.bob`).
3. Text Slack never sends made harmless: a NUL (which PostgreSQL refuses) or half a surrogate
   pair (which no database can store) becomes U+FFFD, so every store sees the same text.
4. The payload's shape, as far as Bolt's routing and our listeners read it (400): a
   `block_actions` without actions, an action without `action_id`, a `view` that is a string
   would otherwise crash inside Bolt or a listener. Beyond what every payload of a type must
   hold, `ACTION_SHAPES` and `EVENT_SHAPES` say what each listener reads (a modal to redraw, a
   response URL to answer on): a new listener adds a line there.

Then the parsed body goes to Bolt as a `BoltRequest`, which Bolt does not parse again.

A Socket Mode envelope (`envelope_payload`) is already authenticated by its connection; its
payload goes through steps 3 and 4, and must be what its envelope type carries.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from flask import Request
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from slack_bolt import BoltContext, BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from commands.ui.ids import Action, Event

logger = logging.getLogger("accountbot.inbound")

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MAX_AGE_SECONDS = 5 * 60
"""Slack's own rule: a request signed longer ago than this may be a replay."""
MAX_DEPTH = 32
"""Slack's payloads nest about ten levels deep; deeper is not Slack."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")


class Refused(Exception):
    """A request answered with `status` before Bolt sees it; `reason` is logged, not echoed."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def slack_request(request: Request, verifier: SignatureVerifier) -> BoltRequest:
    """The Bolt request for a signed, well-formed Slack request; raises Refused otherwise."""
    raw = request.get_data(cache=True)
    check_signature(
        verifier,
        raw,
        timestamps=request.headers.getlist("X-Slack-Request-Timestamp"),
        signatures=request.headers.getlist("X-Slack-Signature"),
    )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    body = harmless(parse_body(text, request.mimetype))
    check_shape(body)
    return ParsedRequest(
        raw_body=text,
        body=body,
        query=request.query_string.decode("latin-1"),
        headers=dict(request.headers.items()),
    )


ENVELOPE_PAYLOADS = {
    "slash_commands": frozenset({"command"}),
    "interactive": frozenset(
        {"block_actions", "view_submission", "view_closed", "block_suggestion"}
        | {"message_action", "shortcut"}
    ),
    "events_api": frozenset({"event_callback"}),
}
"""Socket Mode envelope types, and the payloads each carries (by `type`, or `command`)."""


def envelope_payload(message: dict[str, Any]) -> dict[str, Any]:
    """The payload of a Socket Mode envelope, made harmless and checked as an HTTP request's
    body is (steps 3 and 4); raises Refused when no listener could take it."""
    kind, payload = message.get("type"), message.get("payload")
    if kind not in ENVELOPE_PAYLOADS:
        raise Refused(400, "envelope of unknown type")
    if not isinstance(payload, dict) or not payload:
        raise Refused(400, f"{kind} envelope without a payload")
    carried = payload.get("type", "command" if "command" in payload else None)
    if carried not in ENVELOPE_PAYLOADS[kind]:
        raise Refused(400, f"{_kind(payload)} in a {kind} envelope")
    body: dict[str, Any] = harmless(payload)
    check_shape(body)
    return body


def check_signature(
    verifier: SignatureVerifier, raw: bytes, *, timestamps: list[str], signatures: list[str]
) -> None:
    """Slack's `v0` signature of `v0:<timestamp>:<body>`, signed less than five minutes ago."""
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise Refused(401, "missing or malformed X-Slack-Request-Timestamp")
    if len(signatures) != 1 or not _SIGNATURE.fullmatch(signatures[0]):
        raise Refused(401, "missing or malformed X-Slack-Signature")
    timestamp, signature = timestamps[0], signatures[0]
    if abs(verifier.clock.now() - int(timestamp)) > MAX_AGE_SECONDS:
        raise Refused(401, "stale X-Slack-Request-Timestamp")
    if not verifier.is_valid(raw, timestamp, signature):
        raise Refused(401, "signature does not match")


def parse_body(text: str, content_type: str) -> dict[str, Any]:
    """A form (a slash command, or an interaction's JSON in its `payload` field) or JSON (an
    event), told apart by the content type Slack sends, never by what the text contains."""
    try:
        if content_type == FORM:
            fields = dict(parse_qsl(text, keep_blank_values=True, errors="strict"))
            body = json.loads(fields["payload"]) if "payload" in fields else fields
        elif content_type == JSON:
            body = json.loads(text)
        else:
            raise Refused(415, "content type is neither a form nor JSON")
    except (ValueError, RecursionError):  # broken JSON or percent-encoding
        raise Refused(400, "body does not parse") from None
    if not isinstance(body, dict):
        raise Refused(400, "body is not an object")
    return body


def harmless(value: Any, depth: int = 0) -> Any:
    """The parsed body with every NUL and lone surrogate, in keys and values, made U+FFFD."""
    if depth > MAX_DEPTH:
        raise Refused(400, "body nests too deeply")
    if isinstance(value, str):
        return _UNSENDABLE.sub("\ufffd", value) if _UNSENDABLE.search(value) else value
    if isinstance(value, dict):
        return {harmless(k, depth): harmless(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [harmless(item, depth + 1) for item in value]
    return value


class ParsedRequest(BoltRequest):
    """A BoltRequest built from a body parsed here (Bolt's constructor would parse it again)."""

    def __init__(self, *, raw_body: str, body: dict[str, Any], query: Any, headers: Any) -> None:
        super().__init__(body="", query=query, headers=headers)
        self.raw_body = raw_body
        self.body = body
        self.context = build_context(BoltContext(), body)

    def to_copyable(self) -> BoltRequest:
        copied = ParsedRequest(
            raw_body=self.raw_body,
            body=copy.deepcopy(self.body),
            query=self.query,
            headers=self.headers,
        )
        copied.context = self.context.to_copyable()
        return copied


# -- the shapes Slack sends, as far as Bolt and the listeners read them --------------------------


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Ref(_Shape):
    """`team`, `enterprise`, `channel`, or a user inside an event: an object with an id."""

    id: str | None = None


class _User(_Shape):
    id: str
    team_id: str | None = None


class _Option(_Shape):
    value: str


class _Element(_Shape):
    """One input's state in a submitted view (what `commands.forms.state_values` reads)."""

    type: str | None = None
    value: str | None = None
    selected_option: dict[str, Any] | str | None = None  # `state_values` copes with either
    selected_options: list[_Option] | None = None
    selected_date: str | None = None
    selected_time: str | None = None
    selected_conversation: str | None = None
    selected_channel: str | None = None
    selected_user: str | None = None
    selected_users: list[str] | None = None


class _State(_Shape):
    values: dict[str, dict[str, _Element]] = {}


class _Text(_Shape):
    text: str | None = None


class _Block(_Shape):
    type: str | None = None
    block_id: str | None = None


class _View(_Shape):
    id: str | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None
    callback_id: str | None = None
    hash: str | None = None
    private_metadata: str | None = None
    title: _Text | None = None
    state: _State = _State()
    blocks: list[_Block] = []


class _SubmittedView(_View):
    type: str
    callback_id: str


class _Message(_Shape):
    """A message, or an event's `item`: what Bolt reads for the user and channel."""

    ts: str | None = None
    text: str | None = None
    user: str | _Ref | None = None
    channel: str | _Ref | None = None


class _Authorization(_Shape):
    team_id: str | None = None
    enterprise_id: str | None = None
    user_id: str | None = None


class _Event(_Shape):
    type: str
    user: str | _Ref | None = None
    channel: str | _Ref | None = None
    team: str | None = None
    user_team: str | None = None
    tab: str | None = None
    item: _Message | None = None
    message: _Message | None = None
    previous_message: _Message | None = None
    tokens: dict[str, list[str]] | None = None


class _ResponseUrl(_Shape):
    response_url: str | None = None


class _Payload(_Shape):
    """What Bolt reads of any payload to build its context (team, user, channel, …)."""

    team: str | _Ref | None = None
    enterprise: str | _Ref | None = None
    user: str | _User | None = None
    channel: str | _Ref | None = None
    team_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    enterprise_id: str | None = None
    authorizations: list[_Authorization] | None = None
    view: _View | None = None
    message: _Message | None = None
    response_url: str | None = None
    response_urls: list[_ResponseUrl] | None = None
    trigger_id: str | None = None


class _Action(_Shape):
    action_id: str
    block_id: str | None = None
    value: str | None = None
    selected_option: _Option | None = None
    selected_conversation: str | None = None
    selected_channel: str | None = None
    selected_user: str | None = None


class _BlockActions(_Payload):
    type: Literal["block_actions"]
    user: _User
    actions: Annotated[list[_Action], Field(min_length=1)]


Filled = Annotated[str, Field(min_length=1)]


class _Answered(_BlockActions):
    """A click on a message, answered through its `response_url` (Bolt's `respond`)."""

    response_url: Filled


class _OpensModal(_Answered):
    """A click on a message that opens a modal, with the click's `trigger_id`."""

    trigger_id: Filled


class _OpenView(_View):
    id: Filled


class _InModal(_BlockActions):
    """An element inside an open modal, whose listener redraws that modal (by its id)."""

    view: _OpenView


class _PushesModal(_InModal):
    trigger_id: Filled


ACTION_SHAPES: dict[str, type[_BlockActions]] = {
    Action.SHOW_ACCOUNT: _Answered,
    Action.SHARE_CARD: _Answered,
    Action.FULL_CARD: _Answered,
    Action.OVERRIDE_BAND: _OpensModal,
    Action.RENEWAL_STAGE: _OpensModal,
    Action.RECORD_USAGE: _OpensModal,
    Action.DEPARTMENTS: _OpensModal,
    Action.LOG_EVENT: _OpensModal,
    Action.NEW_LEADER_EVENT: _OpensModal,
    Action.RENEWAL_ANSWER: _OpensModal,
    Action.EDIT_ACCOUNT: _OpensModal,
    Action.CREATE_ACCOUNT: _OpensModal,
    Action.LEAD_ACCOUNT: _OpensModal,
    Action.LEAD_OUTREACH: _OpensModal,
    Action.LEAD_OPPORTUNITY: _OpensModal,
    Action.LEAD_STAKEHOLDER: _OpensModal,
    Action.EDIT_OPPORTUNITY: _OpensModal,
    Action.SHOW_GROWTH: _Answered,
    Action.CONVERT_HYPOTHESIS: _OpensModal,
    Action.DISMISS_HYPOTHESIS: _OpensModal,
    Action.SHOW_DEALS: _Answered,
    Action.ADD_DEAL: _OpensModal,
    Action.EDIT_DEAL: _OpensModal,
    Action.MOVE_STAGE: _OpensModal,
    Action.QUALIFY_DEAL: _OpensModal,
    Action.ADD_STAKEHOLDER: _OpensModal,
    Action.STAKEHOLDER_MENU: _OpensModal,
    Action.LOG_CONTACT: _OpensModal,
    Action.HISTORY_PAGE: _Answered,
    Action.ADD_ITEM: _OpensModal,
    Action.ITEM_DONE: _Answered,
    Action.ADD_TASK: _OpensModal,
    Action.TASK_REOPEN: _Answered,
    Action.SAVE_PLAN: _OpensModal,
    Action.SHOW_SAVE_PLAN: _Answered,
    Action.ITEM_MENU: _OpensModal,
    Action.CONTACT_ACCOUNT: _InModal,
    Action.ACCOUNT_CHANNEL: _InModal,
    Action.SETTINGS_SECTION: _PushesModal,
    Action.CATALOGUE_ENTRY: _PushesModal,
}
"""What each block action's listener reads beyond any `block_actions` payload, by the action id
of its first action (as Bolt routes it)."""


class _ViewSubmission(_Payload):
    type: Literal["view_submission", "view_closed"]
    user: _User
    view: _SubmittedView


class _BlockSuggestion(_Payload):
    type: Literal["block_suggestion"]
    user: _User
    action_id: str
    block_id: str | None = None
    value: str = ""


SlackTs = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,10}\.[0-9]{1,6}$")]


class _ShortcutMessage(_Message):
    ts: SlackTs | None = None


class _Channel(_Ref):
    id: Filled


class _MessageShortcut(_Payload):
    """A message shortcut: the message, its channel and its timestamp (in `message_ts`, or the
    message's own `ts`), all of which the shortcut's listener reads."""

    type: Literal["message_action"]
    callback_id: str
    user: _User
    channel: _Channel
    message_ts: SlackTs | None = None
    message: _ShortcutMessage

    @model_validator(mode="after")
    def _timestamped(self) -> _MessageShortcut:
        if self.message_ts is None and self.message.ts is None:
            raise ValueError("no message timestamp")
        return self


class _GlobalShortcut(_Payload):
    type: Literal["shortcut"]
    callback_id: str
    user: _User


class _EventCallback(_Payload):
    type: Literal["event_callback"]
    team_id: str
    event: _Event


class _HomeOpened(_Event):
    user: Filled
    tab: str | None = None


class _ChannelEvent(_Event):
    channel: Filled


class _FilledRef(_Ref):
    id: Filled


class _InviteEvent(_Event):
    """A Slack Connect invitation's event: its channel is an object."""

    channel: _FilledRef


EVENT_SHAPES: dict[str, type[_Event]] = {
    Event.APP_HOME_OPENED: _HomeOpened,
    Event.CHANNEL_SHARED: _ChannelEvent,
    Event.CHANNEL_UNSHARED: _ChannelEvent,
    Event.INVITE_ACCEPTED: _InviteEvent,
    Event.INVITE_APPROVED: _InviteEvent,
    Event.INVITE_DECLINED: _InviteEvent,
    Event.CHANNEL_ARCHIVE: _ChannelEvent,
    Event.CHANNEL_UNARCHIVE: _ChannelEvent,
    Event.CHANNEL_DELETED: _ChannelEvent,
    Event.GROUP_ARCHIVE: _ChannelEvent,
    Event.GROUP_UNARCHIVE: _ChannelEvent,
    Event.GROUP_DELETED: _ChannelEvent,
}
"""What each event's listener reads of the event, beyond what any event holds."""

_EVENT_CALLBACKS = {
    kind: create_model(f"_{shape.__name__}Callback", __base__=_EventCallback, event=(shape, ...))
    for kind, shape in EVENT_SHAPES.items()
}


class _UrlVerification(_Payload):
    type: Literal["url_verification"]
    challenge: str


class _SlashCommand(_Payload):
    command: Annotated[str, Field(min_length=1)]
    team_id: Annotated[str, Field(min_length=1)]
    user_id: Annotated[str, Field(min_length=1)]
    channel_id: Annotated[str, Field(min_length=1)]
    text: str = ""


class _SslCheck(_Shape):
    ssl_check: str


_TYPED = TypeAdapter(
    Annotated[
        _BlockActions
        | _ViewSubmission
        | _BlockSuggestion
        | _MessageShortcut
        | _GlobalShortcut
        | _EventCallback
        | _UrlVerification,
        Field(discriminator="type"),
    ]
)


_TYPES = frozenset(
    {"block_actions", "view_submission", "view_closed", "block_suggestion", "message_action"}
    | {"shortcut", "event_callback", "url_verification"}
)
"""The payload types above: any other is refused."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}|[0-9]{1,4}")


def check_shape(body: dict[str, Any]) -> None:
    """Refuse (400) a payload Slack would not send: an unknown type, or a field Bolt or a
    listener reads that is missing or of the wrong kind."""
    try:
        if "type" not in body:
            (_SlashCommand if "command" in body else _SslCheck).model_validate(body)
            return
        _TYPED.validate_python(body)
        if listener_shape := _listener_shape(body):
            listener_shape.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) if _NAME.fullmatch(str(part)) else "?" for part in first["loc"])
        raise Refused(400, f"malformed {_kind(body)} ({first['type']} at {where})") from None


def _listener_shape(body: dict[str, Any]) -> type[_Shape] | None:
    """The shape the listener of a payload (already of its type's shape) needs, if any."""
    if body["type"] == "block_actions":
        return ACTION_SHAPES.get(body["actions"][0]["action_id"])
    if body["type"] == "event_callback":
        return _EVENT_CALLBACKS.get(body["event"]["type"])
    return None


def _kind(body: dict[str, Any]) -> str:
    """What the payload claims to be, in words of ours (never its own text)."""
    if "type" in body:
        return f"{body['type']} payload" if body["type"] in _TYPES else "payload of unknown type"
    return "slash command" if "command" in body else "form"
