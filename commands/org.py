"""Org coverage and business events from Slack: the departments form (its loader and save), the
business event form (from the card, `/account Acme event`, the message shortcut, or the proposal
of a new leader), and its save. Routed in `commands.routes`."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Session

from commands.forms import FormErrors, parse_form, state_values
from commands.loaders import ACCOUNT_GONE, PERSON_GONE
from commands.loaders import _named as named_form
from commands.payloads import MessageShortcut
from commands.people_forms import optional_text, past_date
from commands.replies import AskedCommand
from commands.request import Request
from commands.submissions import Submission, card_form
from commands.ui.fields import TEXT
from commands.ui.ids import EventField
from commands.ui.text import escape
from commands.ui.values import URL, AccountValue, ModalMeta, NewLeaderValue
from commands.ui.views.org import (
    DEPARTMENT_NAME,
    DEPARTMENT_USES,
    NEW_SLOT,
    USES,
    departments_form,
    event_form,
)
from store.accounts import find_account_by_channel, get_account
from store.departments import DepartmentRow, list_departments, set_departments
from store.enums import EventKind, EventSource, StakeholderStatus
from store.errors import NotFound
from store.events import log_event
from store.models import LINK_LENGTH, Account, saved_id
from store.stakeholders import get_stakeholder

View = dict[str, Any]
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")
_BARE_LINK = re.compile(r"https?://[^\s<>|]+")


# -- departments -----------------------------------------------------------------------------


def departments(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Departments": the account's departments, filled in."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    return _departments_view(session, account, _card_meta(account, request), request)


def departments_named(session: Session, asked: AskedCommand, request: Request) -> View | str:
    """`/account Acme departments`."""
    return named_form(session, asked, request, _departments_view)


def _departments_view(
    session: Session, account: Account, meta: ModalMeta, request: Request
) -> View:
    found = list_departments(session, team_id=request.team_id, account_id=saved_id(account.id))
    return departments_form(meta=meta, account=account, departments=found)


def _department_rows(view: dict[str, Any]) -> tuple[list[DepartmentRow], dict[int, str]]:
    """The rows typed, in the form's order (an emptied name: that department removed); a slot
    the bot did not write is refused beside it."""
    values = state_values(view)
    rows: list[DepartmentRow] = []
    field_of: dict[int, str] = {}
    for block_id in view.get("state", {}).get("values", {}):
        if not block_id.startswith(DEPARTMENT_NAME):
            continue
        slot = block_id.removeprefix(DEPARTMENT_NAME)
        name = " ".join(str(values.get(block_id) or "").split())
        if not name:
            continue
        if slot.startswith(NEW_SLOT) and slot.removeprefix(NEW_SLOT).isdigit():
            department_id = None
        elif slot.isdigit() and len(slot) <= 18:
            department_id = int(slot)
        else:
            raise FormErrors({block_id: "That row is not one this form wrote."})
        field_of[len(rows)] = block_id
        uses = USES in (values.get(f"{DEPARTMENT_USES}{slot}") or [])
        rows.append(DepartmentRow(id=department_id, name=name, uses_product=uses))
    return rows, field_of


def _shown_departments(view: dict[str, Any]) -> set[int]:
    """The departments the form showed (its rows' block ids): only those may be removed by
    clearing them, so a form opened before someone else added one never removes it."""
    slots = (
        str(block.get("block_id", "")).removeprefix(DEPARTMENT_NAME)
        for block in view.get("blocks", [])
        if str(block.get("block_id", "")).startswith(DEPARTMENT_NAME)
    )
    return {int(slot) for slot in slots if slot.isdigit() and len(slot) <= 18}


def _save_departments(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Replace the account's departments by the form's rows; a name twice (by its key), too long,
    or a row of another account is refused beside it, nothing written."""
    account_id = sub.required(sub.meta.account_id, gone=ACCOUNT_GONE)
    if get_account(session, team_id=sub.team_id, account_id=account_id) is None:
        raise NotFound(ACCOUNT_GONE)
    rows, field_of = _department_rows(view)
    set_departments(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        rows=rows,
        shown=_shown_departments(view),
        field_of=field_of,
    )
    return account_id


save_departments = card_form(_save_departments, default_block=f"{DEPARTMENT_NAME}{NEW_SLOT}1")


# -- business events -------------------------------------------------------------------------


class EventForm(BaseModel):
    """A business event as typed in its modal (field names are block ids)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    kind: EventKind
    happened_on: date
    note: Annotated[str | None, Field(max_length=TEXT)] = None
    link: Annotated[str | None, Field(max_length=LINK_LENGTH, pattern=URL)] = None

    _note = field_validator("note")(optional_text)
    _date = field_validator("happened_on")(past_date)


def log_event_form(session: Session, value: AccountValue, request: Request) -> View | str:
    """The card's "Log event": today's date, the kind to pick."""
    account = get_account(session, team_id=request.team_id, account_id=value.account_id)
    if account is None:
        return ACCOUNT_GONE
    return event_form(meta=_card_meta(account, request), account=account, today=request.today)


def event_named(session: Session, asked: AskedCommand, request: Request) -> View | str:
    """`/account Acme event`."""

    def build(session: Session, account: Account, meta: ModalMeta, request: Request) -> View:
        return event_form(meta=meta, account=account, today=request.today)

    return named_form(session, asked, request, build)


def event_from_message(session: Session, value: MessageShortcut, request: Request) -> View | str:
    """The message shortcut: the link the message holds and its text as the note, its day as the
    event's; in an account's channel that account, elsewhere the form asks which."""
    account = find_account_by_channel(session, team_id=request.team_id, channel_id=value.channel_id)
    link = message_link(value.text)
    on = min(value.posted_on, request.today)
    return event_form(
        meta=ModalMeta(account_id=None if account is None else account.id),
        account=account,
        today=request.today,
        choose_account=True,
        values={
            EventField.NOTE: message_note(value.text),
            EventField.DATE: on.isoformat(),
            **({EventField.LINK: link} if link else {}),
        },
    )


def message_link(text: str) -> str | None:
    """The first web link of a message (Slack writes `<https://…|label>`; a bare one too), as
    the address itself: Slack sends `&` inside a link as `&amp;`."""
    found = _SLACK_LINK.search(text) or _BARE_LINK.search(text)
    if found is None:
        return None
    link = _unescape(found.group(1) if found.re is _SLACK_LINK else found.group(0))
    return link if len(link) <= LINK_LENGTH else None


def message_note(text: str) -> str:
    """A message's text as people read it: a link shown as its label (or its address), and
    Slack's `&amp;`, `&lt;`, `&gt;` as the characters (the card escapes the note again)."""
    plain = _SLACK_LINK.sub(
        lambda link: link.group(0)[1:-1].partition("|")[2] or link.group(1), text
    )
    return _unescape(plain)[:TEXT]


def _unescape(text: str) -> str:
    """Slack's three entities (only those: `&amp;lt;` is `&lt;` typed)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def new_leader_event(session: Session, value: NewLeaderValue, request: Request) -> View | str:
    """ "Log as new leader event" after a high-influence executive was added: the form filled in
    with them (logged only when the user saves it)."""
    person = get_stakeholder(session, team_id=request.team_id, stakeholder_id=value.stakeholder_id)
    if person is None:
        return PERSON_GONE
    account = get_account(session, team_id=request.team_id, account_id=person.account_id)
    if account is None:
        return ACCOUNT_GONE
    if person.status is not StakeholderStatus.ACTIVE:  # the proposal outlived their place
        return (
            f"{escape(person.name)} is no longer on {escape(account.name)}'s map: "
            "no new leader to log."
        )
    who = person.name + (f", {person.title}" if person.title else "")
    return event_form(
        meta=ModalMeta(account_id=account.id, response_url=request.response_url),
        account=account,
        today=request.today,
        values={
            EventField.KIND: EventKind.NEW_LEADER.value,
            EventField.NOTE: f"{who} joined the map as a high-influence executive.",
        },
    )


def _save_event(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
    """Log the event; a day in the future or a link that is not a web address is refused
    beside its field, nothing written."""
    form = parse_form(EventForm, view, today=today)
    account_id = sub.meta.account_id
    if account_id is None:
        raise NotFound("Pick the account.", field=EventField.ACCOUNT)
    if get_account(session, team_id=sub.team_id, account_id=account_id) is None:
        field = EventField.ACCOUNT if _picked(view) else EventField.KIND
        raise NotFound(ACCOUNT_GONE, field=field)
    log_event(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        kind=form.kind,
        happened_on=form.happened_on,
        note=form.note or "",
        link=form.link,
        source=EventSource.SHORTCUT if _picked(view) else EventSource.FORM,
        by_user_id=sub.user_id,
    )
    return account_id


def _picked(view: dict[str, Any]) -> bool:
    """The form asked for the account: it came from the message shortcut."""
    return any(block.get("block_id") == EventField.ACCOUNT for block in view.get("blocks", []))


save_event = card_form(_save_event, default_block=EventField.KIND)


# -- shared -----------------------------------------------------------------------------------


def _card_meta(account: Account, request: Request) -> ModalMeta:
    return ModalMeta(account_id=account.id, response_url=request.response_url, replace_card=True)
