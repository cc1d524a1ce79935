"""What Slack last said of each channel, shared by every process (`ChannelFact`).

Two kinds of news write it, each in one statement, safe when processes write at once:
- an answer of conversations.info (`record_answer`), dated when the question was sent: it
  replaces only older news, except that "shared with another organisation" is always believed,
  so a slow answer can never undo an event that came while it was on its way;
- an event (`record_event`): shared (believed at once), or changed in a way it does not say
  (unshared, archived): in doubt, so the next post asks Slack. A deleted channel is forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.models import ChannelFact

ANSWER = "conversations.info"
LISTED = "conversations.list"
FACTS_MAX_AGE = 3600
"""Seconds a stored fact is believed by posts, by default (CHANNEL_FACTS_MAX_AGE): the window in
which an event missed, or an invitation pending (which sends none), could matter."""


_FACTS: Table = ChannelFact.__table__  # type: ignore[attr-defined]  # SQLModel tables are Tables
_BELIEVABLE = select(_FACTS.c.shared_outside, _FACTS.c.private).where(
    _FACTS.c.team_id == bindparam("team_id"),
    _FACTS.c.channel_id == bindparam("channel_id"),
    _FACTS.c.said_at >= bindparam("since"),
    _FACTS.c.in_doubt.is_(False),
)
"""Built once: every post reads it (`believable_fact`)."""


def believable_fact(
    session: Session, *, team_id: str, channel_id: str, since: datetime
) -> tuple[bool, bool | None] | None:
    """What Slack said of the channel since `since`, unless an event put it in doubt: (shared
    with another organisation, private or None when the news did not say); None when nothing
    such is stored. One indexed read of two columns, cheap enough for every post."""
    row = (
        session.connection()
        .execute(_BELIEVABLE, {"team_id": team_id, "channel_id": channel_id, "since": since})
        .first()
    )
    return None if row is None else (bool(row[0]), row[1])


def record_answer(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    shared_outside: bool,
    private: bool,
    asked_at: datetime,
) -> None:
    """Keep conversations.info's answer, asked at `asked_at`, unless newer news is kept (an
    answer "shared" is kept whatever its age)."""
    record_answers(
        session, team_id=team_id, answers={channel_id: (shared_outside, private)}, asked_at=asked_at
    )


def record_answers(
    session: Session,
    *,
    team_id: str,
    answers: Mapping[str, tuple[bool, bool]],
    asked_at: datetime,
    source: str = ANSWER,
) -> None:
    """`record_answer` for many channels at once: channel id -> (shared outside, private)."""
    if not answers:
        return
    insert = _insert(session)(ChannelFact)
    news = insert.excluded
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={
                "shared_outside": news.shared_outside,
                "private": news.private,
                "in_doubt": False,
                "said_at": news.said_at,
                "source": news.source,
            },
            where=or_(col(ChannelFact.said_at) <= news.said_at, news.shared_outside),
        ),
        [
            {
                "team_id": team_id,
                "channel_id": channel_id,
                "shared_outside": shared,
                "private": private,
                "in_doubt": False,
                "said_at": asked_at,
                "source": source,
            }
            for channel_id, (shared, private) in answers.items()
        ],
    )


def fresh_channels(session: Session, *, team_id: str, since: datetime) -> set[str]:
    """The team's channels Slack said something of since `since`, and no event put in doubt."""
    return set(
        session.exec(
            select(ChannelFact.channel_id).where(
                ChannelFact.team_id == team_id,
                ChannelFact.said_at >= since,
                col(ChannelFact.in_doubt).is_(False),
            )
        )
    )


def known_privacy(session: Session, *, team_id: str, since: datetime) -> dict[str, bool]:
    """Whether each of the team's channels is private, as Slack said since `since` (no event put
    it in doubt, and the news said it: an event's does not): one read for the whole team."""
    rows = session.exec(
        select(ChannelFact.channel_id, ChannelFact.private).where(
            ChannelFact.team_id == team_id,
            ChannelFact.said_at >= since,
            col(ChannelFact.in_doubt).is_(False),
            col(ChannelFact.private).is_not(None),
        )
    )
    return {channel_id: bool(private) for channel_id, private in rows}


def record_event(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    shared_outside: bool | None,
    at: datetime,
    source: str,
) -> None:
    """An event's news of the channel: shared with another organisation (True), or changed in
    a way it does not say (None: in doubt until Slack is asked). Events carry no privacy."""
    doubt = shared_outside is None
    insert = _insert(session)(ChannelFact).values(
        team_id=team_id,
        channel_id=channel_id,
        shared_outside=bool(shared_outside),
        private=None,
        in_doubt=doubt,
        said_at=at,
        source=source,
    )
    news = insert.excluded
    changes: dict[str, Any] = {"in_doubt": doubt, "said_at": news.said_at, "source": source}
    if not doubt:
        changes |= {"shared_outside": True, "private": None}
    session.execute(
        insert.on_conflict_do_update(index_elements=["team_id", "channel_id"], set_=changes)
    )


def forget_channel_fact(session: Session, *, team_id: str, channel_id: str) -> None:
    """The channel is gone (deleted): nothing is known of it."""
    session.execute(
        delete(ChannelFact).where(
            col(ChannelFact.team_id) == team_id, col(ChannelFact.channel_id) == channel_id
        )
    )


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which can update the row it meets (ON CONFLICT DO UPDATE)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert
