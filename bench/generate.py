"""A synthetic portfolio at scale, written with batched Core inserts, so the store can be timed.

python -m bench.generate [--accounts 10000] [--team T0BENCH] [--seed 7] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text
from sqlalchemy import true as sa_true

from store.db import Database
from store.enums import (
    OPEN_ACTION_STATUSES,
    ActionStatus,
    ContactChannel,
    Influence,
    Role,
    Segment,
    Sentiment,
    StakeholderStatus,
)
from store.models import (
    Account,
    AccountHistory,
    AccountProduct,
    ActionItem,
    CatalogueEntry,
    ContactLog,
    RevenueEntry,
    Stakeholder,
    StakeholderChange,
    UsageReading,
)
from store.names import name_key

DEFAULT_TEAM = "T0BENCH"
DEFAULT_ACCOUNTS = 10_000
DEFAULT_SEED = 7
BATCH_SIZE = 5_000
ACCOUNTS_PER_CHUNK = 500
OWNER_COUNT = 50
CONTACT_LOGS_PER_ACCOUNT = 30
ACTION_ITEMS_PER_ACCOUNT = 5
STAKEHOLDERS_PER_ACCOUNT = (12, 18)
DEPARTED_SHARE = 0.05
"""Of the people outside the key roles; a key person leaves only as a troubled account's issue."""
CREATED = "created"

Row = dict[str, Any]
T = TypeVar("T")

ACCOUNT: Table = Account.__table__  # type: ignore[attr-defined]
STAKEHOLDER: Table = Stakeholder.__table__  # type: ignore[attr-defined]
STAKEHOLDER_CHANGE: Table = StakeholderChange.__table__  # type: ignore[attr-defined]
CONTACT_LOG: Table = ContactLog.__table__  # type: ignore[attr-defined]
ACTION_ITEM: Table = ActionItem.__table__  # type: ignore[attr-defined]
# Parents before children: the order rows are inserted in (and the reverse of deletion).
TABLES: tuple[Table, ...] = (ACCOUNT, STAKEHOLDER, STAKEHOLDER_CHANGE, CONTACT_LOG, ACTION_ITEM)
USAGE_READING: Table = UsageReading.__table__  # type: ignore[attr-defined]
ACCOUNT_HISTORY: Table = AccountHistory.__table__  # type: ignore[attr-defined]
HISTORY_TABLES: tuple[Table, ...] = (USAGE_READING, ACCOUNT_HISTORY)
CATALOGUE_ENTRY: Table = CatalogueEntry.__table__  # type: ignore[attr-defined]
ACCOUNT_PRODUCT: Table = AccountProduct.__table__  # type: ignore[attr-defined]
"""The team's catalogue (written first, `PRODUCTS`) and the entries each account uses."""
REVENUE_ENTRY: Table = RevenueEntry.__table__  # type: ignore[attr-defined]
"""Each account's revenue ledger: its new entry, and for some a move in the last year (ids left
to the database)."""
"""Written only with `history_weeks` (their ids left to the database)."""
HISTORY_EVERY_WEEKS = 4
"""A generated history has a record about every four weeks per account (a band or figure moved)."""

OWNERS = tuple(f"U0BENCH{n:03d}" for n in range(1, OWNER_COUNT + 1))
CSMS = tuple(f"U0BENCHCS{n:02d}" for n in range(1, 11))

