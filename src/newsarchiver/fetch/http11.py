"""An HTTP/1.1 transport for httpx: h11 over the guarded streams, a pool of idle connections.

The fetcher sends one GET at a time per connection and never pipelines, so the pool
is simple: idle connections are kept per origin (scheme, host, port), newest last; a
request takes one that is still sound (not past its keep-alive expiry, nothing
waiting on it: a server that closed an idle connection has sent its end of stream)
or opens a new one through :class:`~newsarchiver.fetch.guard.GuardedBackend`, which
checks the address it connects to. A response whose body was read to its end on a
connection both sides keep open goes back to the pool when closed; any other is
closed with its connection, so a cancelled or broken exchange never leaves a
half-read connection behind.

h11 reads the messages: a body cut short by the end of the stream, a broken chunk or
a malformed head is an ``httpx.RemoteProtocolError``, never a short body.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

from newsarchiver.fetch.guard import GuardedBackend
from newsarchiver.fetch.streams import AsyncioStream

#: Bytes asked of the stream per read.
READ_SIZE = 64 * 1024
#: The largest response head (status line and headers) accepted.
MAX_HEAD_BYTES = 64 * 1024

Origin = tuple[bytes, bytes, int]


class _Connection:
    """One connection and its h11 state machine."""

    __slots__ = ("h11", "idle_since", "origin", "stream")

    def __init__(self, origin: Origin, stream: AsyncioStream) -> None:
        self.origin = origin
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.idle_since = 0.0

    async def next_event(self, timeout: float | None) -> Any:
        """The next h11 event from the server, reading as needed."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self.stream.read(READ_SIZE, timeout)
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("the server closed the connection "
                                                "without sending a response")
            self.h11.receive_data(data)

    def reusable(self) -> bool:
        """Whether the exchange is over and both sides keep the connection; if so, the
        connection is made ready for the next one."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False

    def close(self) -> None:
        self.stream.close()


class _Body(httpx.AsyncByteStream):
    """A response body, read from its connection as it is iterated."""

    def __init__(self, pool: HTTP11Transport, connection: _Connection,
                 timeout: float | None) -> None:
        self._pool = pool
        self._connection: _Connection | None = connection
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        while True:
            event = await connection.next_event(self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(connection)


class HTTP11Transport(httpx.AsyncBaseTransport):
    """Sends each request on a pooled or new connection; keeps up to ``max_idle``
    idle connections for ``keepalive_expiry`` seconds."""

    def __init__(self, backend: GuardedBackend, ssl_context: ssl.SSLContext, *,
                 max_idle: int = 16, keepalive_expiry: float = 5.0) -> None:
        self._backend = backend
        self._ssl_context = ssl_context
        self._max_idle = max_idle
        self._expiry = keepalive_expiry
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"the URL scheme {url.scheme!r} is not supported")
        timeouts = request.extensions.get("timeout", {})
        origin = (scheme, url.raw_host, url.port or (443 if scheme == b"https" else 80))
        connection = self._take_idle(origin) or await self._connect(origin, timeouts)
        try:
            try:
                head = connection.h11.send(h11.Request(
                    method=request.method, target=url.raw_path, headers=request.headers.raw))
                end = connection.h11.send(h11.EndOfMessage())
            except h11.LocalProtocolError as exc:
                raise httpx.LocalProtocolError(str(exc)) from exc
            await connection.stream.write(head + end, timeouts.get("write"))
            while True:
                event = await connection.next_event(timeouts.get("read"))
                if isinstance(event, h11.Response):
                    break
                if isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("the connection closed before a response")
        except BaseException:
            connection.close()
            raise
        return httpx.Response(
            event.status_code, headers=event.headers.raw_items(), request=request,
            stream=_Body(self, connection, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason})

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if idle is None:
            return None
        now = asyncio.get_running_loop().time()
        found = None
        while idle and found is None:
            connection = idle.pop()
            self._idle_count -= 1
            if now - connection.idle_since < self._expiry and not connection.stream.readable():
                found = connection
            else:
                connection.close()
        if not idle:  # a long run meets many origins: keep only those with idle connections
            del self._idle[origin]
        return found

    async def _connect(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        stream = await self._backend.connect_tcp(host, port, timeout=timeouts.get("connect"))
        if scheme == b"https":
            stream = await stream.start_tls(self._ssl_context, host, timeouts.get("connect"))
        return _Connection(origin, stream)

    def release(self, connection: _Connection) -> None:
        """Pool a connection whose response is closed, or close it."""
        if not connection.reusable() or self._idle_count >= self._max_idle:
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._idle_count += 1

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        self._idle_count = 0
