"""End to end through the CLI: a real loopback server, real databases, real migrations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsarchiver.cli import main
from newsarchiver.pipeline.extraction import cores
from newsarchiver.pipeline.sharding import MIN_SHARD_PAGES as SHARD_MIN_PAGES
from tests.conftest import FIXTURES
from tests.localserver import LocalServer

PARAGRAPHS = [
    "Taliban fighters captured another northern provincial capital on Sunday afternoon, "
    "local officials said, marking the third city to fall to the insurgent group in a day.",
    "The fighters had been contained at the gates of Tاليقان, the capital of Takhar "
    "Province, since June.",
    "By sunset, the Taliban had seized the police headquarters and the provincial "
    "governor's office, said an Afghan official.",
    "Mr. Rustaqi added that government forces were ambushed along the way.",
]


def page(paragraphs: list[str], *, related: list[str], updated: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    links = "\n".join(f'<li><a href="/related/{i}">{t}</a></li>' for i, t in enumerate(related))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Another provincial capital falls - The Example Times</title>
<link rel="canonical" href="/live/2021/08/08/taleqan">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a></nav>
<p class="updated">Updated {updated}</p></header>
<main><article>
<h1>Another provincial capital falls</h1>
<p class="byline">By Thomas Gibbons-Neff and Najim Rahim</p>
<div class="article-body">{body}</div>
</article>
<aside class="related"><h2>Related</h2><ul>{links}</ul></aside>
</main>
<footer><p>© 2021 The Example Times Company</p></footer>
</body></html>"""


