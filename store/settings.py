"""Per-team settings: the method's thresholds, with the defaults from account-strategy practice."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import Segment
from store.errors import check_version
from store.models import Account, TeamSettings, TeamSettingsChange
from store.types import utcnow
from store.unique import dialect_insert


class SettingsSection(StrEnum):
    """The sections of a team's settings, each its own form, as named in their history."""

    DIGESTS = "digests"
    THRESHOLDS = "thresholds"
    LEADS = "leads"
    REVENUE = "revenue"
    CATALOGUE = "catalogue"


Days = Annotated[int, Field(ge=1, le=3650)]
Percent = Annotated[int, Field(ge=1, le=100)]
Threads = Annotated[int, Field(ge=1, le=20)]
YesNo = Annotated[int, Field(ge=0, le=1)]
"""A choice the settings form shows as a number: 1 yes, 0 no (its inputs are all numbers)."""

OLD_RENEWAL_WINDOW = 90
"""The one renewal window before windows were per segment (and its default)."""


class Thresholds(BaseModel):
    """When a signal fires. Defaults follow the practice; a team may change any of them (its
    admins, in `/account settings`). Each field's title and description are what Slack shows;
    where the practice differs by segment, there is one field per segment."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    min_threads: Annotated[
        Threads,
        Field(
            title="Live contacts needed",
            description="Enterprise and mid-market: fewer live contacts is thin coverage.",
        ),
    ] = 3
    min_threads_smb: Annotated[
        Threads,
        Field(
            title="Live contacts needed, SMB",
            description="SMB accounts: fewer live contacts is thin coverage.",
        ),
    ] = 2
    recent_contact_days: Annotated[
        Days,
        Field(
            title="Recent contact within (days)",
            description="Contacted this recently (active, not negative): a live contact. A "
            "champion, economic buyer or sponsor not contacted this long: no recent contact.",
        ),
    ] = 60
    gone_dark_days: Annotated[
        Days,
        Field(
            title="Gone dark after (days)",
            description="No contact with anyone on the map for this long is critical.",
        ),
    ] = 90
    stale_map_days: Annotated[
        Days,
        Field(
            title="Stale map after (days)",
            description="Nobody added, changed or contacted on the map for this long.",
        ),
    ] = 30
    renewal_window_enterprise_days: Annotated[
        Days,
        Field(
            title="Renewal window, enterprise (days)",
            description="A renewal this close is watched, and critical with two or more risks.",
        ),
    ] = 180
    renewal_window_mid_market_days: Annotated[
        Days,
        Field(
            title="Renewal window, mid-market (days)",
            description="A renewal this close is watched, and critical with two or more risks.",
        ),
    ] = 120
    renewal_window_smb_days: Annotated[
        Days,
        Field(
            title="Renewal window, SMB (days)",
            description="A renewal this close is watched, and critical with two or more risks.",
        ),
    ] = 90
    sponsor_watch_enterprise: Annotated[
        YesNo,
        Field(
            title="Watch for no sponsor, enterprise (1 yes, 0 no)",
            description="1: an enterprise account with no executive sponsor is a watch item.",
        ),
    ] = 1
    sponsor_watch_mid_market: Annotated[
        YesNo,
        Field(
            title="Watch for no sponsor, mid-market (1 yes, 0 no)",
            description="1: a mid-market account with no executive sponsor is a watch item.",
        ),
    ] = 1
    sponsor_watch_smb: Annotated[
        YesNo,
        Field(
            title="Watch for no sponsor, SMB (1 yes, 0 no)",
            description="1: an SMB account with no executive sponsor is a watch item.",
        ),
    ] = 0
    action_due_soon_days: Annotated[
        int,
        Field(
            ge=0,
            le=60,
            title="Action items due soon within (days)",
            description="Open items due this soon are flagged to watch (0: only those due today).",
        ),
    ] = 7
    next_touch_days: Annotated[
        int,
        Field(
            ge=1,
            le=365,
            title="Next touch booked within (days)",
            description="No action item due this soon is none booked: watched while the renewal "
            "is open, or when nobody has been contacted for as long.",
        ),
    ] = 30
    expansion_seat_percent: Annotated[
        Percent,
        Field(
            title="Expansion signal at seat use (%)",
            description="Active seats at or above this share of licensed seats.",
        ),
    ] = 80
    adoption_risk_seat_percent: Annotated[
        Percent,
        Field(
            title="Low adoption below seat use (%)",
            description="Active seats under this share of licensed seats is a risk.",
        ),
    ] = 50

    usage_decline_percent: Annotated[
        Percent,
        Field(
            title="Declining usage at a fall of (%)",
            description="Active seats or monthly active users down this much over 30 days.",
        ),
    ] = 15
    feature_adoption_risk_percent: Annotated[
        Percent,
        Field(
            title="Low core-feature adoption below (%)",
            description="A usage reading's core-feature adoption under this is a risk.",
        ),
    ] = 50

    # The rule that low adoption starts below the expansion signal is checked when an admin
    # saves the form (`commands.team_settings.ThresholdsForm`), not here: a stored row that
    # breaks it (written by hand, or by an older version) must not fail every card.

    @model_validator(mode="before")
    @classmethod
    def _older_settings(cls, stored: Any) -> Any:
        """Read thresholds saved before the windows were one per team and per segment.

        The live-thread window and the key-people window become the one recent-contact window
        (the shorter of the two, as "recent" meant the stricter); a renewal window a team had
        changed applies to every segment, the old default leaves the segments' own defaults."""
        if not isinstance(stored, dict):
            return stored
        values = dict(stored)
        windows = ("thread_contact_days", "key_person_contact_days")
        older = [values.pop(key) for key in windows if key in values]
        if older and "recent_contact_days" not in values:
            values["recent_contact_days"] = min(older, key=_as_number)
        window = values.pop("renewal_warning_days", None)
        if window is not None and window != OLD_RENEWAL_WINDOW:
            for segment in ("enterprise", "mid_market", "smb"):
                values.setdefault(f"renewal_window_{segment}_days", window)
        return values

    def renewal_window(self, segment: Segment) -> int:
        return {
            Segment.ENTERPRISE: self.renewal_window_enterprise_days,
            Segment.MID_MARKET: self.renewal_window_mid_market_days,
            Segment.SMB: self.renewal_window_smb_days,
        }[segment]

    def threads_needed(self, segment: Segment) -> int:
        return self.min_threads_smb if segment is Segment.SMB else self.min_threads

    def sponsor_watched(self, segment: Segment) -> bool:
        return bool(
            {
                Segment.ENTERPRISE: self.sponsor_watch_enterprise,
                Segment.MID_MARKET: self.sponsor_watch_mid_market,
                Segment.SMB: self.sponsor_watch_smb,
            }[segment]
        )


