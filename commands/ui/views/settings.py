"""`/account settings`: a menu of the team's settings sections, and each section's form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from annotated_types import Ge, Le
from pydantic.fields import FieldInfo

from commands.ui.fields import CURRENCIES
from commands.ui.ids import Action, View
from commands.ui.text import channel_mention, day, escape, user_mention
from commands.ui.values import ModalMeta, SectionValue
from commands.ui.views.blocks import Block, button, context, divider, section
from commands.ui.views.catalogue import catalogue_picker, catalogue_summary
from commands.ui.views.modal import initial, input_block, modal, option, text_input
from store.catalogue import EntryRow
from store.leads import LEAD_FIELD, MAX_LEADS
from store.models import TeamSettingsChange
from store.settings import WEEKDAYS, DigestSettings, RevenueSettings, SettingsSection, Thresholds

ALL_CLEAR = "all_clear"
WEEKLY_ALL_CLEAR = "weekly_all_clear"
OWNER_DMS = "owner_digests"
LEADS_BLOCK = "leads"
"""The leads' form's one input (a `multi_users_select`)."""
DIGEST_LABELS = {
    "weekday": "Digest day",
    "at": "Digest time",
    "timezone": "Time zone",
    "portfolio_channel_id": "Portfolio digest channel",
    "all_clear": "All-clear lines",
    "weekly_all_clear": "Weekly all-clear lines",
    "owner_digests": "Owners' DMs",
}


def settings_menu(
    *,
    meta: ModalMeta,
    digests: DigestSettings,
    thresholds: Thresholds,
    leads: Sequence[str] = (),
    revenue: RevenueSettings | None = None,
    catalogue: Sequence[EntryRow] = (),
    history: Sequence[TeamSettingsChange],
    today: date,
) -> dict[str, Any]:
    """Each section with what is in force and a button to change it, then the latest changes."""
    blocks: list[Block] = [
        context("Workspace admins only. Changes apply to the whole workspace and are recorded."),
        _section_row(SettingsSection.DIGESTS, "Weekly digests", _digest_summary(digests)),
        _section_row(
            SettingsSection.THRESHOLDS, "Signal thresholds", _threshold_summary(thresholds)
        ),
        _section_row(SettingsSection.LEADS, "Team leads", _leads_summary(leads)),
        _section_row(
            SettingsSection.REVENUE,
            "Revenue reporting",
            _revenue_summary(revenue or RevenueSettings()),
        ),
        _section_row(
            SettingsSection.CATALOGUE,
            "Product catalogue",
            catalogue_summary(catalogue),
            label="Add an entry",
        ),
        *catalogue_picker(catalogue),
        divider(),
        section("*Recent changes*"),
    ]
    lines = [_change_line(change, today) for change in history]
    blocks.append(
        context("\n".join(lines) if lines else "None yet: the deployment's defaults are in force.")
    )
    return modal(
        callback_id=View.SETTINGS_MENU, title="Team settings", blocks=blocks, meta=meta, submit=None
    )


def _section_row(
    section_id: SettingsSection, title: str, summary: str, *, label: str = "Change"
) -> Block:
    return section(
        f"*{title}*\n{summary}",
        accessory=button(
            label,
            action_id=Action.SETTINGS_SECTION,
            value=SectionValue.write(section=section_id),
        ),
    )


def _digest_summary(current: DigestSettings) -> str:
    channel = current.portfolio_channel_id
    day = WEEKDAYS[current.weekday].capitalize()
    return " · ".join(
        (
            f"{day} {current.at:%H:%M} ({escape(current.timezone)})",
            f"portfolio digest in {channel_mention(channel)}" if channel else "no portfolio digest",
            f"all-clear lines {_all_clear(current)}",
            f"owners' DMs {'on' if current.owner_digests else 'off'}",
        )
    )


def _all_clear(current: DigestSettings) -> str:
    if not current.all_clear:
        return "off"
    return "every week" if current.weekly_all_clear else "when an account turns green"


def _threshold_summary(current: Thresholds) -> str:
    watched = [
        name
        for name, on in (
            ("enterprise", current.sponsor_watch_enterprise),
            ("mid-market", current.sponsor_watch_mid_market),
            ("SMB", current.sponsor_watch_smb),
        )
        if on
    ]
    return (
        f"{current.min_threads} live contacts ({current.min_threads_smb} for SMB)"
        f" · recent contact within {current.recent_contact_days} days"
        f" · gone dark after {current.gone_dark_days} days"
        f" · stale map after {current.stale_map_days} days"
        f" · renewal window {current.renewal_window_enterprise_days} days enterprise,"
        f" {current.renewal_window_mid_market_days} mid-market,"
        f" {current.renewal_window_smb_days} SMB"
        f" · no sponsor watched for {', '.join(watched) if watched else 'no segment'}"
        f" · items due within {current.action_due_soon_days} days"
        f" · none booked: nothing due within {current.next_touch_days} days"
        f" · expansion at {current.expansion_seat_percent}% of seats"
        f" · low adoption under {current.adoption_risk_seat_percent}%"
    )


def _leads_summary(leads: Sequence[str]) -> str:
    if not leads:
        return "None named: only admins see the team's portfolio."
    shown = ", ".join(user_mention(u) for u in leads[:20])
    more = f" and {len(leads) - 20} more" if len(leads) > 20 else ""
    return (
        f"{shown}{more} · they see the team's portfolio (`/account portfolio`) and get its digest"
    )


def _revenue_summary(current: RevenueSettings) -> str:
    rates = ", ".join(
        f"1 {code} = {rate:f} {current.currency}" for code, rate in current.rates.items()
    )
    return f"Reported in {current.currency}" + (f" · {rates}" if rates else " · no rates set")


CURRENCY_BLOCK = "currency"
RATE_BLOCK = "rate_"
"""The revenue form's blocks: the reporting currency, then `rate_EUR`, … one per currency."""


