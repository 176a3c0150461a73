"""The fetcher's HTTP/1.1 transport and streams: TLS, idle pooled connections, large bodies."""

from __future__ import annotations

import asyncio
import ssl

import httpx

from newsarchiver.fetch import Fetcher
from newsarchiver.fetch.guard import OPEN_POLICY, GuardedBackend
from newsarchiver.fetch.http11 import HTTP11Transport
from newsarchiver.models import FetchRequest
from tests.faultserver import fast_settings
from tests.localserver import Handler, LocalServer, respond
from tests.tlsserver import BODY, TLSServer


async def test_a_page_is_read_over_tls_when_its_certificate_is_trusted(
        tls_server: TLSServer) -> None:
    context = ssl.create_default_context(cafile=str(tls_server.certificate))
    transport = HTTP11Transport(GuardedBackend(OPEN_POLICY), context)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(f"https://127.0.0.1:{tls_server.port}/")
    assert response.status_code == 200
    assert response.content == BODY


async def test_a_pooled_connection_the_server_closed_is_not_reused(
        server: LocalServer) -> None:
    def answer_then_hang_up(handler: Handler) -> None:
        respond(handler, b"<p>one answer per connection</p>")
        handler.close_connection = True  # no "Connection: close": the client must notice

    url = server.route("/once", answer_then_hang_up)
    async with Fetcher(fast_settings()) as fetcher:
        first = await fetcher.fetch(FetchRequest(url=url))
        await asyncio.sleep(0.1)  # the end of the stream reaches the idle connection
        second = await fetcher.fetch(FetchRequest(url=url))
    assert first.body == second.body == b"<p>one answer per connection</p>"
    assert len(server.hits_for("/once")) == 2


async def test_a_body_larger_than_the_read_buffer_arrives_whole(server: LocalServer) -> None:
    body = b"<p>" + bytes(range(97, 123)) * 35_000 + b"</p>"  # 0.9 MB, 3.5x the buffer
    url = server.page("/large", body)
    async with Fetcher(fast_settings()) as fetcher:
        result = await fetcher.fetch(FetchRequest(url=url))
    assert result.body == body
