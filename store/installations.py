"""Workspace installations (OAuth): slack_sdk's SQLAlchemy store, with tokens encrypted at rest.

Every token is sealed with Fernet (AES-128-CBC and HMAC-SHA256) before it reaches the database
and opened only when a request or a scheduled job needs it. Keys come from the environment;
several keys (newest first) let an old key be retired: rows sealed with any of them open, new
rows are sealed with the first.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, MetaData, Table, Text, delete, select, update
from sqlmodel import SQLModel

logger = logging.getLogger("accountbot.installations")

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
"""Columns holding secrets; TEXT, since a sealed token is longer than the token."""
SEALED_PREFIX = "gAAAAA"


class TokenKeyError(ValueError):
    """A token encryption key that is not a Fernet key, or a sealed token no key opens."""


class TokenCipher:
    """Seals and opens tokens with the configured keys (the first one seals)."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise TokenKeyError("no token encryption key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError):
            raise TokenKeyError("not a Fernet key (32 url-safe base64-encoded bytes)") from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, token: str | None) -> str | None:
        return None if token is None else self._fernet.encrypt(token.encode()).decode()

    def open(self, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "a stored Slack token does not open with TOKEN_ENCRYPTION_KEY: "
                "was the key replaced without keeping the old one after it?"
            ) from None

    def reseal(self, sealed: str | None) -> str | None:
        """The same token sealed with the first key (for retiring an old key)."""
        return None if sealed is None else self._fernet.rotate(sealed.encode()).decode()


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's installation store whose token columns hold only sealed tokens."""

    def __init__(self, *, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logger)
        self.cipher = cipher

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widen_tokens(super().build_installations_table(metadata, table_name))

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widen_tokens(super().build_bots_table(metadata, table_name))

    def save(self, installation: Installation) -> None:
        super().save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._sealed(bot))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = super().find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else self._opened(found)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = super().find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else self._opened(found)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the bot's tokens in one transaction: its rows (as the parent deletes them),
        and the copy each installation row keeps. Once the bot is gone no copy is left, not
        for a moment, nor after a failure half-way."""
        b, i = self.bots.c, self.installations.c
        with self.engine.begin() as connection:
            connection.execute(
                delete(self.bots).where(  # as the parent matches rows: `== None` is IS NULL
                    b.client_id == self.client_id,
                    b.enterprise_id == enterprise_id,
                    b.team_id == team_id,
                )
            )
            connection.execute(
                update(self.installations)
                .where(
                    i.client_id == self.client_id,
                    i.enterprise_id == enterprise_id,
                    i.team_id == team_id,
                )
                .values(bot_token=None, bot_refresh_token=None)
            )

    def reseal_all(self) -> int:
        """Seal every stored token with the first key; returns how many rows were rewritten."""
        changed = 0
        with self.engine.begin() as connection:
            for table in (self.installations, self.bots):
                columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
                for row in connection.execute(select(table.c.id, *columns)).mappings():
                    values = {c.name: self.cipher.reseal(row[c.name]) for c in columns}
                    connection.execute(update(table).where(table.c.id == row["id"]), values)
                    changed += 1
        return changed

    # The parent's `save` hands the bot on to `save_bot`, and its `find_installation` mixes in
    # what `find_bot` found: sealing and opening therefore skip what is already done.
    def _sealed(self, entity: Any) -> Any:
        sealed = copy.copy(entity)
        for name in TOKEN_COLUMNS:
            value = getattr(sealed, name, None)
            if value is not None and not is_sealed(value):
                setattr(sealed, name, self.cipher.seal(value))
        return sealed

    def _opened(self, entity: Any) -> Any:
        for name in TOKEN_COLUMNS:
            value = getattr(entity, name, None)
            if value is not None and is_sealed(value):
                setattr(entity, name, self.cipher.open(value))
        return entity


def is_sealed(value: str) -> bool:
    """Fernet tokens start with their version byte, 0x80, which base64 spells `gAAAAA`."""
    return value.startswith(SEALED_PREFIX)


def _widen_tokens(table: Table) -> Table:
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = Text()
    return table


# The tables join the app's metadata, so Alembic migrates them like every other table.
EncryptedInstallationStore.build_installations_table(SQLModel.metadata, INSTALLATIONS_TABLE)
EncryptedInstallationStore.build_bots_table(SQLModel.metadata, BOTS_TABLE)
