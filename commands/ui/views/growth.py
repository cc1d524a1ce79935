"""An account's growth view (`/account Acme grow`, the card's "Growth"): its hypotheses and
observations ranked and read whole, the whitespace with estimates, coverage by department and
level; and the form that dismisses a hypothesis with its reason. Pure: data in, Block Kit out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from commands.ui.ids import Action, DismissField, View
from commands.ui.text import escape, money
from commands.ui.values import HypothesisValue, ModalMeta
from commands.ui.views.blocks import (
    MAX_SECTION_TEXT,
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    fit,
    header,
    listing,
    section,
)
from commands.ui.views.modal import input_block, modal, text_input
from store.catalogue import Whitespace
from store.enums import HypothesisStatus
from store.expansion import HELD_RED, SEAT_RETURN_POINTS, Expansion, Hypothesis, HypothesisKind
from store.growth import NO_DEPARTMENT_USAGE, StoredHypothesis

REASON_LENGTH = 500
SHOWN = 20
"""Hypotheses and observations drawn with their buttons (two blocks each): the rest of Slack's
50 blocks go to the header, the whitespace, coverage and what is not shown."""
KIND_WORDS = {
    HypothesisKind.SEATS: "More seats",
    HypothesisKind.USAGE_CONCENTRATED: "Usage concentrated in one department",
    HypothesisKind.DEPARTMENTS_NOT_USING: "Departments not using it",
    HypothesisKind.WHITESPACE_MODULE: "A module not in use",
    HypothesisKind.NEW_LEADER: "A new leader",
    HypothesisKind.CHAMPION_PROMOTED: "A champion promoted",
    HypothesisKind.GROWTH_EVENT: "Growth at the customer",
    HypothesisKind.MERGER_ACQUISITION: "A merger or acquisition",
    HypothesisKind.REGULATORY_CHANGE: "A regulatory change",
}
_NEWER_EVENT = "Dismiss until a newer event"
DISMISS_WORDS = {
    HypothesisKind.SEATS: "Dismiss until seat use rises",
    HypothesisKind.USAGE_CONCENTRATED: "Dismiss for good",
    HypothesisKind.DEPARTMENTS_NOT_USING: "Dismiss until departments change",
    HypothesisKind.WHITESPACE_MODULE: "Dismiss for good",
    HypothesisKind.NEW_LEADER: _NEWER_EVENT,
    HypothesisKind.CHAMPION_PROMOTED: "Dismiss until a newer promotion",
    HypothesisKind.GROWTH_EVENT: _NEWER_EVENT,
    HypothesisKind.MERGER_ACQUISITION: _NEWER_EVENT,
    HypothesisKind.REGULATORY_CHANGE: _NEWER_EVENT,
}
"""The Dismiss button of each kind says when the hypothesis comes back (`RETURNS`)."""
_EVENT_BACK = (
    "A newer event of this kind comes as a hypothesis of its own; this one stays dismissed."
)
COMES_BACK = {
    HypothesisKind.USAGE_CONCENTRATED: "It does not come back on its own: nothing it measures "
    "can move it past a threshold.",
    HypothesisKind.DEPARTMENTS_NOT_USING: "It comes back when the departments without the "
    "product change.",
    HypothesisKind.WHITESPACE_MODULE: "It does not come back on its own: the module is named "
    "or it is not.",
    HypothesisKind.NEW_LEADER: _EVENT_BACK,
    HypothesisKind.CHAMPION_PROMOTED: "A newer promotion comes as a hypothesis of its own; this "
    "one stays dismissed.",
    HypothesisKind.GROWTH_EVENT: _EVENT_BACK,
    HypothesisKind.MERGER_ACQUISITION: _EVENT_BACK,
    HypothesisKind.REGULATORY_CHANGE: _EVENT_BACK,
}
"""What the dismissal form says of when it comes back (the seat signal's says its numbers)."""
MEASURE_WORDS = {HypothesisKind.SEATS: "seat use"}
"""What a kind's measure is, said when a dismissed hypothesis comes back."""
SHORTEST = 80
"""A text of a hypothesis is never cut shorter than this to make room for the others."""
STATUS_WORDS = {
    HypothesisStatus.CONVERTED: "turned into an opportunity",
    HypothesisStatus.DISMISSED: "dismissed",
}


def growth_blocks(
    *,
    account_id: int,
    name: str,
    found: Expansion,
    stored: Mapping[tuple[str, str], StoredHypothesis],
    whitespace: Sequence[Whitespace],
    coverage: str,
    department_usage: bool = True,
) -> list[Block]:
    """The growth view. A red account shows "save it first" and no hypothesis; a yellow one its
    observations only ("stabilise it first"); a dismissed one is listed with its reason, without
    buttons; one back from a dismissal says what moved. Without usage by department
    (`department_usage` False) it says so: concentrated usage is not checked, not absent."""
    blocks: list[Block] = [header(f"Growth: {name}")]
    if found.held == HELD_RED:
        blocks.append(section(f":rotating_light: {escape(_sentence(HELD_RED))}."))
    elif found.held is not None:
        blocks.append(
            section(
                ":warning: *Stabilise it first:* the account is yellow, so observations only, "
                "no expansion pitch."
            )
        )
    ranked = [*found.hypotheses, *found.observations]
    settled = [h for h in ranked if _status(h, stored) is HypothesisStatus.DISMISSED]
    live = [h for h in ranked if h not in settled]
    if found.held != HELD_RED:
        if not ranked:
            blocks.append(section("No expansion signal yet: nothing in the record points to one."))
        for number, hypothesis in enumerate(live[:SHOWN], start=1):
            blocks.extend(_hypothesis(number, hypothesis, stored, account_id=account_id))
        if len(live) > SHOWN:
            blocks.append(context(f"…and {len(live) - SHOWN} more not shown"))
        if settled:
            blocks.append(section(listing("*Dismissed*", [_dismissed(h, stored) for h in settled])))
    blocks.append(divider())
    if found.held == HELD_RED:  # no prices before it is stable: nothing to pitch
        blocks.append(
            section(
                listing(
                    "*Whitespace* (not in use; held: no prices until it is stable)",
                    _white(whitespace, priced=False),
                )
            )
        )
    else:
        blocks.append(
            section(listing("*Whitespace* (not in use, with estimates)", _white(whitespace)))
        )
    blocks.append(context(coverage))
    if not department_usage and found.held != HELD_RED:
        blocks.append(
            context(
                f"Usage by department: {NO_DEPARTMENT_USAGE}, so concentrated usage is not "
                "checked: record usage with a department (*Record usage*, or a `department` "
                "column in `accountbot usage import`)."
            )
        )
    return fit(blocks)  # SHOWN keeps it under Slack's limit; fit says so if it ever is not


def inactive_blocks(name: str, why: str) -> list[Block]:
    """A churned account's growth view: why nothing is proposed (`why`, the store's words)."""
    return [header(f"Growth: {name}"), section(f":no_entry: {escape(why)}")]


def _status(h: Hypothesis, stored: Mapping[tuple[str, str], StoredHypothesis]) -> HypothesisStatus:
    row = stored.get((h.kind.value, h.key))
    return row.status if row is not None else HypothesisStatus.OPEN


def _hypothesis(
    number: int,
    h: Hypothesis,
    stored: Mapping[tuple[str, str], StoredHypothesis],
    *,
    account_id: int,
) -> list[Block]:
    row = stored.get((h.kind.value, h.key))
    kind = "Observation" if h.observation else "Hypothesis"
    title = f"*{number}. {KIND_WORDS[h.kind]}* · {kind.lower()}"
    if not h.observation:
        title += f" · readiness {h.readiness.value}"
    lines = [title]
    if row is not None and row.status in STATUS_WORDS:
        lines.append(f"_{STATUS_WORDS[row.status]}_")
    if back := _back(h, row):
        lines.append(f":leftwards_arrow_with_hook: {back}")
    parts = [
        ("*Evidence:*", h.evidence),
        ("*Context:*", h.context),
        ("*Timing:*", h.timing or "no reason to talk now"),
        ("*Who cares:*", h.stakeholder or "nobody in touch yet"),
        ("*Estimate:*", h.estimate.words()),
        ("*Score:*", h.score_explained),
        ("*Angle:*", h.angle),
    ]
    if h.find_out:
        parts.append(("*Find out:*", "; ".join(h.find_out)))
    head = "\n".join(lines)
    lines += _read_whole(parts, room=MAX_SECTION_TEXT - len(head) - 1)
    blocks = [section(clip("\n".join(lines)))]
    if row is None or row.status is not HypothesisStatus.OPEN:
        return blocks
    value = HypothesisValue.write(account_id=account_id, hypothesis_id=row.id)
    buttons = [button(DISMISS_WORDS[h.kind], action_id=Action.DISMISS_HYPOTHESIS, value=value)]
    if not h.observation:
        buttons.insert(
            0,
            button(
                "Turn into opportunity",
                action_id=Action.CONVERT_HYPOTHESIS,
                value=value,
                style="primary",
            ),
        )
    blocks.append(actions(*buttons))
    return blocks


def _read_whole(parts: Sequence[tuple[str, str]], *, room: int) -> list[str]:
    """Each `*Label:* text` line, escaped, within `room` characters: past it, the longest texts
    are cut (their start kept, with "…") rather than the lines after them dropped, so a long
    event note or thirty departments' names leave who cares, the estimate and the angle read."""
    labels = [label for label, _ in parts]
    texts = [text for _, text in parts]

    def size() -> int:
        return sum(
            len(label) + len(escape(text)) + 2 for label, text in zip(labels, texts, strict=True)
        )

    while (over := size() - room) > 0:
        longest = max(range(len(texts)), key=lambda i: len(escape(texts[i])))
        keep = max(len(texts[longest]) - over - 1, SHORTEST)
        if keep >= len(texts[longest]):
            break  # every text as short as it gets: `clip` says what is left out
        texts[longest] = texts[longest][:keep].rstrip() + "…"
    return [f"{label} {escape(text)}" for label, text in zip(labels, texts, strict=True)]


def _back(h: Hypothesis, row: StoredHypothesis | None) -> str | None:
    """`back: seat use up from 84% to 91%` for one that came back from a dismissal."""
    if row is None or row.status is not HypothesisStatus.OPEN or row.dismissed_measure is None:
        return None
    if row.measure is None or h.kind not in MEASURE_WORDS:
        return None
    said = f" (dismissed: {escape(row.dismissed_reason)})" if row.dismissed_reason else ""
    return f"back: {MEASURE_WORDS[h.kind]} up from {row.dismissed_measure}% to {row.measure}%{said}"


def _dismissed(h: Hypothesis, stored: Mapping[tuple[str, str], StoredHypothesis]) -> str:
    row = stored[(h.kind.value, h.key)]
    return (
        f"• {KIND_WORDS[h.kind]}: {escape(h.evidence)} · dismissed:"
        f" {escape(row.dismissed_reason or 'no reason kept')}"
    )


def _white(rows: Sequence[Whitespace], *, priced: bool = True) -> list[str]:
    if not rows:
        return ["Nothing: the account uses every product and module of the catalogue."]
    if not priced:
        return [
            f"• {escape(row.entry.name)}"
            + (f", with {escape(row.with_product)}" if row.with_product else "")
            for row in rows
        ]
    return [
        f"• {escape(row.entry.name)}: "
        + (
            money(row.estimate, row.entry.currency)
            if row.estimate is not None
            else escape(_no_estimate(row.no_estimate))
        )
        + (f", with {escape(row.with_product)}" if row.with_product else "")
        for row in rows
    ]


def comes_back(kind: HypothesisKind, measure: int | None) -> str:
    """When a dismissed hypothesis of this kind comes back, in the user's words."""
    if kind is not HypothesisKind.SEATS:
        return COMES_BACK[kind]
    if measure is None:
        return f"It comes back when seat use is up {SEAT_RETURN_POINTS} points of the licence."
    return (
        f"It comes back when seat use reaches {measure + SEAT_RETURN_POINTS}% of the licence"
        f" ({measure}% now)."
    )


def dismiss_form(
    *,
    meta: ModalMeta,
    evidence: str,
    observation: bool,
    kind: HypothesisKind,
    measure: int | None = None,
) -> dict[str, Any]:
    """Dismiss a hypothesis or observation: why (required), kept with who and when; what
    dismissing does, and when it comes back."""
    what = "observation" if observation else "hypothesis"
    blocks = [
        section(f"Dismiss this {what}: {escape(evidence)}"),
        input_block(
            DismissField.REASON,
            "Why dismiss it",
            text_input(max_length=REASON_LENGTH, multiline=True),
        ),
        context(
            f"It leaves this view, the pipeline and the digests now, kept with your reason. "
            f"{comes_back(kind, measure)}"
        ),
    ]
    return modal(
        callback_id=View.DISMISS_FORM, title="Dismiss", blocks=blocks, meta=meta, submit="Dismiss"
    )


def _no_estimate(why: str | None) -> str:
    """`no estimate without units`, `no estimate (no price in the catalogue)`: said once."""
    if why is None:
        return "no estimate"
    return why if why.startswith("no estimate") else f"no estimate ({why})"


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]
