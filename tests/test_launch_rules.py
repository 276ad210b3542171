"""The launch's one rule (``expereo_tui/launch_rules.py``), enforced on the whole import closure:
every module-level import (not under ``TYPE_CHECKING``, not inside a function) reachable from
the launch's roots, ours and third-party alike, followed through our own modules and through
package ``__init__`` files.  A new module-level import of pydantic, httpx, the engine or the
dialogs anywhere on that path fails here, with the chain that brings it in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import expereo_tui
from expereo_tui.launch_rules import LAUNCH_ROOTS, NOT_BEFORE_FIRST_FRAME, is_deferred

PACKAGE = Path(expereo_tui.__file__).parent


def _path(module: str) -> Path | None:
    if module.split(".")[0] != "expereo_tui":
        return None
    if module == "expereo_tui":
        return PACKAGE / "__init__.py"
    rel = Path(*module.split(".")[1:])
    for candidate in (PACKAGE / rel.with_suffix(".py"), PACKAGE / rel / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(module: str) -> set[str]:
    """What importing ``module`` imports at once (its body, try/if blocks, not functions)."""
    path = _path(module)
    if path is None:
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.orelse)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for block in ("body", "orelse", "finalbody"):
                    visit(getattr(node, block, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    name = base + ("." + node.module if node.module else "")
                else:
                    name = node.module or ""
                if name == "__future__":
                    continue
                found.add(name)
                for alias in node.names:  # `from pkg import module`
                    if _path(f"{name}.{alias.name}") is not None:
                        found.add(f"{name}.{alias.name}")

    visit(ast.parse(path.read_text("utf-8")).body)
    return found


def _with_parents(module: str) -> list[str]:
    """Importing a.b.c runs a/__init__, a/b/__init__ first."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def launch_closure() -> dict[str, str | None]:
    """Every module the launch imports at module level, each with the module that brought it."""
    came_from: dict[str, str | None] = {}
    todo: list[tuple[str, str | None]] = [(root, None) for root in LAUNCH_ROOTS]
    while todo:
        module, parent = todo.pop()
        for name in _with_parents(module):
            if name in came_from:
                continue
            came_from[name] = parent
            if name.split(".")[0] == "expereo_tui":
                todo.extend((found, name) for found in _module_level_imports(name))
    return came_from


def _chain(came_from: dict[str, str | None], module: str) -> str:
    chain = [module]
    while (parent := came_from.get(chain[-1])) is not None:
        chain.append(parent)
    return " <- ".join(chain)


def test_nothing_deferred_is_imported_before_the_first_frame() -> None:
    closure = launch_closure()
    bad = sorted(name for name in closure if is_deferred(name))
    assert not bad, "imported before the first frame:\n" + "\n".join(
        _chain(closure, name) for name in bad
    )


def test_the_walk_sees_what_a_launch_imports() -> None:
    """The static walk is not blind: it finds Textual, the store and the inbox, and a real
    import of the roots loads none of the deferred modules either."""
    closure = launch_closure()
    assert {"textual", "expereo_tui.store.store", "expereo_tui.ui.inbox.case_table"} <= set(closure)
    code = (
        "import importlib, sys\n"
        f"for root in {LAUNCH_ROOTS!r}: importlib.import_module(root)\n"
        "from expereo_tui.launch_rules import is_deferred\n"
        # (a None entry is an import kept out, not a module loaded: httpx._main)
        "print(*sorted(m for m, mod in sys.modules.items() if mod and is_deferred(m)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_the_rule_names_real_modules() -> None:
    import importlib.util

    for name in NOT_BEFORE_FIRST_FRAME:
        assert importlib.util.find_spec(name) is not None, name


def test_httpx_s_command_line_client_is_never_loaded() -> None:
    """httpx imports its CLI (click, pygments) with itself; api/__init__.py keeps it out:
    3.4 MB of every process (#30).  The app still speaks HTTP."""
    code = (
        "import sys, expereo_tui.api.v2, expereo_tui.sync.engine, httpx\n"
        "print(*sorted(m for m in ('httpx._main', 'click', 'pygments') if sys.modules.get(m)))\n"
        "print(httpx.AsyncClient.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["AsyncClient"]


def test_the_app_at_work_never_loads_pydantic() -> None:
    """The models read and write without pydantic (#30: ~9 MB of every process): the app's
    modules, a page of each kind read and repaired, a case read back from its JSON and a new
    case checked by its rules load no pydantic; the schema module (the simulator's document,
    the config check) does."""
    code = (
        "import sys\n"
        "import expereo_tui.cli.main, expereo_tui.cli.launch, expereo_tui.ui.app\n"
        "import expereo_tui.ui.inbox.screen, expereo_tui.sync.engine, expereo_tui.api.factory\n"
        "import expereo_tui.store.store, expereo_tui.triage.read_model\n"
        "from expereo_tui.api import models\n"
        "from expereo_tui.api.pagination import read_envelope, read_items\n"
        "page = read_envelope({'data': [{'id': 'C1', 'createdDate': '2024-01-01T10:00'},"
        " {'id': 'C2', 'subject': 5}], 'metadata': {'total': 2}}, '/v2/cases')\n"
        "cases, skipped = read_items('/v2/cases', page.data, models.Case)\n"
        "assert len(cases) == 2 and not skipped, (cases, skipped)\n"
        "for m in (models.Site, models.Service, models.Account, models.CaseMessage):\n"
        "    read_items('/x', [{}], m)\n"
        "import json\n"
        "models.Case.model_validate_json(json.dumps(cases[1].to_wire()))\n"
        "assert models.write_problems(models.CaseCreate, {'type': 'Incident'})\n"
        "print(*sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')))\n"
        "import expereo_tui.api.schema\n"
        "print('pydantic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["", "True"]
