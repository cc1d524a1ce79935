"""Reads the store and builds replies: the glue between store functions and pure views."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from commands.access import Access
from commands.payloads import AccountRequest, AccountVerb, SlashCommand, readings
from commands.request import Request
from commands.ui.errors import UserError
from commands.ui.text import escape, fallback_text
from commands.ui.views import messages
from commands.ui.views.blocks import Block, section
from commands.ui.views.card import account_card
from commands.ui.views.people import history_blocks
from commands.ui.views.plan import plan_blocks
from commands.ui.views.portfolio import portfolio_blocks
from commands.ui.views.save_plan import save_plan_blocks
from store.accounts import accounts_named, find_account_by_channel, get_account, near_accounts
from store.actions import plan_items
from store.catalogue import account_products
from store.db import UNAVAILABLE, Database
from store.deals import account_deals
from store.events import org_facts
from store.history import band_spell
from store.models import Account, saved_id
from store.names import name_key
from store.save_plans import current_save_plan
from store.settings import thresholds_for
from store.signals import AccountSnapshot, Assessment, Band, assess
from store.snapshots import load_snapshots
from store.stakeholders import account_history, last_touch

logger = logging.getLogger("accountbot.answers")
HISTORY_PAGE = 10
CLOSED_DAYS = 30


def assessed_accounts(
    session: Session,
    *,
    team_id: str,
    today: date,
    account_ids: list[int] | None = None,
    owner_user_id: str | None = None,
) -> list[tuple[AccountSnapshot, Assessment]]:
    """Snapshots and verdicts for the chosen accounts, in a fixed number of queries."""
    thresholds = thresholds_for(session, team_id=team_id)
    snapshots = load_snapshots(
        session, team_id=team_id, account_ids=account_ids, owner_user_id=owner_user_id, today=today
    )
    return [(s, assess(s, today=today, thresholds=thresholds)) for s in snapshots]


def card_of(
    db: Database,
    access: Access,
    *,
    team_id: str,
    account_id: int,
    today: date,
    shared_by: str | None = None,
) -> list[Block] | None:
    """The card of one account, or None when the team has no such account: read in one
    read-only transaction, drawn after it, its linked channel marked when the bot already knows
    it is shared with another organisation (no Web API call for the mark)."""
    with db.reading() as session:
        found = assessed_accounts(session, team_id=team_id, today=today, account_ids=[account_id])
        touch = last_touch(session, team_id=team_id, account_id=account_id) if found else None
        spell = (
            band_spell(
                session,
                team_id=team_id,
                account_id=account_id,
                band=found[0][1].band,
                today=today,
            )
            if found
            else None
        )
        products = (
            account_products(
                session,
                team_id=team_id,
                account_id=account_id,
                seats_licensed=found[0][0].account.seats_licensed,
            )
            if found
            else None
        )
        org = (
            org_facts(session, team_id=team_id, account_id=account_id, today=today)
            if found
            else None
        )
        deals = (
            account_deals(session, team_id=team_id, account_id=account_id, open_only=True)
            if found and shared_by is None
            else []
        )
    if not found:
        return None
    snapshot, assessment = found[0]
    shared = access.known_shared_outside(snapshot.account.channel_id)
    return account_card(
        snapshot,
        assessment,
        today=today,
        shared_by=shared_by,
        channel_shared_outside=shared,
        last=touch,
        spell=spell,
        products=products,
        org=org,
        deals=deals,
    )


def portfolio_of(session: Session, *, team_id: str, user_id: str, today: date) -> list[Block]:
    mine = assessed_accounts(session, team_id=team_id, today=today, owner_user_id=user_id)
    return portfolio_blocks(mine, today=today, title="Your accounts")


def history_of(
    session: Session, *, team_id: str, account_id: int, today: date, offset: int = 0
) -> list[Block] | None:
    account = get_account(session, team_id=team_id, account_id=account_id)
    if account is None:
        return None
    entries, more = account_history(
        session, team_id=team_id, account_id=account_id, offset=offset, limit=HISTORY_PAGE
    )
    return history_blocks(
        account, entries, offset=offset, more=more, page_size=HISTORY_PAGE, today=today
    )


def plan_of(session: Session, *, team_id: str, account_id: int, today: date) -> list[Block] | None:
    """`/account Acme plan`: open items, and those closed in the last few weeks."""
    account = get_account(session, team_id=team_id, account_id=account_id)
    if account is None:
        return None
    since = datetime.combine(today - timedelta(days=CLOSED_DAYS), time(), tzinfo=UTC)
    items = plan_items(session, team_id=team_id, account_id=account_id, closed_since=since)
    return plan_blocks(account, items, today=today, closed_days=CLOSED_DAYS)


def save_plan_of(
    session: Session, *, team_id: str, account_id: int, today: date
) -> list[Block] | None:
    """An account's current save plan with its steps, or a note that it has none."""
    account = get_account(session, team_id=team_id, account_id=account_id)
    if account is None:
        return None
    found = current_save_plan(session, team_id=team_id, account_id=account_id)
    if found is None:
        return [
            section(
                f"*{escape(account.name)}* has no save plan yet: the card's *Save plan* button "
                "drafts one."
            )
        ]
    plan, steps = found
    return save_plan_blocks(
        account_id=account_id, account_name=account.name, plan=plan, steps=steps, today=today
    )