def _as_number(value: Any) -> float:
    """Orders stored values that may not be numbers at all (validation then says so)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("-inf")


_THRESHOLDS = select_columns(col(TeamSettings.thresholds)).where(
    col(TeamSettings.team_id) == bindparam("team_id")
)
"""Built once: every card and list reads it. Run through the session, which flushes first: a
write path (history recorded before a commit, an override) may read it beside unsaved changes."""


def thresholds_for(session: Session, *, team_id: str) -> Thresholds:
    """The team's thresholds, or the defaults when it has set none."""
    stored = session.execute(_THRESHOLDS, {"team_id": team_id}).scalar_one_or_none()
    return Thresholds.model_validate(stored or {})


NOT_PLACES = frozenset({"Factory", "localtime"})
"""Zone files that are no place's time: tzdata's `Factory` ("zone not set") and the machine's
own `localtime` (a link some systems keep beside the zones)."""
STORED = "stored"
"""Validation context of settings read back from the store (see `DigestSettings`)."""


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - NOT_PLACES


def zone_name(value: str) -> str:
    """`value` when it is a place's IANA time zone name (`Europe/Paris`, `UTC`), else ValueError.

    `ZoneInfo` loads any zone file, `posixrules` and the `posix/` and `right/` copies
    included; Python's list of available zones leaves those out, and `NOT_PLACES` the rest.
    The one rule for the settings form and DIGEST_TIMEZONE."""
    if value not in _zone_names():
        raise ValueError(f"{value!r} is not a time zone name like Europe/Paris")
    return value


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DigestSettings(BaseModel):
    """When and where a team's digests go out."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    weekday: Annotated[int, Field(ge=0, le=6)] = 0
    """0 is Monday."""
    at: time = time(9, 0)
    timezone: str = "UTC"
    all_clear: bool = True
    """Post a one-line all-clear into a channel when its account turns green."""
    weekly_all_clear: bool = False
    """Keep posting the all-clear every week while an account stays green."""
    portfolio_channel_id: Annotated[str | None, Field(pattern=r"^[CG][A-Z0-9]{2,31}$")] = None
    owner_digests: bool = False
    """Also send each account owner their own at-risk accounts by direct message."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str, info: ValidationInfo) -> str:
        if not (info.context or {}).get(STORED):
            return zone_name(value)
        try:  # saved before `zone_name` was the rule: it still needs to load, not to be asked
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Europe/Paris") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def digest_settings_of(
    session: Session, *, team_ids: Iterable[str], defaults: DigestSettings
) -> dict[str, DigestSettings]:
    """Each team's digest settings over the deployment's defaults, in one query."""
    wanted = list(team_ids)
    stored: dict[str, dict[str, Any]] = dict(
        session.execute(
            select(TeamSettings.team_id, TeamSettings.digest).where(
                col(TeamSettings.team_id).in_(wanted)
            )
        ).all()
    )
    return {
        team: DigestSettings.model_validate(
            defaults.model_dump() | (stored.get(team) or {}), context={STORED: True}
        )
        for team in wanted
    }


