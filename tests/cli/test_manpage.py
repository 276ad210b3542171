"""docs/expereo-tui.1 is generated from the argparse parsers (scripts/manpage.py) and the suite
fails when the committed page and the parsers disagree, so the page never goes stale."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from expereo_tui.cli import parsers

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("manpage", ROOT / "scripts" / "manpage.py")
assert spec and spec.loader
manpage = importlib.util.module_from_spec(spec)
spec.loader.exec_module(manpage)


def test_the_committed_man_page_is_the_generated_one() -> None:
    assert (ROOT / "docs" / "expereo-tui.1").read_text() == manpage.render(), (
        "docs/expereo-tui.1 is out of date with the parsers: run `make man`"
    )


def test_every_command_and_option_is_on_the_page() -> None:
    from expereo_tui.cli.completion import completion_parser

    page = manpage.render()
    parser = completion_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert f'.SS "expereo\\-tui {name}"' in page
        for action in sub._actions:
            for option in action.option_strings:
                assert option.replace("-", "\\-") in page
    assert "\\-\\-allow\\-remote\\-writes" in page  # serve's own parser, forwarded


def test_a_changed_help_line_makes_the_page_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parsers.script_flags

    def changed(parser: argparse.ArgumentParser, **kw: bool) -> None:
        real(parser, **kw)
        parser.add_argument("--brand-new", action="store_true", help="an option added later")

    monkeypatch.setattr(parsers, "script_flags", changed)
    assert "brand\\-new" in manpage.render()
    assert manpage.main(["--check"]) == 1


def test_roff_escapes_what_roff_would_read_otherwise() -> None:
    assert manpage.roff("--read-only") == "\\-\\-read\\-only"
    assert manpage.roff(".starts like a request") == "\\&.starts like a request"
    assert manpage.roff("C:\\path → x") == "C:\\epath \\[u2192] x"


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff checks the roff")
def test_groff_reads_the_page_without_a_warning() -> None:
    done = subprocess.run(
        ["groff", "-man", "-ww", "-z", str(ROOT / "docs" / "expereo-tui.1")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_the_wheel_installs_the_page_where_man_looks() -> None:
    import tomllib

    hatch = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]
    shared = hatch["build"]["targets"]["wheel"]["shared-data"]
    assert shared == {"docs/expereo-tui.1": "share/man/man1/expereo-tui.1"}