@dataclass(frozen=True)
class Unresolved:
    """A command that did not pick out one account: the near matches (perhaps none)."""

    name: str
    candidates: list[Account]

    def blocks(self, access: Access) -> list[Block]:
        """Near matches the user may see, or why there are none."""
        if not self.name:
            return messages.usage_blocks(
                "Which account? Name it, like `/account edit Acme`, or use its linked channel."
            )
        visible = access.visible(self.candidates)
        if visible:
            return messages.choice_blocks(self.name, visible)
        return messages.not_found_blocks(self.name)

    def notice(self) -> str:
        """Said in place of the form a command would have opened."""
        if not self.name:
            return (
                "Which account? Name it, like `/account Acme contact`, or use its linked channel."
            )
        which = "single account matches" if self.candidates else "account matches"
        return (
            f"No {which} *{escape(self.name)}*. "
            "Type `/account` and the name to find it, then use the buttons on its card."
        )


@dataclass(frozen=True)
class Found:
    """The one account a command names: by its exact name (or as its channel's account), or as
    the only near match of what was typed."""

    account: Account
    exact: bool

    def shown_to(self, access: Access, *, name: str) -> Found | Unresolved:
        """What the user may learn of it: a near match to an account they may not see is no
        match at all (its name and owner are not theirs to know); an exact name keeps the
        refusal that names its owner. Asks Slack (cached), so never call it while a write
        transaction is open."""
        if self.exact or access.can_view(self.account):
            return self
        return Unresolved(name, [])


@dataclass(frozen=True)
class KnownNames:
    """The team's accounts named exactly like a reading of a command's text, looked up (in one
    query) before the text is parsed: the grammar's first rule needs them, and resolving the
    command's account then costs nothing more."""

    asked: frozenset[str] = frozenset()
    """Keys looked up: a name among them but not found is no account's exact name."""
    found: dict[str, Account] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name_key(name) in self.found

    def resolve(self, session: Session, *, slash: SlashCommand, name: str) -> Found | Unresolved:
        """The account a command names (or, with no name, the channel's); the only place that
        looks a name up by its key. A name looked up already costs no statement."""
        if not name:
            account = find_account_by_channel(
                session, team_id=slash.team_id, channel_id=slash.channel_id
            )
            return Found(account, exact=True) if account else Unresolved(name, [])
        key = name_key(name)
        if key in self.found:
            return Found(self.found[key], exact=True)
        if key not in self.asked and (
            exact := accounts_named(session, team_id=slash.team_id, names=[name]).get(key)
        ):
            return Found(exact, exact=True)
        near = near_accounts(session, team_id=slash.team_id, text=name)
        if near.exact is not None:  # the only account close to what was typed
            return Found(near.exact, exact=False)
        return Unresolved(name, list(near.candidates))


@dataclass(frozen=True)
class AskedCommand:
    """`/account <text>` as the grammar read it: the typed value of the command's routes."""

    slash: SlashCommand
    request: AccountRequest
    known: KnownNames
    account: Account | None = None
    """The account the text names, once found (`named_account`), for a form's loader."""


