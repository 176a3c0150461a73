"""The one error tree of newsarchiver.

Every error the project raises on purpose derives from :class:`NewsArchiverError`
and carries the context needed to act on it (the URL, the HTTP status, the config
file and key). Stages raise; the pipeline records per-URL errors in the fetch log
and moves on; only the CLI turns errors into messages and exit codes. Any other
exception is a bug and is allowed to surface loudly.

::

    NewsArchiverError
    ├── ConfigError                 bad sources.toml / option (file, key path, expected)
    ├── InvalidURL                  a URL that cannot be archived (scheme, syntax)
    ├── FetchError                  one fetch failed (url, status, final_url)
    │   ├── NetworkError            connection refused / reset / DNS failure
    │   │   └── TLSError            certificate or handshake failure (never bypassed)
    │   ├── FetchTimeout            the total per-fetch deadline ran out
    │   ├── HTTPStatusError         a status other than 2xx / 304 (after retries)
    │   ├── ResponseTooLarge        declared or decoded body over the size cap
    │   ├── TruncatedResponse       body ended early / broken framing or encoding
    │   ├── ContentEncodingError    undecodable or too deeply stacked encodings
    │   ├── RedirectError           too many hops or a loop
    │   ├── UnsupportedContentType  not HTML or XHTML; the body is not read
    │   └── FetchRefused            not attempted by policy
    │       ├── RobotsDisallowed    robots.txt forbids it (or is unreadable: 5xx)
    │       └── UnsafeURL           scheme or address forbidden (SSRF guard)
    ├── DiscoveryError              a feed or sitemap could not be read (url)
    ├── ExtractionError             HTML could not be turned into an article (url)
    │   └── NoArticle               a page with no article in it (reason)
    ├── ArchivingProcessDied        the process archiving this URL died (url, exit code)
    └── StoreError                  the archive database
        ├── NotFound                no such article / version (url, version)
        └── SchemaError             database not migrated / migration failed
"""

from __future__ import annotations


class NewsArchiverError(Exception):
    """Root of every error newsarchiver raises on purpose."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        if self.url and self.url not in self.message:
            return f"{self.message} ({self.url})"
        return self.message


class ConfigError(NewsArchiverError):
    """Invalid configuration: names the file, the key path and what was expected."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        where = ": ".join(p for p in (path, key) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.key = key


class InvalidURL(NewsArchiverError):
    """A URL that is malformed or of a scheme that cannot be archived."""


class FetchError(NewsArchiverError):
    """One fetch failed. ``status`` is the last HTTP status seen, if any."""

    #: Whether trying again later (not within this fetch) may succeed.
    transient: bool = True

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        final_url: str | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.final_url = final_url or url


class NetworkError(FetchError):
    """The connection could not be made or broke."""


class TLSError(NetworkError):
    """TLS handshake or certificate verification failed."""


class FetchTimeout(FetchError):
    """The total deadline for the fetch ran out."""


class HTTPStatusError(FetchError):
    """The server answered with a status that is not a success."""


class ResponseTooLarge(FetchError):
    """The body is larger than the configured cap (declared or decoded)."""

    transient = False


class TruncatedResponse(FetchError):
    """The body ended before it was complete."""


class ContentEncodingError(FetchError):
    """The content encoding could not be decoded, or is stacked too deep."""

    transient = False


class RedirectError(FetchError):
    """Too many redirects, or a redirect loop."""

    transient = False


class UnsupportedContentType(FetchError):
    """The response is not HTML or XHTML, so it is not archived."""

    transient = False

    def __init__(
        self, message: str, *, url: str | None = None, status: int | None = None,
        final_url: str | None = None, content_type: str | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status, final_url=final_url)
        self.content_type = content_type


class FetchRefused(FetchError):
    """The fetch was not attempted because policy forbids it."""

    transient = False


class RobotsDisallowed(FetchRefused):
    """robots.txt forbids the URL, or could not be read (RFC 9309: 5xx disallows all)."""

    transient = True


class UnsafeURL(FetchRefused):
    """The URL's scheme or address is not allowed (SSRF guard)."""


class DiscoveryError(NewsArchiverError):
    """A feed or sitemap is malformed, unsafe (DOCTYPE with entities) or not a listing."""


class ExtractionError(NewsArchiverError):
    """The page could not be turned into an article."""


class NoArticle(ExtractionError):
    """The page holds no article: a section front, consent wall, soft 404 and so on."""

    def __init__(self, reason: str, *, url: str | None = None) -> None:
        super().__init__(f"no article: {reason}", url=url)
        self.reason = reason


class ArchivingProcessDied(NewsArchiverError):
    """One of a run's archiving processes died (killed, out of memory) before this URL
    was done; the run's other processes went on."""

    def __init__(self, message: str, *, url: str | None = None,
                 exitcode: int | None = None) -> None:
        super().__init__(message, url=url)
        self.exitcode = exitcode


class StoreError(NewsArchiverError):
    """The archive database failed or refused an operation."""


class NotFound(StoreError):
    """No such article, or no such version of it."""

    def __init__(self, message: str, *, url: str | None = None, version: int | None = None):
        super().__init__(message, url=url)
        self.version = version


class SchemaError(StoreError):
    """The database schema is missing, outdated or could not be migrated."""
