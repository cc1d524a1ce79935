"""The stakeholder map from Slack: saving a person added or edited, a sentiment, a departure (and
its alert) or a promotion. (Their forms are built in `commands.loaders`.)"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from commands.forms import parse_form
from commands.people_forms import DepartedForm, PromotedForm, SentimentForm, StakeholderForm
from commands.replies import assessed_accounts
from commands.submissions import CardWrite, Submission, card_form, submit_and_show_card
from commands.ui.delivery import DEFAULT_TIMEOUT, deliver, webhook
from commands.ui.directory import Directory
from commands.ui.slack_failures import Outcome
from commands.ui.text import fallback_text
from commands.ui.values import ModalMeta
from commands.ui.views.org import new_leader_proposal
from commands.ui.views.people import departure_alert
from store.accounts import get_account
from store.db import Database
from store.enums import Influence, OrgLevel, Role, StakeholderStatus
from store.errors import NotFound
from store.models import Stakeholder, saved_id
from store.stakeholders import (
    add_stakeholder,
    get_stakeholder,
    mark_departed,
    update_stakeholder,
)

logger = logging.getLogger("accountbot.people")

ALERT_ROLES = (Role.CHAMPION, Role.EXECUTIVE_SPONSOR)
GONE = "That stakeholder is no longer on the map."


def _save_stakeholder(
    session: Session,
    sub: Submission,
    view: dict[str, Any],
    today: date,
    added: list[Stakeholder] | None = None,
) -> int:
    """Add a person, or save an edit; duplicates, reporting loops and a department not the
    account's are refused inline. A person added goes in `added`."""
    form = parse_form(StakeholderForm, view, today=today)
    if sub.meta.stakeholder_id is not None:
        person = update_stakeholder(
            session,
            team_id=sub.team_id,
            stakeholder_id=sub.meta.stakeholder_id,
            by_user_id=sub.user_id,
            expected_version=sub.meta.version,
            **form.model_dump(exclude={"last_contacted_on"}),
        )
        return person.account_id
    account_id = sub.required(sub.meta.account_id, gone="That account no longer exists.")
    if get_account(session, team_id=sub.team_id, account_id=account_id) is None:
        raise NotFound("That account no longer exists.", field="name")
    person = add_stakeholder(
        session,
        team_id=sub.team_id,
        account_id=account_id,
        by_user_id=sub.user_id,
        **form.model_dump(),
    )
    if added is not None:
        added.append(person)
    return account_id


PersonChange = Callable[[Session, Submission, dict[str, Any], date, int], Stakeholder]


def _person_change(change: PersonChange) -> CardWrite:
    """A write that changes the person the modal is about and returns their account."""

    def write(session: Session, sub: Submission, view: dict[str, Any], today: date) -> int:
        stakeholder_id = sub.required(sub.meta.stakeholder_id, gone=GONE)
        return change(session, sub, view, today, stakeholder_id).account_id

    write.__name__ = change.__name__
    return write


def _one_field(form: type[SentimentForm | PromotedForm], field: str) -> CardWrite:
    """The write of a modal that changes one field of one person (sentiment, title)."""

    def change(
        session: Session, sub: Submission, view: dict[str, Any], today: date, stakeholder_id: int
    ) -> Stakeholder:
        return update_stakeholder(
            session,
            team_id=sub.team_id,
            stakeholder_id=stakeholder_id,
            by_user_id=sub.user_id,
            expected_version=sub.meta.version,
            **{field: getattr(parse_form(form, view, today=today), field)},
        )

    change.__name__ = f"change_{field}"
    return _person_change(change)


