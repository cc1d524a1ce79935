"""Org coverage and business events as Slack shows them: the departments form, the event form,
the card's coverage and recent-events lines, and the proposal of a new leader event (every name
and note escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from commands.ui.fields import TEXT
from commands.ui.ids import Action, ContactField, EventField, View
from commands.ui.text import day, escape
from commands.ui.values import ModalMeta, NewLeaderValue
from commands.ui.views.blocks import (
    MAX_CONTEXT_TEXT,
    Block,
    actions,
    button,
    context,
    section,
    shorten,
)
from commands.ui.views.modal import (
    date_input,
    enum_select,
    initial,
    input_block,
    modal,
    option,
    text_input,
)
from store.departments import MAX_DEPARTMENTS
from store.enums import ORG_LEVEL_SHORT, EventKind, OrgLevel, StakeholderStatus, label
from store.events import RECENT_DAYS, DepartmentFact, EventRow
from store.models import DEPARTMENT_LENGTH, LINK_LENGTH, Account, AccountDepartment
from store.rows import PersonRow

DEPARTMENT_NAME = "department_name_"
DEPARTMENT_USES = "department_uses_"
"""Block ids of a row of the departments form, followed by its slot: a department's id, or
`new1`… for an empty row."""
NEW_SLOT = "new"
NEW_ROWS = 3
USES = "uses"
EVENT_WORDS: dict[Any, str] = {kind: label(kind) for kind in EventKind}
CARD_WORDS = {
    EventKind.FUNDING: "funding round",
    EventKind.ACQUISITION: "acquisition or merger",
    EventKind.NEW_OFFICE: "new office or region",
    EventKind.HEADCOUNT_GROWTH: "headcount growth",
    EventKind.NEW_LEADER: "new leader",
    EventKind.REGULATORY: "regulatory change",
    EventKind.REORGANISATION: "reorganisation",
}
LEVEL_WORDS: dict[Any, str] = {level: label(level) for level in OrgLevel}
NOTE_SHOWN = 80
"""Characters of an event's note on the card."""
EVENTS_SHOWN = 5


def departments_form(
    *, meta: ModalMeta, account: Account, departments: Sequence[AccountDepartment]
) -> dict[str, Any]:
    """The account's departments, one row each (a name, whether it uses the product), and a
    few empty rows to add more; clearing a name removes that department."""
    slots: list[tuple[str, str | None, bool]] = [
        (str(d.id), d.name, d.uses_product) for d in departments
    ]
    room = max(0, MAX_DEPARTMENTS - len(slots))
    slots += [(f"{NEW_SLOT}{n}", None, False) for n in range(1, min(NEW_ROWS, room) + 1)]
    blocks: list[dict[str, Any]] = [
        context(
            f"Departments of *{escape(account.name)}*: the map's coverage is counted by them. "
            "Clear a name to remove it (its people stay on the map, with no department)."
        )
    ]
    uses = option(USES, "Yes")
    for slot, name, used in slots:
        blocks.append(
            input_block(
                f"{DEPARTMENT_NAME}{slot}",
                "Department" if name else "New department",
                text_input(max_length=DEPARTMENT_LENGTH, value=name),
                optional=True,
            )
        )
        boxes = initial(
            {"type": "checkboxes", "options": [uses]}, "initial_options", [uses] if used else None
        )
        blocks.append(
            input_block(f"{DEPARTMENT_USES}{slot}", "Uses the product", boxes, optional=True)
        )
    return modal(callback_id=View.DEPARTMENTS_FORM, title="Departments", blocks=blocks, meta=meta)


def department_select(
    departments: Sequence[AccountDepartment], chosen: int | None
) -> dict[str, Any]:
    """The stakeholder form's department: one of the account's."""
    options = [option(str(d.id), d.name) for d in departments]
    picked = next((o for o in options if o["value"] == str(chosen)), None)
    return initial({"type": "static_select", "options": options}, "initial_option", picked)


