"""Packaging a packager trusts (issue #33 item 6): a quiet exit on a closed pipe, a
``--version`` a bug report can use, the dependencies the code imports declared with bounds."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from expereo_tui import __version__
from expereo_tui.cli.main import main

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    "command",
    [
        ["paths"],  # short output
        ["completion", "bash"],  # long output
        ["--version"],  # argparse prints, then exits through SystemExit
        ["cases", "-h"],
    ],
)
def test_a_closed_pipe_ends_quietly(tmp_path: Path, command: list[str]) -> None:
    """``expereo-tui … | head``: the reader is gone before the first byte is written."""
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: every write is EPIPE
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as a user runs it
    try:
        done = subprocess.run(
            [sys.executable, "-m", "expereo_tui", *command],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            env={**env, "XDG_STATE_HOME": str(tmp_path)},
        )
    finally:
        os.close(write)
    assert done.stderr == "" and done.returncode == 141


def test_version_names_python_and_textual(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == (
        f"expereo-tui {__version__} (Python {platform.python_version()}, "
        f"Textual {version('textual')})"
    )


def _bounds(requirements: list[str]) -> dict[str, str]:
    return {re.split(r"[<>=\[ ]", r, maxsplit=1)[0]: r for r in requirements}


def test_dependencies_declared_with_bounds() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = _bounds(meta["dependencies"])
    assert "rich" in deps  # imported directly all over ui/
    assert deps["textual"].startswith("textual>=8.2.8")  # 8.0.0-8.2.4: KeyError 'ansi-dark'
    for name in ("starlette", "uvicorn", "rich", "textual"):
        assert "<" in deps[name], f"{name} has no upper bound"
    assert meta["authors"]
    assert (ROOT / "CHANGELOG.md").read_text().startswith("# Changelog")
