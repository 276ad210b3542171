"""The simulator's layering: one world, two faces over it, one middleware around both.

Read from the source (every import, including those under ``TYPE_CHECKING``), so a circle or a
world module reaching up into a face fails here before it fails anywhere else.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import expereo_tui.sim

SIM = Path(expereo_tui.sim.__file__).parent
#: the data and its rules: they know nothing of HTTP, GraphQL or the faces
WORLD = {"world", "writes", "activity", "seed", "text", "auth"}
FACES = {"v1", "v2", "app", "middleware", "responses", "openapi", "server", "cli"}
WEB = ("starlette", "graphql", "httpx", "uvicorn")


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(sibling sim modules, other top-level packages) that ``path`` imports."""
    siblings: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                if module:
                    siblings.add(module.split(".")[0])
                else:
                    siblings.update(alias.name for alias in node.names)
            elif module.startswith("expereo_tui.sim."):
                siblings.add(module.split(".")[2])
            elif node.level == 0:
                outside.add(module.split(".")[0])
        elif isinstance(node, ast.Import):
            outside.update(alias.name.split(".")[0] for alias in node.names)
    return siblings, outside


def _graph() -> dict[str, set[str]]:
    return {p.stem: _imports(p)[0] for p in SIM.glob("*.py") if p.stem != "__init__"}


def test_no_import_circle_inside_sim() -> None:
    try:
        order = list(TopologicalSorter(_graph()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle inside expereo_tui/sim: {exc.args[1]}") from None
    assert order.index("world") < order.index("middleware") < order.index("app")


def test_the_world_imports_no_face_and_no_web_framework() -> None:
    for name in sorted(WORLD):
        siblings, outside = _imports(SIM / f"{name}.py")
        assert not siblings & FACES, f"sim/{name}.py imports {sorted(siblings & FACES)}"
        web = sorted(p for p in outside if p in WEB)
        assert not web, f"sim/{name}.py imports {web}"


def test_faces_share_the_world_and_the_middleware() -> None:
    for face in ("v1", "v2"):
        siblings, _ = _imports(SIM / f"{face}.py")
        assert {"world", "writes"} <= siblings, face
        assert "app" not in siblings, f"sim/{face}.py reaches back into app.py"
    v1_siblings, _ = _imports(SIM / "v1.py")
    assert "middleware" in v1_siblings
    assert "_guard" not in (SIM / "v1.py").read_text("utf-8")
