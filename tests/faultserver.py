"""Misbehaving routes for :class:`tests.localserver.LocalServer`: one fault per route.

Each route writes exactly the bytes of its fault on the socket: a trickle, a
stall, a reset, broken chunking, truncated or bombing compression, absurd
headers, redirect loops, retry statuses. :class:`FaultRoutes` installs them and
releases every stalled handler when the test ends.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

import brotli
import zstandard

from newsarchiver.fetch import Fetcher
from newsarchiver.models import FetchRequest, FetchResult, FetchSettings
from tests.localserver import Handler, LocalServer, respond

HTML = b"<!doctype html><html><head><title>t</title></head><body><p>ok</p></body></html>"
BOMB_SIZE = 64 * 1024 * 1024  # decoded size of every bomb: 64x the test cap


@functools.cache
def gzip_bomb() -> bytes:
    obj = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    return b"".join(obj.compress(block) for _ in range(BOMB_SIZE // len(block))) + obj.flush()


@functools.cache
def brotli_bomb() -> bytes:
    return bytes(brotli.compress(bytes(BOMB_SIZE), quality=5))


@functools.cache
def zstd_bomb() -> bytes:
    return bytes(zstandard.ZstdCompressor(level=3).compress(bytes(BOMB_SIZE)))


def stacked_gzip(body: bytes, times: int) -> bytes:
    for _ in range(times):
        body = gzip.compress(body)
    return body


def _close(handler: Handler, *, reset: bool = False) -> None:
    handler.close_connection = True
    if reset:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
    handler.connection.close()


def _head(handler: Handler, status: int, headers: list[tuple[str, str]]) -> None:
    handler.send_response(status)
    for k, v in headers:
        handler.send_header(k, v)
    handler.end_headers()


@dataclass
class Arrival:
    path: str
    at: float  # time.monotonic() on arrival
    in_flight: int  # requests being served at that moment, this one included


@dataclass
class FaultRoutes:
    """The fault routes of one server, with the shared state they need."""

    server: LocalServer
    release: threading.Event = field(default_factory=threading.Event)
    arrivals: list[Arrival] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: int = 0

    def url(self, path: str) -> str:
        return self.server.url(path)

    def install(self) -> FaultRoutes:
        routes: dict[str, Callable[[Handler], None]] = {
            "/trickle": self.trickle,
            "/stall": self.stall,
            "/reset": self.reset_mid_body,
            "/short": self.short_body,
            "/chunked-broken": self.broken_chunked,
            "/chunked-cut": self.cut_chunked,
            "/gzip-truncated": self.truncated_gzip,
            "/bomb/gzip": lambda h: self.encoded(h, gzip_bomb(), "gzip"),
            "/bomb/br": lambda h: self.encoded(h, brotli_bomb(), "br"),
            "/bomb/zstd": lambda h: self.encoded(h, zstd_bomb(), "zstd"),
            "/stacked-30": lambda h: self.encoded(h, stacked_gzip(HTML, 30),
                                                  ", ".join(["gzip"] * 30)),
            "/stacked-2": lambda h: self.encoded(
                h, brotli.compress(gzip.compress(HTML)), "gzip, br"),
            "/huge": self.huge_length,
            "/loop/a": lambda h: self.redirect(h, "/loop/b"),
            "/loop/b": lambda h: self.redirect(h, "/loop/a"),
            "/pdf": self.pdf,
            "/slow": self.slow,
        }
        for path, route in routes.items():
            self.server.route(path, route)
        return self

    # --- timing faults ------------------------------------------------------------

    def trickle(self, handler: Handler) -> None:
        """A valid response whose body arrives one byte every 0.1 s."""
        _head(handler, 200, [("Content-Type", "text/html"), ("Content-Length", "10000")])
        try:
            for _ in range(10000):
                if self.release.wait(0.1):
                    break
                handler.wfile.write(b"x")
        except OSError:
            pass
        _close(handler)

    def stall(self, handler: Handler) -> None:
        """Reads the request and never answers."""
        self.release.wait(30)
        _close(handler)

    def slow(self, handler: Handler) -> None:
        """Answers after 0.2 s, recording arrival time and requests in flight."""
        with self._lock:
            self._in_flight += 1
            self.arrivals.append(Arrival(handler.path, time.monotonic(), self._in_flight))
        try:
            self.release.wait(0.2)
            respond(handler, HTML)
        finally:
            with self._lock:
                self._in_flight -= 1

    # --- framing faults -----------------------------------------------------------

    def reset_mid_body(self, handler: Handler) -> None:
        _head(handler, 200, [("Content-Type", "text/html"), ("Content-Length", "100000")])
        handler.wfile.write(HTML * 10)
        time.sleep(0.05)
        _close(handler, reset=True)

    def short_body(self, handler: Handler) -> None:
        _head(handler, 200, [("Content-Type", "text/html"), ("Content-Length", "5000")])
        handler.wfile.write(HTML)
        _close(handler)

    def broken_chunked(self, handler: Handler) -> None:
        _head(handler, 200, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        handler.wfile.write(b"10\r\n<html><body>ok<\r\nzz-not-hex\r\nmore\r\n0\r\n\r\n")
        _close(handler)

    def cut_chunked(self, handler: Handler) -> None:
        _head(handler, 200, [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
        handler.wfile.write(b"10\r\n<html><body>ok<\r\n")
        _close(handler)

    def truncated_gzip(self, handler: Handler) -> None:
        data = gzip.compress(HTML * 100)
        respond(handler, data[: len(data) // 2], headers={"Content-Encoding": "gzip"})

    def encoded(self, handler: Handler, data: bytes, coding: str) -> None:
        try:
            respond(handler, data, headers={"Content-Encoding": coding})
        except OSError:  # the client hung up once it had seen enough
            _close(handler)

    def pdf(self, handler: Handler) -> None:
        try:
            respond(handler, b"%PDF-1.7\n" + bytes(500_000), content_type="application/pdf")
        except OSError:  # refused unread: the client closes the connection
            _close(handler)

    def huge_length(self, handler: Handler) -> None:
        _head(handler, 200, [("Content-Type", "text/html"),
                             ("Content-Length", str(1 << 40))])
        with contextlib.suppress(OSError):
            handler.wfile.write(HTML)
        self.release.wait(5)
        _close(handler)

    # --- status faults ------------------------------------------------------------

    def redirect(self, handler: Handler, location: str, status: int = 302) -> None:
        respond(handler, b"", status=status, headers={"Location": location})

    def sequence(self, path: str, *answers: Callable[[Handler], None]) -> str:
        """A route answering its n-th request with ``answers[n]`` (the last repeats)."""
        count = [0]

        def route(handler: Handler) -> None:
            with self._lock:
                n = count[0]
                count[0] += 1
            answers[min(n, len(answers) - 1)](handler)

        return self.server.route(path, route)


def status(code: int, *, retry_after: str | Callable[[], str] | None = None,
           location: str | None = None) -> Callable[[Handler], None]:
    """An answer with ``code`` and optional Retry-After / Location (evaluated per request)."""

    def answer(handler: Handler) -> None:
        headers: list[tuple[str, str]] = []
        if retry_after is not None:
            headers.append(("Retry-After", retry_after() if callable(retry_after)
                            else retry_after))
        if location is not None:
            headers.append(("Location", location))
        respond(handler, b"busy" if code >= 400 else HTML, status=code, headers=headers,
                content_type="text/html")

    return answer


def http_date_in(seconds: float) -> str:
    """An HTTP-date ``seconds`` from now (as the server's Date header will be)."""
    return formatdate(time.time() + seconds, usegmt=True)


def fast_settings(**overrides: Any) -> FetchSettings:
    """Fetcher settings for loopback tests: short deadline, small cap, no delays."""
    values: dict[str, Any] = {
        "timeout": 2.0, "connect_timeout": 1.0, "max_bytes": 1_000_000,
        "per_host_delay": 0.0, "max_retries": 0, "max_retry_after": 0.05,
        "allow_private_networks": True,
    }
    values.update(overrides)
    return FetchSettings(**values)


async def fetch_once(settings: FetchSettings, url: str, **request: Any) -> FetchResult:
    """Fetch one URL with a fresh fetcher."""
    async with Fetcher(settings, rng=random.Random(7)) as fetcher:
        return await fetcher.fetch(FetchRequest(url=url, **request))
