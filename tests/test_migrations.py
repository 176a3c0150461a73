"""The migrations match the ORM mappings and go down and up again, on both backends."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from alembic import command
from newsarchiver.store import current_revision, upgrade
from newsarchiver.store.engine import head_revision, make_engine, migrating, migrations_config
from newsarchiver.store.schema import VIEW_NAMES, Base, include_object

TABLES = {"articles", "article_urls", "versions", "fetches", "raw_pages"}


def differences(db_url: str) -> list[Any]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_object": include_object, "compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def names(db_url: str) -> tuple[set[str], set[str]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return set(inspector.get_table_names()), set(inspector.get_view_names())
    finally:
        engine.dispose()


def test_head_matches_the_mappings(db_url: str) -> None:
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    tables, views = names(db_url)
    assert tables >= TABLES and views == set(VIEW_NAMES)
    assert differences(db_url) == []


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with migrating(engine) as conn:
            command.downgrade(migrations_config(conn), "base")
    finally:
        engine.dispose()
    assert current_revision(db_url) is None
    tables, views = names(db_url)
    assert not tables & TABLES and not views
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()
    assert differences(db_url) == []
