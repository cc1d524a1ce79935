"""Modal primitives: inputs, options, selects and the modal envelope."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from commands.ui.ids import FIELD_ACTION, View
from commands.ui.values import ModalMeta
from commands.ui.views.blocks import plain, section

Element = dict[str, Any]

MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, MAX_OPTION_TEXT), "value": value[:150]}


def input_block(
    block_id: str,
    title: str,
    element: Element,
    *,
    optional: bool = False,
    hint: str = "",
    dispatch: bool = False,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(title, 2000),
        "element": {**element, "action_id": element.get("action_id", FIELD_ACTION)},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    if dispatch:
        block["dispatch_action"] = True
    return block


def initial(element: Element, key: str, value: Any) -> Element:
    """Set an initial value only when there is one (Slack rejects empty initial values), and
    never longer than the input takes (Slack rejects the whole view): text that came from
    elsewhere (a typed command, a message) is cut to the input's `max_length`."""
    if isinstance(value, str) and "max_length" in element:
        value = value[: element["max_length"]].rstrip()
    return {**element, key: value} if value not in (None, "", []) else element


def text_input(*, max_length: int, value: str | None = None, multiline: bool = False) -> Element:
    element: Element = {
        "type": "plain_text_input",
        "max_length": max_length,
        "multiline": multiline,
    }
    return initial(element, "initial_value", value)


def date_input(value: Any = None) -> Element:
    return initial({"type": "datepicker"}, "initial_date", value.isoformat() if value else None)


def enum_select(
    members: Sequence[StrEnum], *, value: StrEnum | None, words: dict[Any, str]
) -> Element:
    """A static select over an enum, labelled in plain words."""
    element: Element = {
        "type": "static_select",
        "options": [option(m.value, words[m]) for m in members],
    }
    return initial(element, "initial_option", option(value.value, words[value]) if value else None)


def modal(
    *,
    callback_id: View,
    title: str,
    blocks: list[dict[str, Any]],
    meta: ModalMeta,
    submit: str | None = "Save",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id.value,
        "title": plain(title, 24),
        "close": plain("Cancel", 24),
        "private_metadata": meta.dump(),
        "blocks": blocks[:MAX_OPTIONS],
    }
    if submit:
        view["submit"] = plain(submit, 24)
    return view


def loading_view(title: str) -> dict[str, Any]:
    """What opens at once, inside Slack's 3-second trigger window, while the form is built."""
    return modal(
        callback_id=View.LOADING,
        title=title,
        blocks=[section(":hourglass_flowing_sand: Loading…")],
        meta=ModalMeta(),
        submit=None,
    )


def notice_view(title: str, text: str) -> dict[str, Any]:
    return modal(
        callback_id=View.LOADING, title=title, blocks=[section(text)], meta=ModalMeta(), submit=None
    )
