"""Alembic environment of the archive database.

Works from the command line (``alembic -c alembic.ini upgrade head``, the URL from
``sqlalchemy.url`` or ``NEWSARCHIVER_DB``) and from :mod:`newsarchiver.store`, which
passes an open connection as ``config.attributes["connection"]``. The views are
created by hand in the migrations and left out of autogenerate; a migration that
alters a column the views read drops and recreates them (PostgreSQL requires it).
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any, Literal

from sqlalchemy import Connection

from alembic import context
from alembic.autogenerate.api import AutogenContext
from newsarchiver.store.engine import make_engine
from newsarchiver.store.schema import Base, UTCDateTime, include_object

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render project column types as plain SQLAlchemy types in new migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def database_url() -> str:
    url = os.environ.get("NEWSARCHIVER_DB") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url in alembic.ini or NEWSARCHIVER_DB")
    return url


def run_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        include_object=include_object,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
