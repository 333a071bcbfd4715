"""Accountability reads every domain and nothing reads it: only the composition root imports it."""

from __future__ import annotations

import ast

from tribune.settings import PROJECT_ROOT

DOMAINS = ("tribune", "accounts", "tribunals", "filings", "hearings", "payments", "auditlog")


def imports_of(path: str) -> list[str]:
    tree = ast.parse((PROJECT_ROOT / path).read_text())
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_only_the_composition_root_imports_accountability() -> None:
    importers = []
    for domain in DOMAINS:
        for path in sorted((PROJECT_ROOT / domain).rglob("*.py")):
            name = str(path.relative_to(PROJECT_ROOT))
            if name == "tribune/app.py":
                continue
            if any(module.split(".")[0] == "accountability" for module in imports_of(name)):
                importers.append(name)
    assert importers == []


def test_the_composition_root_serves_accountability() -> None:
    assert "accountability" in imports_of("tribune/app.py")
