"""Who may see and change an account.

- Seeing: anyone in the workspace, unless the account is linked to a private channel; then only
  that channel's members (and, as for changing, its owner and workspace admins).
- Changing: the account's owner, the members of its linked channel and workspace admins.

What Slack says about channels and users is remembered for a short while (`Directory`), so a
card costs no Web API call most of the time; checks never run inside a database transaction.
A channel the bot cannot see (a private channel it was not invited to) counts as private with
no known members: closed, not open. The same answer of Slack's says whether a channel is shared
with another organisation (`shared_outside`), which `commands.delivery` checks before every post;
Slack failing to answer is never remembered as a fact about the channel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import UserError, slack_trouble
from commands.forms import ModalMeta
from commands.text import channel_mention, escape, user_mention
from store.accounts import get_account
from store.actions import get_action_item
from store.db import Database
from store.models import Account
from store.stakeholders import get_stakeholder

logger = logging.getLogger("accountbot.access")

REMEMBER_SECONDS = 120
"""How long a channel's privacy and members, or a user's admin flag, are trusted."""
MEMBER_PAGES = 20
"""conversations.members pages (1,000 each) read at most per channel."""


@dataclass(frozen=True)
class ChannelFacts:
    """What conversations.info said about a channel, as far as rights and delivery care."""

    private: bool
    shared_outside: bool
    """Shared with another organisation, or on its way to be (see `shared_outside`)."""
    unseen: str | None = None
    """Slack's error when it would not describe the channel (a private channel the bot is not
    in answers `channel_not_found`): then it counts as private, and not known to be internal."""


def shared_outside(channel: dict[str, Any], *, team_id: str) -> bool:
    """Whether people of another organisation can read the channel (Slack Connect), or soon
    will: externally shared, an invitation pending, or shared with a workspace of another
    organisation. A channel shared between the workspaces of one Enterprise organisation
    (`is_org_shared`) stays inside; a share Slack does not qualify counts as outside."""
    if channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"):
        return True
    if channel.get("pending_shared") or channel.get("pending_connected_team_ids"):
        return True
    if channel.get("is_org_shared"):
        return False
    if channel.get("is_shared"):
        return True
    teams = {*(channel.get("shared_team_ids") or ()), *(channel.get("connected_team_ids") or ())}
    return bool(teams - {team_id})


class Directory:
    """Channels' privacy, sharing and members and users' admin flags, as Slack last said, per
    team. `forget_channel` drops what is known of a channel (Slack said it changed)."""

    def __init__(
        self,
        *,
        ttl: float = REMEMBER_SECONDS,
        maxsize: int = 20_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache: TTLCache[tuple[str, ...], Any] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=timer
        )
        self._lock = threading.Lock()

    def channel(
        self, client: WebClient, *, team_id: str, channel_id: str, fresh: bool = False
    ) -> ChannelFacts:
        """What Slack says of the channel (`fresh`: ask again rather than remember)."""
        key = ("channel", team_id, channel_id)
        if fresh:
            self._forget(key)
        return self._remembered(key, lambda: _fetch_channel(client, team_id, channel_id))

    def is_private(self, client: WebClient, *, team_id: str, channel_id: str) -> bool:
        """True for a private channel, and for one the bot cannot see (closed, not open)."""
        return self.channel(client, team_id=team_id, channel_id=channel_id).private

    def remembered(self, *, team_id: str, channel_id: str) -> ChannelFacts | None:
        """What is known of the channel now, without asking Slack."""
        with self._lock:
            return self._cache.get(("channel", team_id, channel_id))

    def forget_channel(self, *, team_id: str, channel_id: str) -> None:
        """Slack said the channel changed (shared, unshared): ask again next time."""
        self._forget(("channel", team_id, channel_id), ("members", team_id, channel_id))

    def _forget(self, *keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._cache.pop(key, None)

    def members(self, client: WebClient, *, team_id: str, channel_id: str) -> frozenset[str]:
        """The channel's members (none known when the bot cannot see it)."""
        return self._remembered(
            ("members", team_id, channel_id), lambda: _fetch_members(client, channel_id)
        )

    def is_admin(self, client: WebClient, *, team_id: str, user_id: str) -> bool:
        return self._remembered(("admin", team_id, user_id), lambda: _fetch_admin(client, user_id))

    def _remembered(self, key: tuple[str, ...], fetch: Any) -> Any:
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = fetch()  # outside the lock: one slow answer must not hold up other teams
        with self._lock:
            self._cache[key] = value
        return value


def _fetch_channel(client: WebClient, team_id: str, channel_id: str) -> ChannelFacts:
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        if slack_trouble(error):  # Slack failing says nothing about the channel
            raise
        reason = str(error.response.get("error"))
        logger.info("channel %s treated as private: %s", channel_id, reason)
        return ChannelFacts(private=True, shared_outside=False, unseen=reason)
    return ChannelFacts(
        private=bool(channel.get("is_private")),
        shared_outside=shared_outside(channel, team_id=team_id),
    )


def _fetch_members(client: WebClient, channel_id: str) -> frozenset[str]:
    members: set[str] = set()
    cursor = None
    try:
        for _ in range(MEMBER_PAGES):
            page = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            members.update(page["members"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as error:
        if slack_trouble(error):
            raise
        logger.info("members of %s unknown: %s", channel_id, error.response.get("error"))
        return frozenset()
    return frozenset(members)


def _fetch_admin(client: WebClient, user_id: str) -> bool:
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if slack_trouble(error):
            raise
        return False
    return bool(user.get("is_admin") or user.get("is_owner"))


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

    def require_view(self, db: Database, *, account_id: int) -> None:
        """Refuse (with the reason, to the user) unless they may see the account."""
        account = target_account(db, team_id=self.team_id, meta=ModalMeta(account_id=account_id))
        if account is not None and (refusal := self.view_refusal(account)):
            raise UserError(refusal)

    def require_change(self, db: Database, meta: ModalMeta) -> None:
        """Refuse (with the reason, to the user) unless they may make the change."""
        if refusal := self.refusal_for(db, meta):
            raise UserError(refusal)

    def refusal_for(self, db: Database, meta: ModalMeta) -> str | None:
        """Whether the user may make the change a modal is about (None: yes, or a new account)."""
        account = target_account(db, team_id=self.team_id, meta=meta)
        return None if account is None else self.change_refusal(account)

    def shared_outside(self, channel_id: str | None) -> bool:
        """Whether the channel is shared with another organisation (False when Slack cannot
        say: for a card's mark; posts check through `commands.delivery`, which says why)."""
        if not channel_id or self.client is None:
            return False
        facts = self.directory.channel(self.client, team_id=self.team_id, channel_id=channel_id)
        return facts.shared_outside

    def known_shared_outside(self, channel_id: str | None) -> bool:
        """`shared_outside` as far as already known, without asking Slack (for a card drawn
        inside a transaction)."""
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
    """The account a modal changes: the one its person or item belongs to, or its own."""
    with db.reading() as session:
        account_id = meta.account_id
        if meta.stakeholder_id is not None:
            person = get_stakeholder(session, team_id=team_id, stakeholder_id=meta.stakeholder_id)
            account_id = person.account_id if person else None
        elif meta.item_id is not None:
            item = get_action_item(session, team_id=team_id, item_id=meta.item_id)
            account_id = item.account_id if item else None
        if account_id is None:
            return None
        return get_account(session, team_id=team_id, account_id=account_id)
