"""Typed ORM mappings of the archive tables; the names are a public interface.

Tables: ``articles`` (one row per article, with scheduling state), ``article_urls``
(every URL an article was reached by), ``versions`` (one row per distinct content),
``fetches`` (every attempt), ``raw_pages`` (response bodies, zstd, by SHA-256),
``sources`` (discovery leases and last runs) and ``hosts`` (per-host request slots).
The views ``latest_versions`` and ``fetch_log`` are created by the migrations and are
not mapped here (see :data:`VIEW_NAMES`). ``docs/schema.md`` describes every column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Views created by the migrations; excluded from autogenerate comparisons.
VIEW_NAMES = frozenset({"latest_versions", "fetch_log"})

#: The condition of ``ix_articles_schedule``: an article that has a next check.
SCHEDULED = "next_check_at IS NOT NULL"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime.

    PostgreSQL: ``timestamptz``. SQLite: UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``,
    which sorts as text and is understood by SQLite's date functions. Naive values
    are taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ArticleRow(Base):
    """One article, identified by ``url`` (its canonical URL when it named one)."""

    __tablename__ = "articles"
    __table_args__ = (
        # Only scheduled articles: the due query and the status report read it alone.
        Index("ix_articles_schedule", "next_check_at", "source", "last_changed_at",
              "first_seen_at", sqlite_where=text(SCHEDULED), postgresql_where=text(SCHEDULED)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str | None] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when discovery first tracked the article; only tracked articles are scheduled.
    tracked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The re-check interval that set ``next_check_at``, in seconds (None: not yet checked).
    check_interval_s: Mapped[int | None] = mapped_column(Integer)


class SourceRow(Base):
    """Discovery state of one configured source: who runs it and when it last ran."""

    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Articles ever tracked for this source (retired = tracked - scheduled).
    tracked_articles: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class HostRow(Base):
    """Per-host politeness shared by every worker: the next free request slot."""

    __tablename__ = "hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_request_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleUrlRow(Base):
    """A URL that leads to an article: its identity URL, redirects, canonical, aliases."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RawPageRow(Base):
    """A response body stored once, compressed with zstd, addressed by its SHA-256."""

    __tablename__ = "raw_pages"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    encoding: Mapped[str | None] = mapped_column(String(64))
    body_zstd: Mapped[bytes] = mapped_column(LargeBinary)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VersionRow(Base):
    """One distinct content of an article, numbered from 1."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(128))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[str] = mapped_column(Text, default="[]")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(64))
    canonical_url: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    structured: Mapped[str] = mapped_column(Text, default="")
    words_added: Mapped[int] = mapped_column(Integer, default=0)
    words_removed: Mapped[int] = mapped_column(Integer, default=0)
    raw_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("raw_pages.sha256"), index=True)


OUTCOMES = ("new", "changed", "unchanged", "not_modified", "failed", "skipped")


class FetchRow(Base):
    """One fetch attempt of one URL, whatever came of it."""

    __tablename__ = "fetches"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({', '.join(repr(o) for o in OUTCOMES)})",
                        name="outcome"),
        Index(None, "article_id", "fetched_at"),
        # Covers the status report's count of recent fetches and failures per source.
        Index(None, "fetched_at", "source", "outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(Text, index=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error_class: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="[]")
    source: Mapped[str | None] = mapped_column(String(200))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Alembic autogenerate filter: the views are managed by hand in the migrations."""
    return not (type_ == "table" and name in VIEW_NAMES)