def revenue_form(
    *, meta: ModalMeta, current: RevenueSettings, in_use: Sequence[str]
) -> dict[str, Any]:
    """The reporting currency, and a rate for each currency the team's accounts use."""
    blocks: list[Block] = [
        context(
            "Revenue reports (`/account revenue`) add every account up in one currency; each "
            "other currency converts at the rate set here. A report that meets a currency "
            "without a rate is refused, naming it."
        ),
        input_block(
            CURRENCY_BLOCK,
            "Reporting currency",
            {
                "type": "static_select",
                "options": [option(c, c) for c in CURRENCIES],
                "initial_option": option(current.currency, current.currency),
            },
        ),
    ]
    for code in sorted(set(in_use) | set(current.rates)):
        rate = current.rates.get(code)
        blocks.append(
            input_block(
                f"{RATE_BLOCK}{code}",
                f"1 {code} is worth (in the reporting currency)",
                initial(
                    {"type": "number_input", "is_decimal_allowed": True, "min_value": "0"},
                    "initial_value",
                    f"{rate:f}" if rate is not None else None,
                ),
                optional=True,
                hint="Leave empty when it is the reporting currency.",
            )
        )
    return modal(
        callback_id=View.REVENUE_SETTINGS_FORM, title="Revenue reporting", blocks=blocks, meta=meta
    )


def _change_line(change: TeamSettingsChange, today: date) -> str:
    label = _label(change.section, change.field)
    if change.section == SettingsSection.CATALOGUE:  # the field is an entry's name: no meaning
        old, new = (escape(v) if v else "none" for v in (change.old_value, change.new_value))
    else:
        old, new = (_shown(change.field, v) for v in (change.old_value, change.new_value))
    who = user_mention(change.changed_by_user_id) if change.changed_by_user_id else "someone"
    return f"{day(change.changed_at.date(), today)} · {who} · {label}: {old} → {new}"


def _label(section_id: str, field: str) -> str:
    if section_id == SettingsSection.LEADS:
        return "Team lead"
    if section_id == SettingsSection.CATALOGUE:
        return f"Catalogue, {escape(field)}"
    if section_id == SettingsSection.REVENUE:
        return "Reporting currency" if field == "currency" else field.replace("rate ", "Rate of ")
    if section_id == SettingsSection.THRESHOLDS and field in Thresholds.model_fields:
        return Thresholds.model_fields[field].title or field
    return DIGEST_LABELS.get(field, field)


def _shown(field: str, value: str | None) -> str:
    """A stored setting as people read it (day names, 09:00, #channel, on/off)."""
    if value is None:
        return "none"
    if field == "weekday" and value.isdigit() and int(value) < len(WEEKDAYS):
        return WEEKDAYS[int(value)].capitalize()
    if field == "at":
        return value[:5]
    if field == "portfolio_channel_id":
        return channel_mention(value)
    if field == LEAD_FIELD:
        return user_mention(value)
    if value in ("True", "False"):
        return "on" if value == "True" else "off"
    return escape(value)


def settings_form(*, meta: ModalMeta, current: DigestSettings) -> dict[str, Any]:
    days = [option(str(i), day.capitalize()) for i, day in enumerate(WEEKDAYS)]
    choices = [
        option(ALL_CLEAR, "Post a one-line all-clear into a channel when its account turns green"),
        option(WEEKLY_ALL_CLEAR, "Keep posting it every week while the account stays green"),
        option(OWNER_DMS, "Also send each account owner their at-risk accounts by DM"),
    ]
    chosen = [o for o in choices if getattr(current, o["value"])]
    blocks = [
        context(
            "Digests go to each account's linked channel, and a portfolio digest for team leads."
        ),
        input_block(
            "weekday",
            "Day",
            {"type": "static_select", "options": days, "initial_option": days[current.weekday]},
        ),
        input_block(
            "at", "Time", {"type": "timepicker", "initial_time": current.at.strftime("%H:%M")}
        ),
        input_block(
            "timezone",
            "Time zone",
            text_input(max_length=64, value=current.timezone),
            hint="A name like Europe/Paris, America/New_York or Asia/Tokyo.",
        ),
        input_block(
            "portfolio_channel_id",
            "Portfolio digest channel",
            initial(
                {
                    "type": "conversations_select",
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
                "initial_conversation",
                current.portfolio_channel_id,
            ),
            optional=True,
        ),
        input_block(
            "options",
            "Options",
            initial({"type": "checkboxes", "options": choices}, "initial_options", chosen),
            optional=True,
        ),
    ]
    return modal(callback_id=View.SETTINGS_FORM, title="Weekly digests", blocks=blocks, meta=meta)


def thresholds_form(*, meta: ModalMeta, current: Thresholds) -> dict[str, Any]:
    """One whole-number input per threshold, bounded as the rules allow, with its meaning."""
    blocks: list[Block] = [
        context("When each warning signal fires, for every account of the workspace."),
        *(
            input_block(
                name,
                field.title or name,
                _number_input(field, getattr(current, name)),
                hint=f"{field.description} Default {field.default}.",
            )
            for name, field in Thresholds.model_fields.items()
        ),
    ]
    return modal(
        callback_id=View.THRESHOLDS_FORM, title="Signal thresholds", blocks=blocks, meta=meta
    )


def leads_form(*, meta: ModalMeta, current: Sequence[str]) -> dict[str, Any]:
    """Who the team's leads are: people who see the team's portfolio, as admins do."""
    blocks: list[Block] = [
        context(
            "Leads see the team's accounts at risk with `/account portfolio` and get the weekly "
            "portfolio digest by direct message. Admins always can."
        ),
        input_block(
            LEADS_BLOCK,
            "Team leads",
            initial(
                {"type": "multi_users_select", "max_selected_items": MAX_LEADS},
                "initial_users",
                list(current) or None,
            ),
            optional=True,
        ),
    ]
    return modal(callback_id=View.LEADS_FORM, title="Team leads", blocks=blocks, meta=meta)


def _number_input(field: FieldInfo, value: int) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "initial_value": str(value),
    }
    for bound in field.metadata:
        if isinstance(bound, Ge):
            element["min_value"] = str(bound.ge)
        elif isinstance(bound, Le):
            element["max_value"] = str(bound.le)
    return element
