"""TCP (and TLS) streams straight on asyncio's transports, for :mod:`.http11`.

A protocol keeps what the transport has received (reading pauses past a high-water
mark), so a read often returns at once, and whether an idle pooled connection is
still sound is a look at that buffer, not a system call: data or an end of stream
waiting on an idle connection mean it can no longer be used.

Errors are httpx's transport errors (``ConnectError``, ``ReadTimeout``, ...).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque

import httpx

#: Received bytes held before the transport stops reading (resumed below the half).
_HIGH_WATER = 256 * 1024


class _Protocol(asyncio.Protocol):
    """Receives into a queue of chunks; wakes the one reader waiting for data."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.ended = False
        self.error: BaseException | None = None
        self.paused = False
        self._reader: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake_reader()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake_reader()
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    def _wake_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.set_result(None)

    async def wait_readable(self) -> None:
        self._reader = asyncio.get_running_loop().create_future()
        await self._reader

    async def wait_writable(self) -> None:
        if self._writable is not None:
            await asyncio.shield(self._writable)

    def take(self, max_bytes: int) -> bytes:
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self.paused and self.buffered <= _HIGH_WATER // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk


class AsyncioStream:
    """One connection, read and written through its asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.chunks and not protocol.ended:
            try:
                async with asyncio.timeout(timeout):
                    await protocol.wait_readable()
            except TimeoutError:
                raise httpx.ReadTimeout("timed out reading") from None
        if protocol.chunks:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpx.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            error = self._protocol.error
            raise httpx.WriteError(str(error) if error else "the connection is closed")
        self._transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await self._protocol.wait_writable()
        except TimeoutError:
            raise httpx.WriteTimeout("timed out writing") from None
        if self._protocol.error is not None:
            raise httpx.WriteError(str(self._protocol.error))

    def close(self) -> None:
        self._transport.close()

    def readable(self) -> bool:
        """Whether data or the end of the stream is waiting (on an idle connection:
        it can no longer be used)."""
        return bool(self._protocol.chunks) or self._protocol.ended

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._protocol, ssl_context,
                    server_hostname=server_hostname)
        except BaseException as exc:  # cancelled too: the connection is not left open
            self._transport.abort()
            if isinstance(exc, TimeoutError):
                raise httpx.ConnectTimeout("timed out in the TLS handshake") from None
            if isinstance(exc, OSError):  # ssl.SSLError included
                raise httpx.ConnectError(str(exc)) from exc
            raise
        if transport is None:
            raise httpx.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)


async def connect_tcp(address: str, port: int, timeout: float | None = None) -> AsyncioStream:
    """Open a TCP connection to a numeric ``address`` (no name lookup happens here)."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (address, port))
        transport, protocol = await loop.create_connection(_Protocol, sock=sock)
    except BaseException as exc:  # cancelled too: the socket is not left open
        sock.close()
        if isinstance(exc, TimeoutError):
            raise httpx.ConnectTimeout(f"timed out connecting to {address}:{port}") from None
        if isinstance(exc, OSError):
            raise httpx.ConnectError(str(exc)) from exc
        raise
    assert isinstance(transport, asyncio.Transport)
    return AsyncioStream(transport, protocol)
