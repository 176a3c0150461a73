"""Fetching: the only package of the project that imports httpx.

:class:`Fetcher` makes polite (robots.txt, per-host limits, back-off), bounded
(deadline, size cap, redirect hops) and guarded (SSRF, TLS, credentials) GETs;
:func:`read_local` reads a saved page; :func:`decode_html` sniffs and decodes HTML.
Requests and responses are httpx's; they travel on the HTTP/1.1 transport of
:mod:`.http11` (h11 over asyncio streams, connections opened by the SSRF guard).
"""

from __future__ import annotations

from newsarchiver.fetch.client import Fetcher
from newsarchiver.fetch.encoding import decode_html
from newsarchiver.fetch.guard import (
    AddressPolicy,
    Resolver,
    is_public_address,
    parse_numeric_host,
)
from newsarchiver.fetch.local import read_local
from newsarchiver.fetch.politeness import SharedHostGate
from newsarchiver.fetch.robots import RobotsCache, RobotsRules

__all__ = [
    "AddressPolicy",
    "Fetcher",
    "Resolver",
    "RobotsCache",
    "RobotsRules",
    "SharedHostGate",
    "decode_html",
    "is_public_address",
    "parse_numeric_host",
    "read_local",
]
