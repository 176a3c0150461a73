"""Saved pages named on the command line, read as if fetched."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from newsarchiver.errors import FetchError, ResponseTooLarge
from newsarchiver.fetch.decoding import decode_body
from newsarchiver.fetch.encoding import decode_html
from newsarchiver.models import FetchResult, FetchSettings

_DEFAULT_CAP = FetchSettings().max_bytes


def read_local(path: str | Path, url: str | None = None, *,
               max_bytes: int = _DEFAULT_CAP) -> FetchResult:
    """Read a saved page (``.html``, ``.xhtml``, gzipped too) and decode it like a response.

    ``final_url`` is ``url`` when given (the page's original address), else the
    file's ``file://`` URL.
    """
    p = Path(path)
    where = url or (p.resolve().as_uri() if p.is_absolute() or p.exists() else str(p))
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise ResponseTooLarge(f"saved page is {size} bytes, over the cap of {max_bytes}",
                                   url=where)
        body = p.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read saved page {p}: {exc.strerror or exc}", url=where) from None
    name = p.name.lower()
    if name.endswith(".gz"):
        body = decode_body(body, ["gzip"], max_bytes)
        name = name[:-3]
    guessed, _ = mimetypes.guess_type(name)
    content_type = guessed if guessed in ("application/xhtml+xml", "text/html") else "text/html"
    text, encoding = decode_html(body, None)
    return FetchResult(url=where, final_url=where, status=200, content_type=content_type,
                       body=body, text=text, encoding=encoding)
