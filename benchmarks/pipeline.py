"""End-to-end archiving throughput against extraction alone, on the same pages.

A separate process serves N generated article pages (about 100 KB each: the
article inside realistic chrome, scripts and navigation) on loopback; it makes
every response before the first request, so serving them takes little CPU from the
archiving processes on a small machine. This
process then archives all of them into a fresh SQLite database with
``archive_targets`` (politeness off), and extracts the same pages alone, from
memory, half before and half after. It prints pages per second for both, their
ratio, and the peak memory of all the archiving run's processes. Each size runs in
a fresh child process, so peak memory can be compared across N to show that it
stays flat.

    .venv/bin/python benchmarks/pipeline.py                 # N = 2000, 3 runs
    .venv/bin/python benchmarks/pipeline.py --sizes 500,1000,2000

Each size runs ``--repeat`` times (3 by default) and the run with the median ratio is
shown, with the ratios of all runs and the share of CPU time the hypervisor gave to
other machines meanwhile ("steal"): on a shared virtual machine the speed drifts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

WORDS = (
    "government", "officials", "said", "the", "city", "council", "would", "vote", "on",
    "the", "proposal", "after", "a", "long", "debate", "over", "housing", "transport",
    "schools", "budget", "police", "report", "minister", "election", "campaign",
    "residents", "federal", "state", "court", "ruling", "economy", "prices", "inflation",
    "market", "workers", "union", "strike", "hospital", "health", "climate", "energy",
    "border", "security", "talks",
)


def make_page(n: int, target_bytes: int = 100_000) -> bytes:
    """A deterministic article page of about ``target_bytes``."""
    rng = random.Random(n)

    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 28))]
        return " ".join(words).capitalize() + "."

    paragraphs = [" ".join(sentence() for _ in range(rng.randint(2, 5))) for _ in range(18)]
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(60))
    related = "".join(f'<li><a href="/news/{n + i}">{sentence()}</a></li>' for i in range(12))
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    head = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Story {n} | Example News</title>"
        f'<link rel="canonical" href="/news/{n}">'
        f'<script type="application/ld+json">{{"@type":"NewsArticle","headline":"Story {n}",'
        f'"datePublished":"2024-05-0{n % 9 + 1}T10:00:00Z"}}</script>'
    )
    chrome = (
        f"<header><nav><ul>{nav}</ul></nav></header><main><article>"
        f'<h1>Story {n}</h1><p class="byline">By A. Reporter</p>'
        f'<div class="article-body">{body}</div></article>'
        f'<aside class="related"><h2>Related</h2><ul>{related}</ul></aside></main>'
        f"<footer><p>© Example News</p><ul>{nav}</ul></footer>"
    )
    filler_needed = max(0, target_bytes - len(head) - len(chrome) - 40)
    script = "<script>var config = " + json.dumps(
        {"k": "x" * filler_needed}) + ";</script>"
    return (head + script + "</head><body>" + chrome + "</body></html>").encode()


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def _response(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


class _PageServer(asyncio.Protocol):
    """A minimal keep-alive HTTP/1.1 server of ready-made responses to GET requests."""

    def __init__(self, responses: dict[bytes, bytes]) -> None:
        self._responses = responses
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._buffer += data
        while b"\r\n\r\n" in self._buffer:
            head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            self._transport.write(self._responses.get(path, NOT_FOUND))


def _serve(port_queue: multiprocessing.Queue[int], n: int) -> None:
    """Serve pages 0..n-1, each response made before the first request: serving them
    takes little CPU from the archiving processes on a small machine."""
    responses = {f"/news/{i}".encode(): _response(make_page(i)) for i in range(n)}

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(
            lambda: _PageServer(responses), "127.0.0.1", 0, backlog=128)
        port_queue.put(int(server.sockets[0].getsockname()[1]))
        await server.serve_forever()

    asyncio.run(main())


def _tree_pss_mb(root: int, skip: int) -> float:
    """Proportional set size (resident memory, shared pages divided among their sharers)
    of ``root`` and its descendants but ``skip``, this process and theirs, in MB."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in (skip, os.getpid()):
            continue
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup
                              if line.startswith("Pss:")) * 1024
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 2**20


