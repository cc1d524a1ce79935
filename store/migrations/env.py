"""Alembic environment: runs migrations on the engine the bot hands over (or the URL)."""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel

import store.installations  # the Slack installation tables
import store.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def sqlite_rebuilds_allowed(connection: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off while migrations run, as SQLite's own procedure for changing
    a table asks: batch mode rebuilds a table by copying it and dropping the original, and with
    foreign keys on, that drop would fire ON DELETE CASCADE into every table referring to it
    (contact logs, history). The pragma only takes effect outside a transaction, so it is set on
    the driver's connection before Alembic begins one; `foreign_key_check` inside the
    transaction then proves nothing was left dangling before it commits."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None and not connection.in_transaction()
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if dangling:
            raise RuntimeError(f"the migration would leave rows pointing nowhere: {dangling[:5]}")


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url", "")  # `store.db.alembic_config` sets it
    )
    with engine.connect() as connection, sqlite_rebuilds_allowed(connection):
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            check_foreign_keys(connection)
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
