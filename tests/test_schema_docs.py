"""Every ```sql block of docs/schema.md runs on a populated archive, on both backends."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard
from sqlalchemy import text

from newsarchiver.models import DiscoveredLink, Fetch, Outcome
from newsarchiver.store import Archive
from newsarchiver.store.engine import make_engine
from tests.test_store import fetch_for, snapshot

SCHEMA_DOC = Path(__file__).parent.parent / "docs" / "schema.md"
STORY = "https://news.example/2024/story"
OTHER = "https://news.example/2024/other"
TRACKED = "https://news.example/2024/tracked"


def sql_blocks() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", SCHEMA_DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/schema.md has no sql examples"
    return blocks


def title(block: str) -> str:
    first = block.strip().splitlines()[0]
    return first.removeprefix("--").strip() if first.startswith("--") else first


@pytest.fixture
def populated(db_url: str) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC).replace(microsecond=0)
    with Archive.open(db_url) as arc:
        v1 = snapshot("first words", url=STORY, at=now - timedelta(days=2))
        arc.save(v1, fetch_for(v1), aliases=["https://news.example/amp/story"])
        # The second version is of today (UTC) even in the first minutes of a day, for
        # the "changed today" example.
        midnight = now.replace(hour=0, minute=0, second=0)
        v2 = snapshot("first and second words", url=STORY,
                      at=max(now - timedelta(minutes=5), midnight))
        arc.save(v2, fetch_for(v2))
        other = snapshot("another article", url=OTHER, at=now - timedelta(minutes=3))
        arc.save(other, fetch_for(other))
        arc.log_fetch(Fetch(url=OTHER, fetched_at=now - timedelta(minutes=2),
                            outcome=Outcome.NOT_MODIFIED, status=304))
        arc.log_fetch(Fetch(url="https://news.example/gone", fetched_at=now - timedelta(minutes=1),
                            outcome=Outcome.FAILED, status=404, error_class="HTTPStatusError",
                            error_message="404 Not Found"))
        arc.log_fetch(replace(fetch_for(v1), fetched_at=now - timedelta(days=3),
                              outcome=Outcome.FAILED, error_class="FetchTimeout"))
        arc.track([DiscoveredLink(TRACKED)], source="example", now=now - timedelta(minutes=1))
        arc.claim_source("example", worker="w", now=now, lease=timedelta(minutes=5))
        arc.finish_source("example", worker="w", now=now)
        assert v2.raw is not None
        yield {"url": db_url, "now": now, "raw": v2.raw}


def run(db_url: str, block: str, params: dict[str, Any]) -> list[Any]:
    wanted = {name: params[name] for name in re.findall(r"(?<!:):(\w+)", block)}
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(block), wanted).mappings().all())
    finally:
        engine.dispose()


def test_doc_has_the_required_examples() -> None:
    titles = {title(b) for b in sql_blocks()}
    assert {"latest version of every article", "articles changed today",
            "full history of one URL", "fetch failures in the last day",
            "raw page of the latest version"} <= titles


def test_every_example_runs(populated: dict[str, Any]) -> None:
    since = (populated["now"] - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    params = {"url": "https://news.example/amp/story", "since": since}
    for block in sql_blocks():
        rows = run(populated["url"], block, params)
        name = title(block)
        assert rows, f"no rows from: {name}"
        if name == "latest version of every article":
            assert [(r["url"], r["number"]) for r in rows] == [(OTHER, 1), (STORY, 2)]
            assert rows[0]["times_seen"] == 2
        elif name == "articles changed today":
            assert [(r["url"], r["number"]) for r in rows] == [(STORY, 2)]
        elif name == "full history of one URL":
            assert [r["number"] for r in rows] == [1, 2]
        elif name == "fetch failures in the last day":
            assert [r["error_class"] for r in rows] == ["HTTPStatusError"]
        elif name == "articles due for a check":
            assert [(r["url"], r["lease_owner"]) for r in rows] == [(TRACKED, None)]
        elif name == "articles scheduled and retired per source":
            assert [(r["name"], r["scheduled"], r["retired"]) for r in rows] == [
                ("example", 1, 0)]
        elif name == "raw page of the latest version":
            (row,) = rows
            raw = populated["raw"]
            body = zstandard.ZstdDecompressor().decompress(bytes(row["body_zstd"]))
            assert (row["sha256"], body) == (raw.sha256, raw.body)
            assert hashlib.sha256(body).hexdigest() == raw.sha256
