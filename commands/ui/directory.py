"""What Slack says about channels and users: asked, read strictly, and remembered.

`channel_facts` asks Slack about a channel now. Before a post of internal content,
`Directory.for_post` says whether another organisation can read the channel from what Slack
last said, kept in the database for every process (`store.channels`): Slack's channel events
rewrite it at once (`commands.workspace`), and Slack is asked again when nothing is known, when
an event left it in doubt, or when it is older than `max_age` (CHANNEL_FACTS_MAX_AGE: the window
in which an event missed, or a pending invitation that sends none, could matter). In memory,
`Directory` also remembers answers for two minutes, for reading only: who may see an account (a
private channel's members, a user's admin flag), a card's "shared" mark, the account form's
warning. Slack failing to answer is never remembered as a fact about a channel, and an answer
that is not what Slack sends raises `MalformedAnswer` rather than read as one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from cachetools import TTLCache
from pydantic import BaseModel, ConfigDict
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from commands.ui.slack_failures import Outcome, answered, classify
from store.channels import (
    FACTS_MAX_AGE,
    LISTED,
    believable_fact,
    fresh_channels,
    known_privacy,
    record_answer,
    record_answers,
)
from store.db import Database
from store.types import utcnow

logger = logging.getLogger("accountbot.directory")

REMEMBER_SECONDS = 120
"""How long a channel's privacy and members, or a user's admin flag, are trusted (for reading)."""
MEMBER_PAGES = 20
"""conversations.members pages (1,000 each) read at most per channel."""
LIST_FROM = 10
"""Channels about to be asked about one by one from which a team's channels are listed instead."""
LIST_PAGES = 10
"""conversations.list pages (1,000 channels each) read at most before a team's digests."""

TeamIds = list[str] | None


