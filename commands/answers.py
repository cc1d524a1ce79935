"""Reads the store and builds replies: the glue between store functions and pure views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from commands.forms import AccountFormMeta
from commands.payloads import AccountRequest, AccountVerb, SlashCommand
from commands.views import messages
from commands.views.blocks import Block
from commands.views.card import account_card
from commands.views.form import account_form
from commands.views.portfolio import portfolio_blocks
from store.accounts import find_account_by_channel, get_account, search_accounts
from store.models import Account
from store.settings import thresholds_for
from store.signals import AccountSnapshot, Assessment, assess
from store.snapshots import load_snapshots


@dataclass(frozen=True)
class Reply:
    """Either blocks to answer with, or a modal to open."""

    blocks: list[Block] | None = None
    modal: dict[str, Any] | None = None


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
        session, team_id=team_id, account_ids=account_ids, owner_user_id=owner_user_id
    )
    return [(s, assess(s, today=today, thresholds=thresholds)) for s in snapshots]


def card_blocks(
    session: Session, *, team_id: str, account_id: int, today: date, shared_by: str | None = None
) -> list[Block] | None:
    """The card of one account, or None when the team has no such account."""
    found = assessed_accounts(session, team_id=team_id, today=today, account_ids=[account_id])
    if not found:
        return None
    snapshot, assessment = found[0]
    return account_card(snapshot, assessment, today=today, shared_by=shared_by)


def portfolio_of(session: Session, *, team_id: str, user_id: str, today: date) -> list[Block]:
    mine = assessed_accounts(session, team_id=team_id, today=today, owner_user_id=user_id)
    return portfolio_blocks(mine, today=today, title="Your accounts")


def answer_account_command(
    session: Session, *, slash: SlashCommand, request: AccountRequest, today: date
) -> Reply:
    """Decide what `/account …` shows or opens."""
    team_id = slash.team_id
    verb = request.verb
    if verb is AccountVerb.HELP:
        return Reply(blocks=messages.help_blocks())
    if verb is AccountVerb.NEW:
        return Reply(modal=new_account_form(slash=slash, name=request.name))
    if request.name:
        matches = search_accounts(session, team_id=team_id, text=request.name)
        if matches.candidates:
            edit = verb is AccountVerb.EDIT
            return Reply(blocks=messages.choice_blocks(request.name, matches.candidates, edit=edit))
        if matches.exact is None:
            return Reply(blocks=messages.not_found_blocks(request.name))
        account: Account | None = matches.exact
    else:
        account = find_account_by_channel(session, team_id=team_id, channel_id=slash.channel_id)
    if account is None and verb is AccountVerb.EDIT:
        return Reply(blocks=messages.usage_blocks("Which account? Try `/account edit Acme`."))
    if account is None:
        return Reply(
            blocks=portfolio_of(session, team_id=team_id, user_id=slash.user_id, today=today)
        )
    if verb is AccountVerb.EDIT:
        meta = AccountFormMeta(account_id=account.id, response_url=slash.response_url)
        return Reply(modal=account_form(meta=meta, account=account))
    return Reply(blocks=card_blocks(session, team_id=team_id, account_id=account.id, today=today))  # type: ignore[arg-type]


def new_account_form(*, slash: SlashCommand, name: str = "") -> dict[str, Any]:
    return account_form(
        meta=AccountFormMeta(response_url=slash.response_url),
        name=name,
        channel_id=slash.channel_id if slash.in_channel else None,
        owner_user_id=slash.user_id,
    )


def edit_account_form(
    session: Session, *, team_id: str, account_id: int, response_url: str | None
) -> dict[str, Any] | None:
    account = get_account(session, team_id=team_id, account_id=account_id)
    if account is None:
        return None
    return account_form(
        meta=AccountFormMeta(account_id=account.id, response_url=response_url), account=account
    )