def save_stakeholder_form(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Save the person and redraw the card; a new executive of high influence is then proposed
    as a "new leader" business event, logged only if the user clicks (never on its own)."""
    added: list[Stakeholder] = []
    account_id = submit_and_show_card(
        ack,
        body=body,
        meta=value,
        db=db,
        today=today,
        write=lambda session, sub: _save_stakeholder(session, sub, view, today, added),
        access=access,
    )
    leaders = [p for p in added if p.level is OrgLevel.EXECUTIVE and p.influence is Influence.HIGH]
    if account_id is None or not leaders or not value.response_url:
        return
    with db.reading() as session:
        account = get_account(session, team_id=access.team_id, account_id=account_id)
    if account is None:
        return
    person = leaders[0]
    blocks = new_leader_proposal(
        account=account, name=person.name, stakeholder_id=saved_id(person.id)
    )
    timeout = access.client.timeout if access.client else DEFAULT_TIMEOUT
    webhook(value.response_url, timeout=timeout).send(
        text=fallback_text(blocks),
        blocks=blocks,
        response_type="ephemeral",
        replace_original=False,
    )


save_sentiment = card_form(_one_field(SentimentForm, "sentiment"), default_block="sentiment")
save_promotion = card_form(_one_field(PromotedForm, "title"), default_block="title")


def save_departure(
    value: ModalMeta,
    ack: Callable[..., None],
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    db: Database,
    today: date,
    access: Access,
) -> None:
    """Mark a person departed; a champion or executive sponsor leaving alerts the channel."""
    alert: dict[str, Any] = {}

    def change(
        session: Session, sub: Submission, view: dict[str, Any], today: date, stakeholder_id: int
    ) -> Stakeholder:
        form = parse_form(DepartedForm, view, today=today)
        before = get_stakeholder(session, team_id=sub.team_id, stakeholder_id=stakeholder_id)
        was_active = before is not None and before.status is StakeholderStatus.ACTIVE
        person = mark_departed(
            session,
            team_id=sub.team_id,
            stakeholder_id=stakeholder_id,
            by_user_id=sub.user_id,
            expected_version=sub.meta.version,
            on=form.departed_on,
            left_for_company=form.left_for_company,
            left_for_title=form.left_for_title,
        )
        alert.update(send=was_active and person.role in ALERT_ROLES, person=person)
        return person

    account_id = submit_and_show_card(
        ack,
        body=body,
        meta=value,
        db=db,
        today=today,
        write=lambda session, sub: _person_change(change)(session, sub, view, today),
        access=access,
        default_block="departed_on",
    )
    if account_id is not None and alert.get("send"):
        _post_departure_alert(
            client,
            db,
            access.directory,
            team_id=access.team_id,
            account_id=account_id,
            person=alert["person"],
            meta=value,
            today=today,
        )


def _post_departure_alert(
    client: WebClient,
    db: Database,
    directory: Directory,
    *,
    team_id: str,
    account_id: int,
    person: Any,
    meta: ModalMeta,
    today: date,
) -> None:
    with db.transaction() as session:
        account = get_account(session, team_id=team_id, account_id=account_id)
        [(snapshot, assessment)] = assessed_accounts(
            session, team_id=team_id, today=today, account_ids=[account_id]
        )
    if account is None:
        return
    champions = [
        p
        for p in snapshot.stakeholders
        if p.role is Role.CHAMPION and p.status is StakeholderStatus.ACTIVE
    ]
    blocks = departure_alert(
        account=account,
        person=person,
        threads_left=len(assessment.threads),
        other_champions=len(champions),
    )
    if not account.channel_id:
        problem = "The departure alert was not posted: the account has no linked channel."
    else:
        delivered = deliver(
            client,
            directory,
            team_id=team_id,
            channel=account.channel_id,
            text=fallback_text(blocks),
            blocks=blocks,
        )
        if delivered.sent:
            return
        problem = delivered.explain("the departure alert", channel=account.channel_id)
        level = logging.INFO if delivered.outcome is Outcome.SHARED_OUTSIDE else logging.WARNING
        logger.log(
            level,
            "departure alert of account %s not posted in %s: %s",
            account_id,
            account.channel_id,
            delivered.reason,
        )
    if meta.response_url:
        webhook(meta.response_url, timeout=client.timeout).send(
            text=f":warning: {problem}", response_type="ephemeral", replace_original=False
        )
