"""The contract between Slack and the bot: the kinds of route (`commands.routes` lists them all)
and how each is served. Before any listener or loader runs, its route decodes what Slack sent
into its typed value (a button's `ButtonValue`, a form's `ModalMeta`), finds the account the
request touches, and checks the need it declares (`commands.needs`), outside any database
transaction. A refusal is answered where the user looks: ephemerally for a button on a message
(through the one error handler), in the modal for a form (its content when a form would have
opened, in its place at submission), in a pushed notice for a button inside a modal.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from slack_bolt import Ack, Args, BoltResponse

from commands.access import Access, target_account
from commands.errors import answering_errors, submitted_form_field
from commands.modals import open_modal, push_modal, update_modal
from commands.needs import Check, Need
from commands.payloads import BlockAction, SlashCommand
from commands.replies import AskedCommand, Unresolved, named_account, read_command
from commands.request import Loader, Request
from commands.ui.errors import BUSY, SLACK_SLOW, UserError
from commands.ui.ids import Action, Command, Event, Shortcut, View
from commands.ui.text import fallback_text
from commands.ui.values import ButtonValue, ModalMeta, StaleValue
from commands.ui.views.blocks import Block
from commands.ui.views.messages import refusal_blocks
from commands.ui.views.modal import notice_view
from commands.work import AfterResponse, WorkPool
from store.db import Database
from store.models import Account

Listener = Callable[..., Any]
logger = logging.getLogger("accountbot.contract")
BUSY_TITLE = "Busy"


class Find(StrEnum):
    """How a route finds the account its need is checked against."""

    NONE = "none"
    """No account: the need is about the user alone (anyone, an admin, a lead)."""
    VALUE = "value"
    """The row the typed value points at (an account, a person, an item), before the listener."""
    BUILT = "built"
    """The account of the form the loader built, before the form is shown (a form whose account
    is found by a name or a channel)."""
    FORM = "form"
    """The account of the submitted form (what `Form.target` reads of it), before the write."""
    NAMED = "named"
    """The account `/account`'s text names (or, with no name, the channel's), as the grammar
    reads it (`commands.replies.named_account`)."""


# -- route kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A button or menu option on a message, answered in that message (its response URL)."""

    id: Action
    listener: Listener
    value: type[ButtonValue]
    need: Need
    account: Find = Find.VALUE
    choice: StrEnum | None = None
    """For a menu whose options are routed apart: the option this entry serves."""


@dataclass(frozen=True)
class Modal:
    """A button, menu option or shortcut that opens a form: the loading view inside Slack's
    3-second window, then the need is checked, then `loader` fills the form in."""

    id: Action | Shortcut
    title: str
    loader: Loader
    value: type[BaseModel]
    """A `ButtonValue` for a button; the typed payload for a shortcut."""
    need: Need
    account: Find = Find.VALUE
    choice: StrEnum | None = None
    over: bool = False
    """Pushed over the modal the button is in (such a click has no response URL: a refused
    value is pushed as a notice)."""
    reads_store: bool = True
    """False: the form is built from the click alone, and opened at once without a loading view."""
    prepare: Callable[[Any, Request], Any] | None = None
    """Asks Slack what the form needs beyond the store (once the loading view is up, before the
    store is read): returns the value the loader gets."""


@dataclass(frozen=True)
class InModal:
    """A select inside a form that redraws it (a refusal replaces the form with a notice)."""

    id: Action
    listener: Listener
    value: type[ButtonValue]
    need: Need
    title: str
    account: Find = Find.VALUE


@dataclass(frozen=True)
class Form:
    """A form submitted: the need is checked again against the account the write touches."""

    view: View
    listener: Listener
    need: Need
    account: Find = Find.FORM
    target: Callable[[dict[str, Any]], ModalMeta] = ModalMeta.load
    """What the form changes, read once from the submitted view: the listener writes to this
    very `value`."""
    refused_beside: str | None = None
    """A refusal is shown beside this input (the form stays); by default the form is replaced
    by a notice saying why."""


@dataclass(frozen=True)
class Verb:
    """`/account <verb> …`: answered privately (`answer`), or a form (`title` and `loader`)."""

    verb: StrEnum
    need: Need
    answer: Listener | None = None
    title: str | None = None
    loader: Loader | None = None
    account: Find = Find.NONE


@dataclass(frozen=True)
class Listen:
    """An event, the slash command itself, or a type-ahead's options."""

    id: Event | Command | Action
    listener: Listener
    need: Need
    kind: str = "event"
    """`event`, `command` or `options`: how Bolt routes it."""


Route = Answer | Modal | InModal | Form | Verb | Listen


# -- serving ----------------------------------------------------------------------------------