RELATED_A = ["Biden isn't changing the U.S. withdrawal plan.", "The propaganda war intensifies."]
RELATED_B = ["How the Taliban managed to hold on.", "When cities fall to the Taliban."]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    p = tmp_path / "sources.toml"
    p.write_text("[fetch]\nper_host_delay = 0\nmax_retries = 0\ntimeout = 5\n", encoding="utf-8")
    return p


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_archive_versions_and_diff(server: LocalServer, db_url: str, config: Path) -> None:
    common = ["--db", db_url, "--config", str(config)]
    url = server.page("/live/2021/08/08/taleqan",
                      page(PARAGRAPHS, related=RELATED_A, updated="10:00"))

    r = cli("archive", url, *common, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["counts"]["new"] == 1

    r = cli("archive", url, *common)
    assert r.exit_code == 0, r.output
    hist = json.loads(cli("history", url, *common, "--json").output)
    assert [(v["version"], v["times_seen"]) for v in hist] == [(1, 2)]

    old_sentence = "Mr. Rustaqi added that government forces were ambushed along the way."
    new_sentence = "Reinforcements from Kunduz arrived late on Sunday evening."
    edited = [*PARAGRAPHS]
    edited[3] = PARAGRAPHS[3].replace(old_sentence, new_sentence)
    server.page("/live/2021/08/08/taleqan", page(edited, related=RELATED_A, updated="10:00"))
    assert cli("archive", url, *common).exit_code == 0
    # Only the chrome changes: related links rotate, the timestamp ticks. No new version.
    server.page("/live/2021/08/08/taleqan", page(edited, related=RELATED_B, updated="11:45"))
    assert cli("archive", url, *common).exit_code == 0

    hist = json.loads(cli("history", url, *common, "--json").output)
    assert [(v["version"], v["times_seen"]) for v in hist] == [(1, 2), (2, 2)]
    assert hist[1]["words_added"] == 8 and hist[1]["words_removed"] == 11

    text = cli("diff", url, *common).output
    assert f"[-{old_sentence}-]{{+{new_sentence}+}}" in text
    assert text.count("[-") == 1 and text.count("{+") == 1
    assert "@@ paragraph 4 @@" in text
    assert PARAGRAPHS[0] not in text  # unchanged paragraphs are not shown

    doc = json.loads(cli("diff", url, *common, "--format", "json").output)
    (para,) = doc["paragraphs"]
    assert para["chunks"] == [{"op": "delete", "text": old_sentence},
                              {"op": "insert", "text": new_sentence}]

    shown = cli("show", url, *common, "--version", "1", "--json")
    v1 = json.loads(shown.output)
    assert v1["body"] == "\n\n".join(PARAGRAPHS)
    assert "Tاليقان".encode() in shown.output.encode("utf-8")
    assert "Tاليقان" in cli("show", url, *common).output
    raw = CliRunner().invoke(main, ["show", url, *common, "--version", "1", "--raw"])
    assert raw.stdout_bytes == page(PARAGRAPHS, related=RELATED_A, updated="10:00").encode()
    html = cli("diff", url, *common, "--format", "html").output
    assert "Tاليقان" in html and html.startswith("<!DOCTYPE html>")


def test_same_article_by_three_urls_is_one(server: LocalServer, sqlite_url: str,
                                           config: Path) -> None:
    common = ["--db", sqlite_url, "--config", str(config)]
    server.page("/live/2021/08/08/taleqan", page(PARAGRAPHS, related=RELATED_A, updated="1"))
    base = server.url("/live/2021/08/08/taleqan")
    urls = [base, base + "?utm_source=twitter", base + "?fbclid=abc#comments"]
    r = cli("archive", *urls, *common, "--json")
    assert r.exit_code == 0, r.output
    hist = json.loads(cli("history", base + "?utm_medium=x", *common, "--json").output)
    assert len(hist) == 1


def test_failures_are_reported_not_fatal(server: LocalServer, sqlite_url: str,
                                         config: Path) -> None:
    common = ["--db", sqlite_url, "--config", str(config)]
    good = server.page("/a", page(PARAGRAPHS, related=RELATED_A, updated="1"))
    missing = server.url("/missing")
    r = cli("archive", missing, good, *common, "--json")
    assert r.exit_code == 0
    results = {x["url"]: x for x in json.loads(r.output)["results"]}
    assert results[missing]["outcome"] == "failed"
    assert results[missing]["error_class"] == "HTTPStatusError"
    assert results[good]["outcome"] == "new"
    # Nothing archivable at all: exit 1.
    r = cli("archive", missing, *common)
    assert r.exit_code == 1
    assert "HTTPStatusError" in r.output


def test_usage_and_config_errors_exit_2(tmp_path: Path, sqlite_url: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nname = "A"\nfeeds = "x"\n', encoding="utf-8")
    r = cli("run", "--config", str(bad), "--db", sqlite_url)
    assert r.exit_code == 2
    assert "sources[0].feeds" in r.output and str(bad) in r.output
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()  # nothing written
    r = cli("archive", "ftp://example.org/x", "--db", sqlite_url)
    assert r.exit_code == 2
    r = cli("history", "https://example.org/never-archived", "--db", sqlite_url)
    assert r.exit_code == 1 and "error:" in r.output


def test_saved_page_and_extract(tmp_path: Path, sqlite_url: str) -> None:
    saved = tmp_path / "story.html"
    saved.write_text(page(PARAGRAPHS, related=RELATED_A, updated="1"), encoding="utf-8")
    original = "https://www.example.com/live/2021/08/08/taleqan"
    r = cli("archive", str(saved), "--url", original, "--db", sqlite_url)
    assert r.exit_code == 0, r.output
    v = json.loads(cli("show", original, "--db", sqlite_url, "--json").output)
    assert v["body"] == "\n\n".join(PARAGRAPHS)

    r = cli("extract", saved.as_uri(), "--url", original, "--json")
    doc = json.loads(r.output)
    for key in ("url", "canonical_url", "title", "authors", "published", "modified",
                "language", "body"):
        assert key in doc
    assert doc["url"] == original and doc["body"] == "\n\n".join(PARAGRAPHS)


def test_help_has_examples() -> None:
    for command in ("run", "archive", "history", "show", "diff", "extract"):
        r = cli(command, "--help")
        assert r.exit_code == 0 and "Example" in r.output, command
        assert "--db" in r.output and "--config" in r.output, command
    assert "Example" in cli("db", "upgrade", "--help").output


def test_console_script_runs(tmp_path: Path, sqlite_url: str) -> None:
    """The installed entry point, as cron would call it."""
    saved = FIXTURES / "npr-taliban-provincial-capitals.html"
    if not saved.exists():
        pytest.skip("fixture not present")
    exe = Path(sys.executable).with_name("newsarchiver")
    r = subprocess.run(
        [str(exe), "archive", str(saved), "--url", "https://www.example.org/npr-story",
         "--db", sqlite_url],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "1 new" in r.stdout


def test_a_long_list_is_archived_by_one_process_a_core(server: LocalServer, tmp_path: Path,
                                                       config: Path) -> None:
    """The command line forks its archiving processes; each page is archived once."""
    urls = [server.page(f"/story/{i}", page([f"Story {i}: {p}" for p in PARAGRAPHS],
                                            related=RELATED_A, updated="10:00").replace(
                                                "/live/2021/08/08/taleqan", f"/story/{i}"))
            for i in range(SHARD_MIN_PAGES * 2)]
    db = tmp_path / "long.db"
    exe = Path(sys.executable).with_name("newsarchiver")
    r = subprocess.run([str(exe), "archive", "--config", str(config), "--db", str(db), *urls],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    assert f"{len(urls)} new, 0 changed" in r.stdout
    if cores() > 1:
        assert f"archiving {len(urls)} pages in 2 processes" in r.stderr
    r = subprocess.run([str(exe), "archive", "--config", str(config), "--db", str(db), *urls],
                       capture_output=True, text=True, timeout=300, check=False)
    assert f"0 new, 0 changed, {len(urls)} unchanged" in r.stdout


def test_nyt_fixture_through_the_archive(server: LocalServer, db_url: str,
                                         config: Path) -> None:
    """The live-blog fixture: golden body in, byte-exact out of show and diff."""
    html = (FIXTURES / "nyt-taleqan-falls.html").read_text(encoding="utf-8")
    golden = (FIXTURES / "nyt-taleqan-falls.body.txt").read_text(encoding="utf-8").strip()
    common = ["--db", db_url, "--config", str(config)]
    path = "/live/2021/08/08/world/taliban-afghanistan-news/taleqan-falls-taliban"
    url = server.page(path, html)
    assert cli("archive", url, *common).exit_code == 0

    # The related-links list rotates: no new version.
    rotated = html.replace("Biden isn't changing the U.S. withdrawal plan, officials say.",
                           "Kabul residents brace for a long week.")
    assert rotated != html
    server.page(path, rotated)
    assert cli("archive", url, *common).exit_code == 0

    old = "Mr. Rustaqi added that government forces were ambushed along the way."
    new = "Mr. Rustaqi added that government forces had retreated from Tاليقان overnight."
    server.page(path, rotated.replace(f">{old}<", f">{new}<"))
    assert cli("archive", url, *common).exit_code == 0

    hist = json.loads(cli("history", url, *common, "--json").output)
    assert [(v["version"], v["times_seen"]) for v in hist] == [(1, 2), (2, 1)]
    v1 = json.loads(cli("show", url, *common, "--version", "1", "--json").output)
    assert v1["body"] == golden
    assert v1["title"] == "Another provincial capital, Tاليقان, falls to the insurgents on Sunday."
    shown = cli("show", url, *common).output.encode("utf-8")
    assert shown.count("Tاليقان".encode()) == golden.count("Tاليقان") + 2  # title + edit

    diff = cli("diff", url, *common).output
    assert "{+had retreated from Tاليقان overnight+}" in diff
    assert "[-were ambushed along the way-]" in diff
    assert diff.count("@@ paragraph") == 1
