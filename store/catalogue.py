"""The team's product catalogue (kept by admins in `/account settings`), the products in use on
each account (set on the account form), and the whitespace between them: what the team sells
that an account does not use yet, a pure rule the expansion hypotheses read."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, bindparam, delete
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from store.enums import CatalogueKind, PriceBasis
from store.errors import NotFound, StoreError
from store.models import (
    Account,
    AccountChange,
    AccountProduct,
    CatalogueEntry,
    TeamSettingsChange,
    saved_id,
)
from store.names import NAME_LENGTH, clean_name, name_key
from store.rows import columns
from store.settings import SettingsSection, locked_settings
from store.types import utcnow

MAX_ENTRIES = 100
"""Entries per team: every one is an option of one select (Slack's limit is 100)."""
MAX_PRICE = Decimal("99999999.99")
"""A list price above this (a hundred million) is a typing mistake, not a price."""
NAME = "catalogue_name"
KIND = "catalogue_kind"
REQUIRES = "catalogue_requires"
PRICE = "catalogue_price"
BASIS = "catalogue_basis"
CURRENCY = "catalogue_currency"
REMOVE = "catalogue_remove"
"""The entry form's block ids: a refusal names the input at fault."""
PRODUCTS = "products"
"""The account form's block of products in use (and the account history's field)."""


class CatalogueRefused(StoreError):
    """A catalogue entry, or an account's products, that the catalogue's rules refuse."""


class EntryRow(NamedTuple):
    """A catalogue entry as the card, the forms and the rules read it."""

    id: int
    name: str
    kind: CatalogueKind
    list_price: Decimal | None
    price_basis: PriceBasis | None
    currency: str
    requires_id: int | None


class EntryValues(BaseModel):
    """An entry as an admin saves it (the form checks each field; the store what needs the
    rest of the catalogue)."""

    model_config = ConfigDict(frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=NAME_LENGTH)]
    kind: CatalogueKind
    list_price: Annotated[Decimal | None, Field(ge=0, le=MAX_PRICE)] = None
    price_basis: PriceBasis | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    requires_id: int | None = None


ENTRY_COLUMNS = columns(CatalogueEntry, EntryRow._fields)


def catalogue(session: Session, *, team_id: str) -> list[EntryRow]:
    """The team's entries, by name (one query)."""
    return [
        EntryRow._make(row)
        for row in session.execute(
            select_columns(*ENTRY_COLUMNS)
            .where(col(CatalogueEntry.team_id) == team_id)
            .order_by(col(CatalogueEntry.name_key))
        )
    ]


def describe(entry: EntryRow | EntryValues, names: dict[int, str]) -> str:
    """An entry as the settings' history keeps it: `module of Core · 4000 USD flat`."""
    kind = entry.kind.value
    if entry.requires_id is not None:
        kind += f" of {names.get(entry.requires_id, '?')}"
    if entry.list_price is None or entry.price_basis is None:
        return f"{kind} · no price"
    basis = entry.price_basis.value.replace("_", " ")
    return f"{kind} · {entry.list_price:f} {entry.currency} {basis}"[:200]