class SlackChannel(BaseModel):
    """The part of conversations.info's `channel` the bot reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    is_private: bool | None = None
    is_shared: bool | None = None
    is_ext_shared: bool | None = None
    is_org_shared: bool | None = None
    is_pending_ext_shared: bool | None = None
    pending_shared: TeamIds = None
    pending_connected_team_ids: TeamIds = None
    shared_team_ids: TeamIds = None
    connected_team_ids: TeamIds = None
    internal_team_ids: TeamIds = None
    """The workspaces of this organisation the channel is in (Enterprise Grid)."""

    def shared_outside(self, *, team_id: str) -> bool:
        """Whether people of another organisation can read the channel (Slack Connect), or soon
        will: externally shared, any share pending, or a team named that is not one of ours
        (this workspace, or the organisation's workspaces Slack lists as internal). A channel
        shared between the workspaces of one Enterprise organisation (`is_org_shared`) stays
        inside only while no other team is named; a share Slack does not qualify is outside."""
        if self.is_ext_shared or self.is_pending_ext_shared:
            return True
        if self.pending_shared or self.pending_connected_team_ids:
            return True
        ours = {team_id, *(self.internal_team_ids or ())}
        named = {*(self.shared_team_ids or ()), *(self.connected_team_ids or ())}
        if named - ours:
            return True
        return bool(self.is_shared and not self.is_org_shared)


class SlackUser(BaseModel):
    """The part of users.info's `user` the bot reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    tz: str | None = None
    is_admin: bool | None = None
    is_owner: bool | None = None
    deleted: bool | None = None
    """The user left the workspace (deactivated)."""

    @property
    def admin(self) -> bool:
        return bool(self.is_admin or self.is_owner)


@dataclass(frozen=True)
class ChannelFacts:
    """What conversations.info said about a channel, as far as rights and delivery care."""

    private: bool
    shared_outside: bool
    """Shared with another organisation, or on its way to be (see `SlackChannel`)."""
    unseen: str | None = None
    """Slack's error when it would not describe the channel (a private channel the bot is not
    in answers `channel_not_found`): then it counts as private, and not known to be internal."""


def channel_facts(client: WebClient, *, team_id: str, channel_id: str) -> ChannelFacts:
    """What Slack says of the channel now: one conversations.info. A refusal
    (`channel_not_found`, `missing_scope`) is a fact (`unseen`); Slack or the network failing,
    or an answer Slack does not send, raises (it says nothing about the channel)."""
    try:
        answer = client.conversations_info(channel=channel_id)
    except SlackApiError as error:
        failure = classify(error)
        if failure is None or failure.outcome is not Outcome.REFUSED:
            raise
        logger.debug("channel %s treated as private: %s", channel_id, failure.code)
        return ChannelFacts(private=True, shared_outside=False, unseen=failure.code)
    channel = answered(SlackChannel, answer, "channel")
    return ChannelFacts(
        private=bool(channel.is_private), shared_outside=channel.shared_outside(team_id=team_id)
    )


def user_facts(client: WebClient, *, user_id: str) -> SlackUser:
    """What Slack says of a user now (users.info); raises as the call did, or `MalformedAnswer`."""
    return answered(SlackUser, client.users_info(user=user_id), "user")


Fact = TypeVar("Fact")


class Directory:
    """Channels' privacy, sharing and members and users' admin flags, as Slack last said, per
    team: for posts (`for_post`), from the database shared by every process (`db`; without
    one, each post asks Slack); for reading, from this process's memory. `forget_channel`
    drops what this process remembers of a channel (Slack said it changed)."""

    def __init__(
        self,
        db: Database | None = None,
        *,
        max_age: float = FACTS_MAX_AGE,
        ttl: float = REMEMBER_SECONDS,
        maxsize: int = 20_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.max_age = db, timedelta(seconds=max_age)
        self._cache: TTLCache[tuple[str, ...], Any] = TTLCache(
            maxsize=maxsize, ttl=ttl, timer=timer
        )
        self._lock = threading.Lock()

    def for_post(
        self,
        client: WebClient,
        *,
        team_id: str,
        channel_id: str,
        stored: ChannelFacts | None = None,
    ) -> ChannelFacts:
        """What a post of internal content may believe of the channel: the stored fact while it
        is younger than `max_age` and no event left it in doubt (`stored`, when the caller read
        it just now with `believed`, in the transaction that claimed the post); else Slack's
        answer now (kept for every process, unless it is a refusal: a channel Slack will not
        describe is asked about at each post). Raises as `channel_facts` does when Slack
        cannot say."""
        if stored is None:
            stored = self._stored(team_id=team_id, channel_id=channel_id)
        if stored is not None:
            return stored
        return self._ask(client, team_id=team_id, channel_id=channel_id)

    def _ask(self, client: WebClient, *, team_id: str, channel_id: str) -> ChannelFacts:
        """Slack's answer now, remembered here and stored for every process (not a refusal)."""
        asked_at = utcnow()
        facts = channel_facts(client, team_id=team_id, channel_id=channel_id)
        self.remember_channel(team_id=team_id, channel_id=channel_id, facts=facts)
        if facts.unseen is None and self.db is not None:
            try:
                with self.db.transaction() as session:
                    record_answer(
                        session,
                        team_id=team_id,
                        channel_id=channel_id,
                        shared_outside=facts.shared_outside,
                        private=facts.private,
                        asked_at=asked_at,
                    )
            except SQLAlchemyError as error:  # the answer stands; the next post asks again
                logger.warning("what Slack said of %s was not stored: %s", channel_id, error)
        return facts

    def refresh(self, client: WebClient, *, team_id: str, channel_ids: Collection[str]) -> None:
        """Before many posts (a team's digests): when at least `LIST_FROM` of `channel_ids`
        would each ask Slack (nothing fresh stored), what Slack says of every channel the bot
        can see is read in pages of conversations.list (at most `LIST_PAGES`, stopping once
        all of them are seen) and stored for those: one call per thousand channels instead of
        one per post. A channel not listed (a private one the bot is not in) is asked about
        by its post; Slack failing here is logged, and each post asks for itself."""
        if self.db is None or not self.max_age:
            return
        try:
            with self.db.reading() as session:
                fresh = fresh_channels(session, team_id=team_id, since=utcnow() - self.max_age)
        except SQLAlchemyError as error:  # only a saving missed: each post reads for itself
            logger.warning("stored facts of %s not read, channels not listed: %s", team_id, error)
            return
        wanted = {c for c in channel_ids if c[:1] in {"C", "G"}} - fresh
        if len(wanted) < LIST_FROM:
            return
        asked_at, cursor = utcnow(), None
        found: dict[str, tuple[bool, bool]] = {}
        try:
            for _ in range(LIST_PAGES):
                page = client.conversations_list(
                    types="public_channel,private_channel", limit=1000, cursor=cursor
                )
                for channel in answered(list[SlackChannel], page, "channels"):
                    if channel.id in wanted:
                        found[channel.id] = (
                            channel.shared_outside(team_id=team_id),
                            bool(channel.is_private),
                        )
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor or len(found) == len(wanted):
                    break
        except Exception as error:
            if (failure := classify(error)) is None:
                raise
            logger.warning("channels of %s not listed, each post asks: %s", team_id, failure.cause)
        try:
            with self.db.transaction() as session:
                record_answers(
                    session, team_id=team_id, answers=found, asked_at=asked_at, source=LISTED
                )
        except SQLAlchemyError as error:
            logger.warning("what Slack listed of %s was not stored: %s", team_id, error)
            return
        logger.debug("%d of %d channels described by conversations.list", len(found), len(wanted))

    def private_channels(
        self, client: WebClient, *, team_id: str, channel_ids: Collection[str]
    ) -> frozenset[str]:
        """Which of `channel_ids` are private, for a post everyone in a channel reads (the
        portfolio digest): what Slack said of each within `max_age` (one read for the team),
        else Slack asked now, once per channel (`conversations.info`, stored as a post's
        answer is). A channel the bot cannot see, and one Slack failed to describe, count as
        private: left out, never shown. Never call it inside a transaction."""
        wanted = set(channel_ids)
        known: dict[str, bool] = {}
        if self.db is not None and self.max_age:
            try:
                with self.db.reading() as session:
                    known = known_privacy(session, team_id=team_id, since=utcnow() - self.max_age)
            except SQLAlchemyError as error:  # each channel is asked instead
                logger.warning("stored privacy of %s not read, Slack is asked: %s", team_id, error)
        private = {c for c in wanted if known.get(c)}
        for channel_id in sorted(wanted - known.keys()):
            remembered = self.remembered(team_id=team_id, channel_id=channel_id)
            if remembered is not None and remembered.private:  # closed: no need to ask
                private.add(channel_id)
                continue
            try:
                facts = self._ask(client, team_id=team_id, channel_id=channel_id)
            except Exception as error:
                if (failure := classify(error)) is None:
                    raise
                logger.warning(
                    "privacy of %s unknown, counted as private: %s", channel_id, failure.cause
                )
                private.add(channel_id)
                continue
            if facts.private:
                private.add(channel_id)
        return frozenset(private)

    def believed(self, session: Session, *, team_id: str, channel_id: str) -> ChannelFacts | None:
        """The stored fact a post may believe, read in the caller's `session` (a digest reads it
        in the transaction that claims the post), or None: unknown, in doubt, too old, or
        nothing stored to believe (no database, no `max_age`)."""
        if self.db is None or not self.max_age or channel_id[:1] not in {"C", "G", "D"}:
            return None
        fact = believable_fact(
            session, team_id=team_id, channel_id=channel_id, since=utcnow() - self.max_age
        )
        if fact is None:
            return None
        shared_outside, private = fact
        # privacy an event did not say counts as private: closed, not open
        return ChannelFacts(private=private is not False, shared_outside=shared_outside)

    def _stored(self, *, team_id: str, channel_id: str) -> ChannelFacts | None:
        """The stored fact a post may believe, or None (unknown, in doubt, too old, or the
        store not answering: then Slack is asked)."""
        if self.db is None or not self.max_age:
            return None
        try:
            with self.db.reading() as session:
                return self.believed(session, team_id=team_id, channel_id=channel_id)
        except SQLAlchemyError as error:
            logger.warning("stored facts of %s not read, Slack is asked: %s", channel_id, error)
            return None

    def channel(self, client: WebClient, *, team_id: str, channel_id: str) -> ChannelFacts:
        """What Slack says of the channel, remembered for a while."""
        return self._remembered(
            ("channel", team_id, channel_id),
            lambda: channel_facts(client, team_id=team_id, channel_id=channel_id),
        )

    def is_private(self, client: WebClient, *, team_id: str, channel_id: str) -> bool:
        """True for a private channel, and for one the bot cannot see (closed, not open)."""
        return self.channel(client, team_id=team_id, channel_id=channel_id).private

    def remembered(self, *, team_id: str, channel_id: str) -> ChannelFacts | None:
        """What is known of the channel now, without asking Slack."""
        with self._lock:
            return self._cache.get(("channel", team_id, channel_id))

    def remember_channel(self, *, team_id: str, channel_id: str, facts: ChannelFacts) -> None:
        """Slack has just said this of the channel (asked for a post): readings use it from now."""
        with self._lock:
            self._cache[("channel", team_id, channel_id)] = facts

    def forget_channel(self, *, team_id: str, channel_id: str) -> None:
        """Slack said the channel changed (shared, unshared): ask again next time."""
        with self._lock:
            for key in (("channel", team_id, channel_id), ("members", team_id, channel_id)):
                self._cache.pop(key, None)

    def members(self, client: WebClient, *, team_id: str, channel_id: str) -> frozenset[str]:
        """The channel's members (none known when the bot cannot see it)."""
        return self._remembered(
            ("members", team_id, channel_id), lambda: _fetch_members(client, channel_id)
        )

    def is_admin(self, client: WebClient, *, team_id: str, user_id: str) -> bool:
        return self._remembered(("admin", team_id, user_id), lambda: _fetch_admin(client, user_id))

    def _remembered(self, key: tuple[str, ...], fetch: Callable[[], Fact]) -> Fact:
        """The fact under `key` (its kind first: each kind is one type), or else `fetch`'s."""
        with self._lock:
            if key in self._cache:
                known: Fact = self._cache[key]
                return known
        value = fetch()  # outside the lock: one slow answer must not hold up other teams
        with self._lock:
            self._cache[key] = value
        return value


def _refused(error: SlackApiError) -> str | None:
    """Slack's code when it refused the call; None (raise) when Slack failed."""
    failure = classify(error)
    return failure.code if failure is not None and failure.outcome is Outcome.REFUSED else None


def _fetch_members(client: WebClient, channel_id: str) -> frozenset[str]:
    members: set[str] = set()
    cursor = None
    try:
        for _ in range(MEMBER_PAGES):
            page = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            members.update(answered(list[str], page, "members"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as error:
        if (code := _refused(error)) is None:
            raise
        logger.debug("members of %s unknown: %s", channel_id, code)
        return frozenset()
    return frozenset(members)


def _fetch_admin(client: WebClient, user_id: str) -> bool:
    try:
        return user_facts(client, user_id=user_id).admin
    except SlackApiError as error:
        if _refused(error) is None:
            raise
        return False