NAME_PREFIXES = (
    "Acme", "Apex", "Atlas", "Aurora", "Beacon", "Blue", "Bright", "Cascade", "Cedar", "Clear",
    "Cobalt", "Crest", "Delta", "Eagle", "Echo", "Ember", "Evergreen", "Falcon", "First",
    "Frontier", "Golden", "Granite", "Harbor", "Helix", "Horizon", "Iron", "Juniper", "Keystone",
    "Lakeside", "Liberty", "Lumen", "Maple", "Meridian", "Metro", "Midland", "Nova", "Oak",
    "Orbit", "Pacific", "Peak", "Pine", "Pioneer", "Polar", "Prairie", "Quantum", "Redwood",
    "River", "Sable", "Silver", "Summit", "Sterling", "Sun", "Tidal", "Titan", "Union", "Vertex",
    "Vista", "Willow", "Zenith", "Northwind",
)  # fmt: skip
NAME_CORES = (
    "Logistics", "Health", "Foods", "Analytics", "Systems", "Energy", "Retail", "Capital", "Labs",
    "Robotics", "Media", "Pharma", "Freight", "Insurance", "Software", "Motors", "Textiles",
    "Clinics", "Telecom", "Biotech", "Aerospace", "Construction", "Hospitality", "Education",
    "Payments", "Security", "Semiconductors", "Agritech", "Mining", "Marine", "Realty",
    "Utilities", "Cloud", "Devices", "Materials", "Networks", "Studios", "Travel", "Water",
    "Chemicals",
)  # fmt: skip
NAME_SUFFIXES = (
    "", "Inc", "Group", "Holdings", "Co", "GmbH", "Ltd", "AG", "SA", "LLC", "Partners",
    "International", "Corp", "BV", "Oy", "AB", "Pty", "KK", "Srl", "plc",
)  # fmt: skip
FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Dana", "Elif", "Farah", "Grace", "Hugo", "Ines", "Jonas", "Kemal",
    "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Raj", "Sofia", "Tom", "Uma", "Victor",
    "Wen", "Xavier", "Yuki", "Zoe", "Aiden", "Bianca", "Carlos", "Deepa", "Emil", "Fatima",
    "Gabriel", "Hana", "Igor", "Julia", "Kwame", "Leila", "Mateo", "Nina", "Oscar", "Paula",
    "Rosa", "Samir", "Tara", "Ulrich", "Vera", "Walter", "Ximena", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berg", "Chen", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
    "Kim", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Quist", "Rossi", "Schmidt",
    "Tanaka", "Ueda", "Varga", "Wong", "Xu", "Yilmaz", "Zhang", "Alvarez", "Becker", "Costa",
    "Diaz", "Evans", "Ferreira", "Gupta", "Horvat", "Ibrahim", "Jovanovic", "Kowalski", "Larsen",
    "Mendes", "Novak", "Olsen", "Petrov", "Reyes", "Silva", "Torres", "Urban", "Volkov",
    "Weber", "Young", "Zimmer",
)  # fmt: skip
ROLE_TITLES: dict[Role, tuple[str, ...]] = {
    Role.CHAMPION: ("Director of Operations", "Head of Digital", "VP Product", "Team Lead"),
    Role.ECONOMIC_BUYER: ("CFO", "VP Finance", "Head of Procurement", "Budget Owner"),
    Role.DECISION_MAKER: ("CTO", "CIO", "VP Engineering", "Head of IT"),
    Role.INFLUENCER: ("Solutions Architect", "Security Lead", "Data Lead", "Program Manager"),
    Role.END_USER: ("Analyst", "Engineer", "Coordinator", "Specialist", "Ops Manager"),
    Role.DETRACTOR: ("Head of IT", "Security Lead", "Legacy System Owner", "Procurement"),
    Role.EXECUTIVE_SPONSOR: ("CEO", "COO", "Chief Strategy Officer", "SVP Operations"),
}
ROLE_WEIGHTS: dict[Role, int] = {
    Role.CHAMPION: 12,
    Role.ECONOMIC_BUYER: 8,
    Role.DECISION_MAKER: 10,
    Role.INFLUENCER: 25,
    Role.END_USER: 30,
    Role.DETRACTOR: 7,
    Role.EXECUTIVE_SPONSOR: 8,
}
SENIOR_ROLES = frozenset({Role.ECONOMIC_BUYER, Role.DECISION_MAKER, Role.EXECUTIVE_SPONSOR})
KEY_ROLES = (Role.EXECUTIVE_SPONSOR, Role.CHAMPION, Role.ECONOMIC_BUYER)
"""Every map opens with these three, in this order: a real team knows who they are."""


class Health(StrEnum):
    """How an account is doing, drawn first: it decides which issues its rows carry."""

    HEALTHY = "healthy"
    WATCH = "watch"
    TROUBLED = "troubled"


class Issue(StrEnum):
    """One thing wrong with an account, written into its rows so the rules find it."""

    QUIET_KEY_PERSON = "quiet key person"  # a key person last contacted 61-89 days ago
    OVERDUE = "overdue"  # one or two open items past their due date
    LOW_ADOPTION = "low adoption"  # 30-49 % of seats active
    DETRACTOR = "detractor"  # a negative, high-influence detractor
    CHAMPION_LEFT = "champion left"  # every champion departed (critical)
    NEGATIVE_BUYER = "negative buyer"  # the economic buyer turned negative (critical)
    GONE_DARK = "gone dark"  # nobody contacted for 91-200 days (critical)


