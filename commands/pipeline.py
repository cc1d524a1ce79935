"""`/account expansion`: the expansion pipeline, read from the stored hypotheses. It does not
refresh them all: an owner's 200 accounts through the engine at every ask would cost the
listener's budget many times over, and the weekly digest run (every account) and an account's
growth view (its own) keep them fresh; the view says as of when. Accounts the engine has not run
over yet (new since the team's weekly refresh, or all before its first) are refreshed on the spot
when they are few (`ON_DEMAND`), else said to be not computed yet: never "nothing found"."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from commands.needs import LEAD, Check
from commands.payloads import MINE
from commands.replies import AskedCommand, assessed_accounts
from commands.request import Request
from commands.ui.views.blocks import Block
from commands.ui.views.pipeline import PipelineAccount, pipeline_blocks
from store.enums import HypothesisStatus
from store.growth import not_refreshed, refresh_accounts, stored_hypotheses
from store.models import Account
from store.settings import revenue_settings
from store.snapshots import account_scope

ON_DEMAND = 25
"""Accounts not refreshed yet that the pipeline refreshes as it is asked (a few new accounts:
cheap); more are said to be not computed yet, for the weekly run."""


def expansion_answer(
    *, request: Request, asked: AskedCommand, account: Account | None
) -> list[Block]:
    """The user's own accounts; the whole team's for its leads and admins (as `/account revenue`
    and `/account portfolio` decide it, private-channel accounts included as in the portfolio),
    unless they ask for `mine`. A fixed number of statements whatever the number of accounts."""
    own = asked.request.name == MINE
    whole_team = (
        not own and LEAD.refusal(Check(access=request.access, db=request.db, account=None)) is None
    )
    owner = None if whole_team else request.user_id
    with request.db.transaction() as session:
        return pipeline_of(
            session,
            team_id=request.team_id,
            today=request.today,
            owner_user_id=owner,
            title="the team's accounts" if whole_team else "your accounts",
        )


def pipeline_of(
    session: Session, *, team_id: str, today: date, owner_user_id: str | None, title: str
) -> list[Block]:
    """The pipeline of an owner's accounts (None: the team's), drawn: the accounts not yet
    refreshed refreshed first when they are few, then the snapshots with their bands, the stored
    hypotheses and the reporting currency, in a fixed number of statements."""
    scope = account_scope(team_id=team_id, owner_user_id=owner_user_id)
    missing = not_refreshed(session, team_id=team_id, scope=scope)
    if missing and len(missing) <= ON_DEMAND:
        refresh_accounts(session, team_id=team_id, today=today, account_ids=missing)
        missing = []
    assessed = assessed_accounts(session, team_id=team_id, today=today, owner_user_id=owner_user_id)
    stored = stored_hypotheses(session, team_id=team_id, account_ids=scope)
    currency = revenue_settings(session, team_id=team_id).currency
    uncomputed = set(missing)
    accounts = [
        PipelineAccount(
            name=snapshot.account.name,
            band=assessment.band,
            arr=snapshot.account.arr,
            currency=snapshot.account.currency,
            hypotheses=[
                h for h in stored.get(snapshot.account.id, []) if h.status == HypothesisStatus.OPEN
            ],
            computed=snapshot.account.id not in uncomputed,
        )
        for snapshot, assessment in assessed
    ]
    seen = [h.last_seen_on for found in stored.values() for h in found]
    return pipeline_blocks(
        accounts,
        title=title,
        currency=currency,
        as_of=max(seen) if seen else None,
        today=today,
    )
