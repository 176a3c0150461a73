"""Conversions between ORM rows and the project's dataclasses; raw-body compression."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime

import zstandard

from newsarchiver.errors import StoreError
from newsarchiver.models import Fetch, Outcome, RawPage, Version
from newsarchiver.store.schema import FetchRow, RawPageRow, VersionRow

WordDelta = Callable[[str, str], tuple[int, int]]
#: zstd's default level: several times faster than 10 for a few percent more bytes.
ZSTD_LEVEL = 3


def dump_list(items: Iterable[str]) -> str:
    """A JSON array as text (authors, notes), non-ASCII kept as is."""
    return json.dumps(list(items), ensure_ascii=False)


def load_list(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    value = json.loads(text)
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def count_word_delta(old: str, new: str) -> tuple[int, int]:
    """Words added and removed between two bodies, as multisets of words."""
    before, after = Counter(old.split()), Counter(new.split())
    return sum((after - before).values()), sum((before - after).values())


def raw_page_row(raw: RawPage, seen_at: datetime) -> dict[str, object]:
    """Column values for a raw page."""
    return {
        "sha256": raw.sha256,
        "size": len(raw.body),
        "content_type": raw.content_type,
        "encoding": raw.encoding,
        "body_zstd": zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(raw.body),
        "first_seen_at": seen_at,
    }


def raw_page_of(row: RawPageRow) -> RawPage:
    body = zstandard.ZstdDecompressor().decompress(row.body_zstd, max_output_size=row.size)
    page = RawPage(body=body, content_type=row.content_type, encoding=row.encoding)
    if page.sha256 != row.sha256:
        raise StoreError(f"raw page {row.sha256} is damaged: its body hashes to {page.sha256}")
    return page


def version_of(row: VersionRow, url: str) -> Version:
    return Version(
        url=url,
        number=row.number,
        first_seen=row.first_seen_at,
        last_seen=row.last_seen_at,
        times_seen=row.times_seen,
        content_hash=row.content_hash,
        body=row.body,
        structured=row.structured,
        title=row.title,
        authors=load_list(row.authors),
        published=row.published_at,
        modified=row.modified_at,
        language=row.language,
        canonical_url=row.canonical_url,
        site_name=row.site_name,
        description=row.description,
        raw_sha256=row.raw_sha256,
        words_added=row.words_added,
        words_removed=row.words_removed,
    )


def fetch_of(row: FetchRow) -> Fetch:
    return Fetch(
        url=row.url,
        fetched_at=row.fetched_at,
        outcome=Outcome(row.outcome),
        duration_ms=row.duration_ms,
        status=row.status,
        final_url=row.final_url,
        etag=row.etag,
        last_modified=row.last_modified,
        raw_sha256=row.raw_sha256,
        error_class=row.error_class,
        error_message=row.error_message,
        version=row.version,
        notes=load_list(row.notes),
    )
