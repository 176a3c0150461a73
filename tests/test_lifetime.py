"""An article's whole lifetime through the real path, on a simulated clock.

Passes run against a real archive and a loopback server; the injected clock jumps
from one due time to the next for 60 days. The counts are those of the policy
(see tests/test_schedule.py for the arithmetic): 90 checks for an unchanged
article, then retirement; an edit on day 5 puts it back in the 15-minute tier.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

from newsarchiver.diff import word_delta
from newsarchiver.models import DiscoveredLink, FetchSettings, Outcome, Settings, Source
from newsarchiver.pipeline import PassOptions, open_fetcher, run_pass_async
from newsarchiver.store import Archive
from tests.localserver import LocalServer

T0 = datetime(2021, 8, 8, 12, 0, tzinfo=UTC)
PAGE = """<!DOCTYPE html><html><head><title>Story</title></head><body><article>
<h1>Story</h1><p>{first}</p>
<p>A second paragraph, long enough for the extractor to take it as the article body.</p>
<p>A third paragraph closes the story with a quote from an official on the record.</p>
</article></body></html>"""
FIRST = "The first paragraph says what happened on Sunday in the provincial capital."
EDITED = "The first paragraph now says what happened on Sunday and on Monday morning."


def next_due(path: str) -> datetime | None:
    with sqlite3.connect(path) as db:
        (value,) = db.execute("SELECT min(next_check_at) FROM articles").fetchone()
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def lifetime(server: LocalServer, db_path: str, edit_at: timedelta | None) -> list[Outcome]:
    """Every check's outcome over 60 simulated days."""
    server.page("/story", PAGE.format(first=FIRST))
    url = server.url("/story")
    settings = Settings(
        fetch=FetchSettings(per_host_delay=0, max_retries=0, allow_private_networks=True),
        sources=(Source(name="wire"),),
    )
    options = PassOptions(worker="sim", discover=False)
    outcomes: list[Outcome] = []
    now = T0

    def clock() -> datetime:  # the injected clock: it reads the simulated time
        return now

    async def go(archive: Archive) -> None:
        nonlocal now
        async with open_fetcher(settings, archive, clock) as fetcher:
            due: datetime | None = T0
            while due is not None and due <= T0 + timedelta(days=60):
                now = due
                if edit_at is not None and now >= T0 + edit_at:
                    server.page("/story", PAGE.format(first=EDITED))
                report = await run_pass_async(settings, archive, clock, options,
                                              fetcher=fetcher)
                outcomes.extend(r.outcome for r in report.results)
                due = next_due(db_path)

    with Archive.open(f"sqlite:///{db_path}", word_delta=word_delta) as archive:
        archive.track([DiscoveredLink(url)], source="wire", now=T0)
        asyncio.run(go(archive))
    return outcomes


def test_unchanged_article_is_checked_90_times_then_retired(server: LocalServer,
                                                            tmp_path: object) -> None:
    outcomes = lifetime(server, f"{tmp_path}/a.db", edit_at=None)
    assert len(outcomes) == 90
    assert outcomes[0] is Outcome.NEW
    assert set(outcomes[1:]) == {Outcome.UNCHANGED}
    assert len(server.hits_for("/story")) == 90  # no fetch outside the schedule


def test_an_edit_on_day_5_resets_the_fast_tier(server: LocalServer, tmp_path: object) -> None:
    outcomes = lifetime(server, f"{tmp_path}/b.db", edit_at=timedelta(days=5, hours=1))
    assert outcomes.count(Outcome.CHANGED) == 1
    # 66 checks before the edit is seen (the last at day 5, in the 3-hour tier), then
    # the check at 5 d 3 h sees it and starts a fresh lifetime of 90: 66 + 90.
    assert outcomes.index(Outcome.CHANGED) == 66
    assert len(outcomes) == 66 + 90
