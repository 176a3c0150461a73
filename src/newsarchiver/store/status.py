"""The per-source status report, aggregated in SQL (one GROUP BY per table).

Scheduled articles are counted per re-check tier by the age of their last change
(``last_changed_at``, else ``first_seen_at``): tier *i* holds the articles younger
than its upper age, and those past the last age are ``>=<age>``. The scan reads
only ``ix_articles_schedule`` (scheduled articles, covering the columns needed), so
its cost follows the schedule, not the archive. Retired articles are never read:
they are the source's ``tracked_articles`` less its scheduled ones. Articles and
fetches with no source are left out: the report is per source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, literal, select, text, type_coerce
from sqlalchemy.orm import Session

from newsarchiver.models import Outcome, SourceStatus, TierCount
from newsarchiver.store.schema import SCHEDULED, ArticleRow, FetchRow, SourceRow, UTCDateTime

RETIRED = "retired"


@dataclass(slots=True)
class _Totals:
    last_run_at: datetime | None = None
    tracked: int = 0
    tiers: dict[int, int] = field(default_factory=dict)
    due_now: int = 0
    oldest_due_at: datetime | None = None
    fetches: int = 0
    failures: int = 0

    @property
    def retired(self) -> int:
        return max(0, self.tracked - sum(self.tiers.values()))


def _tier_labels(tier_ages: Sequence[tuple[str, timedelta]]) -> list[str]:
    """Labels by tier index: the given tiers, then past the last one, then retired."""
    labels = [name for name, _ in tier_ages]
    past = f">={tier_ages[-1][0].removeprefix('<')}" if tier_ages else "scheduled"
    return [*labels, past, RETIRED]


def _tier_case(now: datetime, tier_ages: Sequence[tuple[str, timedelta]]
               ) -> ColumnElement[Any]:
    """The tier index of a scheduled article; ``len(tier_ages)`` past the last tier."""
    changed = func.coalesce(ArticleRow.last_changed_at, ArticleRow.first_seen_at)
    whens = [(changed > now - age, i) for i, (_, age) in enumerate(tier_ages)]
    return case(*whens, else_=len(tier_ages)) if whens else literal(0)


def scheduled_query(now: datetime, tier_ages: Sequence[tuple[str, timedelta]]) -> Any:
    """Scheduled articles per source and tier: how many, how many due, the oldest due."""
    a = ArticleRow
    tier = _tier_case(now, tier_ages).label("tier")
    is_due = a.next_check_at <= now
    return (select(a.source, tier, func.count().label("articles"),
                   func.sum(case((is_due, 1), else_=0)).label("due"),
                   type_coerce(func.min(case((is_due, a.next_check_at))),
                               UTCDateTime).label("oldest"))
            .where(text(SCHEDULED), a.source.is_not(None))
            .group_by(a.source, tier))


def source_status(session: Session, *, now: datetime,
                  tier_ages: Sequence[tuple[str, timedelta]],
                  window: timedelta) -> tuple[SourceStatus, ...]:
    """Per source: last run, tracked articles per tier, due now, recent failures."""
    f, s = FetchRow, SourceRow
    totals: defaultdict[str, _Totals] = defaultdict(_Totals)
    for name, last_run_at, tracked in session.execute(
            select(s.name, s.last_run_at, s.tracked_articles)):
        totals[name].last_run_at = last_run_at
        totals[name].tracked = tracked

    for row in session.execute(scheduled_query(now, tier_ages)):
        t = totals[row.source]
        t.tiers[row.tier] = row.articles
        t.due_now += int(row.due or 0)
        if row.oldest is not None and (t.oldest_due_at is None or row.oldest < t.oldest_due_at):
            t.oldest_due_at = row.oldest

    failed = func.sum(case((f.outcome == Outcome.FAILED.value, 1), else_=0))
    fetches = (select(f.source, func.count().label("fetches"),
                      type_coerce(failed, Integer).label("failures"))
               .where(f.fetched_at >= now - window, f.source.is_not(None))
               .group_by(f.source))
    for row in session.execute(fetches):
        t = totals[row.source]
        t.fetches, t.failures = row.fetches, int(row.failures or 0)

    labels = _tier_labels(tier_ages)
    past = len(tier_ages)
    return tuple(
        SourceStatus(
            name=name, last_run_at=t.last_run_at,
            tiers=tuple(TierCount(label, count) for label, count in zip(
                labels, [*(t.tiers.get(i, 0) for i in range(past + 1)), t.retired], strict=True)
                        if count or (t.tracked and label != labels[past])),
            due_now=t.due_now, oldest_due_at=t.oldest_due_at,
            recent_fetches=t.fetches, recent_failures=t.failures,
        )
        for name, t in sorted(totals.items()))