def save_entry(
    session: Session,
    *,
    team_id: str,
    entry_id: int | None,
    values: EntryValues,
    by_user_id: str | None,
    expected_version: int | None,
) -> int:
    """Add an entry (`entry_id` None) or change one, recorded in the settings' history, over
    the settings version the form was opened on (`ChangedElsewhere` otherwise). Refused, naming
    the input: a name the catalogue has (by its key), a module without a product of the
    catalogue, a product that needs something, a change of kind or of needed product while
    accounts or modules depend on it, more than `MAX_ENTRIES` entries."""
    settings = locked_settings(session, team_id=team_id, expected_version=expected_version)
    entries = {e.id: e for e in catalogue(session, team_id=team_id)}
    names = {e.id: e.name for e in entries.values()}
    before = entries.get(entry_id) if entry_id is not None else None
    if entry_id is not None and before is None:
        raise NotFound("That entry is no longer in the catalogue.", field=NAME)
    if before is None and len(entries) >= MAX_ENTRIES:
        raise CatalogueRefused(f"The catalogue holds at most {MAX_ENTRIES} entries.", field=NAME)
    name = clean_name(values.name)
    key = name_key(name)
    twin = next((e for e in entries.values() if name_key(e.name) == key), None)
    if twin is not None and twin.id != entry_id:
        raise CatalogueRefused(f"The catalogue already has {twin.name}.", field=NAME)
    _check_needs(values, entries, entry_id)
    if before is not None:
        _check_dependants(session, team_id=team_id, before=before, values=values, entries=entries)
    now = utcnow()
    row = (
        session.get(CatalogueEntry, entry_id)
        if entry_id is not None
        else CatalogueEntry(team_id=team_id, name=name, name_key=key, kind=values.kind)
    )
    assert row is not None  # read above, in this locked transaction
    row.name, row.name_key, row.kind = name, key, values.kind
    row.list_price, row.price_basis = values.list_price, values.price_basis
    row.currency, row.requires_id, row.updated_at = values.currency, values.requires_id, now
    session.add(row)
    session.flush()
    _record(
        session,
        team_id=team_id,
        field=name if before is None or before.name == name else f"{before.name} → {name}",
        old=describe(before, names) if before else None,
        new=describe(values, names),
        by=by_user_id,
    )
    settings.version += 1
    settings.updated_at = now
    return saved_id(row.id)


def _check_needs(values: EntryValues, entries: dict[int, EntryRow], entry_id: int | None) -> None:
    if values.kind is CatalogueKind.PRODUCT:
        if values.requires_id is not None:
            raise CatalogueRefused(
                "A product needs no other entry: leave this empty, or make it a module.",
                field=REQUIRES,
            )
        return
    needed = entries.get(values.requires_id) if values.requires_id is not None else None
    if needed is None or needed.id == entry_id:
        raise CatalogueRefused(
            "A module needs one product of the catalogue: pick it.", field=REQUIRES
        )
    if needed.kind is not CatalogueKind.PRODUCT:
        raise CatalogueRefused(
            f"{needed.name} is a module: a module needs a product.", field=REQUIRES
        )


def _check_dependants(
    session: Session,
    *,
    team_id: str,
    before: EntryRow,
    values: EntryValues,
    entries: dict[int, EntryRow],
) -> None:
    """A product that modules need stays a product; an entry accounts use keeps its kind and
    the product it needs (an account's modules always come with their product)."""
    modules = [e.name for e in entries.values() if e.requires_id == before.id]
    if modules and values.kind is not CatalogueKind.PRODUCT:
        raise CatalogueRefused(
            f"{', '.join(modules)} need{'s' if len(modules) == 1 else ''} it as a product.",
            field=KIND,
        )
    moved = values.kind is not before.kind or values.requires_id != before.requires_id
    if moved and (users := accounts_using(session, team_id=team_id, entry_id=before.id)):
        raise CatalogueRefused(
            f"{_accounts(users)} use{'s' if len(users) == 1 else ''} it as it is: its kind and "
            "the product it needs stay until they no longer do.",
            field=KIND if values.kind is not before.kind else REQUIRES,
        )


