"""docs/reliability.md is generated from the ``reliability`` markers of passing fault tests, and
the suite fails when the file and the markers disagree."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "reliability_doc", ROOT / "scripts" / "reliability_doc.py"
)
assert spec and spec.loader
reliability_doc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reliability_doc)


def test_docs_reliability_md_is_up_to_date_with_the_markers() -> None:
    rows = reliability_doc.collect(run=False)
    assert len(rows) >= 8, rows
    assert reliability_doc.is_current(rows), (
        "docs/reliability.md is out of date with the reliability markers: run `make docs`"
    )


def test_a_changed_marker_makes_the_doc_out_of_date(tmp_path: Path) -> None:
    rows = [{"test": "t::a", "fault": "disk full", "sees": "disk full: /x", "data": "kept"}]
    doc = tmp_path / "reliability.md"
    doc.write_text(reliability_doc.render(rows), encoding="utf-8")
    assert reliability_doc.is_current(rows, doc)
    assert not reliability_doc.is_current([{**rows[0], "sees": "nothing"}], doc)
    assert not reliability_doc.is_current(rows + [{**rows[0], "test": "t::b"}], doc)


PROBE = """
import pytest

ROW = dict(fault="f", sees="you see this", data="d")

@pytest.mark.reliability(**ROW)
def test_checked(reliability):
    reliability.check("... you see this ...")

@pytest.mark.reliability(**ROW)
def test_never_checked(reliability):
    pass

@pytest.mark.reliability(**ROW)
def test_sees_something_else(reliability):
    reliability.check("an unrelated screen")
"""


def test_only_passing_tests_that_assert_what_you_see_become_rows(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.reliability_plugin"]\n')
    (tmp_path / "test_probe.py").write_text(PROBE)
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path),
            f"--reliability-out={out}",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert "1 passed" in result.stdout and "2 failed" in result.stdout, result.stdout
    assert "never called reliability.check" in result.stdout
    rows = json.loads(out.read_text())
    assert [r["test"].split("::")[-1] for r in rows] == ["test_checked"]
