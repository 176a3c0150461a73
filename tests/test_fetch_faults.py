"""The fetcher against a misbehaving server: each fault is a typed error in bounded time/memory."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from newsarchiver.errors import (
    ContentEncodingError,
    FetchError,
    FetchTimeout,
    ResponseTooLarge,
    TruncatedResponse,
    UnsupportedContentType,
)
from tests.faultserver import HTML, FaultRoutes, fast_settings, fetch_once
from tests.localserver import LocalServer

CAP = 1_000_000
BOUND = 10.0  # seconds: a generous upper bound, not a timing assertion


async def expect(error: type[FetchError], url: str, *, status: int | None,
                 **settings: object) -> FetchError:
    """Fetch ``url`` and check the error's class, url, status and the time it took."""
    started = time.monotonic()
    with pytest.raises(error) as info:
        await fetch_once(fast_settings(**settings), url)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"took {elapsed:.1f} s"
    assert type(info.value) is error
    assert info.value.url == url
    assert info.value.final_url == url
    assert info.value.status == status
    return info.value


async def test_a_well_behaved_page_is_fetched(faults: FaultRoutes) -> None:
    url = faults.server.page("/fine", HTML)
    result = await fetch_once(fast_settings(), url)
    assert (result.status, result.final_url, result.body) == (200, url, HTML)
    assert result.text == HTML.decode()
    assert result.encoding == "utf-8"


async def test_a_trickling_body_is_stopped_by_the_total_deadline(faults: FaultRoutes) -> None:
    started = time.monotonic()
    await expect(FetchTimeout, faults.url("/trickle"), status=None, timeout=1.0)
    assert time.monotonic() - started < 3  # the deadline, not httpx's per-read timeout


async def test_a_server_that_never_answers_times_out(faults: FaultRoutes) -> None:
    await expect(FetchTimeout, faults.url("/stall"), status=None, timeout=1.0)


async def test_timeouts_are_retried_a_bounded_number_of_times(faults: FaultRoutes) -> None:
    await expect(FetchTimeout, faults.url("/stall"), status=None, timeout=0.5, max_retries=2)
    assert len(faults.server.hits_for("/stall")) == 3


async def test_a_reset_mid_body_is_a_truncation(faults: FaultRoutes) -> None:
    await expect(TruncatedResponse, faults.url("/reset"), status=200)


async def test_a_body_shorter_than_its_content_length_is_a_truncation(
        faults: FaultRoutes) -> None:
    await expect(TruncatedResponse, faults.url("/short"), status=200, max_retries=1)
    assert len(faults.server.hits_for("/short")) == 2  # the network cut it: retried


async def test_broken_chunked_encoding_is_a_truncation(faults: FaultRoutes) -> None:
    await expect(TruncatedResponse, faults.url("/chunked-broken"), status=200)


async def test_chunked_body_without_its_last_chunk_is_a_truncation(faults: FaultRoutes) -> None:
    await expect(TruncatedResponse, faults.url("/chunked-cut"), status=200)


async def test_a_gzip_stream_without_its_end_is_a_truncation(faults: FaultRoutes) -> None:
    error = await expect(TruncatedResponse, faults.url("/gzip-truncated"), status=200,
                         max_retries=2)
    assert "gzip" in str(error)
    assert len(faults.server.hits_for("/gzip-truncated")) == 1  # complete message: not retried


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_a_compression_bomb_is_stopped_at_the_cap(faults: FaultRoutes, coding: str) -> None:
    from tests.faultserver import brotli_bomb, gzip_bomb, zstd_bomb

    {"gzip": gzip_bomb, "br": brotli_bomb, "zstd": zstd_bomb}[coding]()  # built before measuring
    tracemalloc.start()
    try:
        await expect(ResponseTooLarge, faults.url(f"/bomb/{coding}"), status=200, max_bytes=CAP)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * CAP + 2_000_000, f"peak {peak} bytes for a 64 MB bomb"


async def test_thirty_stacked_encodings_are_refused(faults: FaultRoutes) -> None:
    error = await expect(ContentEncodingError, faults.url("/stacked-30"), status=200)
    assert "30 stacked" in str(error)


async def test_two_stacked_encodings_are_decoded(faults: FaultRoutes) -> None:
    result = await fetch_once(fast_settings(), faults.url("/stacked-2"))
    assert result.body == HTML


async def test_a_content_length_of_one_tebibyte_is_refused_before_reading(
        faults: FaultRoutes) -> None:
    error = await expect(ResponseTooLarge, faults.url("/huge"), status=200)
    assert str(1 << 40) in str(error)


async def test_a_body_over_the_cap_without_content_length_is_refused(
        server: LocalServer) -> None:
    def chunked(handler: object) -> None:
        from tests.localserver import Handler

        assert isinstance(handler, Handler)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b"4000\r\n" + b"a" * 0x4000 + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        handler.close_connection = True

    url = server.route("/big", chunked)
    await expect(ResponseTooLarge, url, status=200, max_bytes=100_000)


async def test_a_pdf_is_refused_without_reading_its_body(faults: FaultRoutes) -> None:
    error = await expect(UnsupportedContentType, faults.url("/pdf"), status=200)
    assert isinstance(error, UnsupportedContentType)
    assert error.content_type == "application/pdf"


async def test_a_feed_accepts_xml_but_a_page_does_not(server: LocalServer) -> None:
    url = server.page("/feed.xml", "<?xml version='1.0'?><rss/>",
                      content_type="application/rss+xml")
    result = await fetch_once(fast_settings(), url, kind="feed")
    assert result.text == "<?xml version='1.0'?><rss/>"
    with pytest.raises(UnsupportedContentType):
        await fetch_once(fast_settings(), url, kind="page")


async def test_a_gzipped_sitemap_is_unpacked_for_a_feed(server: LocalServer) -> None:
    import gzip

    xml = b"<?xml version='1.0' encoding='utf-8'?><urlset></urlset>"
    url = server.page("/sitemap.xml.gz", gzip.compress(xml), content_type="application/x-gzip")
    result = await fetch_once(fast_settings(), url, kind="feed")
    assert result.body == xml
