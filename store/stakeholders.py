"""Stakeholders and contact logs; every change to a person leaves a StakeholderChange row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session

from store.enums import ContactChannel, Influence, Role, Sentiment, StakeholderStatus
from store.errors import NotFound
from store.models import ContactLog, Stakeholder, StakeholderChange
from store.types import utcnow

CREATED = "created"


def add_stakeholder(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    name: str,
    role: Role,
    by_user_id: str | None,
    title: str | None = None,
    influence: Influence = Influence.MEDIUM,
    sentiment: Sentiment = Sentiment.NEUTRAL,
    reports_to_id: int | None = None,
    relationship_owner_user_id: str | None = None,
    last_contacted_on: date | None = None,
    email: str | None = None,
    notes: str | None = None,
) -> Stakeholder:
    """Put a person on the map and record that they were added."""
    person = Stakeholder(
        team_id=team_id,
        account_id=account_id,
        name=" ".join(name.split()),
        title=title,
        role=role,
        influence=influence,
        sentiment=sentiment,
        reports_to_id=reports_to_id,
        relationship_owner_user_id=relationship_owner_user_id,
        last_contacted_on=last_contacted_on,
        email=email,
        notes=notes,
    )
    session.add(person)
    session.flush()
    session.add(
        StakeholderChange(
            team_id=team_id,
            account_id=account_id,
            stakeholder_id=person.id,  # type: ignore[arg-type]
            field=CREATED,
            new_value=person.name,
            changed_by_user_id=by_user_id,
        )
    )
    return person


def mark_departed(
    session: Session, *, team_id: str, stakeholder_id: int, on: date, by_user_id: str | None
) -> Stakeholder:
    """Mark a person departed; they stay on the map, and the change is remembered."""
    person = session.execute(
        select(Stakeholder).where(Stakeholder.team_id == team_id, Stakeholder.id == stakeholder_id)
    ).scalar_one_or_none()
    if person is None:
        raise NotFound("That stakeholder no longer exists.")
    if person.status is not StakeholderStatus.DEPARTED:
        session.add(
            StakeholderChange(
                team_id=team_id,
                account_id=person.account_id,
                stakeholder_id=stakeholder_id,
                field="status",
                old_value=person.status.value,
                new_value=StakeholderStatus.DEPARTED.value,
                changed_by_user_id=by_user_id,
            )
        )
        person.status = StakeholderStatus.DEPARTED
        person.departed_on = on
        person.updated_at = utcnow()
    return person


def log_contact(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    stakeholder_ids: Sequence[int],
    contacted_on: date,
    channel: ContactChannel,
    summary: str,
    by_user_id: str | None,
    message_link: str | None = None,
) -> list[ContactLog]:
    """Log one touchpoint with one or more people of an account and move their last contact."""
    found = set(
        session.execute(
            select(Stakeholder.id).where(
                Stakeholder.team_id == team_id,
                Stakeholder.account_id == account_id,
                Stakeholder.id.in_(stakeholder_ids),  # type: ignore[union-attr]
            )
        ).scalars()
    )
    if missing := set(stakeholder_ids) - found:
        raise NotFound(f"{len(missing)} of those stakeholders are not on this account.")
    logs = [
        ContactLog(
            team_id=team_id,
            account_id=account_id,
            stakeholder_id=stakeholder_id,
            contacted_on=contacted_on,
            channel=channel,
            summary=summary,
            message_link=message_link,
            logged_by_user_id=by_user_id,
        )
        for stakeholder_id in stakeholder_ids
    ]
    session.add_all(logs)
    session.execute(
        update(Stakeholder)
        .where(
            Stakeholder.id.in_(stakeholder_ids),  # type: ignore[union-attr]
            (Stakeholder.last_contacted_on.is_(None))  # type: ignore[union-attr]
            | (Stakeholder.last_contacted_on < contacted_on),  # type: ignore[operator]
        )
        .values(last_contacted_on=contacted_on, updated_at=utcnow())
    )
    return logs
