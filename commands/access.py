"""Who may see and change an account.

- Seeing: anyone in the workspace, unless the account is linked to a private channel; then only
  that channel's members (and, as for changing, its owner and workspace admins).
- Changing: the account's owner, the members of its linked channel and workspace admins.

What Slack says about channels and users is remembered for a short while
(`commands.ui.directory.Directory`), so a card costs no Web API call most of the time; checks
never run inside a database transaction. A channel the bot cannot see (a private channel it was
not invited to) counts as private with no known members: closed, not open. Whether a channel is
shared with another organisation is read from the same answers, for a card's mark and the
account form's warning; posts read the facts stored for every process
(`Directory.for_post`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient

from commands.ui.directory import Directory
from commands.ui.errors import UserError
from commands.ui.slack_failures import classify
from commands.ui.text import channel_mention, escape, user_mention
from commands.ui.values import STALE_FORM, ModalMeta
from store.accounts import get_account
from store.actions import get_action_item
from store.db import Database
from store.models import Account
from store.stakeholders import get_stakeholder

logger = logging.getLogger("accountbot.access")


@dataclass
class Access:
    """One user's rights in one workspace, for the request at hand."""

    client: WebClient | None
    directory: Directory
    team_id: str
    user_id: str | None
    operator: bool = False
    """Whoever runs the bot, at its terminal (`accountbot demo`): they hold the database."""

    @classmethod
    def of_operator(cls, *, team_id: str) -> Access:
        return cls(client=None, directory=Directory(), team_id=team_id, user_id=None, operator=True)

    def can_view(self, account: Account) -> bool:
        if self.operator or not account.channel_id or account.owner_user_id == self.user_id:
            return True
        if not self._is_private(account.channel_id):
            return True
        return self.can_change(account)

    def can_change(self, account: Account) -> bool:
        if self.operator:
            return True
        if self.user_id is None or self.client is None:
            return False
        if account.owner_user_id == self.user_id:
            return True
        if account.channel_id and self._is_member(account.channel_id):
            return True
        return self.is_admin()

    def is_admin(self) -> bool:
        """A workspace admin or owner (as Slack said within the last two minutes)."""
        if self.operator:
            return True
        if self.user_id is None or self.client is None:
            return False
        return self.directory.is_admin(self.client, team_id=self.team_id, user_id=self.user_id)

    def can_link(self, channel_id: str) -> bool:
        """Whether the user may link an account to the channel: one they can see (public, or
        private with them among its members) or, for an admin, any. A channel the bot cannot
        see counts as private with no known members."""
        if self.operator:
            return True
        if self.user_id is None or self.client is None:
            return False
        if not self._is_private(channel_id) or self._is_member(channel_id):
            return True
        return self.is_admin()

    def view_refusal(self, account: Account) -> str | None:
        """None when the user may see the account, else what to tell them."""
        if self.can_view(account):
            return None
        return (
            f"*{escape(account.name)}* is linked to a private channel you are not in. "
            f"Ask its owner ({user_mention(account.owner_user_id)}) or a workspace admin."
        )

    def change_refusal(self, account: Account) -> str | None:
        """None when the user may change the account, else what to tell them."""
        if self.can_change(account):
            return None
        if not self.can_view(account):
            return self.view_refusal(account)
        channel = account.channel_id
        members = f", members of {channel_mention(channel)}" if channel else ""
        return (
            f"You can't change *{escape(account.name)}*: only its owner "
            f"({user_mention(account.owner_user_id)}){members} and workspace admins can. "
            "Nothing was saved."
        )

    def visible(self, accounts: list[Account]) -> list[Account]:
        return [account for account in accounts if self.can_view(account)]

    def shared_outside(self, channel_id: str | None) -> bool:
        """Whether Slack says the channel is shared with another organisation, as remembered or
        asked now (for the account form's warning); False when Slack cannot say, the failure
        logged. Posts read the facts stored for every process (`Directory.for_post`)."""
        if not channel_id or self.client is None:
            return False
        try:
            facts = self.directory.channel(self.client, team_id=self.team_id, channel_id=channel_id)
        except Exception as error:
            if (failure := classify(error)) is None:
                raise
            logger.warning("channel %s not checked for sharing: %s", channel_id, failure.cause)
            return False
        return facts.shared_outside

    def known_shared_outside(self, channel_id: str | None) -> bool:
        """`shared_outside` as far as already known, without asking Slack (a card's mark: the
        card of an account's owner costs no Web API call)."""
        if not channel_id:
            return False
        facts = self.directory.remembered(team_id=self.team_id, channel_id=channel_id)
        return facts is not None and facts.shared_outside

    def _is_private(self, channel_id: str) -> bool:
        assert self.client is not None
        return self.directory.is_private(self.client, team_id=self.team_id, channel_id=channel_id)

    def _is_member(self, channel_id: str) -> bool:
        assert self.client is not None
        members = self.directory.members(self.client, team_id=self.team_id, channel_id=channel_id)
        return self.user_id in members


def target_account(db: Database, *, team_id: str, meta: ModalMeta) -> Account | None:
    """The account a modal changes: the one every id it carries (its account, person, item)
    belongs to. Ids of two accounts, or one naming nothing beside another, cannot come from a
    form the bot built: refused whole (`STALE_FORM`), since a listener may write through any of
    them. None when the one id it carries names nothing (the listener says it is gone)."""
    with db.reading() as session:
        owners: set[int | None] = set()
        if meta.account_id is not None:
            owners.add(meta.account_id)
        if meta.stakeholder_id is not None:
            person = get_stakeholder(session, team_id=team_id, stakeholder_id=meta.stakeholder_id)
            owners.add(person.account_id if person else None)
        if meta.item_id is not None:
            item = get_action_item(session, team_id=team_id, item_id=meta.item_id)
            owners.add(item.account_id if item else None)
        if len(owners) > 1:
            raise UserError(STALE_FORM)
        account_id = next(iter(owners), None)
        if account_id is None:
            return None
        return get_account(session, team_id=team_id, account_id=account_id)
