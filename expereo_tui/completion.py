"""``expereo-tui completion bash|zsh|fish``: a static completion script made by shtab.

Why shtab and not argcomplete: argcomplete completes by running the program on every TAB (a
Python start plus our imports) and needs a hook in ``main`` before parsing, in the launch path
of every run.  shtab turns the argparse parser into plain shell code once: TAB costs no Python,
launching costs nothing, and bash, zsh and fish are covered.  The price: the script is a
snapshot, so it is made again after an upgrade (docs/usage.md says how).  shtab is small and
pure Python, and only this command imports it.
"""

from __future__ import annotations

import argparse
import sys

import shtab

SHELLS = ("bash", "zsh", "fish")

#: Options that take a file name: the shell completes paths there.
_FILE_OPTIONS = {"--config", "--openapi", "--secret-file"}


def completion_parser() -> argparse.ArgumentParser:
    """The app's parser with the real options of ``demo``, ``sim`` and ``serve`` (their
    own parsers live beside their code; the app's parser forwards to them)."""
    from expereo_tui.cli import _app_parser, _demo_parser
    from expereo_tui.sim.cli import build_parser as sim_parser
    from expereo_tui.ui.serve import build_parser as serve_parser

    parser = _app_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, real in (("demo", _demo_parser()), ("sim", sim_parser()), ("serve", serve_parser())):
        target = commands.choices[name]
        for action in real._actions:
            if not isinstance(action, argparse._HelpAction):
                target._add_action(action)
    for p in _all(parser):
        for action in p._actions:
            if set(action.option_strings) & _FILE_OPTIONS:
                action.complete = shtab.FILE  # type: ignore[attr-defined]
    return parser


def _all(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _all(sub)
    return found


def script(shell: str) -> str:
    return shtab.complete(completion_parser(), shell=shell)


def main(shell: str) -> int:
    sys.stdout.write(script(shell))
    return 0