def read_command(db: Database, *, slash: SlashCommand) -> AskedCommand:
    """`/account <text>` read by the grammar (`AccountRequest`), with the accounts its readings
    name exactly. The look-up is a glance (`Database.glance`: it gives up within half a second),
    made before the command's modal opens inside Slack's 3-second window. If the store does not
    answer by then, the text is read as if no account had its name (help still works); what
    then needs the store says it is not answering."""
    names = readings(slash.text).names
    known = KnownNames()
    if names:
        try:
            with db.glance() as session:
                found = accounts_named(session, team_id=slash.team_id, names=names)
            known = KnownNames(asked=frozenset(name_key(n) for n in names), found=found)
        except UNAVAILABLE as error:
            logger.warning("account names not looked up: %s", type(error).__name__)
    request = AccountRequest.parse(slash.text, is_account=known.__contains__)
    return AskedCommand(slash=slash, request=request, known=known)


def named_account(db: Database, asked: AskedCommand, access: Access) -> Account | Unresolved | None:
    """The account a command names (`Find.NAMED`): by its name, or with none the channel's
    (None when the channel has no account: `/account` alone then lists the user's own). A name
    that picks out no account the user may know of is Unresolved (the near matches they may
    see, or none). Read-only; asks Slack (cached) after the read, never inside it."""
    slash, request = asked.slash, asked.request
    with db.reading() as session:  # no statement at all when the name was looked up already
        if request.verb is AccountVerb.HERE_OR_MINE:
            here = find_account_by_channel(
                session, team_id=slash.team_id, channel_id=slash.channel_id
            )
            if here is None:
                return None
            found: Found | Unresolved = Found(here, exact=True)
        else:
            found = asked.known.resolve(session, slash=slash, name=request.name)
    if isinstance(found, Found):
        found = found.shown_to(access, name=request.name)
    if isinstance(found, Unresolved):
        return found
    return found.account


# -- what /account answers (its verbs' answers; `commands.routes` says which is whose) --------


def help_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    return messages.help_blocks()


def usage_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    return messages.usage_blocks(asked.request.problem)


def card_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    """The account's card; `/account` alone outside an account's channel: the user's own
    accounts, riskiest first."""
    if account is None:
        with request.db.reading() as session:
            return portfolio_of(
                session, team_id=request.team_id, user_id=request.user_id, today=request.today
            )
    shown = card_of(
        request.db,
        request.access,
        team_id=request.team_id,
        account_id=saved_id(account.id),
        today=request.today,
    )
    return shown or []


def plan_answer(*, request: Request, asked: AskedCommand, account: Account | None) -> list[Block]:
    assert account is not None and account.id is not None
    with request.db.reading() as session:
        return (
            plan_of(session, team_id=request.team_id, account_id=account.id, today=request.today)
            or []
        )


def history_answer(
    *, request: Request, asked: AskedCommand, account: Account | None
) -> list[Block]:
    assert account is not None and account.id is not None
    with request.db.reading() as session:
        return (
            history_of(session, team_id=request.team_id, account_id=account.id, today=request.today)
            or []
        )


def team_portfolio_answer(
    *, request: Request, asked: AskedCommand, account: Account | None
) -> list[Block]:
    """`/account portfolio` (leads and admins): the team's accounts at risk, riskiest first."""
    with request.db.reading() as session:
        assessed = assessed_accounts(session, team_id=request.team_id, today=request.today)
    at_risk = [(s, a) for s, a in assessed if a.band is not Band.GREEN]
    return portfolio_blocks(
        at_risk, today=request.today, title="Team portfolio at risk", empty="No account is at risk."
    )


AccountView = Callable[..., list[Block] | None]
"""`(session, *, team_id, account_id, today) -> blocks`, None when the account is gone."""


def account_view(
    view_of: AccountView,
    db: Database,
    *,
    team_id: str,
    account_id: int,
    today: date,
    missing: str,
    write: bool = False,
) -> list[Block]:
    """One account's view, read in a session of its own (a transaction, `write`, for a view that
    refreshes what it shows); an account gone is told the user as `missing`."""
    with db.transaction() if write else db.reading() as session:
        blocks = view_of(session, team_id=team_id, account_id=account_id, today=today)
    if blocks is None:
        raise UserError(missing)
    return blocks


def send_blocks(
    respond: Callable[..., Any],
    blocks: list[dict[str, Any]] | None,
    *,
    missing: str,
    **options: Any,
) -> None:
    """Answer through the response URL, or tell the user what is gone (via the error handler)."""
    if blocks is None:
        raise UserError(missing)
    respond(text=fallback_text(blocks), blocks=blocks, **options)
