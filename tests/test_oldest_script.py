"""scripts/oldest.py (``make oldest``) pins every dependency to its pyproject lower bound; here,
without building its venv: every requirement has a ``>=`` bound for it to pin, extras included,
and a requirement without one stops the script with its name."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("oldest", ROOT / "scripts" / "oldest.py")
assert spec and spec.loader
oldest = importlib.util.module_from_spec(spec)
spec.loader.exec_module(oldest)


def test_every_dependency_and_extra_is_pinned_to_its_lower_bound() -> None:
    bounds = oldest.lower_bounds()
    assert bounds["textual"] == "8.2.8"  # 8.0.0 to 8.2.4 crash at launch (make oldest shows it)
    assert bounds["textual-serve"] == "1.1" and bounds["keyring"] == "24"  # the extras
    assert {"rich", "httpx", "pydantic", "starlette", "uvicorn", "shtab"} <= set(bounds)


def test_a_requirement_without_a_lower_bound_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndependencies = ["textual>=8.2.8,<9", "tomlkit"]\n'
        "[project.optional-dependencies]\nweb = []\nkeyring = []\n"
    )
    monkeypatch.setattr(oldest, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match="'tomlkit' has no lower bound"):
        oldest.lower_bounds()
