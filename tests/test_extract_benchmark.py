"""The extraction benchmark runs end to end on a couple of pages and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "extraction.py"
DATA = REPO.parent / "shared" / "benchmarks"

pytestmark = pytest.mark.skipif(
    not (DATA / "score.py").exists(), reason=f"benchmark data not found in {DATA}"
)

ROW = re.compile(r"^\s+newsarchiver\s+(\d\.\d{3})\s+(\d\.\d{3})\s+(\d\.\d{3})\s+([\d.]+)\s+1\.00x$")


def test_benchmark_prints_figures_for_both_datasets() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(DATA),
         "--limit", "2", "--only", "newsarchiver"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] in ("newsarchiver extraction: compiled with mypyc",
                        "newsarchiver extraction: pure Python")
    assert "scrapinghub-dev: 2 pages" in lines
    assert "trafilatura-dev: 2 pages" in lines
    rows = [ROW.match(line) for line in lines]
    figures = [m for m in rows if m]
    assert len(figures) == 2, done.stdout
    for match in figures:
        f1, precision, recall, rate = (float(g) for g in match.groups())
        assert 0.0 <= f1 <= 1.0 and 0.0 <= precision <= 1.0 and 0.0 <= recall <= 1.0
        assert rate > 0
