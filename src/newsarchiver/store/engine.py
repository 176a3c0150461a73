"""Engines for SQLite and PostgreSQL, database errors as StoreError, and migrations.

SQLite is set up for one writer at a time without "database is locked": WAL, a
30 s busy timeout, foreign keys on, and write transactions that take the write lock
up front (``BEGIN IMMEDIATE``, emitted by SQLAlchemy instead of pysqlite). Use
:func:`writer` for an engine whose transactions write.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from alembic import command
from newsarchiver.errors import SchemaError, StoreError

BUSY_TIMEOUT_S = 30
#: Key of the PostgreSQL advisory lock held while checking and migrating the schema.
MIGRATION_LOCK_KEY = 0x6E657773  # "news"
_WRITE_OPTION = "newsarchiver_write"


def database_url(url: str) -> URL:
    """Parse a SQLAlchemy URL; ``postgresql://`` without a driver means psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r} (expected e.g. sqlite:///archive.db "
                         "or postgresql+psycopg://user@host/db)") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: "
                         "use sqlite:/// or postgresql+psycopg://")
    return parsed


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the project's connection settings."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, pool_pre_ping=True,
                         connect_args={"connect_timeout": 10, "options": "-c timezone=UTC"})


def writer(engine: Engine) -> Engine:
    """The same engine, with transactions that write (``BEGIN IMMEDIATE`` on SQLite)."""
    return engine.execution_options(**{_WRITE_OPTION: True})


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()
        if mode and mode[0] not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def describe_error(exc: SQLAlchemyError, url: URL) -> str:
    """A one-line message for a database error, without the SQL or a traceback."""
    where = display_url(url)
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    detail = str(orig if orig is not None else exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    if "database is locked" in first or "database table is locked" in first:
        return f"{where}: the database stayed busy for over {BUSY_TIMEOUT_S} s"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"{where}: lost the database connection: {first}"
    return f"{where}: {first}"


@contextmanager
def store_errors(url: URL) -> Iterator[None]:
    """Turn SQLAlchemy errors into StoreError (project errors pass through)."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(describe_error(exc, url)) from exc


def migrations_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the installed migrations."""
    location = importlib.resources.files("newsarchiver.store") / "migrations"
    config = Config()
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(migrations_config()).get_current_head()


def revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _lock_for_migration(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": MIGRATION_LOCK_KEY})


def _is_empty(connection: Connection) -> bool:
    """No tables, or only Alembic's own (a database downgraded to base)."""
    return not set(inspect(connection).get_table_names()) - {"alembic_version"}


def upgrade_connection(connection: Connection) -> None:
    """Apply every pending migration in the connection's transaction."""
    command.upgrade(migrations_config(connection), "head")


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A write transaction for migrations, holding the migration lock.

    On SQLite, foreign keys are off meanwhile (batch migrations copy and drop
    tables; a cascading delete must not fire) and checked before commit.
    """
    with writer(engine).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        dbapi_connection: Any = conn.connection.dbapi_connection
        if sqlite:
            dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            with conn.begin():
                _lock_for_migration(conn)
                yield conn
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise SchemaError("the migration left rows with broken foreign keys")
        finally:
            if sqlite:
                dbapi_connection.execute("PRAGMA foreign_keys = ON")


def ensure_schema(engine: Engine) -> None:
    """Check the schema at open; create or upgrade it where that is safe.

    A new database (SQLite or PostgreSQL) is migrated to head; an SQLite database
    behind head is upgraded; a PostgreSQL one behind head is refused.
    """
    url = engine.url
    head = head_revision()
    with engine.connect() as conn:
        if revision_of(conn) == head:
            return
    with migrating(engine) as conn:
        current = revision_of(conn)
        if current == head:
            return
        if current is None and not _is_empty(conn):
            raise SchemaError(f"{display_url(url)} holds tables but no newsarchiver schema "
                              "version: not an archive database")
        if current is not None and current not in _known_revisions():
            raise SchemaError(f"{display_url(url)} is at schema revision {current}, which "
                              "this version of newsarchiver does not know (is it newer?)")
        if current is not None and conn.dialect.name != "sqlite":
            raise SchemaError(f"{display_url(url)} is at schema revision {current}, behind "
                              f"{head}: run `newsarchiver db upgrade` first")
        try:
            upgrade_connection(conn)
        except SQLAlchemyError as exc:
            raise SchemaError(f"migrating {display_url(url)} failed: "
                              f"{describe_error(exc, url)}") from exc


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(migrations_config())
    return {rev.revision for rev in script.walk_revisions()}


def upgrade(url: str) -> None:
    """Apply the Alembic migrations to head (``newsarchiver db upgrade``)."""
    parsed = database_url(url)
    engine = make_engine(url)
    try:
        with store_errors(parsed), migrating(engine) as conn:
            upgrade_connection(conn)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The schema revision the database is at; None for a database never migrated."""
    parsed = database_url(url)
    engine = make_engine(url)
    try:
        with store_errors(parsed), engine.connect() as conn:
            return revision_of(conn)
    finally:
        engine.dispose()