def decode(value: type[BaseModel], body: dict[str, Any]) -> Any:
    """The typed value of a request: a button's or option's value, or the whole payload."""
    if issubclass(value, ButtonValue):
        return value.decode(BlockAction.model_validate(body).value)
    return value.model_validate(body)


def account_of(db: Database, access: Access, meta: ModalMeta | None) -> Account | None:
    """The account a value or form points at (None: it points at none, or that row is gone)."""
    if meta is None or (meta.account_id, meta.stakeholder_id, meta.item_id) == (None, None, None):
        return None
    return target_account(db, team_id=access.team_id, meta=meta)


def refusal(route: Route, request: Request, meta: ModalMeta | None) -> str | None:
    """What the route's need says of this user and the account `meta` points at."""
    account = account_of(request.db, request.access, meta)
    return route.need.refusal(Check(access=request.access, db=request.db, account=account))


@functools.cache
def parameters(listener: Listener) -> tuple[str, ...]:
    """The arguments a listener names, read once (at `register`'s check), not on every request."""
    return tuple(inspect.signature(listener).parameters)


def call(listener: Listener, args: Args, **extra: Any) -> Any:
    """Call a listener with the arguments it names: Bolt's own (`ack`, `body`, `client`, …),
    what the middleware put in the context (`db`, `today`, `access`, …), and `extra`."""
    available = {**args.context, **extra}
    kwargs = {}
    for name in parameters(listener):
        kwargs[name] = available[name] if name in available else getattr(args, name)
    return listener(**kwargs)


def respond_of(args: Args) -> Callable[..., Any] | None:
    """The request's `respond`, when its payload has a response URL to answer on."""
    return args.context.respond if args.context.response_url else None


def pointed_at(route: Answer | InModal, value: ButtonValue) -> ModalMeta | None:
    """What the need is checked against: the row the value points at (`Find.VALUE`), or none."""
    return value.target() if route.account is Find.VALUE else None


def run_answer(route: Answer, args: Args, value: ButtonValue) -> None:
    request = Request.of(args)
    if message := refusal(route, request, pointed_at(route, value)):
        raise UserError(message)
    call(route.listener, args, value=value)


def run_modal(route: Modal, args: Args, value: Any) -> None:
    request = Request.of(args)
    trigger_id = args.body.get("trigger_id")
    if not route.reads_store:
        built = route.loader(None, value, request)  # type: ignore[arg-type]  # reads no store
        assert isinstance(built, dict), "a form built from the click alone is always a form"
        args.client.views_open(trigger_id=trigger_id, view=built)
        return

    def fill() -> dict[str, Any] | str:
        meta = value.target() if route.account is Find.VALUE else None
        if route.account is not Find.BUILT and (message := refusal(route, request, meta)):
            return message
        prepared = value if route.prepare is None else route.prepare(value, request)
        with request.db.reading() as session:
            built = route.loader(session, prepared, request)
        if route.account is Find.BUILT and isinstance(built, dict):
            return refusal(route, request, ModalMeta.load(built)) or built
        return built

    open_modal(
        args.client,
        trigger_id=trigger_id,
        title=route.title,
        fill=fill,
        access=request.access,
        over=args.body if route.over else None,
    )


def run_in_modal(route: InModal, args: Args, value: ButtonValue) -> None:
    request = Request.of(args)
    if message := refusal(route, request, pointed_at(route, value)):
        update_modal(args.client, args.body, notice_view(route.title, message))
        return
    call(route.listener, args, value=value)


def run_form(route: Form, args: Args, ack: Any, *, save_by: float | None = None) -> None:
    """The need checked (it may ask Slack), then the listener saves, unless `save_by` (a
    `time.monotonic()` moment) has passed: Slack has given up on the answer by then and shown
    the user an error over the form, so it is not saved behind their back (sent again, it is)."""
    view = args.body["view"]
    meta = route.target(view)  # a form the bot did not write is refused beside its first input
    message = refusal(route, Request.of(args), meta if route.account is Find.FORM else None)
    if not message and save_by is not None and time.monotonic() > save_by:
        logger.warning("form not saved: its checks outlasted the time Slack waits for its answer")
        field = route.refused_beside or submitted_form_field(args.body)
        if field:  # the form kept open with what was typed, should Slack still read this
            ack(response_action="errors", errors={field: SLACK_SLOW})
            return
        message = SLACK_SLOW
    if message and route.refused_beside:
        ack(response_action="errors", errors={route.refused_beside: message})
    elif message:
        title = (view.get("title") or {}).get("text") or "Not saved"
        ack(response_action="update", view=notice_view(title, message))
    else:
        call(route.listener, args, value=meta, ack=ack)