HEALTH_WEIGHTS: dict[Health, int] = {Health.HEALTHY: 60, Health.WATCH: 25, Health.TROUBLED: 15}
RISK_ISSUES = (Issue.QUIET_KEY_PERSON, Issue.OVERDUE, Issue.LOW_ADOPTION, Issue.DETRACTOR)
CRITICAL_ISSUES = (Issue.CHAMPION_LEFT, Issue.NEGATIVE_BUYER, Issue.GONE_DARK)
SEGMENT_WEIGHTS: dict[Segment, int] = {
    Segment.ENTERPRISE: 15,
    Segment.MID_MARKET: 45,
    Segment.SMB: 40,
}
SEGMENT_ARR: dict[Segment, tuple[int, int]] = {
    Segment.ENTERPRISE: (250_000, 2_500_000),
    Segment.MID_MARKET: (40_000, 250_000),
    Segment.SMB: (5_000, 40_000),
}
SEGMENT_SEATS: dict[Segment, tuple[int, int]] = {
    Segment.ENTERPRISE: (500, 5_000),
    Segment.MID_MARKET: (80, 600),
    Segment.SMB: (5, 80),
}
PRODUCTS = ("Core", "Analytics", "Workflows", "API", "SSO", "Premium Support")
CATALOGUE: dict[str, tuple[str | None, str, str]] = {
    "Core": (None, "40", "per_seat"),
    "Analytics": (None, "18", "per_seat"),
    "Workflows": (None, "12", "per_seat"),
    "API": ("Core", "0.02", "per_unit"),
    "SSO": ("Core", "4000", "flat"),
    "Premium Support": (None, "15000", "flat"),
}
"""Each of `PRODUCTS`: the product it needs (a module), its list price in USD, its basis.
Every account uses Core, so a module is never without its product."""
CHANNEL_WEIGHTS: dict[ContactChannel, int] = {
    ContactChannel.MEETING: 30,
    ContactChannel.CALL: 25,
    ContactChannel.EMAIL: 25,
    ContactChannel.SLACK: 15,
    ContactChannel.EVENT: 5,
}
CONTACT_TOPICS = (
    "renewal timeline", "adoption review", "pricing questions", "security questionnaire",
    "roadmap preview", "support escalation", "expansion scoping", "QBR prep", "training plan",
    "executive alignment",
)  # fmt: skip
ACTION_STATUS_WEIGHTS: dict[ActionStatus, int] = {
    ActionStatus.OPEN: 40,
    ActionStatus.DONE: 35,
    ActionStatus.BLOCKED: 10,
    ActionStatus.CANCELLED: 15,
}
ACTION_TITLES = (
    "Send renewal order form", "Security review sign-off", "Adoption workshop",
    "QBR: roadmap review", "Reference call", "Executive alignment meeting",
    "Training plan for regional managers", "Expansion scoping", "Legal redlines on MSA",
    "Usage report to sponsor",
)  # fmt: skip
BLOCKED_REASONS = (
    "Waiting on legal", "Budget freeze until next quarter", "Champion on leave",
    "Security questionnaire pending", "Procurement re-org",
)  # fmt: skip


class PortfolioExists(Exception):
    """The team already has accounts; a second portfolio would mix with the first."""


@dataclass
class _Ids:
    """The next free id per table, assigned here so inserts need no round trip per row."""

    account: int
    stakeholder: int
    stakeholder_change: int
    contact_log: int
    action_item: int


@dataclass
class _Chunk:
    """Rows of a slice of accounts, per table, ready for executemany."""

    rows: dict[str, list[Row]] = field(
        default_factory=lambda: {
            t.name: [] for t in (*TABLES, ACCOUNT_PRODUCT, REVENUE_ENTRY, *HISTORY_TABLES)
        }
    )


