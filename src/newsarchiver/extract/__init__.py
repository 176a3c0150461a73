"""Extraction: HTML in, :class:`~newsarchiver.models.Article` out. Pure: no I/O, no clock.

The only module of the project that imports selectolax.
"""

from __future__ import annotations

from newsarchiver.models import Article, SiteRules


def extract(html: str, url: str | None = None, rules: SiteRules | None = None) -> Article:
    """Return the article in ``html``; raise :class:`~newsarchiver.errors.NoArticle`
    when the page holds none and :class:`~newsarchiver.errors.ExtractionError` when it
    cannot be parsed."""
    raise NotImplementedError


def find_links(
    html: str, base_url: str, selector: str | None = None, pattern: str | None = None
) -> tuple[str, ...]:
    """Absolute http(s) links on a section page, picked by CSS selector and/or regex."""
    raise NotImplementedError


__all__ = ["extract", "find_links"]
