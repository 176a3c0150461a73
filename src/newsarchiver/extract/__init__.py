"""Extraction: HTML in, :class:`~newsarchiver.models.Article` out. Pure: no I/O, no clock.

The only module of the project that imports selectolax. The page is parsed once (a
huge one slimmed and, past a tag budget, cut first: :mod:`.oversize`); its metadata is
read from the intact tree; then the elements that never hold article text go
(scripts, media, captions, bylines: whichever way the body is found), and the
furniture (site rules first, then the generic tags, roles and class/id signals of
:mod:`.selectors`); the body element is found by paragraph scores and link density
(:mod:`.body`) unless the site names it, and its blocks are rendered as paragraphs
(:mod:`.render`). What is left after the furniture is read out of the tree once
(:mod:`.subtree`) for the last two steps. A JSON-LD ``articleBody`` is used only when
clearly longer and found in the page's own text (:mod:`.structured_data`).
"""

from newsarchiver.extract.extractor import extract
from newsarchiver.extract.links import find_links

__all__ = ["extract", "find_links"]
