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

#: The profile names in the config file, read by the shell itself (no Python on TAB): the
#: ``[profiles.NAME]`` headers of $EXPEREO_CONFIG, else the XDG or macOS config file.  Names
#: that need quoting in TOML are left out.  Plain ``sh`` so that bash, zsh and fish share it.
PROFILE_NAMES = (
    'sh -c \'for f in "$EXPEREO_CONFIG" '
    '"${XDG_CONFIG_HOME:-$HOME/.config}/expereo-tui/config.toml" '
    '"$HOME/Library/Application Support/expereo-tui/config.toml"; '
    'do if [ -f "$f" ]; then '
    'sed -n "s/^\\[profiles\\.\\([A-Za-z0-9_-]*\\)\\][[:space:]]*$/\\1/p" "$f"; break; fi; '
    "done 2>/dev/null'"
)
PROFILES = {
    "bash": "_expereo_tui_profiles",
    "zsh": "_expereo_tui_profiles",
    "fish": "(_expereo_tui_profiles)",
    "preamble": {
        "bash": f'_expereo_tui_profiles() {{\n  compgen -W "$({PROFILE_NAMES})" -- "$1"\n}}\n',
        "zsh": "_expereo_tui_profiles() {\n"
        f'  local -a names; names=(${{(f)"$({PROFILE_NAMES})"}})\n'
        "  compadd -a names\n}\n",
        "fish": f"function _expereo_tui_profiles\n  {PROFILE_NAMES}\nend\n",
    },
}


def completion_parser() -> argparse.ArgumentParser:
    """The app's parser with the real options of ``demo``, ``sim`` and ``serve`` (their
    own parsers live beside their code; the app's parser forwards to them)."""
    from expereo_tui.cli.parsers import app_parser, demo_parser
    from expereo_tui.cli.serve import build_parser as serve_parser
    from expereo_tui.sim.cli import build_parser as sim_parser

    parser = app_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, real in (("demo", demo_parser()), ("sim", sim_parser()), ("serve", serve_parser())):
        target = commands.choices[name]
        for action in real._actions:
            if not isinstance(action, argparse._HelpAction):
                target._add_action(action)
    for p in _all(parser):
        for action in p._actions:
            if set(action.option_strings) & _FILE_OPTIONS:
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif "--profile" in action.option_strings:
                action.complete = PROFILES  # type: ignore[attr-defined]
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
