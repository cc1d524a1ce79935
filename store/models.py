"""Tables of the account record. Every row carries the Slack team id it belongs to."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col

from store.enums import (
    ActionStatus,
    Band,
    CatalogueKind,
    ContactChannel,
    EventKind,
    EventSource,
    HypothesisStatus,
    Influence,
    ItemKind,
    LeadStatus,
    Level,
    OpportunityStage,
    OpportunityType,
    OrgLevel,
    PriceBasis,
    RenewalOutcome,
    RenewalStage,
    RevenueKind,
    RevenueSource,
    Role,
    SavePhase,
    Segment,
    Sentiment,
    StakeholderStatus,
)
from store.names import EMAIL_KEY_LENGTH, EMAIL_LENGTH, NAME_KEY_LENGTH, NAME_LENGTH
from store.types import UTCDateTime, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TEAM_ID_LENGTH = 32
SLACK_ID_LENGTH = 32
TEXT_LENGTH = 3000
DEPARTMENT_LENGTH = 80
LINK_LENGTH = 2000


class _Enum(sa.Enum):
    """SQLAlchemy's Enum, reading each value with one dictionary look-up made in C instead of
    two Python calls: a whole team's people carry four enums each (about 600,000 values for a
    10,000-account digest build). Same DDL, same values; an unknown value raises KeyError."""

    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        text = sa.String()
        if text.result_processor(dialect, coltype) is not None:
            return super().result_processor(dialect, coltype)  # type: ignore[no-untyped-call]  # untyped in SQLAlchemy
        return self._object_lookup.__getitem__


def enum_column(enum: type[StrEnum], *, name: str | None = None) -> sa.Enum:
    """Store an enum by its value, checked by the database, portable to SQLite and PostgreSQL.
    `name` names the check when a table has two columns of one enum."""
    return _Enum(
        enum,
        name=name or enum.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


# Like sqlmodel's own `Field`, these return its FieldInfo typed as Any, so that the annotation
# of the column they fill (`created_at: datetime = created_at_field()`) is the type checked.
def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def team_field() -> Any:
    return Field(max_length=TEAM_ID_LENGTH, nullable=False)


def saved_id(row_id: int | None) -> int:
    """The id of a row read from or flushed to the database. Id columns are typed `int | None`
    only because a new row has none until its INSERT: None here is a bug (an unflushed row)."""
    if row_id is None:
        raise ValueError("this row has no id: it was never written to the database")
    return row_id


class Account(SQLModel, table=True):
    """A customer we already sell to; its name is unique per team by its key (`name_key`)."""

    __table_args__ = (
        sa.UniqueConstraint("team_id", "name_key"),
        sa.Index(None, "team_id", "owner_user_id"),
        sa.Index(None, "team_id", "channel_id"),
        sa.Index(None, "team_id", "renewal_date"),
        sa.CheckConstraint("arr >= 0", name="arr_not_negative"),
        sa.CheckConstraint("seats_licensed IS NULL OR seats_licensed >= 0", name="seats_licensed"),
        sa.CheckConstraint("seats_active IS NULL OR seats_active >= 0", name="seats_active"),
        sa.CheckConstraint(
            "notice_date IS NULL OR renewal_date IS NULL OR notice_date <= renewal_date",
            name="notice_before_renewal",
        ),
        sa.CheckConstraint(
            "renewal_stage != 'signed' OR renewal_signed_on IS NOT NULL",
            name="signed_on_when_signed",
        ),
        sa.CheckConstraint(
            "contract_months >= 1 AND contract_months <= 60", name="contract_months"
        ),
        sa.CheckConstraint(
            "fiscal_year_start_month IS NULL OR"
            " (fiscal_year_start_month >= 1 AND fiscal_year_start_month <= 12)",
            name="fiscal_year_start_month",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    name: str = Field(max_length=NAME_LENGTH)
    name_key: str = Field(max_length=NAME_KEY_LENGTH)
    channel_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    owner_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    arr: Decimal = Field(default=Decimal("0"), max_digits=14, decimal_places=2)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    renewal_date: date | None = None
    contract_start: date | None = None
    segment: Segment = Field(default=Segment.MID_MARKET, sa_type=enum_column(Segment))
    seats_licensed: int | None = None
    seats_active: int | None = None
    renewal_stage: RenewalStage = Field(
        default=RenewalStage.NOT_STARTED, sa_type=enum_column(RenewalStage)
    )
    """Where the coming renewal stands; signed needs `renewal_signed_on`."""
    renewal_signed_on: date | None = None
    notice_date: date | None = None
    """The last day the customer may give notice not to renew: on or before the renewal date."""
    external_crm_id: str | None = Field(default=None, max_length=64)
    contract_months: int = Field(default=12)
    """The contract term: a renewal recorded rolls the renewal date forward by it."""
    fiscal_year_start_month: int | None = None
    """The customer's fiscal year's first month (1-12), its budget cycle: the expansion
    engine's timing. None: not known."""
    churned_on: date | None = None
    """Set when a renewal is answered churned: the account is inactive from then on (no
    digests, signals, reminders or renewal questions), its history kept."""
    churn_reason: str | None = Field(default=None, max_length=500)
    archived: bool = Field(default=False)
    version: int = Field(default=1)
    """Raised by every edit: a form opened on an older version is refused (changed elsewhere)."""
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CatalogueEntry(SQLModel, table=True):
    """A product or module the team sells, with its list price: kept by admins in `/account
    settings`; its name is unique per team by its key. A module needs exactly one product of
    the team (`requires_id`), a product none; a price has its basis, and none has neither."""

    __tablename__ = "catalogue_entry"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "name_key"),
        sa.CheckConstraint("list_price IS NULL OR list_price >= 0", name="price_not_negative"),
        sa.CheckConstraint("(list_price IS NULL) = (price_basis IS NULL)", name="price_with_basis"),
        sa.CheckConstraint(
            "(kind = 'module') = (requires_id IS NOT NULL)", name="module_needs_product"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    name: str = Field(max_length=NAME_LENGTH)
    name_key: str = Field(max_length=NAME_KEY_LENGTH)
    kind: CatalogueKind = Field(sa_type=enum_column(CatalogueKind))
    list_price: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    price_basis: PriceBasis | None = Field(default=None, sa_type=enum_column(PriceBasis))
    currency: str = Field(default="USD", min_length=3, max_length=3)
    requires_id: int | None = Field(
        default=None, foreign_key="catalogue_entry.id", ondelete="RESTRICT", index=True
    )
    """The product a module needs (a product needs none)."""
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class AccountProduct(SQLModel, table=True):
    """A catalogue entry in use on an account (set on the account form); an entry in use cannot
    be removed from the catalogue."""

    __tablename__ = "account_product"
    __table_args__ = (sa.Index(None, "team_id", "entry_id"),)

    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", primary_key=True)
    entry_id: int = Field(foreign_key="catalogue_entry.id", ondelete="RESTRICT", primary_key=True)
    team_id: str = team_field()


class AccountDepartment(SQLModel, table=True):
    """A department or business unit known at an account, and whether it uses the product:
    the map's coverage is counted by it. Its name is unique per account by its key."""

    __tablename__ = "account_department"
    __table_args__ = (sa.UniqueConstraint("account_id", "name_key"), sa.Index(None, "team_id"))

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    name: str = Field(max_length=DEPARTMENT_LENGTH)
    name_key: str = Field(max_length=NAME_KEY_LENGTH)
    uses_product: bool = Field(default=False)
    created_at: datetime = created_at_field()


class BusinessEvent(SQLModel, table=True):
    """Something that happened at the customer (a funding round, a new leader, ...), dated: a
    stable record the growth rules and later the QBR read (`store.events.events_of`). One per
    account, kind and day, so an import run again writes nothing twice."""

    __tablename__ = "business_event"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "kind", "happened_on"),
        sa.Index(None, "team_id", "happened_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    kind: EventKind = Field(sa_type=enum_column(EventKind))
    happened_on: date
    note: str = Field(default="", max_length=TEXT_LENGTH)
    link: str | None = Field(default=None, max_length=LINK_LENGTH)
    source: EventSource = Field(default=EventSource.FORM, sa_type=enum_column(EventSource))
    recorded_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    recorded_at: datetime = created_at_field()


class RevenueEntry(SQLModel, table=True):
    """One movement of an account's ARR (or a correction of it): the one record of revenue
    movement, only ever added to (`store.revenue`). `change` is signed; `arr_after` is the
    account's ARR from `effective_on`, in `currency`."""

    __tablename__ = "revenue_entry"
    __table_args__ = (
        sa.Index(None, "team_id", "effective_on"),
        sa.Index(None, "account_id", "effective_on", "id"),
        sa.CheckConstraint("arr_after >= 0", name="arr_after_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    effective_on: date
    kind: RevenueKind = Field(sa_type=enum_column(RevenueKind))
    change: Decimal = Field(max_digits=14, decimal_places=2)
    arr_after: Decimal = Field(max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    source: RevenueSource = Field(sa_type=enum_column(RevenueSource))
    note: str | None = Field(default=None, max_length=TEXT_LENGTH)
    recorded_at: datetime = created_at_field()


class RenewalAnswer(SQLModel, table=True):
    """The answer to one renewal of an account (`renewal_date`: the renewal answered): one per
    renewal, so a second answer to a renewal already recorded is refused."""

    __tablename__ = "renewal_answer"
    __table_args__ = (sa.UniqueConstraint("account_id", "renewal_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    renewal_date: date
    outcome: RenewalOutcome = Field(sa_type=enum_column(RenewalOutcome))
    arr_before: Decimal = Field(max_digits=14, decimal_places=2)
    arr_after: Decimal = Field(max_digits=14, decimal_places=2)
    reason: str | None = Field(default=None, max_length=500)
    by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    answered_at: datetime = created_at_field()


class RenewalAsk(SQLModel, table=True):
    """The renewal questions' ledger: "Did Acme renew?" to one person about one renewal, in one
    round (`first`, or the digest week it was asked again), claimed before sending so it goes
    out at most once; where it went (to update it once answered) and its fate."""

    __tablename__ = "renewal_ask"
    __table_args__ = (sa.Index(None, "team_id", "account_id", "renewal_date"),)

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    account_id: int = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    renewal_date: date = Field(primary_key=True)
    round: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=SLACK_ID_LENGTH)
    status: str = Field(default="sending", max_length=16)
    error: str | None = Field(default=None, max_length=200)
    channel_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    message_ts: str | None = Field(default=None, max_length=32)
    claimed_at: datetime = created_at_field()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    holder: str | None = Field(default=None, max_length=200)


UNCLEARED = sa.text("cleared_at IS NULL")


class BandOverride(SQLModel, table=True):
    """An owner's manual band for an account: why, until when, who and when. Rows are never
    deleted: replacing or removing one marks it cleared, so the rows are the overrides' history.
    At most one is uncleared per account; it is in force until its expiry date has passed."""

    __tablename__ = "band_override"
    __table_args__ = (
        sa.Index(
            "uq_band_override_account_id",
            "account_id",
            unique=True,
            sqlite_where=UNCLEARED,
            postgresql_where=UNCLEARED,
        ),
        sa.Index(None, "account_id", "set_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    band: Band = Field(sa_type=enum_column(Band))
    rules_band: Band | None = Field(default=None, sa_type=enum_column(Band, name="rules_band"))
    """What the rules said when the override was set."""
    reason: str = Field(max_length=500)
    expires_on: date
    set_by_user_id: str = Field(max_length=SLACK_ID_LENGTH)
    set_at: datetime = created_at_field()
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cleared_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)


class DigestBand(SQLModel, table=True):
    """The band (and the signals behind it) each account was shown with in its latest weekly
    digest, and in the digest before: what "since last week" compares with. One row per account,
    rewritten by each week's delivery run; a second run in the same week keeps the week before."""

    __tablename__ = "digest_band"
    __table_args__ = (sa.Index(None, "team_id"),)

    account_id: int = Field(primary_key=True, foreign_key="account.id", ondelete="CASCADE")
    team_id: str = team_field()
    week: date
    band: Band = Field(sa_type=enum_column(Band))
    signals: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    previous_week: date | None = None
    previous_band: Band | None = Field(
        default=None, sa_type=enum_column(Band, name="previous_band")
    )
    previous_signals: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)


class AccountHistory(SQLModel, table=True):
    """One dated record of an account's state: its band (and the override in force), the kinds
    of its firing signals with their evidence, and its key figures. Rows are only ever added,
    and only when the state differs from the account's last record (`fingerprint`: the state
    with day counts taken out of the evidence), so the state of any past day is the last record
    on or before it (`store.history.state_on`)."""

    __tablename__ = "account_history"
    __table_args__ = (
        # team first: SQLite, without statistics, would read one account's days through the
        # (team, day) index, a scan of the team's whole history (280 ms a card at 10,000
        # accounts with two years of it); with both equalities this one wins
        sa.Index(None, "team_id", "account_id", "day", "id"),
        sa.Index(None, "team_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    day: date
    """The (UTC) day the state held from."""
    source: str = Field(max_length=16)
    """`change` (written with a change made through the bot) or `daily` (the scheduler)."""
    band: Band = Field(sa_type=enum_column(Band))
    """The band shown: the override's while one is in force."""
    rules_band: Band = Field(sa_type=enum_column(Band, name="rules_band"))
    override_band: Band | None = Field(
        default=None, sa_type=enum_column(Band, name="override_band")
    )
    signals: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    """The kinds of the signals firing, sorted."""
    evidence: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    """Per kind, the signal's reason and evidence as they read that day."""
    fingerprint: str = Field(max_length=64)
    """What is compared with the next state: a changed day count alone is no change."""
    arr: Decimal = Field(default=Decimal("0"), max_digits=14, decimal_places=2)
    currency: str = Field(default="USD", max_length=3)
    seats_licensed: int | None = None
    seats_active: int | None = None
    recorded_at: datetime = created_at_field()


class HistoryRun(SQLModel, table=True):
    """The daily history check of one team for one day: written in the transaction that records
    it, so each team's day is checked exactly once, whichever process gets there first."""

    __tablename__ = "history_run"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    day: date = Field(primary_key=True)
    recorded: int = Field(default=0)
    """How many accounts had changed (records written)."""
    holder: str | None = Field(default=None, max_length=200)
    ran_at: datetime = created_at_field()


class UsageReading(SQLModel, table=True):
    """An account's product usage on one day, of the whole account or of one of its departments:
    one reading per account, date and department (a reading for one already recorded replaces
    it). Two partial unique indexes, as NULL (the whole account) never equals NULL."""

    __tablename__ = "usage_reading"
    __table_args__ = (
        sa.Index(
            "uq_usage_reading_account_day",
            "account_id",
            "read_on",
            unique=True,
            sqlite_where=sa.text("department_id IS NULL"),
            postgresql_where=sa.text("department_id IS NULL"),
        ),
        sa.Index(
            "uq_usage_reading_department_day",
            "department_id",
            "read_on",
            unique=True,
            sqlite_where=sa.text("department_id IS NOT NULL"),
            postgresql_where=sa.text("department_id IS NOT NULL"),
        ),
        sa.Index(None, "team_id", "read_on"),
        sa.CheckConstraint("seats_active >= 0", name="seats_active"),
        sa.CheckConstraint("monthly_active_users IS NULL OR monthly_active_users >= 0", name="mau"),
        sa.CheckConstraint(
            "adoption_percent IS NULL OR (adoption_percent >= 0 AND adoption_percent <= 100)",
            name="adoption_percent",
        ),
        sa.CheckConstraint(
            "satisfaction IS NULL OR (satisfaction >= 0 AND satisfaction <= 5)",
            name="satisfaction",
        ),
        sa.CheckConstraint("escalations IS NULL OR escalations >= 0", name="escalations"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    department_id: int | None = Field(
        default=None, foreign_key="account_department.id", ondelete="CASCADE"
    )
    """None: the whole account. A department removed takes its readings with it."""
    read_on: date
    seats_active: int
    monthly_active_users: int | None = None
    adoption_percent: int | None = None
    """Core-feature adoption, 0-100."""
    satisfaction: Decimal | None = Field(default=None, max_digits=2, decimal_places=1)
    """Support satisfaction, 0-5 with one decimal."""
    escalations: int | None = None
    source: str = Field(default="slack", max_length=16)
    """`slack` (the form) or `import` (a file)."""
    recorded_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    recorded_at: datetime = created_at_field()


LIVE_PERSON = sa.text("status != 'merged'")
"""Everyone on a map but the duplicates merged into another record (kept for their history)."""


class Stakeholder(SQLModel, table=True):
    """A person at the customer who matters; departed people stay on the map. A person is on
    an account's map once by their name's key, and once by their email's key (`email_key`);
    a duplicate found later is marked merged."""

    __table_args__ = (
        sa.Index(
            "uq_stakeholder_account_id_name_key",
            "account_id",
            "name_key",
            unique=True,
            sqlite_where=LIVE_PERSON,
            postgresql_where=LIVE_PERSON,
        ),
        sa.Index(
            "uq_stakeholder_account_id_email_key",
            "account_id",
            "email_key",
            unique=True,
            sqlite_where=LIVE_PERSON,
            postgresql_where=LIVE_PERSON,
        ),
        sa.Index(None, "account_id"),
        sa.Index(None, "team_id"),
        sa.Index(None, "reports_to_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    name: str = Field(max_length=NAME_LENGTH)
    name_key: str = Field(max_length=NAME_KEY_LENGTH)
    title: str | None = Field(default=None, max_length=NAME_LENGTH)
    role: Role = Field(sa_type=enum_column(Role))
    influence: Influence = Field(default=Influence.MEDIUM, sa_type=enum_column(Influence))
    sentiment: Sentiment = Field(default=Sentiment.NEUTRAL, sa_type=enum_column(Sentiment))
    status: StakeholderStatus = Field(
        default=StakeholderStatus.ACTIVE, sa_type=enum_column(StakeholderStatus)
    )
    reports_to_id: int | None = Field(
        default=None, foreign_key="stakeholder.id", ondelete="SET NULL"
    )
    relationship_owner_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    last_contacted_on: date | None = None
    email: str | None = Field(default=None, max_length=EMAIL_LENGTH)
    email_key: str | None = Field(default=None, max_length=EMAIL_KEY_LENGTH)
    """The email as compared (`store.names.email_key`); none without an email."""
    notes: str | None = Field(default=None, max_length=TEXT_LENGTH)
    departed_on: date | None = None
    left_for_company: str | None = Field(default=None, max_length=NAME_LENGTH)
    left_for_title: str | None = Field(default=None, max_length=NAME_LENGTH)
    department_id: int | None = Field(
        default=None, foreign_key="account_department.id", ondelete="SET NULL", index=True
    )
    level: OrgLevel | None = Field(default=None, sa_type=enum_column(OrgLevel))
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


ON_MAP = col(Stakeholder.status) != StakeholderStatus.MERGED
"""People on a map, in queries: everyone but the duplicate records merged into another."""


class ContactLog(SQLModel, table=True):
    """One touchpoint with one stakeholder; logs are appended, never edited away."""

    __tablename__ = "contact_log"
    __table_args__ = (
        sa.Index(None, "account_id", "contacted_on"),
        sa.Index(None, "stakeholder_id", "contacted_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    stakeholder_id: int = Field(foreign_key="stakeholder.id", ondelete="CASCADE")
    contacted_on: date
    channel: ContactChannel = Field(sa_type=enum_column(ContactChannel))
    summary: str = Field(default="", max_length=TEXT_LENGTH)
    message_link: str | None = Field(default=None, max_length=500)
    logged_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    created_at: datetime = created_at_field()


class StakeholderChange(SQLModel, table=True):
    """One field of one stakeholder changed: the map's memory."""

    __tablename__ = "stakeholder_change"
    __table_args__ = (
        sa.Index(None, "account_id", "changed_at"),
        sa.Index(None, "stakeholder_id", "changed_at"),
        sa.Index(None, "team_id", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    stakeholder_id: int = Field(foreign_key="stakeholder.id", ondelete="CASCADE")
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    new_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    changed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    changed_at: datetime = created_at_field()


class ChampionLead(SQLModel, table=True):
    """A champion or sponsor who left an account for a known company: a lead for the team
    (`/account leads`). One per person (`stakeholder_id`): departing again or editing the
    departure updates it, never a second."""

    __tablename__ = "champion_lead"
    __table_args__ = (
        sa.UniqueConstraint("stakeholder_id"),
        sa.Index(None, "team_id", "company_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    """The account they championed us at."""
    stakeholder_id: int = Field(foreign_key="stakeholder.id", ondelete="CASCADE")
    person_name: str = Field(max_length=NAME_LENGTH)
    title: str | None = Field(default=None, max_length=NAME_LENGTH)
    """Their title at the new company, when known."""
    role: Role = Field(sa_type=enum_column(Role))
    company: str = Field(max_length=NAME_LENGTH)
    company_key: str = Field(max_length=NAME_KEY_LENGTH)
    championed_from: date
    championed_to: date
    status: LeadStatus = Field(default=LeadStatus.OPEN, sa_type=enum_column(LeadStatus))
    converted_account_id: int | None = Field(
        default=None, foreign_key="account.id", ondelete="SET NULL"
    )
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class LeadOutreach(SQLModel, table=True):
    """One outreach to a lead (date, note, who): appended, never edited away."""

    __tablename__ = "lead_outreach"
    __table_args__ = (sa.Index(None, "lead_id", "reached_on"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    lead_id: int = Field(foreign_key="champion_lead.id", ondelete="CASCADE")
    reached_on: date
    note: str = Field(max_length=TEXT_LENGTH)
    by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    created_at: datetime = created_at_field()


SCORE_COLUMNS = (
    "score_budget",
    "score_authority",
    "score_need",
    "score_timeline",
    "score_champion",
    "score_competition",
)
"""The qualification scorecard's columns on `opportunity`, in the practice's order."""


class Opportunity(SQLModel, table=True):
    """A deal: an upsell, cross-sell or renewal of an account, or a new logo of a lead (exactly
    one of the two, checked by the database). Every change is an `OpportunityChange`."""

    __table_args__ = (
        sa.CheckConstraint("(account_id IS NULL) != (lead_id IS NULL)", name="account_or_lead"),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint(
            "stage != 'closed_lost' OR lost_reason IS NOT NULL", name="lost_with_reason"
        ),
        sa.CheckConstraint(
            "(hypothesis_kind IS NULL) = (hypothesis_key IS NULL)", name="hypothesis_whole"
        ),
        *(
            sa.CheckConstraint(f"{column} BETWEEN 1 AND 5", name=f"{column}_1_to_5")
            for column in SCORE_COLUMNS
        ),
        sa.Index(None, "team_id", "account_id"),
        sa.Index(None, "team_id", "lead_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="CASCADE")
    lead_id: int | None = Field(default=None, foreign_key="champion_lead.id", ondelete="CASCADE")
    type: OpportunityType = Field(sa_type=enum_column(OpportunityType))
    name: str = Field(max_length=NAME_LENGTH)
    amount: Decimal = Field(max_digits=14, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    close_date: date
    stage: OpportunityStage = Field(sa_type=enum_column(OpportunityStage))
    lost_reason: str | None = Field(default=None, max_length=500)
    owner_user_id: str = Field(max_length=SLACK_ID_LENGTH)
    next_step: str | None = Field(default=None, max_length=500)
    next_step_on: date | None = None
    trigger_signal: str | None = Field(default=None, max_length=500)
    business_case: str | None = Field(default=None, max_length=TEXT_LENGTH)
    hypothesis_kind: str | None = Field(default=None, max_length=32)
    hypothesis_key: str | None = Field(default=None, max_length=200)
    """The expansion hypothesis it came from (`store.expansion`: its kind and key), if any."""
    # MEDDIC (`store.deals`): each empty one is a gap; the buyer and champion are on the map
    metrics: str | None = Field(default=None, max_length=500)
    economic_buyer_id: int | None = Field(
        default=None, foreign_key="stakeholder.id", ondelete="SET NULL"
    )
    decision_criteria: str | None = Field(default=None, max_length=500)
    decision_process: str | None = Field(default=None, max_length=500)
    identified_pain: str | None = Field(default=None, max_length=500)
    champion_id: int | None = Field(default=None, foreign_key="stakeholder.id", ondelete="SET NULL")
    # the qualification scorecard, 1-5 each (none: not scored yet)
    score_budget: int | None = None
    score_authority: int | None = None
    score_need: int | None = None
    score_timeline: int | None = None
    score_champion: int | None = None
    score_competition: int | None = None
    version: int = Field(default=1)
    created_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ExpansionHypothesis(SQLModel, table=True):
    """An account's expansion hypothesis as last computed (`store.growth.refresh_hypotheses`),
    one per account, kind and key: a stable record the growth view, the pipeline and later the
    QBR read, whose status (open, dismissed, converted) outlives each refresh."""

    __tablename__ = "expansion_hypothesis"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "kind", "key"),
        sa.Index(None, "team_id", "account_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)
    key: str = Field(max_length=200)
    evidence: str = Field(max_length=TEXT_LENGTH)
    measure: int | None = None
    """The evidence's number (seat use in percent of the licence, ...), when the kind has one:
    what a dismissal is compared against."""
    estimate: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    no_estimate: str | None = Field(default=None, max_length=200)
    """Without an estimate, what is missing for one (`no price in the catalogue`, ...)."""
    currency: str = Field(min_length=3, max_length=3)
    readiness: str = Field(max_length=16)
    score: int
    observation: bool
    status: HypothesisStatus = Field(
        default=HypothesisStatus.OPEN, sa_type=enum_column(HypothesisStatus)
    )
    current: bool = True
    """Seen on the account's latest refresh (false: no longer found, or the account is red)."""
    first_seen_on: date
    last_seen_on: date
    dismissed_reason: str | None = Field(default=None, max_length=500)
    dismissed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    dismissed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dismissed_measure: int | None = None
    """The evidence's number when it was dismissed: it comes back only past the kind's
    threshold over this (`store.growth.RETURN_THRESHOLDS`)."""


class OpportunityStakeholder(SQLModel, table=True):
    """A person of the opportunity's account involved in it."""

    __tablename__ = "opportunity_stakeholder"

    opportunity_id: int = Field(foreign_key="opportunity.id", ondelete="CASCADE", primary_key=True)
    stakeholder_id: int = Field(
        foreign_key="stakeholder.id", ondelete="CASCADE", primary_key=True, index=True
    )
    team_id: str = team_field()


class OpportunityChange(SQLModel, table=True):
    """One field of an opportunity changed (or `created`, with every field): its history."""

    __tablename__ = "opportunity_change"
    __table_args__ = (sa.Index(None, "opportunity_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    opportunity_id: int = Field(foreign_key="opportunity.id", ondelete="CASCADE")
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    new_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    changed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    changed_at: datetime = created_at_field()


class AccountChange(SQLModel, table=True):
    """One renewal fact of an account changed (stage, signed date, notice date, renewal date),
    or its products in use (`products`: the names before and after), written in the
    transaction of the change: the account's history shows who moved it, when."""

    __tablename__ = "account_change"
    __table_args__ = (sa.Index(None, "account_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    new_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    changed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    changed_at: datetime = created_at_field()


class SavePlan(SQLModel, table=True):
    """A red account's save play as saved: the risk assessment (churn probability and why, ARR
    at risk, save difficulty, the investment asked for); its steps are internal tasks
    (`ActionItem.save_plan_id`). Saving a new plan marks the one before replaced, never deleted."""

    __tablename__ = "save_plan"
    __table_args__ = (sa.Index(None, "account_id", "replaced_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    churn_probability: Level = Field(sa_type=enum_column(Level, name="churn_probability"))
    rationale: str = Field(max_length=TEXT_LENGTH)
    arr_at_risk: Decimal = Field(default=Decimal("0"), max_digits=14, decimal_places=2)
    currency: str = Field(default="USD", max_length=3)
    difficulty: Level = Field(sa_type=enum_column(Level, name="difficulty"))
    investment_hours: int
    investment_people: int
    executive_involvement: str = Field(default="", max_length=500)
    created_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    created_at: datetime = created_at_field()
    replaced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActionItem(SQLModel, table=True):
    """A commitment with a due date: a mutual-action-plan item (an owner on each side) or an
    internal task (`kind`: an owner on our side only), perhaps a step of a save plan."""

    __tablename__ = "action_item"
    __table_args__ = (
        sa.Index(None, "account_id", "status", "due_on"),
        sa.Index(None, "team_id", "status", "due_on"),
        sa.Index(None, "team_id", "our_owner_user_id", "status"),
        sa.Index(None, "customer_owner_stakeholder_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    title: str = Field(max_length=NAME_LENGTH * 2)
    our_owner_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    customer_owner_stakeholder_id: int | None = Field(
        default=None, foreign_key="stakeholder.id", ondelete="SET NULL"
    )
    customer_owner_name: str | None = Field(default=None, max_length=NAME_LENGTH)
    due_on: date
    status: ActionStatus = Field(default=ActionStatus.OPEN, sa_type=enum_column(ActionStatus))
    link: str | None = Field(default=None, max_length=500)
    blocked_reason: str | None = Field(default=None, max_length=TEXT_LENGTH)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    created_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    kind: ItemKind = Field(default=ItemKind.MUTUAL, sa_type=enum_column(ItemKind))
    save_plan_id: int | None = Field(
        default=None, foreign_key="save_plan.id", ondelete="SET NULL", index=True
    )
    phase: SavePhase | None = Field(default=None, sa_type=enum_column(SavePhase))
    version: int = Field(default=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class TeamSettings(SQLModel, table=True):
    """A workspace's own choices: thresholds of the method's signals and when digests go out.
    Empty values fall back to the deployment's defaults (environment)."""

    __tablename__ = "team_settings"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    thresholds: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    digest: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    leads: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    """The team's leads (Slack user ids): they see the team's portfolio, as admins do."""
    revenue: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    """The reporting currency and the rates other currencies convert at (`RevenueSettings`)."""
    version: int = Field(default=0)
    """Raised by every save: a settings form opened on an older version is refused."""
    updated_at: datetime = created_at_field()


class TeamSettingsChange(SQLModel, table=True):
    """One team setting changed in Slack: which, from what, to what, by whom and when. Rows are
    only ever added: the settings' audit history."""

    __tablename__ = "team_settings_change"
    __table_args__ = (sa.Index(None, "team_id", "changed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    section: str = Field(max_length=32)
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, max_length=200)
    new_value: str | None = Field(default=None, max_length=200)
    changed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    changed_at: datetime = created_at_field()


class ProcessedRequest(SQLModel, table=True):
    """A user action already carried out, so a double click or a retried delivery writes once."""

    __tablename__ = "processed_request"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = created_at_field()


class ActionItemChange(SQLModel, table=True):
    """One field of one mutual-action item changed: the plan's history."""

    __tablename__ = "action_item_change"
    __table_args__ = (
        sa.Index(None, "action_item_id", "changed_at"),
        sa.Index(None, "team_id", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    account_id: int = Field(foreign_key="account.id", ondelete="CASCADE", index=True)
    action_item_id: int = Field(foreign_key="action_item.id", ondelete="CASCADE")
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    new_value: str | None = Field(default=None, max_length=TEXT_LENGTH)
    changed_by_user_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    changed_at: datetime = created_at_field()


class ActionReminder(SQLModel, table=True):
    """The reminder ledger: the due-day reminder of one item on one local day, claimed before
    sending so it goes out at most once, and its fate (`store.deliveries`: sending, sent,
    failed with why, interrupted)."""

    __tablename__ = "action_reminder"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    action_item_id: int = Field(primary_key=True, foreign_key="action_item.id", ondelete="CASCADE")
    local_day: date = Field(primary_key=True)
    user_id: str = Field(max_length=SLACK_ID_LENGTH)
    claimed_at: datetime = created_at_field()
    status: str = Field(default="sending", max_length=16)
    error: str | None = Field(default=None, max_length=200)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    holder: str | None = Field(default=None, max_length=200)
    """The process that claimed it: a take-over from it reports this send as interrupted."""


class SlackUser(SQLModel, table=True):
    """What the bot knows of a Slack user: their time zone (from users.info), refreshed daily."""

    __tablename__ = "slack_user"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    user_id: str = Field(primary_key=True, max_length=SLACK_ID_LENGTH)
    tz: str = Field(default="UTC", max_length=64)
    is_admin: bool = Field(default=False)
    fetched_at: datetime = created_at_field()


class DigestDelivery(SQLModel, table=True):
    """The delivery ledger: one row per digest target per week, claimed before posting, so every
    digest goes out exactly once across restarts and processes."""

    __tablename__ = "digest_delivery"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "week", "target"),
        sa.Index(None, "team_id", "week", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = team_field()
    week: date
    target: str = Field(max_length=80)
    """`account:<id>`, `portfolio` or `owner:<user id>`."""
    channel_id: str | None = Field(default=None, max_length=SLACK_ID_LENGTH)
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="CASCADE")
    status: str = Field(default="sending", max_length=16)
    error: str | None = Field(default=None, max_length=200)
    message_ts: str | None = Field(default=None, max_length=32)
    claimed_at: datetime = created_at_field()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    holder: str | None = Field(default=None, max_length=200)
    """The process that claimed it (on PostgreSQL, through a team's `WorkClaim`): when another
    takes that team over, this process's post still `sending` is known to be interrupted."""


class SchedulerLease(SQLModel, table=True):
    """Which process runs the scheduled jobs: one holder at a time, taken over when it expires."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class WorkClaim(SQLModel, table=True):
    """A team's scheduled work of one kind (`digests`, `reminders`), claimed by one process at a
    time: PostgreSQL is the queue (`SELECT … FOR UPDATE SKIP LOCKED`). The holder renews
    `expires_at` while it works; once it has expired, any process takes the team over."""

    __tablename__ = "work_claim"

    kind: str = Field(primary_key=True, max_length=16)
    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    holder: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_for: date | None = None
    """The period (a digest week) whose work is finished: not claimed again for it."""


class UsedOAuthState(SQLModel, table=True):
    """An OAuth `state` that finished an install, kept until it expires: a replay of it is
    refused by whichever process it reaches."""

    __tablename__ = "used_oauth_state"

    state_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class ChannelFact(SQLModel, table=True):
    """What Slack last said of a channel, for every process: whether another organisation can
    read it (or soon will), whether it is private, and when Slack said so. Posts of internal
    content read it instead of asking Slack each time (`commands.ui.directory`); Slack's channel
    events rewrite it at once."""

    __tablename__ = "channel_fact"

    team_id: str = Field(primary_key=True, max_length=TEAM_ID_LENGTH)
    channel_id: str = Field(primary_key=True, max_length=SLACK_ID_LENGTH)
    shared_outside: bool
    """Shared with another organisation: externally shared, or a share pending."""
    private: bool | None = Field(default=None)
    """None when what said it (an event) does not say."""
    in_doubt: bool = Field(default=False)
    """An event said the channel changed without saying how (unshared, archived): ask again."""
    said_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    """When Slack said it: when the question was sent, or the event came."""
    source: str = Field(max_length=40)
    """`conversations.info`, or the event's type."""
