"""What the bot remembers of Slack users: their time zone and whether they are admins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from store.models import SlackUser
from store.types import utcnow

UserKey = tuple[str, str]
"""(team id, user id)"""


def known_zones(
    session: Session, *, users: Iterable[UserKey], fetched_after: datetime
) -> dict[UserKey, str]:
    """Time zones fetched recently enough, for the given users, in one query."""
    wanted = list(set(users))
    if not wanted:
        return {}
    rows = session.exec(
        select(SlackUser.team_id, SlackUser.user_id, SlackUser.tz).where(
            tuple_(col(SlackUser.team_id), col(SlackUser.user_id)).in_(wanted),
            SlackUser.fetched_at >= fetched_after,
        )
    )
    return {(team, user): tz for team, user, tz in rows}


def remember_user(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    tz: str,
    is_admin: bool,
    at: datetime | None = None,
) -> None:
    """Insert or refresh a user in one statement, safe when two processes learn them at once."""
    values = {
        "team_id": team_id,
        "user_id": user_id,
        "tz": tz,
        "is_admin": is_admin,
        "fetched_at": at or utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(SlackUser).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["team_id", "user_id"],
            set_={"tz": tz, "is_admin": is_admin, "fetched_at": values["fetched_at"]},
        )
    )