RATE_CODE = r"^[A-Z]{3}$"


class RevenueSettings(BaseModel):
    """The team's reporting currency, and what one unit of each other currency is worth in it."""

    model_config = ConfigDict(frozen=True)

    currency: Annotated[str, Field(pattern=RATE_CODE)] = "USD"
    rates: dict[Annotated[str, Field(pattern=RATE_CODE)], Annotated[Decimal, Field(gt=0)]] = {}


def revenue_settings(session: Session, *, team_id: str) -> RevenueSettings:
    stored = session.execute(
        select(TeamSettings.revenue).where(TeamSettings.team_id == team_id)
    ).scalar_one_or_none()
    return RevenueSettings.model_validate(stored or {})


def settings_version(session: Session, *, team_id: str) -> int:
    """The version of the team's settings (0 before its first save): a form carries the one it
    was opened on, and a save over a change made since is refused."""
    stored = session.execute(
        select(TeamSettings.version).where(TeamSettings.team_id == team_id)
    ).scalar_one_or_none()
    return stored or 0


def save_settings(
    session: Session,
    *,
    team_id: str,
    section: SettingsSection,
    values: Thresholds | DigestSettings | RevenueSettings,
    defaults: DigestSettings | None = None,
    by_user_id: str | None = None,
    expected_version: int | None = None,
) -> list[TeamSettingsChange]:
    """Store one section of the team's settings; what changed from the values in force (the
    team's own over `defaults`) is written to the settings' history in the same transaction,
    and returned. The team's row is made if missing (two first saves at once make one) and
    locked, so the old values recorded are the ones replaced and no save is lost; a form
    opened on another version than the row's now (`expected_version`) is refused."""
    row = locked_settings(session, team_id=team_id, expected_version=expected_version)
    before: BaseModel
    if section is SettingsSection.THRESHOLDS:
        before = Thresholds.model_validate(row.thresholds)
        row.thresholds = values.model_dump()
    elif section is SettingsSection.REVENUE:
        before = RevenueSettings.model_validate(row.revenue)
        row.revenue = values.model_dump(mode="json")
    else:
        in_force = (defaults or DigestSettings()).model_dump() | row.digest
        before = DigestSettings.model_validate(in_force)
        row.digest = values.model_dump(mode="json")
    row.version += 1
    row.updated_at = utcnow()
    return _record_changes(
        session, team_id=team_id, section=section, before=before, after=values, by=by_user_id
    )


def locked_settings(
    session: Session, *, team_id: str, expected_version: int | None
) -> TeamSettings:
    """The team's settings row, made if missing (two first saves at once make one) and locked
    for the rest of the transaction (the caller raises its version); a save from a form opened
    on another version (`expected_version`) is refused (`ChangedElsewhere`)."""
    session.execute(
        dialect_insert(session)(TeamSettings)
        .values(
            team_id=team_id,
            thresholds={},
            digest={},
            leads=[],
            revenue={},
            version=0,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["team_id"])
    )
    row = session.exec(
        select(TeamSettings)
        .where(TeamSettings.team_id == team_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    check_version(expected_version, row.version, what="Team settings")
    return row


def _record_changes(
    session: Session,
    *,
    team_id: str,
    section: str,
    before: BaseModel,
    after: BaseModel,
    by: str | None,
) -> list[TeamSettingsChange]:
    old, new = _flat(before), _flat(after)
    changes = [
        TeamSettingsChange(
            team_id=team_id,
            section=section,
            field=name,
            old_value=_as_text(old.get(name)),
            new_value=_as_text(value),
            changed_by_user_id=by,
        )
        for name, value in [*new.items(), *((name, None) for name in old if name not in new)]
        if old.get(name) != value
    ]
    session.add_all(changes)
    return changes


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _flat(values: BaseModel) -> dict[str, Any]:
    """A section's values as its history compares them: the revenue rates one line each
    (`rate EUR`), so a change names the rate it moved."""
    dumped = values.model_dump(mode="json")
    if isinstance(values, RevenueSettings):
        rates = dumped.pop("rates")
        dumped |= {f"rate {code}": rate for code, rate in sorted(rates.items())}
    return dumped


def settings_history(
    session: Session, *, team_id: str, limit: int = 10
) -> list[TeamSettingsChange]:
    """The team's latest settings changes, newest first."""
    return list(
        session.execute(
            select(TeamSettingsChange)
            .where(TeamSettingsChange.team_id == team_id)
            .order_by(col(TeamSettingsChange.changed_at).desc(), col(TeamSettingsChange.id).desc())
            .limit(limit)
        ).scalars()
    )


def teams_with_accounts(session: Session) -> list[str]:
    """Every workspace that has at least one live account."""
    return list(
        session.execute(
            select(Account.team_id)
            .where(col(Account.archived).is_(False))
            .distinct()
            .order_by(Account.team_id)
        ).scalars()
    )
