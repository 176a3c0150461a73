"""Many workers on one archive: real processes, a real loopback server, real databases.

Four ``newsarchiver run`` processes share one PostgreSQL archive of 500 due
articles (two processes on SQLite): every article is fetched exactly once and no
version is duplicated. A worker killed with SIGKILL mid-run loses nothing: its
leased articles are taken by another worker once the lease expires.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsarchiver.diff import word_delta
from newsarchiver.models import DiscoveredLink
from newsarchiver.store import Archive
from tests.localserver import Handler, LocalServer, respond

pytestmark = pytest.mark.slow

ARTICLE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Story {n}</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Story {n}</h1>
<p>Story number {n} opens with a paragraph long enough to be an article body, with detail.</p>
<p>The second paragraph of story {n} adds more words, so that extraction keeps the body.</p>
<p>A third paragraph closes story {n}, quoting an official who spoke on the record.</p>
</article><footer>© Example News</footer></body></html>"""


def serve_articles(server: LocalServer, count: int, delay: float = 0.0) -> list[str]:
    def page(h: Handler) -> None:
        if delay:
            time.sleep(delay)
        n = h.path.rsplit("/", 1)[-1]
        respond(h, ARTICLE.format(n=n).encode())

    urls = []
    for i in range(count):
        urls.append(server.route(f"/news/{i}", page))
    return urls


def write_config(tmp_path: Path) -> Path:
    p = tmp_path / "sources.toml"
    p.write_text(
        "[fetch]\nallow_private_networks = true\nper_host_delay = 0\n"
        "per_host_concurrency = 8\nconcurrency = 8\ntimeout = 10\nmax_retries = 0\n"
        '[[sources]]\nname = "local"\n',
        encoding="utf-8",
    )
    return p


def track(db_url: str, urls: list[str]) -> None:
    with Archive.open(db_url, word_delta=word_delta) as arc:
        arc.track([DiscoveredLink(u) for u in urls], source="local", now=datetime.now(UTC))


def start_worker(db_url: str, config: Path, *extra: str) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("newsarchiver")
    return subprocess.Popen(
        [str(exe), "run", "--db", db_url, "--config", str(config), "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def versions_per_article(db_url: str, urls: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    with Archive.open(db_url) as arc:
        for u in urls:
            counts[u] = len(arc.history(u))
    return counts


def page_hits(server: LocalServer) -> Counter[str]:
    return Counter(h.path for h in server.hits if h.path.startswith("/news/"))


def run_workers(db_url: str, config: Path, n: int) -> None:
    procs = [start_worker(db_url, config) for _ in range(n)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]


@pytest.mark.postgres
def test_four_workers_on_postgres(server: LocalServer, pg_url: str, tmp_path: Path) -> None:
    urls = serve_articles(server, 500)
    track(pg_url, urls)
    run_workers(pg_url, write_config(tmp_path), 4)
    hits = page_hits(server)
    assert len(hits) == 500 and set(hits.values()) == {1}, "each article fetched exactly once"
    assert set(versions_per_article(pg_url, urls).values()) == {1}, "no duplicate versions"


def test_two_workers_on_sqlite(server: LocalServer, sqlite_url: str, tmp_path: Path) -> None:
    urls = serve_articles(server, 150)
    track(sqlite_url, urls)
    run_workers(sqlite_url, write_config(tmp_path), 2)
    hits = page_hits(server)
    assert len(hits) == 150 and set(hits.values()) == {1}
    assert set(versions_per_article(sqlite_url, urls).values()) == {1}


@pytest.mark.postgres
def test_killed_worker_loses_nothing(server: LocalServer, pg_url: str, tmp_path: Path) -> None:
    urls = serve_articles(server, 60, delay=0.2)
    track(pg_url, urls)
    config = write_config(tmp_path)
    victim = start_worker(pg_url, config, "--lease", "3s")
    deadline = time.monotonic() + 60
    while not page_hits(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert page_hits(server), "the first worker started fetching"
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=10)  # reaps it and closes its pipes
    fetched_by_victim = set(page_hits(server))

    # A second worker right away cannot take the victim's leased articles...
    time.sleep(3.5)  # ...but after the lease expires it takes them all.
    survivor = start_worker(pg_url, config)
    _, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err[-3000:]

    counts = versions_per_article(pg_url, urls)
    assert set(counts.values()) == {1}, "every article archived exactly once"
    hits = page_hits(server)
    refetched = {p for p, n in hits.items() if n > 1}
    assert refetched <= fetched_by_victim, "only the victim's in-flight articles are refetched"


def test_daemon_stops_gracefully(server: LocalServer, sqlite_url: str, tmp_path: Path) -> None:
    urls = serve_articles(server, 5)
    failing = server.page("/broken-feed.xml", "boom", status=500, content_type="text/plain")
    config = tmp_path / "sources.toml"
    config.write_text(
        "[fetch]\nallow_private_networks = true\nper_host_delay = 0\nmax_retries = 0\n"
        f'[[sources]]\nname = "local"\nschedule = "every 1h"\narticles = {urls!r}\n'
        f'[[sources]]\nname = "broken"\nschedule = "every 1h"\nfeeds = ["{failing}"]\n'
        .replace("'", '"'),
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("newsarchiver")
    proc = subprocess.Popen(
        [str(exe), "daemon", "--db", sqlite_url, "--config", str(config), "--tick", "1s"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while len(page_hits(server)) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(page_hits(server)) == 5, "".join(lines)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)  # the bound the daemon promises
    reader.join(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()
    log = "".join(lines)
    assert proc.returncode == 0, log
    assert "stopped" in log
    assert "discovery broken" in log  # the failing source ran and was survived
    assert set(versions_per_article(sqlite_url, urls).values()) == {1}
