"""Per-source rules from ``sources.toml`` and the JSON-LD body's cross-check.

A site's ``body_selector`` replaces the generic body finder, its ``remove_selectors``
remove what they select; a selector that matches nothing or is not CSS falls back to
the generic extractor with a note, and the note reaches the fetch log. Whichever way
the body is found, scripts, captions and bylines never reach it.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from newsarchiver.cli import main
from newsarchiver.extract import extract
from newsarchiver.models import SiteRules
from newsarchiver.store import Archive
from tests.conftest import LOOPBACK_FETCH
from tests.localserver import LocalServer

URL = "https://example.com/2024/05/03/council-budget"
LEAD = ("The council approved the new budget on Tuesday after a long debate about the "
        "city's schools, its roads and the cost of running the night buses.")
MORE = ("Opponents said the plan leaves the libraries short, and promised to bring the "
        "question back before the summer recess, when the next figures are due.")
SIDEBAR = ("Most read today: the mayor's new bicycle lanes, the harbour festival programme "
           "and a long interview with the football club's new coach about the season.")


def story_page(extra: str = "") -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><title>Council budget</title></head>
<body><nav><a href="/">Home</a> <a href="/city">City</a></nav>
<div class="story-text">
<p class="by" itemprop="author">By Jane Doe</p>
<p>{LEAD}</p>
<script>var tracking = {{"section": "city", "id": 12345}};</script>
<figure><img src="/bus.jpg" alt=""><figcaption>Night buses. Photo: Agency</figcaption></figure>
<div class="box-17">Reader offer: two months of the paper for the price of one.</div>
<p>{MORE}</p>
</div>
<div class="sidebar-box"><p>{SIDEBAR}</p><p>{SIDEBAR}</p><p>{SIDEBAR}</p></div>
{extra}
</body></html>"""


def test_body_selector_chooses_the_body_and_drops_what_never_is_article_text() -> None:
    article = extract(story_page(), URL, SiteRules(body_selector="div.story-text"))
    assert LEAD in article.body and MORE in article.body
    assert "Most read today" not in article.body
    for leaked in ("tracking", "12345", "Photo: Agency", "By Jane Doe"):
        assert leaked not in article.body, leaked
    assert article.notes == ()


def test_remove_selectors_remove_what_they_select() -> None:
    plain = extract(story_page(), URL, SiteRules(body_selector="div.story-text"))
    assert "Reader offer" in plain.body
    ruled = extract(story_page(), URL, SiteRules(body_selector="div.story-text",
                                                 remove_selectors=(".box-17",)))
    assert "Reader offer" not in ruled.body
    assert LEAD in ruled.body and MORE in ruled.body


def test_a_selector_that_matches_nothing_falls_back_with_a_note() -> None:
    generic = extract(story_page(), URL)
    article = extract(story_page(), URL, SiteRules(body_selector="div.article-body"))
    assert article.body == generic.body and LEAD in article.body
    assert article.notes == (
        "body_selector 'div.article-body' matched nothing; used the generic extractor",
    )


def test_selectors_that_are_not_css_are_noted_and_ignored() -> None:
    article = extract(story_page(), URL, SiteRules(body_selector="div[", remove_selectors=("p[",)))
    assert LEAD in article.body
    assert article.notes == (
        "remove_selector 'p[' is not valid CSS; ignored",
        "body_selector 'div[' is not valid CSS; used the generic extractor",
    )


def _json_ld(body: str) -> str:
    data = {"@type": "NewsArticle", "headline": "Council budget", "articleBody": body}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


HIDDEN = " ".join(
    f"Paragraph {i} of a text that the page never shows to its readers at all." for i in range(12)
)


def test_a_json_ld_body_is_not_its_own_evidence() -> None:
    # The JSON-LD body is used only when its text is on the page: a script in the
    # <body> holding it does not count as the page's text, as one in <head> does not.
    in_head = story_page().replace("</head>", _json_ld(HIDDEN) + "</head>")
    in_body = story_page(extra=_json_ld(HIDDEN))
    for html in (in_head, in_body):
        article = extract(html, URL)
        assert "never shows" not in article.body
        assert LEAD in article.body


def test_a_json_ld_body_whose_text_is_on_the_page_completes_a_short_extraction() -> None:
    paragraphs = [f"{LEAD} Part {i}." for i in range(6)]
    shown = "".join(f"<span>{p}</span><br>" for p in paragraphs)
    html = (f"<html><head>{_json_ld(chr(10).join(paragraphs))}</head><body>"
            f"<div class='story-text'><p>{paragraphs[0]}</p></div>"
            f"<div class='carousel'>{shown}</div></body></html>")
    article = extract(html, URL)
    assert article.body.split("\n\n") == paragraphs


def test_a_body_selector_miss_is_in_the_fetch_log(server: LocalServer, db_url: str,
                                                  tmp_path: Path) -> None:
    url = server.page("/2024/05/03/council-budget", story_page())
    config = tmp_path / "sources.toml"
    config.write_text(LOOPBACK_FETCH + f"""
[[sources]]
name = "Example"
articles = ["{url}"]
body_selector = "div.article-body"
""", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--db", db_url, "--config", str(config)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    archive = Archive.open(db_url)
    try:
        entry = archive.fetch_log(url)[0]
        assert entry.notes == (
            "body_selector 'div.article-body' matched nothing; used the generic extractor",
        )
        assert LEAD in archive.history(url)[0].body
    finally:
        archive.close()