def coverage_line(
    departments: Sequence[AccountDepartment] | Sequence[DepartmentFact],
    people: Sequence[PersonRow],
    *,
    limit: int = MAX_CONTEXT_TEXT,
) -> str:
    """`Coverage: Finance 2 (exec, dir) · IT 1 (mgr) · Ops: none, uses product`: active people
    per department with their levels; `levels unknown` rather than a guess. Within `limit`
    characters, whole departments dropped for `and N more` (a cut mid-name could split an
    escaped `&lt;`, and would crowd out the card's events line below)."""
    active = [p for p in people if p.status is StakeholderStatus.ACTIVE]
    if not departments and not any(p.level for p in active):
        return "Coverage: no departments or levels recorded yet"
    parts: list[str] = []
    for department in departments:
        there = [p for p in active if p.department_id == department.id]
        uses = "uses product" if department.uses_product else ""
        name = escape(department.name)
        if not there:
            parts.append(f"{name}: none" + (f", {uses}" if uses else ""))
            continue
        levels = _levels(there)
        inside = "; ".join(x for x in (levels, uses) if x)
        parts.append(f"{name} {len(there)}" + (f" ({inside})" if inside else ""))
    elsewhere = [
        p for p in active if p.department_id is None or p.department_id not in _ids(departments)
    ]
    if elsewhere and departments:
        levels = _levels(elsewhere)
        parts.append(f"no department {len(elsewhere)}" + (f" ({levels})" if levels else ""))
    if not departments:
        parts.append(f"levels {_levels(active)}; no departments recorded")
    line = "Coverage: " + " · ".join(parts)
    shown = len(parts)
    while len(line) > limit and shown > 0:
        shown -= 1
        line = "Coverage: " + " · ".join([*parts[:shown], f"and {len(parts) - shown} more"])
    return line


def _ids(departments: Sequence[AccountDepartment] | Sequence[DepartmentFact]) -> set[int | None]:
    return {d.id for d in departments}


def _levels(people: Sequence[PersonRow]) -> str:
    known = {p.level for p in people if p.level is not None}
    return ", ".join(ORG_LEVEL_SHORT[level] for level in OrgLevel if level in known)


def events_line(events: Sequence[EventRow], today: date) -> str:
    """The account's recent events, newest first, compact: `Events (90 days): 12 Nov funding
    round: Series C led by … (link)`."""
    if not events:
        return ""
    shown = []
    for event in events[:EVENTS_SHOWN]:
        note = f": {escape(shorten(event.note, NOTE_SHOWN))}" if event.note else ""
        link = f" (<{event.link}|link>)" if event.link else ""
        shown.append(f"{day(event.happened_on, today)} {CARD_WORDS[event.kind]}{note}{link}")
    more = len(events) - EVENTS_SHOWN
    tail = f" · and {more} more" if more > 0 else ""
    return f"Events ({RECENT_DAYS} days): " + " · ".join(shown) + tail


def event_form(
    *,
    meta: ModalMeta,
    account: Account | None,
    today: date,
    choose_account: bool = False,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A business event: kind, day (today by default, never later), note, link. From the message
    shortcut outside an account's channel the account is picked first (`choose_account`)."""
    values = values or {}
    blocks: list[dict[str, Any]] = []
    if choose_account:
        picker: dict[str, Any] = {
            "type": "external_select",
            "action_id": Action.CONTACT_ACCOUNT.value,
            "min_query_length": 0,
            "placeholder": {"type": "plain_text", "text": "Search accounts"},
        }
        if account is not None:
            picker["initial_option"] = option(str(account.id), account.name)
        blocks.append(input_block(ContactField.ACCOUNT, "Account", picker))
    elif account is not None:
        blocks.append(context(f"A business event at *{escape(account.name)}*"))
    kind = EventKind(values[EventField.KIND]) if values.get(EventField.KIND) else None
    happened = values.get(EventField.DATE)
    blocks += [
        input_block(
            EventField.KIND,
            "What happened",
            enum_select(list(EventKind), value=kind, words=EVENT_WORDS),
        ),
        input_block(
            EventField.DATE,
            "When",
            date_input(date.fromisoformat(happened) if happened else today),
        ),
        input_block(
            EventField.NOTE,
            "Note",
            text_input(max_length=TEXT, value=values.get(EventField.NOTE), multiline=True),
            optional=True,
        ),
        input_block(
            EventField.LINK,
            "Link",
            text_input(max_length=LINK_LENGTH, value=values.get(EventField.LINK)),
            optional=True,
            hint="A news article or announcement: https://…",
        ),
    ]
    return modal(
        callback_id=View.EVENT_FORM, title="Log event", blocks=blocks, meta=meta, submit="Log"
    )


def new_leader_proposal(*, account: Account, name: str, stakeholder_id: int) -> list[Block]:
    """Shown after a high-influence executive is added to the map: logged only if clicked."""
    return [
        section(
            f"*{escape(name)}* joined *{escape(account.name)}*'s map as a high-influence "
            "executive. A new leader is often a reason to talk: log it as a business event?"
        ),
        actions(
            button(
                "Log as new leader event",
                action_id=Action.NEW_LEADER_EVENT,
                value=NewLeaderValue.write(stakeholder_id=stakeholder_id),
            )
        ),
    ]