def refuse_value(route: Route, args: Args, stale: StaleValue) -> None:
    """A value the bot did not write: said where the user looks, before anything runs."""
    if isinstance(route, Modal) and route.over:
        push_modal(
            args.client, args.body, title=route.title, view=notice_view(route.title, str(stale))
        )
        return
    if isinstance(route, InModal):
        update_modal(args.client, args.body, notice_view(route.title, str(stale)))
        return
    raise stale


# -- acknowledged at once, the rest in the pool -------------------------------------------------


def later(args: Args, work: Callable[[], None]) -> None:
    """Acknowledge now (in the request thread: Bolt answers Slack as this returns), and hand
    `work` to the bounded pool (`commands.work`), its errors answered by the one handler, to be
    started once the acknowledgement is written. When the pool is full, the user is told at
    once that the bot is busy."""
    respond = respond_of(args)

    def answered() -> None:
        answering_errors(work, ack=args.ack, body=args.body, respond=respond)

    pool: WorkPool = args.context["work"]
    reserved = pool.reserve(answered, refuse=lambda: say_busy(args))
    if reserved is None:
        say_busy(args)  # in the acknowledgement when it can be
        return
    if args.ack.response is None:
        args.ack()
    AfterResponse.defer(reserved)  # started once the acknowledgement is written


def say_busy(args: Args) -> None:
    """`BUSY`, where the user looks: beside a form's first input (or in its place), in a slash
    command's acknowledgement, at the response URL, or in a modal opened (or pushed over the
    one clicked in). An event has no one to tell: it is answered 503, so Slack sends it again
    (at once, after a minute, after five)."""
    ack, body = args.ack, args.body
    if ack.response is None and body.get("type") == "view_submission":
        if field := submitted_form_field(body):
            ack(response_action="errors", errors={field: BUSY})
        else:
            ack(response_action="update", view=notice_view(BUSY_TITLE, BUSY))
        return
    if ack.response is None and body.get("command"):
        ack(text=f":hourglass: {BUSY}", response_type="ephemeral")
        return
    if ack.response is None and body.get("type") == "event_callback":
        # an event acknowledged is never sent again, and one lost (`channel_shared`) can leave
        # what every process believes of a channel wrong: given back, Slack sends it again
        ack.response = BoltResponse(status=503, body="")
        logger.warning("busy: event %s given back to Slack", (body.get("event") or {}).get("type"))
        return
    if ack.response is None:
        ack()
    logger.warning("busy: %s answered that the bot is busy", body.get("type") or "command")

    def tell() -> None:
        if respond := respond_of(args):
            respond(text=f":hourglass: {BUSY}", response_type="ephemeral", replace_original=False)
        elif body.get("view") and body.get("trigger_id"):
            push_modal(args.client, body, title=BUSY_TITLE, view=notice_view(BUSY_TITLE, BUSY))
        elif body.get("trigger_id"):
            args.client.views_open(
                trigger_id=body["trigger_id"], view=notice_view(BUSY_TITLE, BUSY)
            )

    answering_errors(tell, ack=ack, body=body, respond=None)


class SignalledAck:
    """Bolt's `ack`, also waking the request thread that waits for it (`form_listener`)."""

    def __init__(self, ack: Ack, done: threading.Event) -> None:
        self._ack, self._done = ack, done

    @property
    def response(self) -> Any:
        return self._ack.response

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._ack(*args, **kwargs)
        finally:
            self._done.set()


def action_listener(routes: Sequence[Answer | Modal | InModal]) -> Callable[[Args], None]:
    """The one Bolt listener of an action id: acknowledged at once; then in the pool its value
    decoded, and the route of the option chosen (a menu's options may be routed apart) checked
    and run."""
    first = routes[0]
    by_choice: Mapping[StrEnum | None, Answer | Modal | InModal] = {
        getattr(r, "choice", None): r for r in routes
    }

    def run(args: Args) -> None:
        def work() -> None:
            try:
                value = decode(first.value, args.body)
            except StaleValue as stale:
                refuse_value(first, args, stale)
                return
            route = by_choice[getattr(value, "choice", None)]
            if isinstance(route, Answer):
                run_answer(route, args, value)
            elif isinstance(route, Modal):
                run_modal(route, args, value)
            else:
                run_in_modal(route, args, value)

        later(args, work)

    return run


FORM_WAIT = 2.0
"""Seconds a submitted form may wait in the pool's queue before it is answered as busy (Slack
gives up on the acknowledgement after 3): once started, it is waited for, as it may be saving."""
FORM_SAVE_BY = 2.5
"""Seconds after it came in that a form's save may still start (its need checked, which may ask
Slack): later, Slack has given up on the answer, and the form is not saved."""


