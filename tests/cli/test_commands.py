"""The command line itself: sub-commands, global flags on either side, help, no terminal."""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from expereo_tui.cli import main as cli
from expereo_tui.cli.main import main
from expereo_tui.cli.parsers import app_parser, demo_parser
from expereo_tui.locations import config_path


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _parsers(sub)
    return found


def test_every_option_has_a_help_text() -> None:
    from expereo_tui.cli.serve import build_parser as serve_parser
    from expereo_tui.sim.cli import build_parser as sim_parser

    parsers = [*_parsers(app_parser()), demo_parser(), sim_parser(), serve_parser()]
    assert len(parsers) > 10
    missing = [
        f"{p.prog} {a.option_strings or a.dest}"
        for p in parsers
        for a in p._actions
        if not a.help or a.help == argparse.SUPPRESS
    ]
    assert missing == []
    commands = next(a for a in app_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert all(c.help for c in commands._choices_actions)


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "x", "--read-only", "demo", "--seed", "3"],
        ["demo", "--seed", "3", "--read-only"],
        ["--read-only", "--profile=x", "demo", "--seed", "3"],
    ],
)
def test_global_flags_before_or_after_demo(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    got: list[list[str]] = []
    monkeypatch.setattr(cli, "check_terminal", lambda: None)
    monkeypatch.setitem(cli.COMMANDS, "demo", lambda rest: got.append(rest) or 0)
    assert main(argv) == 0
    args = demo_parser().parse_args(got[0])
    assert args.read_only and args.seed == 3


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "lab", "--read-only", "cases", "list"],
        ["cases", "--profile", "lab", "list", "--read-only"],
        ["cases", "list", "--profile", "lab", "--read-only"],
    ],
)
def test_global_flags_before_or_after_a_command(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from expereo_tui.cli import scripting

    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(scripting, "run", lambda args: seen.append(args) or 0)
    assert main(argv) == 0
    assert seen[0].profile == "lab" and seen[0].read_only is True


def test_help_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["help"]) == 0
    out = capsys.readouterr().out
    for name in (
        "demo",
        "sim",
        "serve",
        "config",
        "cases",
        "inventory",
        "paths",
        "help",
        "completion",
    ):
        assert f"    {name} " in out
    assert main(["help", "cases", "reply"]) == 0
    assert "stdin" in capsys.readouterr().out
    assert main(["help", "demo"]) == 0
    assert "--api" in capsys.readouterr().out
    assert main(["help", "nonsense"]) == 2


def test_paths(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"config  {config_path()}"
    assert [line.split()[0] for line in out] == ["config", "data", "log"]


def _no_tty(argv: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "expereo_tui", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,  # a guard only: the command must exit on its own, at once
    )


@pytest.mark.parametrize("argv", [["demo"], ["--profile", "lab"], ["--wall"]])
def test_tui_without_a_terminal_is_one_line(argv: list[str]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[profiles.lab]\nbase_url = "http://127.0.0.1:9"\n'
        'token_url = "http://127.0.0.1:9/t"\nclient_id = "c"\n',
        encoding="utf-8",
    )
    done = _no_tty(argv, EXPEREO_CLIENT_SECRET="s")
    assert done.returncode == 3
    assert done.stdout == b""
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "needs a terminal" in err and "\x1b" not in err


def test_demo_help_and_a_wrong_flag_need_no_terminal() -> None:
    """`expereo-tui demo --help | less` shows the flags; a typo is named, not "no terminal"."""
    done = _no_tty(["demo", "--help"])
    assert done.returncode == 0 and b"usage: expereo-tui demo" in done.stdout
    done = _no_tty(["demo", "--scale", "huge"])
    assert done.returncode == 2 and b"invalid choice: 'huge'" in done.stderr


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_term_dumb_is_refused_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", _Tty())
    monkeypatch.setattr(sys, "stdout", _Tty())
    monkeypatch.setenv("TERM", "xterm-256color")
    cli.check_terminal()  # a terminal: no complaint
    monkeypatch.setenv("TERM", "dumb")
    with pytest.raises(cli.NoTerminal, match="TERM=dumb"):
        cli.check_terminal()
    assert main(["demo"]) == 3


def test_browser_sessions_are_not_refused_as_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """textual-serve runs each session over pipes with the web driver named: that is the
    terminal.  Any other driver name over pipes is still refused."""
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    cli.check_terminal()
    monkeypatch.setenv("TEXTUAL_DRIVER", "somewhere.else:Driver")
    with pytest.raises(cli.NoTerminal, match="not a terminal"):
        cli.check_terminal()


def test_config_file_flag_is_for_one_run(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    assert main(["--config", str(other), "config", "init", "--client-id", "x"]) == 0
    assert other.exists() and not config_path().exists()
    assert "EXPEREO_CONFIG" not in os.environ
