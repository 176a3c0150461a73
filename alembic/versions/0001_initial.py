"""The archive: articles, their URLs, versions, fetches and raw pages, with two views.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATEST_VERSIONS = """
CREATE VIEW latest_versions AS
SELECT a.id AS article_id, a.url AS url, a.source AS source,
       v.id AS version_id, v.number AS number, v.content_hash AS content_hash,
       v.first_seen_at AS first_seen_at, v.last_seen_at AS last_seen_at,
       v.times_seen AS times_seen, v.title AS title, v.authors AS authors,
       v.published_at AS published_at, v.modified_at AS modified_at,
       v.language AS language, v.canonical_url AS canonical_url,
       v.site_name AS site_name, v.description AS description, v.body AS body,
       v.structured AS structured, v.words_added AS words_added,
       v.words_removed AS words_removed, v.raw_sha256 AS raw_sha256
FROM articles a
JOIN versions v ON v.article_id = a.id
WHERE v.number = (SELECT MAX(v2.number) FROM versions v2 WHERE v2.article_id = a.id)
"""

FETCH_LOG = """
CREATE VIEW fetch_log AS
SELECT f.id AS id, f.fetched_at AS fetched_at, f.outcome AS outcome, f.status AS status,
       f.url AS url, f.final_url AS final_url, a.url AS article_url,
       f.article_id AS article_id, f.version AS version, f.etag AS etag,
       f.last_modified AS last_modified, f.raw_sha256 AS raw_sha256,
       f.duration_ms AS duration_ms, f.error_class AS error_class,
       f.error_message AS error_message, f.notes AS notes, f.source AS source
FROM fetches f
LEFT JOIN articles a ON a.id = f.article_id
"""


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("first_seen_at", timestamp(), nullable=False),
        sa.Column("last_checked_at", timestamp(), nullable=True),
        sa.Column("last_changed_at", timestamp(), nullable=True),
        sa.Column("next_check_at", timestamp(), nullable=True),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_articles_url")),
    )
    op.create_index(op.f("ix_articles_next_check_at"), "articles", ["next_check_at"])

    op.create_table(
        "raw_pages",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("encoding", sa.String(length=64), nullable=True),
        sa.Column("body_zstd", sa.LargeBinary(), nullable=False),
        sa.Column("first_seen_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_raw_pages")),
    )

    op.create_table(
        "article_urls",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_article_urls_article_id_articles")),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_article_urls")),
    )
    op.create_index(op.f("ix_article_urls_article_id"), "article_urls", ["article_id"])

    op.create_table(
        "fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fetched_at", timestamp(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("raw_sha256", sa.String(length=64), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error_class", sa.String(length=200), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('new', 'changed', 'unchanged', 'not_modified', 'failed', 'skipped')",
            name=op.f("ck_fetches_outcome")),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="SET NULL",
                                name=op.f("fk_fetches_article_id_articles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetches")),
    )
    op.create_index(op.f("ix_fetches_article_id_fetched_at"), "fetches",
                    ["article_id", "fetched_at"])
    op.create_index(op.f("ix_fetches_fetched_at"), "fetches", ["fetched_at"])
    op.create_index(op.f("ix_fetches_url"), "fetches", ["url"])

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=128), nullable=False),
        sa.Column("first_seen_at", timestamp(), nullable=False),
        sa.Column("last_seen_at", timestamp(), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("published_at", timestamp(), nullable=True),
        sa.Column("modified_at", timestamp(), nullable=True),
        sa.Column("language", sa.String(length=64), nullable=True),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("site_name", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("structured", sa.Text(), nullable=False),
        sa.Column("words_added", sa.Integer(), nullable=False),
        sa.Column("words_removed", sa.Integer(), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_versions_article_id_articles")),
        sa.ForeignKeyConstraint(["raw_sha256"], ["raw_pages.sha256"],
                                name=op.f("fk_versions_raw_sha256_raw_pages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("article_id", "number", name=op.f("uq_versions_article_id_number")),
    )
    op.create_index(op.f("ix_versions_raw_sha256"), "versions", ["raw_sha256"])

    op.execute(LATEST_VERSIONS)
    op.execute(FETCH_LOG)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS fetch_log")
    op.execute("DROP VIEW IF EXISTS latest_versions")
    op.drop_table("versions")
    op.drop_table("fetches")
    op.drop_table("article_urls")
    op.drop_table("raw_pages")
    op.drop_table("articles")