def account_names(rng: random.Random, count: int) -> list[str]:
    """`count` distinct company names (distinct after name_key), in random order."""
    combos = len(NAME_PREFIXES) * len(NAME_CORES) * len(NAME_SUFFIXES)
    picks = rng.sample(range(combos), min(count, combos))
    names = []
    for round_number in range(count // combos + 1):
        for index in picks[: count - len(names)]:
            prefix, rest = divmod(index, len(NAME_CORES) * len(NAME_SUFFIXES))
            core, suffix = divmod(rest, len(NAME_SUFFIXES))
            words = [NAME_PREFIXES[prefix], NAME_CORES[core], NAME_SUFFIXES[suffix]]
            if round_number:
                words.append(str(round_number + 1))
            names.append(" ".join(word for word in words if word))
    return names


def generate_portfolio(
    engine: Engine,
    *,
    team_id: str,
    accounts: int,
    seed: int,
    today: date,
    replace: bool = False,
    timings: dict[str, float] | None = None,
    history_weeks: int = 0,
) -> dict[str, int]:
    """Write a synthetic portfolio for one team in one transaction; returns rows per table.

    With `history_weeks`, each account also gets that many weekly usage readings (the last one
    its active seats) and a history record about every `HISTORY_EVERY_WEEKS` weeks over them.

    `timings`, when given, receives seconds spent per table inserting, building rows in Python
    ("build") and deleting a replaced portfolio ("delete").
    """
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    spent = timings if timings is not None else {}
    written = (*TABLES, ACCOUNT_PRODUCT, REVENUE_ENTRY, *(HISTORY_TABLES if history_weeks else ()))
    spent.update({t.name: 0.0 for t in (CATALOGUE_ENTRY, *written)} | {"build": 0.0, "delete": 0.0})
    counts = {t.name: 0 for t in (CATALOGUE_ENTRY, *written)}
    rng = random.Random(seed)
    if replace:
        started = time.perf_counter()
        delete_team(engine, team_id=team_id)
        spent["delete"] = time.perf_counter() - started
    with engine.begin() as connection:
        existing = connection.execute(
            select(func.count()).select_from(ACCOUNT).where(ACCOUNT.c.team_id == team_id)
        ).scalar_one()
        if existing:
            raise PortfolioExists(
                f"Team {team_id} already has {existing} accounts; "
                "pass --replace (replace=True) to delete them and generate afresh."
            )
        ids = _Ids(**{t.name: _next_id(connection, t) for t in TABLES})
        started = time.perf_counter()
        entries = _add_catalogue(connection, team_id=team_id, today=today)
        spent[CATALOGUE_ENTRY.name] = time.perf_counter() - started
        counts[CATALOGUE_ENTRY.name] = len(entries)
        names = account_names(rng, accounts)
        for start in range(0, accounts, ACCOUNTS_PER_CHUNK):
            started = time.perf_counter()
            chunk = _Chunk()
            for name in names[start : start + ACCOUNTS_PER_CHUNK]:
                _add_account(
                    chunk, rng=rng, ids=ids, team_id=team_id, name=name, today=today,
                    entries=entries,
                )  # fmt: skip
                if history_weeks:
                    _add_history(chunk, rng=rng, weeks=history_weeks, today=today)
            spent["build"] += time.perf_counter() - started
            for table in written:
                rows = chunk.rows[table.name]
                started = time.perf_counter()
                insert_batches(connection, table, rows)
                spent[table.name] += time.perf_counter() - started
                counts[table.name] += len(rows)
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection)
    return counts


def _add_catalogue(connection: Connection, *, team_id: str, today: date) -> dict[str, int]:
    """The team's catalogue (`CATALOGUE`), products before the modules that need them; the
    entries' ids by name."""
    ids: dict[str, int] = {}
    now = _at(today - timedelta(days=1_200), 9)  # before any account (the same every run)
    for name, (needs, price, basis) in sorted(CATALOGUE.items(), key=lambda e: e[1][0] or ""):
        ids[name] = connection.execute(
            insert(CATALOGUE_ENTRY)
            .values(
                team_id=team_id, name=name, name_key=name_key(name),
                kind="module" if needs else "product", list_price=Decimal(price),
                price_basis=basis, currency="USD", requires_id=ids[needs] if needs else None,
                created_at=now, updated_at=now,
            )
            .returning(CATALOGUE_ENTRY.c.id)
        ).scalar_one()  # fmt: skip
    return ids


