"""Opening the archive: schema creation and checks, connection errors, SQLite locking."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from newsarchiver.errors import SchemaError, StoreError
from newsarchiver.store import Archive, current_revision, engine, upgrade
from newsarchiver.store.engine import database_url, head_revision, make_engine, migrating
from tests.test_store import fetch_for, snapshot


def test_open_creates_schema(db_url: str) -> None:
    assert current_revision(db_url) is None
    with Archive.open(db_url):
        pass
    assert current_revision(db_url) == head_revision() is not None
    with Archive.open(db_url):  # a second open finds it up to date
        pass


def test_upgrade_command_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()


def test_postgresql_url_without_driver_uses_psycopg() -> None:
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "/tmp/archive.db"])
def test_bad_urls_raise_store_error(url: str) -> None:
    with pytest.raises(StoreError):
        Archive.open(url)


def test_unreachable_postgresql_is_a_store_error() -> None:
    with pytest.raises(StoreError) as err:
        Archive.open("postgresql://nobody:secret@127.0.0.1:1/none")
    message = str(err.value)
    assert "127.0.0.1:1" in message and "secret" not in message
    assert "Traceback" not in message and "\n" not in message


def test_sqlite_in_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        Archive.open(f"sqlite:///{tmp_path}/no/such/dir/archive.db")


def test_foreign_database_is_refused(db_url: str) -> None:
    plain = create_engine(database_url(db_url))
    with plain.begin() as conn:
        conn.execute(text("CREATE TABLE something_else (id INTEGER PRIMARY KEY)"))
    plain.dispose()
    with pytest.raises(SchemaError, match="not an archive database"):
        Archive.open(db_url)


def test_unknown_revision_is_refused(db_url: str) -> None:
    upgrade(db_url)
    plain = create_engine(database_url(db_url))
    with plain.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    plain.dispose()
    with pytest.raises(SchemaError, match="does not know"):
        Archive.open(db_url)


def test_behind_head(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer release: PostgreSQL waits for `db upgrade`, SQLite upgrades itself."""
    upgrade(db_url)
    known = engine._known_revisions()
    monkeypatch.setattr(engine, "head_revision", lambda: "9999")
    monkeypatch.setattr(engine, "_known_revisions", lambda: {*known, "9999"})
    if db_url.startswith("sqlite"):
        with Archive.open(db_url):
            pass
    else:
        with pytest.raises(SchemaError, match="newsarchiver db upgrade"):
            Archive.open(db_url)


def test_sqlite_at_base_is_upgraded(sqlite_url: str) -> None:
    from alembic import command
    from newsarchiver.store.engine import migrations_config

    upgrade(sqlite_url)
    eng = make_engine(sqlite_url)
    with migrating(eng) as conn:
        command.downgrade(migrations_config(conn), "base")
    eng.dispose()
    with Archive.open(sqlite_url) as arc:
        snap = snapshot("text")
        assert arc.save(snap, fetch_for(snap)).version == 1


def test_sqlite_pragmas(sqlite_url: str) -> None:
    with Archive.open(sqlite_url) as arc, arc._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_sqlite_writer_waits_for_the_lock(sqlite_url: str) -> None:
    """Another process holding the write lock makes a save wait, not fail."""
    with Archive.open(sqlite_url) as arc:
        path = sqlite_url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO raw_pages (sha256, size, body_zstd, first_seen_at) "
                       "VALUES ('x', 0, x'', '2024-01-01 00:00:00.000000')")
        release = threading.Timer(1.0, holder.execute, args=("ROLLBACK",))
        release.start()
        started = time.monotonic()
        try:
            snap = snapshot("waited")
            assert arc.save(snap, fetch_for(snap)).version == 1
        finally:
            release.join()
            holder.close()
        assert time.monotonic() - started >= 0.9
