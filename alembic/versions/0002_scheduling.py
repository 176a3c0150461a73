"""Scheduling state: tracked articles with their interval, source leases, host slots.

``ix_articles_schedule`` replaces ``ix_articles_next_check_at``: it holds only the
scheduled articles (not the retired or untracked ones) and covers what the status
report reads, so the due query and the report cost what the schedule holds, not
what the archive holds. ``ix_fetches_fetched_at_source_outcome`` likewise replaces
``ix_fetches_fetched_at`` and covers the report's count of recent fetches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


SCHEDULED = "next_check_at IS NOT NULL"
SCHEDULE_COLUMNS = ["next_check_at", "source", "last_changed_at", "first_seen_at"]


def upgrade() -> None:
    op.add_column("articles", sa.Column("tracked_at", timestamp(), nullable=True))
    op.add_column("articles", sa.Column("check_interval_s", sa.Integer(), nullable=True))
    op.drop_index("ix_articles_next_check_at", table_name="articles")
    op.create_index("ix_articles_schedule", "articles", SCHEDULE_COLUMNS,
                    sqlite_where=sa.text(SCHEDULED), postgresql_where=sa.text(SCHEDULED))
    op.drop_index("ix_fetches_fetched_at", table_name="fetches")
    op.create_index(op.f("ix_fetches_fetched_at_source_outcome"), "fetches",
                    ["fetched_at", "source", "outcome"])
    op.create_table(
        "sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", timestamp(), nullable=True),
        sa.Column("last_run_at", timestamp(), nullable=True),
        sa.Column("tracked_articles", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sources")),
    )
    op.create_table(
        "hosts",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("next_request_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_hosts")),
    )


def downgrade() -> None:
    op.drop_table("hosts")
    op.drop_table("sources")
    op.drop_index("ix_fetches_fetched_at_source_outcome", table_name="fetches")
    op.create_index("ix_fetches_fetched_at", "fetches", ["fetched_at"])
    op.drop_index("ix_articles_schedule", table_name="articles")
    op.create_index("ix_articles_next_check_at", "articles", ["next_check_at"])
    op.drop_column("articles", "check_interval_s")
    op.drop_column("articles", "tracked_at")