def insert_batches(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    """executemany in batches of BATCH_SIZE rows: one statement per batch, not per row."""
    for start in range(0, len(rows), BATCH_SIZE):
        connection.execute(insert(table), rows[start : start + BATCH_SIZE])


def delete_team(engine: Engine, *, team_id: str) -> None:
    """Delete every row of a team, children first, one statement per table, in one transaction."""
    with engine.begin() as connection:
        for table in (*HISTORY_TABLES, REVENUE_ENTRY, ACCOUNT_PRODUCT, *reversed(TABLES)):
            connection.execute(delete(table).where(table.c.team_id == team_id))
        # modules before the products they need
        for modules in (CATALOGUE_ENTRY.c.requires_id.is_not(None), sa_true()):
            connection.execute(
                delete(CATALOGUE_ENTRY).where(CATALOGUE_ENTRY.c.team_id == team_id, modules)
            )


def _next_id(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _advance_sequences(connection: Connection) -> None:
    """Explicit ids leave PostgreSQL's serial sequences behind; move them past the new rows."""
    for table in TABLES:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def draw_issues(rng: random.Random) -> tuple[Health, frozenset[Issue]]:
    """A health profile and its issues: healthy has none (green), watch one risk (yellow),
    troubled a critical issue with up to two risks, or three risks (red)."""
    health = _pick(rng, HEALTH_WEIGHTS)
    if health is Health.HEALTHY:
        return health, frozenset()
    if health is Health.WATCH:
        return health, frozenset({rng.choice(RISK_ISSUES)})
    if rng.random() < 0.5:
        risks = rng.sample(RISK_ISSUES, rng.randint(0, 2))
        return health, frozenset({rng.choice(CRITICAL_ISSUES), *risks})
    return health, frozenset(rng.sample(RISK_ISSUES, 3))


def _add_account(
    chunk: _Chunk,
    *,
    rng: random.Random,
    ids: _Ids,
    team_id: str,
    name: str,
    today: date,
    entries: dict[str, int],
) -> None:
    """Rows of one account: the account, its products in use (`entries`: the catalogue's ids
    by name), its people, their history, its contact logs and plan."""
    account_id = ids.account
    ids.account += 1
    _, issues = draw_issues(rng)
    segment = _pick(rng, SEGMENT_WEIGHTS)
    low, high = SEGMENT_ARR[segment]
    seats_low, seats_high = SEGMENT_SEATS[segment]
    seats = rng.randint(seats_low, seats_high)
    renewal = today + timedelta(days=rng.randint(-30, 400))
    owner = OWNERS[rng.randrange(len(OWNERS))] if rng.random() > 0.01 else None
    created = _at(today - timedelta(days=rng.randint(30, 1_100)), rng.randint(8, 18))
    domain = "".join(ch for ch in name.split()[0].lower() if ch.isalnum()) + f"{account_id}.example"
    chunk.rows["account"].append(
        {
            "id": account_id,
            "team_id": team_id,
            "name": name,
            "name_key": name_key(name),
            "channel_id": f"C0BENCH{account_id:06d}" if rng.random() < 0.9 else None,
            "owner_user_id": owner,
            "arr": Decimal(rng.randint(low * 100, high * 100)) / 100,
            "currency": rng.choices(("USD", "EUR", "GBP"), weights=(70, 20, 10))[0],
            "renewal_date": renewal,
            "contract_start": renewal - timedelta(days=365 * rng.randint(1, 3)),
            "segment": segment.value,
            "seats_licensed": seats,
            "seats_active": int(
                seats
                * (
                    rng.uniform(0.3, 0.49)
                    if Issue.LOW_ADOPTION in issues
                    else rng.uniform(0.55, 1.08)
                )
            ),
            # drawn here, in the order the generator always drew it (the same portfolio per
            # seed); written as rows of account_product, not a column
            "products": ["Core", *rng.sample(PRODUCTS[1:], rng.randint(0, 3))],
            "external_crm_id": f"0015g{account_id:013d}",
            "archived": rng.random() < 0.02,
            "created_at": created,
            "updated_at": created + timedelta(days=rng.randint(0, 29)),
        }
    )
    products = chunk.rows["account"][-1].pop("products")
    chunk.rows[ACCOUNT_PRODUCT.name].extend(
        {"account_id": account_id, "entry_id": entries[product], "team_id": team_id}
        for product in products
    )
    _add_revenue(chunk, rng=rng, row=chunk.rows["account"][-1], today=today)
    people = _add_people(
        chunk, rng=rng, ids=ids, team_id=team_id, account_id=account_id, owner=owner,
        domain=domain, created=created, today=today, issues=issues,
    )  # fmt: skip
    _add_contact_logs(
        chunk, rng=rng, ids=ids, team_id=team_id, account_id=account_id, owner=owner,
        people=people, today=today, issues=issues,
    )  # fmt: skip
    _add_action_items(
        chunk, rng=rng, ids=ids, team_id=team_id, account_id=account_id, owner=owner,
        people=people, today=today, issues=issues,
    )  # fmt: skip


MOVED_SHARE = 0.3
"""Accounts whose ARR moved (expanded or contracted) in the last year."""


def _add_revenue(chunk: _Chunk, *, rng: random.Random, row: Row, today: date) -> None:
    """The account's ledger: new on its creation day, and for some a move in the last year
    that ends at its ARR now."""
    arr, created = row["arr"], row["created_at"]
    moved = rng.random() < MOVED_SHARE and (today - created.date()).days > 60
    start = (arr * Decimal(str(round(rng.uniform(0.7, 1.3), 2)))).quantize(Decimal("0.01"))
    common = {"team_id": row["team_id"], "account_id": row["id"], "currency": row["currency"]}
    first = start if moved else arr
    chunk.rows[REVENUE_ENTRY.name].append(
        common | {"effective_on": created.date(), "kind": "new", "change": first,
                  "arr_after": first, "source": "import", "recorded_at": created}
    )  # fmt: skip
    if moved and start != arr:
        on = today - timedelta(days=rng.randint(1, min(330, (today - created.date()).days - 1)))
        chunk.rows[REVENUE_ENTRY.name].append(
            common | {"effective_on": on, "kind": "expansion" if arr > start else "contraction",
                      "change": arr - start, "arr_after": arr, "source": "import",
                      "recorded_at": _at(on, 12)}
        )  # fmt: skip


def _add_history(chunk: _Chunk, *, rng: random.Random, weeks: int, today: date) -> None:
    """Weekly usage readings of the account just added, ending at its active seats, and its
    history: a record about every few weeks, the band drifting, the last one today's figures."""
    account = chunk.rows["account"][-1]
    seats, licensed = account["seats_active"], account["seats_licensed"]
    start = today - timedelta(weeks=weeks - 1)
    drift = rng.uniform(-0.3, 0.3)
    adoption = rng.randint(25, 85)
    for week in range(weeks):
        on = start + timedelta(weeks=week)
        share = 1 - drift * (weeks - 1 - week) / max(1, weeks - 1)
        chunk.rows["usage_reading"].append(
            {
                "team_id": account["team_id"],
                "account_id": account["id"],
                "read_on": on,
                "seats_active": seats if week == weeks - 1 else max(0, int(seats * share)),
                "monthly_active_users": int(seats * share * rng.uniform(1.1, 1.6)),
                "adoption_percent": max(0, min(100, adoption + rng.randint(-5, 5))),
                "satisfaction": Decimal(rng.randint(28, 49)) / 10,
                "escalations": 1 if rng.random() < 0.03 else 0,
                "source": "import",
                "recorded_by_user_id": None,
                "recorded_at": _at(on, 7),
            }
        )
    band = rng.choice(("green", "yellow", "red"))
    for week in range(0, weeks, HISTORY_EVERY_WEEKS):
        on = start + timedelta(weeks=week)
        if rng.random() < 0.3:
            band = rng.choice(("green", "yellow", "red"))
        chunk.rows["account_history"].append(
            {
                "team_id": account["team_id"],
                "account_id": account["id"],
                "day": on,
                "source": "daily",
                "band": band,
                "rules_band": band,
                "override_band": None,
                "signals": [] if band == "green" else ["thin_coverage"],
                "evidence": {} if band == "green" else {"thin_coverage": "thin coverage"},
                "fingerprint": f"{rng.getrandbits(128):032x}",
                "arr": account["arr"],
                "currency": account["currency"],
                "seats_licensed": licensed,
                "seats_active": seats,
                "recorded_at": _at(on, 6),
            }
        )


def _add_people(
    chunk: _Chunk,
    *,
    rng: random.Random,
    ids: _Ids,
    team_id: str,
    account_id: int,
    owner: str | None,
    domain: str,
    created: datetime,
    today: date,
    issues: frozenset[Issue],
) -> list[Row]:
    """Stakeholders of one account, each with its `created` change row: a sponsor, a champion
    and an economic buyer first, then mixed roles. Key people are positive or neutral and stay,
    a detractor has high influence, unless the account's issues say otherwise."""
    people: list[Row] = []
    first_roles = (*KEY_ROLES, Role.DETRACTOR) if Issue.DETRACTOR in issues else KEY_ROLES
    for position in range(rng.randint(*STAKEHOLDERS_PER_ACCOUNT)):
        role = first_roles[position] if position < len(first_roles) else _pick(rng, ROLE_WEIGHTS)
        if role in SENIOR_ROLES:
            influence = rng.choices((Influence.HIGH, Influence.MEDIUM), weights=(80, 20))[0]
        elif role is Role.END_USER:
            influence = rng.choices((Influence.LOW, Influence.MEDIUM), weights=(75, 25))[0]
        elif role is Role.DETRACTOR:
            influence = rng.choice((Influence.MEDIUM, Influence.LOW))
        else:
            influence = rng.choice(tuple(Influence))
        if role is Role.DETRACTOR:
            sentiment = rng.choices((Sentiment.NEGATIVE, Sentiment.NEUTRAL), weights=(80, 20))[0]
            if position == 3 and Issue.DETRACTOR in issues:
                influence, sentiment = Influence.HIGH, Sentiment.NEGATIVE
        elif role in KEY_ROLES:
            sentiment = rng.choices((Sentiment.POSITIVE, Sentiment.NEUTRAL), weights=(55, 45))[0]
            if role is Role.ECONOMIC_BUYER and position == 2 and Issue.NEGATIVE_BUYER in issues:
                sentiment = Sentiment.NEGATIVE
        else:
            sentiment = rng.choices(tuple(Sentiment), weights=(45, 40, 15))[0]
        if role is Role.CHAMPION:
            departed = Issue.CHAMPION_LEFT in issues
        elif role in KEY_ROLES:
            departed = False
        else:
            departed = rng.random() < DEPARTED_SHARE
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        while any(p["name_key"] == name_key(f"{first} {last}") for p in people):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)  # once per map
        added = created + timedelta(days=rng.randint(0, 300), minutes=rng.randint(0, 600))
        added = min(added, _at(today, 7))
        person: Row = {
            "id": ids.stakeholder,
            "team_id": team_id,
            "account_id": account_id,
            "name": f"{first} {last}",
            "name_key": name_key(f"{first} {last}"),
            "title": rng.choice(ROLE_TITLES[role]),
            "role": role.value,
            "influence": influence.value,
            "sentiment": sentiment.value,
            "status": (StakeholderStatus.DEPARTED if departed else StakeholderStatus.ACTIVE).value,
            "reports_to_id": (
                people[rng.randrange(min(3, len(people)))]["id"]
                if people and rng.random() < 0.7
                else None
            ),
            "relationship_owner_user_id": owner if rng.random() < 0.7 else rng.choice(CSMS),
            "last_contacted_on": None,
            "email": f"{first}.{last}@{domain}".lower(),
            "notes": f"Cares about {rng.choice(CONTACT_TOPICS)}." if rng.random() < 0.2 else None,
            "departed_on": (
                today - timedelta(days=rng.randint(1, 60 if role in KEY_ROLES else 240))
                if departed
                else None
            ),
            "created_at": added,
            "updated_at": added,
        }
        ids.stakeholder += 1
        people.append(person)
        chunk.rows["stakeholder_change"].append(
            {
                "id": ids.stakeholder_change,
                "team_id": team_id,
                "account_id": account_id,
                "stakeholder_id": person["id"],
                "field": CREATED,
                "old_value": None,
                "new_value": person["name"],
                "changed_by_user_id": owner,
                "changed_at": added,
            }
        )
        ids.stakeholder_change += 1
    chunk.rows["stakeholder"].extend(people)
    return people


def _add_contact_logs(
    chunk: _Chunk,
    *,
    rng: random.Random,
    ids: _Ids,
    team_id: str,
    account_id: int,
    owner: str | None,
    people: Sequence[Row],
    today: date,
    issues: frozenset[Issue],
) -> None:
    """Touchpoints spread unevenly over people: each person's latest first (key people within
    45 days, others mostly recent, unless the issues say a key person or everyone went quiet),
    then the rest further back. Each person's last contact follows its logs."""
    weights = [
        (3 if p["influence"] == Influence.HIGH.value else 1) * rng.random() + 0.05 for p in people
    ]
    quiet = rng.randrange(len(KEY_ROLES)) if Issue.QUIET_KEY_PERSON in issues else None
    latest = []  # days since each person's most recent contact
    for position, person in enumerate(people):
        if person["departed_on"] is not None:
            latest.append((today - person["departed_on"]).days)
        elif Issue.GONE_DARK in issues:
            latest.append(rng.randint(91, 200))
        elif position == quiet:
            latest.append(rng.randint(61, 89))
        elif person["role"] in KEY_ROLES:
            latest.append(rng.randint(1, 45))
        else:
            latest.append(int(rng.expovariate(1 / 20)))
    extra = rng.choices(
        range(len(people)), weights=weights, k=CONTACT_LOGS_PER_ACCOUNT - len(people)
    )
    for number, person_index in enumerate([*range(len(people)), *extra]):
        person = people[person_index]
        back = 0 if number < len(people) else rng.randint(0, 300)
        contacted_on = today - timedelta(days=latest[person_index] + back)
        channel = _pick(rng, CHANNEL_WEIGHTS)
        log_id = ids.contact_log
        ids.contact_log += 1
        chunk.rows["contact_log"].append(
            {
                "id": log_id,
                "team_id": team_id,
                "account_id": account_id,
                "stakeholder_id": person["id"],
                "contacted_on": contacted_on,
                "channel": channel.value,
                "summary": f"{channel.value.capitalize()} about {rng.choice(CONTACT_TOPICS)}",
                "message_link": (
                    f"https://bench.slack.com/archives/C0BENCH{account_id:06d}/p{log_id:016d}"
                    if channel is ContactChannel.SLACK
                    else None
                ),
                "logged_by_user_id": owner,
                "created_at": _at(contacted_on, 17),
            }
        )
        if person["last_contacted_on"] is None or person["last_contacted_on"] < contacted_on:
            person["last_contacted_on"] = contacted_on


def _add_action_items(
    chunk: _Chunk,
    *,
    rng: random.Random,
    ids: _Ids,
    team_id: str,
    account_id: int,
    owner: str | None,
    people: Sequence[Row],
    today: date,
    issues: frozenset[Issue],
) -> None:
    """A mutual action plan: open, done, blocked and cancelled items. Done and cancelled ones
    fall due in the past or future; open and blocked ones ahead, but for an account whose issue
    is overdue items: its first item (and sometimes its second) is open and past due."""
    active = [p for p in people if p["departed_on"] is None] or list(people)
    late = rng.randint(1, 2) if Issue.OVERDUE in issues else 0
    for number in range(ACTION_ITEMS_PER_ACCOUNT):
        status = ActionStatus.OPEN if number < late else _pick(rng, ACTION_STATUS_WEIGHTS)
        if number < late:
            due_on = today - timedelta(days=rng.randint(1, 45))
        elif status in OPEN_ACTION_STATUSES:
            due_on = today + timedelta(days=rng.randint(1, 90))
        else:
            due_on = today + timedelta(days=rng.randint(-60, 90))
        customer = rng.choice(active) if rng.random() < 0.8 else None
        completed_on = min(due_on - timedelta(days=rng.randint(0, 5)), today)
        created = _at(min(due_on, today) - timedelta(days=rng.randint(7, 60)), 10)
        chunk.rows["action_item"].append(
            {
                "id": ids.action_item,
                "team_id": team_id,
                "account_id": account_id,
                "title": rng.choice(ACTION_TITLES),
                "our_owner_user_id": owner,
                "customer_owner_stakeholder_id": customer["id"] if customer else None,
                "customer_owner_name": customer["name"] if customer else None,
                "due_on": due_on,
                "status": status.value,
                "link": None,
                "blocked_reason": (
                    rng.choice(BLOCKED_REASONS) if status is ActionStatus.BLOCKED else None
                ),
                "completed_at": _at(completed_on, 15) if status is ActionStatus.DONE else None,
                "completed_by_user_id": owner if status is ActionStatus.DONE else None,
                "created_by_user_id": owner,
                "created_at": created,
                "updated_at": created,
            }
        )
        ids.action_item += 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description="Fill a database with a synthetic portfolio."
    )
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS)
    parser.add_argument("--team", default=DEFAULT_TEAM, help="Slack team id to generate for")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL setting)")
    parser.add_argument(
        "--replace", action="store_true", help="delete the team's rows first, if it has any"
    )
    parser.add_argument(
        "--history-weeks",
        type=int,
        default=0,
        help="weekly usage readings and history records over this many weeks (104: two years)",
    )
    return parser


def main(argv: Iterable[str] | None = None) -> int:
    args = _parser().parse_args(None if argv is None else list(argv))
    if args.database_url is None:
        from bot.settings import load_settings

        args.database_url = load_settings().database_url
    database = Database(args.database_url)
    try:
        database.upgrade()
        started = time.perf_counter()
        counts = generate_portfolio(
            database.engine,
            team_id=args.team,
            accounts=args.accounts,
            seed=args.seed,
            today=datetime.now(UTC).date(),
            replace=args.replace,
            history_weeks=args.history_weeks,
        )
    except PortfolioExists as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        database.dispose()
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    for table, count in counts.items():
        print(f"{table:<20} {count:>10,}")
    print(f"{'total':<20} {total:>10,} rows in {elapsed:.1f}s ({total / elapsed:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
