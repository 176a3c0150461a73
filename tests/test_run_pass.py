"""``newsarchiver run`` and ``status`` end to end: discovery from a feed, a sitemap and a
section page on a loopback server, then re-checks only when due."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsarchiver.cli import main
from tests.conftest import LOOPBACK_FETCH
from tests.localserver import LocalServer

ARTICLE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title></head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>
<p>{title} begins with a first paragraph long enough to count as the body of an article.</p>
<p>A second paragraph of {title} adds detail, quotes an official and gives some context.</p>
<p>The third paragraph of {title} ends the story with what happens next week in the city.</p>
</article><footer>© Example</footer></body></html>"""


def feed(base: str, updated: str = "Sun, 08 Aug 2021 10:00:00 GMT") -> str:
    items = "".join(
        f"<item><title>Feed story {i}</title><link>{base}/feed-story-{i}?utm_source=rss</link>"
        f"<pubDate>{updated}</pubDate></item>" for i in range(3))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Example</title>'
            f"<link>{base}/</link>{items}<item><title>Mail</title>"
            f"<link>mailto:desk@example.org</link></item></channel></rss>")


SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/sitemap-story-1</loc><lastmod>2021-08-08T10:00:00Z</lastmod></url>
<url><loc>{base}/sitemap-story-2</loc></url>
<url><loc>{base}/about</loc></url>
</urlset>"""

SECTION = """<!DOCTYPE html><html><body><nav><a href="/about">About</a></nav>
<main><h2><a href="/section-story-1">One</a></h2><h2><a href="/section-story-2">Two</a></h2>
<a href="javascript:void(0)">More</a></main></body></html>"""


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def site(server: LocalServer) -> LocalServer:
    base = server.url("").rstrip("/")
    for name in ("feed-story-0", "feed-story-1", "feed-story-2", "sitemap-story-1",
                 "sitemap-story-2", "section-story-1", "section-story-2"):
        server.page(f"/{name}", ARTICLE.format(title=name.replace("-", " ").title()))
    server.page("/rss.xml", feed(base), content_type="application/rss+xml")
    server.page("/sitemap.xml", SITEMAP.format(base=base), content_type="application/xml")
    server.page("/world", SECTION)
    return server


def write_config(tmp_path: Path, server: LocalServer) -> Path:
    p = tmp_path / "sources.toml"
    p.write_text(LOOPBACK_FETCH + f"""
[[sources]]
name = "Example"
feeds = ["{server.url('/rss.xml')}"]
sitemaps = ["{server.url('/sitemap.xml')}"]
sections = [{{ url = "{server.url('/world')}", links = "main h2 a" }}]
exclude = ["/about$"]
""", encoding="utf-8")
    return p


def test_run_discovers_then_rechecks_only_what_is_due(site: LocalServer, db_url: str,
                                                      tmp_path: Path) -> None:
    common = ["--db", db_url, "--config", str(write_config(tmp_path, site))]
    first = cli("run", *common, "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    archived = sorted(r["url"].rsplit("/", 1)[-1] for r in report["results"])
    assert archived == ["feed-story-0", "feed-story-1", "feed-story-2", "section-story-1",
                        "section-story-2", "sitemap-story-1", "sitemap-story-2"]
    assert report["counts"]["new"] == 7
    assert not site.hits_for("/about")  # excluded, never fetched

    # Nothing is due a moment later: the pass fetches no article.
    article_hits = len([h for h in site.hits if "story" in h.path])
    again = cli("run", *common, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["results"] == []
    assert len([h for h in site.hits if "story" in h.path]) == article_hits

    # The feed says one story was updated after we last saw it: due at once.
    base = site.url("").rstrip("/")
    site.page("/rss.xml", feed(base, updated="Sat, 01 Jan 2050 00:00:00 GMT"),
              content_type="application/rss+xml")
    third = json.loads(cli("run", *common, "--json").output)
    assert sorted(r["url"].rsplit("/", 1)[-1] for r in third["results"]) == [
        "feed-story-0", "feed-story-1", "feed-story-2"]
    assert third["counts"]["unchanged"] + third["counts"]["not_modified"] == 3

    status = json.loads(cli("status", *common, "--json").output)
    (row,) = [r for r in status if r["source"] == "Example"]
    assert row["tiers"]["<3h"] == 7
    assert row["due_now"] == 0
    assert row["last_run_at"] is not None
    assert row["failure_rate"] == 0
    text = cli("status", *common).output
    assert "Example" in text and "<3h: 7" in text


def test_broken_listing_is_logged_and_the_rest_goes_on(site: LocalServer, sqlite_url: str,
                                                       tmp_path: Path) -> None:
    site.page("/rss.xml", "<rss><channel><item>", content_type="application/rss+xml")
    site.page("/sitemap.xml", "oops", status=500, content_type="text/plain")
    common = ["--db", sqlite_url, "--config", str(write_config(tmp_path, site))]
    r = cli("run", *common, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["counts"]["new"] == 2  # the section page still worked
    status = json.loads(cli("status", *common, "--json").output)
    assert status[0]["recent_failures"] >= 1
