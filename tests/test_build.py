"""The build (``setup.py``) compiles every module of ``newsarchiver.extract`` but its
``__init__``, so that a new module is not left out of the compiled build unnoticed."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _compiled() -> set[str]:
    tree = ast.parse((REPO / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no COMPILED list")


def test_every_extraction_module_is_compiled() -> None:
    folder = REPO / "src" / "newsarchiver" / "extract"
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    assert _compiled() == modules
