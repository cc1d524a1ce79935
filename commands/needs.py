"""What a listener needs of the user, declared in its route (`commands.routes`) and checked before
it runs, never inside a database transaction (asking Slack who is an admin, or about a channel,
waits on the network; `commands.access` remembers the answers for a short while).

A need is any object with a `name` and a `refusal(check)`: `None` lets the user through, a
string is what to tell them. New features add their own (the approver of a discount tier, the
owner or a lead of a report, the bearer of an ingest token) beside these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from commands.access import Access
from store.db import Database
from store.leads import is_lead
from store.models import Account

ADMINS_ONLY = "Only workspace admins and owners can change the team's settings."
LEADS_ONLY = (
    "Only the team's leads and workspace admins can see the team's portfolio. "
    "An admin names the leads in `/account settings`."
)


@dataclass(frozen=True)
class Check:
    """What a need is checked against: the user's rights, the store (read outside any write),
    and the account the request touches, when it touches one (`None`: none, or not found)."""

    access: Access
    db: Database
    account: Account | None


class Need(Protocol):
    @property
    def name(self) -> str: ...

    def refusal(self, check: Check) -> str | None: ...


@dataclass(frozen=True)
class Anyone:
    """Nothing asked: the listener reads only what is the user's own (their home, their
    portfolio), or filters what it shows by their rights itself."""

    name: str = "anyone"

    def refusal(self, check: Check) -> str | None:
        return None


@dataclass(frozen=True)
class See:
    """Seeing the account (see `commands.access`); no account found is for the listener to say."""

    name: str = "see"

    def refusal(self, check: Check) -> str | None:
        return None if check.account is None else check.access.view_refusal(check.account)


@dataclass(frozen=True)
class Change:
    """Changing the account; a form for a new account (none found) is anyone's."""

    name: str = "change"

    def refusal(self, check: Check) -> str | None:
        return None if check.account is None else check.access.change_refusal(check.account)


@dataclass(frozen=True)
class ChangeOrLead:
    """Changing the account, or being one of the team's leads: a renewal question passes to the
    leads when the account's owner has left the workspace. Named `change`: it is checked
    against the account the request touches."""

    name: str = "change"

    def refusal(self, check: Check) -> str | None:
        if check.account is None:
            return None
        refused = check.access.change_refusal(check.account)
        if refused is None or check.access.user_id is None:
            return refused
        with check.db.reading() as session:
            lead = is_lead(session, team_id=check.access.team_id, user_id=check.access.user_id)
        return None if lead else refused


@dataclass(frozen=True)
class Admin:
    """A workspace admin or owner (Slack's answer, remembered for two minutes)."""

    name: str = "admin"
    refused: str = ADMINS_ONLY

    def refusal(self, check: Check) -> str | None:
        return None if check.access.is_admin() else self.refused


@dataclass(frozen=True)
class Lead:
    """One of the team's leads (named by an admin in `/account settings`), or an admin: admins
    count as leads. The store is asked first, so a lead costs no Web API call."""

    name: str = "lead"
    refused: str = LEADS_ONLY

    def refusal(self, check: Check) -> str | None:
        access = check.access
        if access.operator:
            return None
        if access.user_id is not None:
            with check.db.reading() as session:
                if is_lead(session, team_id=access.team_id, user_id=access.user_id):
                    return None
        return None if access.is_admin() else self.refused


@dataclass(frozen=True)
class OwnerOrAdmin:
    """The account's owner, or a workspace admin or owner: the account's departments, which
    every coverage count reads, are theirs to keep. Named `change`: it is checked against the
    account the request touches."""

    name: str = "change"
    refused: str = "Only the account's owner and workspace admins can change its departments."

    def refusal(self, check: Check) -> str | None:
        access, account = check.access, check.account
        if account is None or access.operator:
            return None
        if access.user_id is not None and account.owner_user_id == access.user_id:
            return None
        return None if access.is_admin() else self.refused


ANYONE = Anyone()
SEE = See()
CHANGE = Change()
CHANGE_OR_LEAD = ChangeOrLead()
ADMIN = Admin()
LEAD = Lead()
OWNER_OR_ADMIN = OwnerOrAdmin()
