"""The layers: the engine loads no Flask, the web layer sees only the engine's package, the indexer no app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from search_app import engine
from tests.factories import REPO, run_python

WEB_MODULES = sorted(p for p in (REPO / "search_app").glob("*.py"))


def _imported(path: Path) -> set[str]:
    """Every module and name a file imports, by its dotted name (the project writes no relative imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_importing_the_engine_loads_no_flask() -> None:
    code = (
        "import sys, search_app.engine; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'gunicorn')))"
    )
    out = run_python("-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("path", WEB_MODULES, ids=lambda p: p.name)
def test_the_web_layer_imports_only_the_engine_package(path: Path) -> None:
    inner = {n for n in _imported(path) if n.startswith("search_app.engine.")}
    exported = {f"search_app.engine.{name}" for name in engine.__all__}
    assert inner <= exported, f"{path.name} reaches into the engine: {sorted(inner - exported)}"


def test_the_indexer_never_imports_the_app() -> None:
    for path in (REPO / "indexer").rglob("*.py"):
        assert not {n for n in _imported(path) if n.split(".")[0] == "search_app"}, path.name
