"""The dependency rules of the package, checked on the source.

errors <- urls <- models <- {config, fetch, extract, diff, store, discover, schedule}
       <- pipeline <- daemon <- cli

A module imports only from layers below its own; stages never import each other;
each third-party library is imported by the one stage that owns it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "newsarchiver"

LAYERS = {
    "errors": 0,
    "urls": 1,
    "models": 2,
    **dict.fromkeys(("config", "fetch", "extract", "diff", "store", "discover", "schedule"), 3),
    "pipeline": 4,
    "daemon": 5,
    "cli": 6,
}
OWNERS = {
    "httpx": "fetch", "httpcore": "fetch", "h11": "fetch", "protego": "fetch", "brotli": "fetch",
    "charset_normalizer": "fetch",
    "selectolax": "extract",
    "sqlalchemy": "store", "alembic": "store", "psycopg": "store",
    "apscheduler": "daemon",
    "feedparser": "discover",
    "click": "cli",
}


def _unit(path: Path) -> str:
    """The top-level unit of the package a file belongs to (``fetch`` for fetch/x.py)."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def test_every_unit_has_a_layer() -> None:
    assert {_unit(p) for p in SOURCES} - {"__init__"} <= set(LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    unit = _unit(path)
    if unit == "__init__":
        return
    for name in _imports(path):
        top, _, rest = name.partition(".")
        if top == "newsarchiver":
            if not rest:
                continue
            other = rest.split(".")[0]
            if other == unit:
                continue
            assert LAYERS[other] < LAYERS[unit], f"{unit} must not import {other}"
        elif top in OWNERS:
            assert OWNERS[top] == unit, f"only {OWNERS[top]} imports {top}, not {unit}"
