"""What a loader or an answer knows of the request it serves, beyond its typed value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from slack_bolt import Args
from slack_sdk import WebClient
from sqlmodel import Session

from commands.access import Access
from store.db import Database
from store.settings import DigestSettings


@dataclass(frozen=True)
class Request:
    """What a loader knows of the request beyond its typed value."""

    team_id: str
    user_id: str
    today: date
    access: Access
    db: Database
    client: WebClient | None
    """None at the bot's terminal (`accountbot demo`), which asks Slack nothing."""
    digest_defaults: DigestSettings
    response_url: str | None
    channel_id: str | None
    body: dict[str, Any]

    @classmethod
    def of(cls, args: Args) -> Request:
        context, body = args.context, args.body
        return cls(
            team_id=context["team_id"],
            user_id=context.user_id or "",
            today=context["today"],
            access=context["access"],
            db=context["db"],
            client=args.client,
            digest_defaults=context["digest_defaults"],
            response_url=body.get("response_url"),
            channel_id=context.channel_id,
            body=body,
        )


class Loader(Protocol):
    """Builds a form from the store (in a read-only session): the view, or a notice in its
    place. Every loader lives in `commands.loaders`."""

    def __call__(
        self, session: Session, value: Any, request: Request, /
    ) -> dict[str, Any] | str: ...
