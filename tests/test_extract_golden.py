"""Golden files: full pages modelled on real sites and exactly what extraction makes of them.

For each ``tests/fixtures/<name>.html`` with a ``<name>.body.txt`` next to it, the body
must equal that file (which ends with one newline, not part of the body) and the
metadata must equal ``<name>.meta.json`` (whose ``url`` is the page's address, given to
``extract``). ``UPDATE_GOLDEN=1 pytest tests/test_extract_golden.py`` rewrites the
golden files from the current output, so that changes are reviewed in the diff.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from newsarchiver.extract import extract
from newsarchiver.models import Article

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(p for p in FIXTURES.glob("*.html") if p.with_suffix(".body.txt").exists())
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")
META_FIELDS = (
    "title", "authors", "published", "modified", "language", "canonical_url", "site_name",
    "description",
)
TALEQAN = "Tاليقان"


def golden_meta(page: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(page.with_suffix(".meta.json").read_text("utf-8"))
    return meta


def as_json(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def extract_page(page: Path) -> Article:
    return extract(page.read_text("utf-8"), golden_meta(page)["url"])


def test_golden_pages_are_present() -> None:
    names = {p.stem for p in PAGES}
    assert {"npr-taliban-provincial-capitals", "nyt-taleqan-falls"} <= names


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_body_matches_golden(page: Path) -> None:
    article = extract_page(page)
    golden = page.with_suffix(".body.txt")
    if UPDATE:
        golden.write_text(article.body + "\n", encoding="utf-8")
    assert article.body == golden.read_text("utf-8").removesuffix("\n")


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_metadata_matches_golden(page: Path) -> None:
    article = extract_page(page)
    expected = golden_meta(page)
    actual = {name: as_json(getattr(article, name)) for name in META_FIELDS}
    if UPDATE:
        updated = {"url": expected["url"], **actual}
        page.with_suffix(".meta.json").write_text(
            json.dumps(updated, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        expected = updated
    assert actual == {name: expected.get(name) for name in META_FIELDS}


def test_golden_bodies_are_plain_paragraphs() -> None:
    for page in PAGES:
        body = page.with_suffix(".body.txt").read_text("utf-8").removesuffix("\n")
        assert body == body.strip()
        assert "\n\n\n" not in body
        assert all(block == " ".join(block.split()) for block in body.split("\n\n")), page


def test_npr_body_keeps_subheads_and_drops_station_chrome() -> None:
    article = extract_page(FIXTURES / "npr-taliban-provincial-capitals.html")
    assert article.body.startswith("The Taliban seized two provincial capitals")
    assert "\n\nThe U.S. withdrawal is getting closer\n\n" in article.body
    assert "## The Afghan government denies the Taliban's gains" in article.structured
    assert not article.body.startswith("The Taliban Has Seized")
    for chrome in ("An NPR member station", "Play Live Radio", "Next Up:", "0:00",
                   "Available On Air Stations", "Copyright 2021 NPR", "Charleston Reporter",
                   "Originally from Washington", "AFP via Getty Images", "Latest Stories"):
        assert chrome not in article.body, chrome


def test_nyt_item_heading_is_title_and_bios_and_related_are_dropped() -> None:
    article = extract_page(FIXTURES / "nyt-taleqan-falls.html")
    heading = f"Another provincial capital, {TALEQAN}, falls to the insurgents on Sunday."
    assert article.title == heading
    assert article.body.startswith("Taliban fighters captured")
    assert article.body.endswith("what cities and provinces remain.")
    for chrome in ("By Thomas Gibbons-Neff", "Aug. 8, 2021", "@tmgneff", "@NajimRah",
                   "former Marine infantryman", "Biden isn't changing", "Related",
                   "Advertisement", "Site Index", "NYTCo", "LIVE"):
        assert chrome not in article.body, chrome


def test_mixed_script_name_survives_byte_for_byte() -> None:
    expected = TALEQAN.encode("utf-8")
    assert expected == b"T\xd8\xa7\xd9\x84\xd9\x8a\xd9\x82\xd8\xa7\xd9\x86"
    article = extract_page(FIXTURES / "nyt-taleqan-falls.html")
    assert article.body.encode("utf-8").count(expected) == 10
    assert expected in (article.title or "").encode("utf-8")
    golden = (FIXTURES / "nyt-taleqan-falls.body.txt").read_bytes()
    assert golden.count(expected) == 10