class Submitted:
    """A submitted form handed to the pool: started by a worker, or given up by the request
    thread while still queued (then the worker leaves it), never both."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = self.given_up = False

    def start(self) -> bool:
        with self._lock:
            self.started = not self.given_up
            return self.started

    def give_up(self) -> bool:
        with self._lock:
            self.given_up = not self.started
            return self.given_up


def form_listener(route: Form) -> Callable[[Args], None]:
    """A form submitted: its listener runs in the pool, and the request thread waits for its
    `ack` (inline errors, or the form closed), not for what it does after (a card redrawn). A
    form still queued after `FORM_WAIT` seconds is not saved: it stays open saying the bot is
    busy."""

    def run(args: Args) -> None:
        acked = threading.Event()
        ack = SignalledAck(args.ack, acked)
        submitted = Submitted()
        save_by = time.monotonic() + FORM_SAVE_BY

        def work() -> None:
            if not submitted.start():
                return  # answered as busy meanwhile
            try:
                answering_errors(
                    lambda: run_form(route, args, ack, save_by=save_by),
                    ack=ack,
                    body=args.body,
                    respond=None,
                )
            finally:
                acked.set()

        def refuse() -> None:
            if submitted.start():
                try:
                    say_busy(args)
                finally:
                    acked.set()

        pool: WorkPool = args.context["work"]
        queued = pool.submit(work, refuse=refuse)
        if not queued or (not acked.wait(FORM_WAIT) and submitted.give_up()):
            say_busy(args)  # full, or still queued: not saved, the form stays open
        else:
            acked.wait()

    return run


def shortcut_listener(route: Modal) -> Callable[[Args], None]:
    def run(args: Args) -> None:
        later(args, lambda: run_modal(route, args, decode(route.value, args.body)))

    return run


def plain_listener(route: Listen) -> Callable[[Args], None]:
    """Events and options, the need (about the user alone) checked first: an event acknowledged
    at once and served in the pool; options answered in their acknowledgement."""

    def work(args: Args) -> None:
        if message := refusal(route, Request.of(args), None):
            raise UserError(message)
        call(route.listener, args)

    def run(args: Args) -> None:
        if route.kind == "options":
            answering_errors(
                lambda: work(args), ack=args.ack, body=args.body, respond=respond_of(args)
            )
        else:
            later(args, lambda: work(args))

    return run


def command_listener(verbs: Sequence[Verb]) -> Callable[[Args], None]:
    """The one Bolt listener of `/account`: acknowledged at once; then in the pool the text read
    by the grammar (a glance at the names it may be, given up within half a second), and the
    verb's route: a form opens before any other work (the need is checked once the loading view
    is up), an answer is sent privately."""
    by_verb = {route.verb: route for route in verbs}

    def handle_account_command(args: Args) -> None:
        def work() -> None:
            request = Request.of(args)
            asked = read_command(request.db, slash=SlashCommand.model_validate(args.body))
            route = by_verb[asked.request.verb]
            if route.loader is not None:
                open_verb_modal(route, args, request, asked)
                return
            blocks = answer_verb(route, request, asked)
            respond = args.context.respond
            assert respond is not None, "a slash command always carries a response URL"
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=fallback_text(blocks),
                blocks=blocks,
            )

        later(args, work)

    return handle_account_command


def open_verb_modal(route: Verb, args: Args, request: Request, asked: AskedCommand) -> None:
    """A verb's form: the loading view, then its account found by name (`Find.NAMED`) and the
    need checked, then the loader (the account found handed to it in `asked.account`)."""
    loader, title = route.loader, route.title
    assert loader is not None and title is not None

    def fill() -> dict[str, Any] | str:
        account = None
        if route.account is Find.NAMED:
            found = named_account(request.db, asked, request.access)
            if isinstance(found, Unresolved):
                return found.notice()
            if found is None:
                return Unresolved("", []).notice()
            account = found
        check = Check(access=request.access, db=request.db, account=account)
        if message := route.need.refusal(check):
            return message
        with request.db.reading() as session:
            built: dict[str, Any] | str = loader(session, replace(asked, account=account), request)
        return built

    open_modal(
        args.client,
        trigger_id=asked.slash.trigger_id,
        title=title,
        fill=fill,
        access=request.access,
    )


def answer_verb(route: Verb, request: Request, asked: AskedCommand) -> list[Block]:
    """An answered verb: its account found by name (or its refusal), its need checked, then
    its answer; every read is read-only, and Slack is asked between them, never inside one."""
    assert route.answer is not None
    account = None
    if route.account is Find.NAMED:
        found = named_account(request.db, asked, request.access)
        if isinstance(found, Unresolved):
            return found.blocks(request.access)  # no match, several, or none the user may know
        account = found
    check = Check(access=request.access, db=request.db, account=account)
    if message := route.need.refusal(check):
        return refusal_blocks(message)
    blocks: list[Block] = route.answer(request=request, asked=asked, account=account)
    return blocks