def remove_entry(
    session: Session,
    *,
    team_id: str,
    entry_id: int,
    by_user_id: str | None,
    expected_version: int | None,
) -> None:
    """Take an entry out of the catalogue, recorded in the settings' history; refused while a
    module needs it or an account uses it (naming them: change those first)."""
    settings = locked_settings(session, team_id=team_id, expected_version=expected_version)
    entries = {e.id: e for e in catalogue(session, team_id=team_id)}
    entry = entries.get(entry_id)
    if entry is None:
        raise NotFound("That entry is no longer in the catalogue.", field=REMOVE)
    if modules := [e.name for e in entries.values() if e.requires_id == entry_id]:
        raise CatalogueRefused(
            f"{', '.join(modules)} need{'s' if len(modules) == 1 else ''} it: remove "
            f"{'it' if len(modules) == 1 else 'them'} first.",
            field=REMOVE,
        )
    if users := accounts_using(session, team_id=team_id, entry_id=entry_id):
        raise CatalogueRefused(
            f"{_accounts(users)} use{'s' if len(users) == 1 else ''} it: take it off "
            f"{'its' if len(users) == 1 else 'their'} account form first.",
            field=REMOVE,
        )
    session.execute(
        delete(CatalogueEntry).where(
            col(CatalogueEntry.team_id) == team_id, col(CatalogueEntry.id) == entry_id
        )
    )
    _record(
        session,
        team_id=team_id,
        field=entry.name,
        old=describe(entry, {e.id: e.name for e in entries.values()}),
        new=None,
        by=by_user_id,
    )
    settings.version += 1
    settings.updated_at = utcnow()


def accounts_using(session: Session, *, team_id: str, entry_id: int) -> list[str]:
    """The names of the team's accounts that use the entry (archived ones too), by name."""
    return list(
        session.execute(
            select(Account.name)
            .join(AccountProduct, col(AccountProduct.account_id) == col(Account.id))
            .where(AccountProduct.team_id == team_id, AccountProduct.entry_id == entry_id)
            .order_by(Account.name_key)
        ).scalars()
    )


