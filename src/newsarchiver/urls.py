"""URL identity: one spelling per article.

``normalize_url`` lowercases scheme and host, turns IDNs into punycode, drops
default ports, the fragment and tracking parameters (``utm_*``, ``fbclid``,
``gclid`` ...), and keeps every other query parameter in its original order.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from newsarchiver.errors import InvalidURL

#: Query parameters dropped by default. An entry ending in ``*`` is a prefix.
DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "ocid", "cmpid", "smid", "smtyp",
    "ito", "at_medium", "at_campaign", "ns_source", "ns_mchannel", "ns_campaign",
    "ns_linkname", "ns_fee", "sr_share", "cid", "__twitter_impression", "ref_src",
)

WEB_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"  # keeps existing %-escapes as they are


def _tracking_matcher(params: Iterable[str]) -> re.Pattern[str]:
    return _matcher(tuple(params))


@functools.lru_cache(maxsize=64)
def _matcher(params: tuple[str, ...]) -> re.Pattern[str]:
    parts = [
        re.escape(p[:-1]) + ".*" if p.endswith("*") else re.escape(p) for p in params
    ]
    return re.compile("(?:" + "|".join(parts) + ")$" if parts else "(?!)", re.IGNORECASE)


_DEFAULT_MATCHER = _tracking_matcher(DEFAULT_TRACKING_PARAMS)


def encode_host(host: str) -> str:
    """Lowercase a host name and turn an IDN into punycode (IDNA 2003 via stdlib)."""
    host = host.strip().rstrip(".").lower()
    if not host:
        raise InvalidURL("URL has no host")
    if host.startswith("["):  # IPv6 literal
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidURL(f"invalid host name {host!r}: {exc}") from None


def normalize_url(
    url: str,
    *,
    tracking_params: Iterable[str] | None = None,
    schemes: frozenset[str] = WEB_SCHEMES,
) -> str:
    """Return the canonical spelling of ``url``; raise :class:`InvalidURL` if it has none.

    >>> normalize_url("HTTPS://Example.COM:443/a?utm_source=x&id=3#top")
    'https://example.com/a?id=3'
    """
    params = None if tracking_params is None else tuple(tracking_params)
    return _normalize_url(url, params, schemes)


#: A run spells the same URL several times (target, final URL, canonical link).
@functools.lru_cache(maxsize=4096)
def _normalize_url(url: str, tracking_params: tuple[str, ...] | None,
                   schemes: frozenset[str]) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL: {exc}", url=url) from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise InvalidURL(
            f"scheme {scheme + ':' if scheme else '(none)'} is not allowed; "
            f"expected one of {', '.join(sorted(schemes))}",
            url=url,
        )
    host = encode_host(parts.hostname or "")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = quote(parts.path, safe=_SAFE_PATH) or "/"
    matcher = (
        _DEFAULT_MATCHER if tracking_params is None else _tracking_matcher(tracking_params)
    )
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not matcher.match(k)],
        doseq=True,
    )
    return urlunsplit((scheme, netloc, path, query, ""))


@functools.lru_cache(maxsize=4096)
def host_of(url: str) -> str:
    """The lowercase host (with port if not default) that politeness limits key on."""
    parts = urlsplit(url)
    host = encode_host(parts.hostname or "")
    port = parts.port
    scheme = parts.scheme.lower()
    return host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
