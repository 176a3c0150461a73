#!/usr/bin/env python3
"""Benchmark article-body extraction: newsarchiver against trafilatura and readability.

    python benchmarks/extraction.py [--data DIR] [--limit N] [--only NAME] [--save DIR]
                                    [--turn PAGES]

Runs every available extractor on the same pages, HTML already in memory, one core,
the extractors taking turns (``--turn`` pages each), and scores them with the benchmarks' own
metrics (``score.py`` of the data folder): F1, precision, recall, pages per second and
speed relative to newsarchiver.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks"
DATASETS = ("scrapinghub-dev", "trafilatura-dev")

Extractor = Callable[[str, str], str]


def load_scorer(data: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_score", data / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"{data}/score.py not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(folder: Path, limit: int | None) -> list[tuple[str, str, str]]:
    """(id, url, html) for each page of a dataset, in a fixed order."""
    pages = []
    if (folder / "ground-truth.json").exists():
        truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
        for doc_id, item in sorted(truth.items()):
            path = folder / "html" / f"{doc_id}.html.gz"
            pages.append((doc_id, item.get("url", ""), path))
    else:
        evaldata = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
        for key, item in sorted(evaldata.items()):
            pages.append((key, key, folder / item["html"]))
    if limit is not None:
        pages = pages[:limit]
    out = []
    for doc_id, url, path in pages:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            out.append((doc_id, url, fh.read()))
    return out


def newsarchiver_extractor() -> Extractor:
    from newsarchiver.errors import ExtractionError
    from newsarchiver.extract import extract

    def run(html: str, url: str) -> str:
        try:
            return extract(html, url=url).body
        except ExtractionError:
            return ""

    return run


def trafilatura_extractor() -> Extractor | None:
    try:
        import trafilatura
    except ImportError:
        return None

    def run(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url) or ""

    return run


def readability_extractor() -> Extractor | None:
    try:
        import html_text
        from readability import Document
    except ImportError:
        return None

    def run(html: str, url: str) -> str:
        try:
            return str(html_text.extract_text(Document(html, url=url).summary(html_partial=True)))
        except Exception:  # readability raises on empty or odd documents
            return ""

    return run


def extractors(only: str | None) -> dict[str, Extractor]:
    found: dict[str, Extractor | None] = {"newsarchiver": newsarchiver_extractor()}
    if only in (None, "trafilatura"):
        found["trafilatura"] = trafilatura_extractor()
    if only in (None, "readability"):
        found["readability"] = readability_extractor()
    if only is not None:
        found = {k: v for k, v in found.items() if k == only}
    return {k: v for k, v in found.items() if v is not None}


Page = tuple[str, str, str]
#: Pages each extractor runs untimed before the timed run.
WARM_UP_PAGES = 5
#: Pages an extractor runs before the next one takes its turn: enough that each runs
#: as it would in a batch of its own, its caches warm, and few enough that the turns
#: come every second or so, so that a drifting machine weighs on all alike.
TURN_PAGES = 20


def run_all(runners: dict[str, Extractor], pages: list[Page],
            turn: int = 1) -> dict[str, tuple[dict[str, Any], float]]:
    """Run every extractor on every page; return each one's predictions and seconds.

    The extractors take turns, ``turn`` pages each (their order rotating), so a
    machine whose speed drifts during the run weighs on all of them alike. Each first
    extracts a few pages untimed, so no one pays for another's warm-up (imports,
    caches, compiled patterns)."""
    names = list(runners)
    for name in names:
        for _, url, html in pages[:WARM_UP_PAGES]:
            runners[name](html, url)
    preds: dict[str, dict[str, Any]] = {name: {} for name in names}
    seconds = dict.fromkeys(names, 0.0)
    for k, start in enumerate(range(0, len(pages), turn)):
        block = pages[start:start + turn]
        for name in names[k % len(names):] + names[:k % len(names)]:
            run, found, clock = runners[name], preds[name], time.perf_counter
            began = clock()
            for doc_id, url, html in block:
                found[doc_id] = {"articleBody": run(html, url)}
            seconds[name] += clock() - began
    return {name: (preds[name], seconds[name]) for name in names}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark folder")
    ap.add_argument("--limit", type=int, default=None, help="pages per dataset")
    ap.add_argument("--only", default=None, help="run one extractor (e.g. newsarchiver)")
    ap.add_argument("--dataset", choices=DATASETS, default=None, help="run one dataset")
    ap.add_argument("--save", type=Path, default=None, help="write predictions here")
    ap.add_argument("--turn", type=int, default=TURN_PAGES,
                    help=f"pages per extractor's turn (default {TURN_PAGES})")
    args = ap.parse_args(argv)
    scorer = load_scorer(args.data)
    runners = extractors(args.only)
    print(f"newsarchiver extraction: {extraction_build()}")
    if not runners:
        raise SystemExit(f"extractor {args.only!r} is not available")
    for name in DATASETS:
        if args.dataset and name != args.dataset:
            continue
        folder = args.data / name
        pages = load_pages(folder, args.limit)
        ids = {p[0] for p in pages}
        print(f"{name}: {len(pages)} pages")
        print(f"  {'extractor':<14}{'F1':>7}{'prec':>7}{'recall':>8}{'pages/s':>10}{'speed':>9}")
        base_rate = None
        for label, (preds, seconds) in run_all(runners, pages, max(1, args.turn)).items():
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                out = args.save / f"{name}.{label}.json"
                out.write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
            result = score(scorer, folder, preds, ids)
            rate = len(pages) / seconds if seconds else float("inf")
            base_rate = base_rate or rate
            ratio = rate / base_rate
            print(f"  {label:<14}{result['f1']:>7.3f}{result['precision']:>7.3f}"
                  f"{result['recall']:>8.3f}{rate:>10.1f}{ratio:>8.2f}x", flush=True)
    return 0


def extraction_build() -> str:
    """Whether the installed extraction modules are compiled (``pip install .``) or the
    Python source (an editable install)."""
    import newsarchiver.extract  # noqa: F401

    module = sys.modules["newsarchiver.extract.render"].__file__ or ""
    return "compiled with mypyc" if module.endswith((".so", ".pyd")) else "pure Python"


def score(scorer: ModuleType, folder: Path, preds: dict[str, Any], ids: set[str]) -> Any:
    """Score with the dataset's own metric, restricted to the pages that were run."""
    if (folder / "ground-truth.json").exists():
        return _restricted(scorer.score_scrapinghub, folder, "ground-truth.json", preds, ids)
    return _restricted(scorer.score_trafilatura, folder, "evaldata.json", preds, ids)


def _restricted(fn: Any, folder: Path, name: str, preds: dict[str, Any], ids: set[str]) -> Any:
    full = json.loads((folder / name).read_text(encoding="utf-8"))
    if set(full) == ids:
        return fn(folder, preds, False)
    # Score a subset by pointing the scorer at a temporary copy of the truth file.
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp)
        (sub / name).write_text(
            json.dumps({k: v for k, v in full.items() if k in ids}, ensure_ascii=False),
            encoding="utf-8",
        )
        return fn(sub, preds, False)


if __name__ == "__main__":
    sys.exit(main())