def _accounts(names: Sequence[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _record(
    session: Session, *, team_id: str, field: str, old: str | None, new: str | None, by: str | None
) -> None:
    session.add(
        TeamSettingsChange(
            team_id=team_id,
            section=SettingsSection.CATALOGUE,
            field=field[:64],
            old_value=old,
            new_value=new,
            changed_by_user_id=by,
        )
    )


def in_use(session: Session, *, team_id: str, account_id: int) -> set[int]:
    """The ids of the catalogue entries the account uses."""
    return set(
        session.execute(
            select(AccountProduct.entry_id).where(
                AccountProduct.team_id == team_id, AccountProduct.account_id == account_id
            )
        ).scalars()
    )


def set_products(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    entry_ids: Iterable[int],
    by_user_id: str | None,
) -> None:
    """The account uses exactly these entries, the change kept in its history (`products`:
    the names before and after). Refused, at the form's products: an entry no longer in the
    catalogue, a module without its product."""
    entries = {e.id: e for e in catalogue(session, team_id=team_id)}
    chosen = set(entry_ids)
    if gone := chosen - entries.keys():
        raise CatalogueRefused(
            f"{len(gone)} of these {'is' if len(gone) == 1 else 'are'} no longer in the "
            "catalogue: close the form and open it again.",
            field=PRODUCTS,
        )
    if lone := sorted(
        entries[i].name
        for i in chosen
        if (needs := entries[i].requires_id) is not None and needs not in chosen
    ):
        needed = sorted(
            {
                entries[saved_id(entries[i].requires_id)].name
                for i in chosen
                if entries[i].requires_id
            }
            - {entries[i].name for i in chosen}
        )
        raise CatalogueRefused(
            f"{', '.join(lone)} {'is a module' if len(lone) == 1 else 'are modules'} of "
            f"{', '.join(needed)}: pick {'it' if len(needed) == 1 else 'them'} too.",
            field=PRODUCTS,
        )
    before = in_use(session, team_id=team_id, account_id=account_id)
    if before == chosen:
        return
    if gone_ids := before - chosen:
        session.execute(
            delete(AccountProduct).where(
                col(AccountProduct.account_id) == account_id,
                col(AccountProduct.entry_id).in_(gone_ids),
            )
        )
    session.add_all(
        AccountProduct(account_id=account_id, entry_id=i, team_id=team_id)
        for i in sorted(chosen - before)
    )
    session.add(
        AccountChange(
            team_id=team_id,
            account_id=account_id,
            field=PRODUCTS,
            old_value=_names(before, entries),
            new_value=_names(chosen, entries),
            changed_by_user_id=by_user_id,
        )
    )


def _names(ids: Collection[int], entries: dict[int, EntryRow]) -> str | None:
    return ", ".join(sorted(entries[i].name for i in ids if i in entries)) or None


# -- whitespace ------------------------------------------------------------------------------------

NO_PRICE = "no price in the catalogue"
NO_SEATS = "no estimate without seats licensed"
NO_UNITS = "no estimate without units"


@dataclass(frozen=True, slots=True)
class Whitespace:
    """An entry of the catalogue the account does not use: its list price, and what it would
    be worth on this account (`estimate`, in the entry's currency), or why there is none
    (`no_estimate`). A module whose product the account does not use either names it
    (`with_product`): the two go together."""

    entry: EntryRow
    estimate: Decimal | None
    no_estimate: str | None
    with_product: str | None = None


def whitespace(
    entries: Sequence[EntryRow], used: Collection[int], *, seats_licensed: int | None
) -> list[Whitespace]:
    """Catalogue minus products in use, products first each followed by its modules (a module of a
    product in use after the products). Estimates: per seat times seats licensed, flat as it is,
    per unit none (no units known), none without a price; never a guess."""
    by_id = {e.id: e for e in entries}
    open_ = [e for e in entries if e.id not in used]

    def place(entry: EntryRow) -> tuple[int, str, int, str]:
        product = by_id.get(entry.requires_id) if entry.requires_id is not None else entry
        head = product or entry
        return (
            0 if head.id not in used else 1,
            name_key(head.name),
            0 if entry.kind is CatalogueKind.PRODUCT else 1,
            name_key(entry.name),
        )

    rows = []
    for entry in sorted(open_, key=place):
        estimate, why = _estimate(entry, seats_licensed)
        needs = by_id.get(entry.requires_id) if entry.requires_id is not None else None
        rows.append(
            Whitespace(
                entry=entry,
                estimate=estimate,
                no_estimate=why,
                with_product=needs.name if needs is not None and needs.id not in used else None,
            )
        )
    return rows


def _estimate(entry: EntryRow, seats: int | None) -> tuple[Decimal | None, str | None]:
    price = entry.list_price
    if price is None or entry.price_basis is None:
        return None, NO_PRICE
    if entry.price_basis is PriceBasis.FLAT:
        return price, None
    if entry.price_basis is PriceBasis.PER_UNIT:
        return None, NO_UNITS
    if not seats:
        return None, NO_SEATS
    return price * seats, None


@dataclass(frozen=True, slots=True)
class AccountProducts:
    """What the card shows of the catalogue for one account: the entries it uses, and its
    whitespace (`catalogued` False: the team has no catalogue yet)."""

    in_use: tuple[EntryRow, ...]
    whitespace: tuple[Whitespace, ...]
    catalogued: bool


_CATALOGUE_MARKED = (
    select_columns(*ENTRY_COLUMNS, col(AccountProduct.account_id))
    .outerjoin(
        AccountProduct,
        and_(
            col(AccountProduct.entry_id) == col(CatalogueEntry.id),
            col(AccountProduct.account_id) == bindparam("account_id"),
        ),
    )
    .where(col(CatalogueEntry.team_id) == bindparam("team_id"))
    .order_by(col(CatalogueEntry.name_key))
)
"""Built once: the card reads it on every request."""


def account_products(
    session: Session, *, team_id: str, account_id: int, seats_licensed: int | None
) -> AccountProducts:
    """The card's products and whitespace: one query (the catalogue, each entry marked when
    the account uses it), whatever the catalogue's size."""
    found = (
        session.connection()
        .execute(_CATALOGUE_MARKED, {"team_id": team_id, "account_id": account_id})
        .all()
    )
    width = len(ENTRY_COLUMNS)
    entries = [EntryRow._make(row[:width]) for row in found]
    used = {row[0] for row in found if row[width] is not None}
    return AccountProducts(
        in_use=tuple(e for e in entries if e.id in used),
        whitespace=tuple(whitespace(entries, used, seats_licensed=seats_licensed)),
        catalogued=bool(entries),
    )
