"""The archive on SQLite and PostgreSQL: versions, aliases, the fetch log, raw pages."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from newsarchiver.errors import NotFound
from newsarchiver.models import Article, Fetch, Outcome, RawPage, Snapshot
from newsarchiver.store import Archive
from newsarchiver.store.schema import ArticleRow

T0 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
URL = "https://news.example/2024/05/story"


def raw(body: bytes) -> RawPage:
    return RawPage(body=body, content_type="text/html; charset=utf-8", encoding="utf-8")


def snapshot(body: str, *, url: str = URL, at: datetime = T0, canonical: str | None = None,
             title: str = "Story") -> Snapshot:
    html = f"<html><h1>{title}</h1><p>{body}</p></html>".encode()
    return Snapshot(
        url=url,
        article=Article(body=body, url=url, canonical_url=canonical, title=title,
                        authors=("Ana Díaz", "Bo"), published=T0, language="en"),
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
        seen_at=at, raw=raw(html), source="example",
    )


def fetch_for(snap: Snapshot, **changes: object) -> Fetch:
    fields: dict[str, object] = dict(
        url=snap.url, fetched_at=snap.seen_at, outcome=Outcome.NEW, status=200,
        final_url=snap.url, etag='"v1"', last_modified="Wed, 01 May 2024 09:00:00 GMT",
        raw_sha256=snap.raw.sha256 if snap.raw else None, duration_ms=12)
    fields.update(changes)
    return Fetch(**fields)  # type: ignore[arg-type]


@pytest.fixture
def archive(db_url: str) -> Iterator[Archive]:
    with Archive.open(db_url) as arc:
        yield arc


def test_new_unchanged_changed(archive: Archive) -> None:
    first = snapshot("one two three")
    saved = archive.save(first, fetch_for(first))
    assert (saved.outcome, saved.version) == (Outcome.NEW, 1)

    again = snapshot("one two three", at=T0 + timedelta(hours=1))
    saved = archive.save(again, fetch_for(again))
    assert (saved.outcome, saved.version) == (Outcome.UNCHANGED, 1)
    v1 = archive.version(URL)
    assert v1.times_seen == 2
    assert v1.first_seen == T0 and v1.last_seen == T0 + timedelta(hours=1)
    assert v1.last_seen.tzinfo is not None
    assert (v1.words_added, v1.words_removed) == (3, 0)
    assert v1.authors == ("Ana Díaz", "Bo")
    assert v1.published == T0

    edited = snapshot("one two four five", at=T0 + timedelta(hours=2))
    saved = archive.save(edited, fetch_for(edited))
    assert (saved.outcome, saved.version) == (Outcome.CHANGED, 2)
    v2 = archive.version(URL)
    assert v2.number == 2 and v2.body == "one two four five"
    assert (v2.words_added, v2.words_removed) == (2, 1)

    reverted = snapshot("one two three", at=T0 + timedelta(hours=3))
    assert archive.save(reverted, fetch_for(reverted)).version == 3
    assert [v.number for v in archive.history(URL)] == [1, 2, 3]
    assert archive.version(URL, 1).body == archive.version(URL, 3).body

    log = archive.fetch_log(URL)
    assert [f.outcome for f in log] == [Outcome.CHANGED, Outcome.CHANGED, Outcome.UNCHANGED,
                                        Outcome.NEW]
    assert [f.version for f in log] == [3, 2, 1, 1]


def test_injected_word_delta(db_url: str) -> None:
    calls: list[tuple[str, str]] = []

    def delta(old: str, new: str) -> tuple[int, int]:
        calls.append((old, new))
        return 7, 5

    with Archive.open(db_url, word_delta=delta) as arc:
        arc.save(snapshot("a"), fetch_for(snapshot("a")))
        arc.save(snapshot("b"), fetch_for(snapshot("b")))
        assert calls == [("", "a"), ("a", "b")]
        assert (arc.version(URL).words_added, arc.version(URL).words_removed) == (7, 5)


def test_aliases_make_one_article(archive: Archive) -> None:
    canonical = "https://news.example/story"
    amp = "https://news.example/amp/story"
    first = snapshot("body", url=URL, canonical=canonical)
    saved = archive.save(first, fetch_for(first), aliases=[amp])
    for url in (URL, canonical, amp):
        assert archive.article_url(url) == canonical
    # The same article reached by another URL that names the same canonical URL.
    other = snapshot("body", url="https://news.example/?p=123", canonical=canonical,
                     at=T0 + timedelta(minutes=5))
    again = archive.save(other, fetch_for(other))
    assert again.article_id == saved.article_id and again.outcome is Outcome.UNCHANGED
    # A snapshot reached only through an alias, without canonical URL.
    third = snapshot("body", url=amp, at=T0 + timedelta(minutes=9))
    assert archive.save(third, fetch_for(third)).article_id == saved.article_id
    assert len(archive.history("https://news.example/?p=123")) == 1
    assert archive.version(amp).times_seen == 3
    assert archive.version(amp).url == canonical
    assert archive.article_url("https://news.example/unknown") is None


def test_conditional_headers_and_304(archive: Archive) -> None:
    assert archive.conditional_headers(URL) == (None, None)
    first = snapshot("body")
    archive.save(first, fetch_for(first, etag='"abc"'), aliases=["https://news.example/s"])
    assert archive.conditional_headers("https://news.example/s") == (
        '"abc"', "Wed, 01 May 2024 09:00:00 GMT")

    later = T0 + timedelta(days=1)
    archive.log_fetch(Fetch(url=URL, fetched_at=later, outcome=Outcome.NOT_MODIFIED,
                            status=304, etag='"abc"'), source="example")
    v1 = archive.version(URL)
    assert (v1.times_seen, v1.last_seen) == (2, later)
    assert archive.fetch_log(URL)[0].version == 1
    assert archive.conditional_headers(URL) == ('"abc"', None)

    archive.log_fetch(Fetch(url=URL, fetched_at=later + timedelta(hours=1),
                            outcome=Outcome.FAILED, status=503,
                            error_class="HTTPStatusError", error_message="503"))
    assert archive.conditional_headers(URL) == ('"abc"', None)
    assert archive.version(URL).times_seen == 2


def test_failed_fetch_logged_without_version(archive: Archive) -> None:
    missing = "https://news.example/gone"
    archive.log_fetch(Fetch(url=missing, fetched_at=T0, outcome=Outcome.FAILED, status=404,
                            error_class="HTTPStatusError", error_message="404 Not Found",
                            notes=("retried",)), source="example")
    archive.log_fetch(Fetch(url="https://news.example/private", fetched_at=T0,
                            outcome=Outcome.SKIPPED, error_class="RobotsDisallowed",
                            error_message="disallowed by robots.txt"))
    (entry,) = archive.fetch_log(missing)
    assert entry.outcome is Outcome.FAILED and entry.version is None
    assert (entry.status, entry.error_class, entry.notes) == (404, "HTTPStatusError",
                                                              ("retried",))
    assert entry.fetched_at == T0
    assert len(archive.fetch_log()) == 2
    assert len(archive.fetch_log(limit=1)) == 1
    with pytest.raises(NotFound):
        archive.history(missing)


def test_raw_page_round_trip_stored_once(archive: Archive) -> None:
    body = "<html>T\u0627\u0644\u064a\u0642\u0627\u0646 \x00\xff</html>".encode("utf-8")
    page = RawPage(body=body, content_type="text/html", encoding="utf-8")
    assert page.sha256 == hashlib.sha256(body).hexdigest()
    for n, text in enumerate(("a", "b")):
        snap = Snapshot(url=URL, article=Article(body=text), content_hash=text,
                        seen_at=T0 + timedelta(hours=n), raw=page)
        archive.save(snap, fetch_for(snap))
    assert archive.raw_page(page.sha256) == page
    assert archive.raw_page(page.sha256.upper()).body == body
    assert [v.raw_sha256 for v in archive.history(URL)] == [page.sha256, page.sha256]
    with pytest.raises(NotFound):
        archive.raw_page("0" * 64)


def test_taliqan_survives_byte_for_byte(archive: Archive) -> None:
    text = "Tاليقان"
    snap = snapshot(f"{text} \u200f{text}", title=text, url=f"https://news.example/{text}")
    archive.save(snap, fetch_for(snap))
    stored = archive.version(f"https://news.example/{text}")
    assert stored.title == text
    assert stored.title.encode("utf-8") == text.encode("utf-8")
    assert stored.body == f"{text} \u200f{text}"
    assert stored.url == f"https://news.example/{text}"


def test_not_found(archive: Archive) -> None:
    with pytest.raises(NotFound) as err:
        archive.version("https://news.example/nothing")
    assert err.value.url == "https://news.example/nothing"
    snap = snapshot("body")
    archive.save(snap, fetch_for(snap))
    with pytest.raises(NotFound) as err:
        archive.version(URL, 2)
    assert (err.value.url, err.value.version) == (URL, 2)
    with pytest.raises(NotFound):
        archive.history("https://news.example/nothing")
    assert archive.fetch_log("https://news.example/nothing") == ()


def test_article_state_columns(archive: Archive) -> None:
    first = snapshot("one")
    archive.save(first, fetch_for(first))
    second = snapshot("two", at=T0 + timedelta(hours=5))
    archive.save(second, fetch_for(second))
    archive.log_fetch(Fetch(url=URL, fetched_at=T0 + timedelta(hours=6),
                            outcome=Outcome.FAILED, error_class="FetchTimeout",
                            error_message="timed out"))
    with archive._reading() as session:  # the scheduling columns are not in the API yet
        row = session.scalars(select(ArticleRow)).one()
        assert row.first_seen_at == T0
        assert row.last_changed_at == T0 + timedelta(hours=5)
        assert row.last_checked_at == T0 + timedelta(hours=6)
        assert row.source == "example"


def race(archives: list[Archive], snap: Snapshot) -> list[Outcome]:
    """Save ``snap`` from every archive at once, one thread each."""
    barrier = threading.Barrier(len(archives))
    results: list[Outcome] = []
    errors: list[BaseException] = []

    def save(arc: Archive) -> None:
        try:
            barrier.wait()
            results.append(arc.save(snap, fetch_for(snap)).outcome)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(arc,)) for arc in archives]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return results


def test_concurrent_saves_make_one_version(db_url: str) -> None:
    archives = [Archive.open(db_url) for _ in range(3)]
    try:
        for n in range(8):
            url = f"https://news.example/race/{n // 2}"
            outcomes = race(archives, snapshot(f"content {n}", url=url,
                                               at=T0 + timedelta(minutes=n)))
            first = Outcome.NEW if n % 2 == 0 else Outcome.CHANGED
            assert sorted(outcomes) == sorted([first, Outcome.UNCHANGED, Outcome.UNCHANGED])
            history = archives[0].history(url)
            assert len(history) == 1 + n % 2
            assert history[-1].times_seen == 3
    finally:
        for arc in archives:
            arc.close()
