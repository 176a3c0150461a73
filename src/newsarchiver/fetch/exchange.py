"""One bounded HTTP exchange: request, status, headers and a capped, decoded body.

Everything that can go wrong on the wire becomes a typed
:class:`~newsarchiver.errors.FetchError` here; the caller fills in the URL context.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from dataclasses import dataclass
from typing import Literal

import httpx

from newsarchiver.errors import (
    FetchError,
    FetchTimeout,
    NetworkError,
    ResponseTooLarge,
    TLSError,
    TruncatedResponse,
    UnsafeURL,
    UnsupportedContentType,
)
from newsarchiver.fetch.decoding import BodyDecoder, parse_content_encoding
from newsarchiver.fetch.guard import AddressPolicy, BlockedAddress, current_policy

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = PAGE_TYPES | frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
    "text/xml", "application/gzip", "application/x-gzip",
})
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip"})
#: Error and redirect bodies up to this size are read (and dropped) to keep the connection.
DRAIN_LIMIT = 64 * 1024
Kind = Literal["page", "feed", "any"]


@dataclass(frozen=True, slots=True)
class RequestDefaults:
    """What every request carries unless the exchange says otherwise: headers
    (User-Agent, Accept-Encoding, ...) and httpx's timeouts (connect, read, write)."""

    headers: dict[str, str]
    timeouts: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Exchange:
    """What came back: the status, headers and (for a 2xx) the decoded body."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    body: bytes = b""
    truncated_at_cap: bool = False

    @property
    def content_type(self) -> str | None:
        value: str | None = self.headers.get("content-type")
        return value


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def acceptable(kind: Kind, content_type: str | None, url: httpx.URL) -> bool:
    """Whether a response of ``content_type`` may be read for ``kind``."""
    media = media_type(content_type)
    if kind == "any" or not media:
        return True
    if kind == "page":
        return media in PAGE_TYPES
    if media == "application/octet-stream":
        return url.path.endswith(".gz")
    return media in FEED_TYPES or media.endswith("+xml")


def tls_reason(exc: BaseException) -> str | None:
    """The TLS failure behind a connection error, if it is one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"certificate verification failed: {seen.verify_message}"
        if isinstance(seen, ssl.SSLError):
            return f"TLS handshake failed: {seen.reason or seen}"
        seen = seen.__cause__ or seen.__context__
    return None


async def exchange(
    transport: httpx.AsyncBaseTransport, defaults: RequestDefaults, url: httpx.URL, *,
    headers: dict[str, str],
    policy: AddressPolicy, loose: bool, budget: float, kind: Kind, cap: int,
    cookies: httpx.Cookies, truncate_at_cap: bool = False,
) -> Exchange:
    """GET ``url`` within ``budget`` seconds (headers and body together)."""
    where = str(url)
    token = current_policy.set(policy)
    try:
        async with asyncio.timeout(budget):
            request = httpx.Request("GET", url, headers={**defaults.headers, **headers},
                                    extensions={"timeout": defaults.timeouts})
            if loose:  # never pool a connection opened under a looser policy
                request.headers["Connection"] = "close"
            if url.userinfo:  # the caller keeps userinfo on its own origin only
                request.headers["Authorization"] = _basic_auth(url)
            if cookies:
                cookies.set_cookie_header(request)
            response = await transport.handle_async_request(request)
            try:
                if "set-cookie" in response.headers:
                    cookies.extract_cookies(response)
                return await _read(response, url, kind, cap, truncate_at_cap)
            finally:
                await response.aclose()
    except TimeoutError:
        raise FetchTimeout(f"no complete response within {budget:.1f} s", url=where) from None
    except BlockedAddress as exc:
        raise UnsafeURL(f"{exc} (SSRF guard)", url=where) from None
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"timed out: {type(exc).__name__}", url=where) from exc
    except httpx.ConnectError as exc:
        reason = tls_reason(exc)
        if reason:
            raise TLSError(reason, url=where) from exc
        raise NetworkError(f"cannot connect: {exc or type(exc).__name__}", url=where) from exc
    except httpx.UnsupportedProtocol as exc:
        raise UnsafeURL(f"unsupported protocol: {exc}", url=where) from exc
    except httpx.TransportError as exc:
        raise NetworkError(f"connection failed: {exc or type(exc).__name__}",
                           url=where) from exc
    finally:
        current_policy.reset(token)


def _basic_auth(url: httpx.URL) -> str:
    """The Basic ``Authorization`` value for the credentials in ``url``."""
    pair = f"{url.username}:{url.password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


async def _read(response: httpx.Response, url: httpx.URL, kind: Kind, cap: int,
                truncate_at_cap: bool) -> Exchange:
    status = response.status_code
    where = str(url)
    if not 200 <= status < 300:
        await _drain(response)
        return Exchange(url, status, response.headers)
    content_type = response.headers.get("content-type")
    if not acceptable(kind, content_type, url):
        raise UnsupportedContentType(
            f"content type {media_type(content_type)} is not accepted for a {kind}",
            url=where, status=status, content_type=content_type)
    try:
        decoder = BodyDecoder(parse_content_encoding(response.headers.get_list("content-encoding")),
                              cap)
    except FetchError as exc:
        exc.url, exc.status, exc.final_url = where, status, where
        raise
    declared = _content_length(response)
    if declared is not None and declared > cap and not truncate_at_cap:
        raise ResponseTooLarge(f"Content-Length {declared} exceeds the cap of {cap} bytes",
                               url=where, status=status)
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > cap and not truncate_at_cap:
                raise ResponseTooLarge(f"body exceeds the cap of {cap} bytes",
                                       url=where, status=status)
            decoder.feed(chunk)
        if declared is not None and received != declared:
            raise TruncatedResponse(f"received {received} of {declared} declared bytes",
                                    url=where, status=status)
        body = decoder.finish()
    except ResponseTooLarge as exc:
        if truncate_at_cap:
            return Exchange(url, status, response.headers, bytes(decoder.buffer.data), True)
        exc.url, exc.status, exc.final_url = where, status, where
        raise
    except FetchError as exc:
        exc.url, exc.status, exc.final_url = where, status, where
        raise
    except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
        raise TruncatedResponse(f"body ended early: {exc or type(exc).__name__}",
                                url=where, status=status) from exc
    return Exchange(url, status, response.headers, body)


async def _drain(response: httpx.Response) -> None:
    """Read a small error or redirect body so its connection can be reused; else drop it."""
    length = _content_length(response)
    if length is None or length > DRAIN_LIMIT:
        return
    try:
        async for _ in response.aiter_raw():
            pass
    except httpx.TransportError:
        pass


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None:
        return None
    try:
        length = int(value.split(",")[0].strip())
    except ValueError:
        return None
    return length if length >= 0 else None