def _sample_memory(root: int, skip: int, peak: Any, stop: Any) -> None:
    while not stop.wait(0.25):
        peak.value = max(peak.value, _tree_pss_mb(root, skip))


class PeakMemory:
    """Samples the memory of this process and its descendants (all of the run's processes
    but the page server and the sampler) every 250 ms; ``peak_mb`` is the largest total.

    The sampler is a process, not a thread: a run started from a process with no other
    thread forks its shards, as the command line does.
    """

    def __init__(self, skip: int) -> None:
        self._peak = multiprocessing.Value("d", 0.0)
        self._stop = multiprocessing.Event()
        self._skip = skip
        self._process: multiprocessing.Process | None = None

    @property
    def peak_mb(self) -> float:
        return float(self._peak.value)

    def __enter__(self) -> PeakMemory:
        self._process = multiprocessing.Process(
            target=_sample_memory, args=(os.getpid(), self._skip, self._peak, self._stop),
            daemon=True)
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._process is not None
        self._process.join()


def _extraction_seconds(pages: range, urls: list[str]) -> float:
    """Time to extract ``pages`` alone, each made in memory first (not timed)."""
    from newsarchiver.extract import extract

    total = 0.0
    for i in pages:
        html = make_page(i).decode()
        t0 = time.perf_counter()
        extract(html, urls[i])
        total += time.perf_counter() - t0
    return total


def measure(n: int) -> dict[str, float]:
    """Run in a fresh process: extract half the pages alone, archive all N end to end,
    then extract the other half alone (a machine whose speed drifts during the run
    weighs on both rates alike)."""
    from newsarchiver.diff import word_delta
    from newsarchiver.models import FetchSettings, Outcome, Settings
    from newsarchiver.pipeline import Target, archive_targets
    from newsarchiver.store import Archive

    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(queue, n), daemon=True)
    server.start()
    port = queue.get(timeout=120)
    settings = Settings(fetch=FetchSettings(
        per_host_delay=0, per_host_concurrency=16, concurrency=16, obey_robots=False,
        allow_private_networks=True, max_retries=0))
    urls = [f"http://127.0.0.1:{port}/news/{i}" for i in range(n)]
    extraction = _extraction_seconds(range(0, n, 2), urls)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        with (Archive.open(db, word_delta=word_delta) as archive,
              PeakMemory(skip=server.pid or 0) as memory):
            t0 = time.perf_counter()
            report = archive_targets([Target(u) for u in urls], settings=settings,
                                     archive=archive, clock=partial(datetime.now, UTC))
            e2e = time.perf_counter() - t0
        rss_mb = memory.peak_mb
    server.terminate()
    extraction += _extraction_seconds(range(1, n, 2), urls)
    ok = report.count(Outcome.NEW)
    return {"n": n, "archived": ok, "e2e_s": e2e, "extract_s": extraction,
            "peak_rss_mb": rss_mb}


def _steal_seconds() -> float:
    """CPU time the hypervisor gave to others, all cores (Linux ``/proc/stat``)."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated N values")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each size; the run of median ratio is shown")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return
    print(f"{'N':>6} {'archived':>8} {'e2e pages/s':>12} {'extract pages/s':>16} "
          f"{'ratio':>6} {'ratios of all runs':>20} {'peak MB':>8} {'steal %':>8}")
    cores = os.cpu_count() or 1
    for n in (int(x) for x in args.sizes.split(",")):
        runs = []
        for _ in range(args.repeat):
            steal, wall = _steal_seconds(), time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--child", str(n)], check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            r["e2e_rate"], r["ext_rate"] = r["n"] / r["e2e_s"], r["n"] / r["extract_s"]
            r["ratio"] = r["e2e_rate"] / r["ext_rate"]
            r["steal"] = 100 * (_steal_seconds() - steal) / (cores * (time.perf_counter() - wall))
            runs.append(r)
        runs.sort(key=lambda r: r["ratio"])
        r = runs[len(runs) // 2]
        ratios = " ".join(f"{x['ratio']:.2f}" for x in runs)
        print(f"{n:>6} {r['archived']:>8} {r['e2e_rate']:>12.1f} {r['ext_rate']:>16.1f} "
              f"{r['ratio']:>6.2f} {ratios:>20} {r['peak_rss_mb']:>8.1f} {r['steal']:>8.1f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
