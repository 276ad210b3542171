"""The package's layers, read from the source: every import, including those under
``TYPE_CHECKING`` and inside functions.  Arrows point down (``cli → ui → (shift) → (triage,
sync) → store → api``, the simulator beside the API) and there is no loop, type-only loops
included.  docs/development.md's map says the same in words."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import expereo_tui

PACKAGE = Path(expereo_tui.__file__).parent

#: each top-level part's floor: an import may go to a lower or equal number, never higher
LAYER = {
    "locations": 0,
    "launch_rules": 0,
    "files": 0,
    "net": 0,
    "heap": 0,
    "api": 1,
    "sim": 2,  # beside the API: it speaks the API's vocabulary, the app never imports it
    "store": 2,
    "logs": 3,
    "triage": 3,
    "sync": 3,
    "keymap": 3,
    "shift": 4,
    "team": 4,  # beside sync's engine: the PostgreSQL coordinator (docs/team.md)
    "config": 5,
    "ui": 6,
    "cli": 7,
    "__main__": 8,
    "__init__": 0,
}
#: third-party packages a layer may not import (widgets and SQL stay where they belong)
FORBIDDEN = {
    "api": {"textual", "sqlite3", "rich"},
    "store": {"textual", "httpx"},
    "sync": {"textual", "sqlite3"},
    "triage": {"textual", "httpx"},
    "shift": {"textual", "httpx"},
    "team": {"textual", "sqlite3", "httpx"},
}
def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path) -> tuple[set[str], set[str]]:
    """(our modules, other top-level packages) that the module imports, anywhere in it."""
    ours: set[str] = set()
    others: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                module = base + ("." + node.module if node.module else "")
            else:
                module = node.module or ""
            if module.split(".")[0] != "expereo_tui":
                others.add(module.split(".")[0])
                continue
            for alias in node.names:
                full = f"{module}.{alias.name}"
                ours.add(full if full in MODULES else module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top == "expereo_tui":
                    ours.add(alias.name)
                else:
                    others.add(top)
    return {m for m in ours if m in MODULES and m != name}, others


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_loop_anywhere_type_only_included() -> None:
    try:
        TopologicalSorter({name: ours for name, (ours, _) in GRAPH.items()}).prepare()
    except CycleError as exc:
        raise AssertionError(f"import loop: {' -> '.join(exc.args[1])}") from None


def test_imports_point_down() -> None:
    upward = []
    for name, (ours, _) in sorted(GRAPH.items()):
        for target in sorted(ours):
            a, b = _part(name), _part(target)
            if a == b or b == "__init__":
                continue
            if LAYER[b] >= LAYER[a]:
                upward.append(f"{name} -> {target}")
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_layers_stay_out_of_the_frameworks_above_them() -> None:
    found = []
    for name, (_, others) in sorted(GRAPH.items()):
        bad = others & FORBIDDEN.get(_part(name), set())
        if bad:
            found.append(f"{name} imports {sorted(bad)}")
    assert not found, "\n".join(found)


def test_ui_areas_never_import_the_app() -> None:
    """The app (``ui/app.py``, the palette) imports the areas; the areas name ``ui/host.py``'s
    protocol.  The wall's app is the one subclass."""
    top = {"expereo_tui.ui.app", "expereo_tui.ui.commands"}
    found = [
        f"{name} -> {sorted(ours & top)}"
        for name, (ours, _) in GRAPH.items()
        if name.startswith("expereo_tui.ui.")
        and name not in top | {"expereo_tui.ui.wall.app"}
        and ours & top
    ]
    assert not found, "\n".join(found)


def test_every_part_has_a_layer() -> None:
    assert {_part(name) for name in MODULES} <= set(LAYER)
