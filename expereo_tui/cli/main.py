"""Command line: ``expereo-tui [--profile NAME] [--read-only] [--wall]`` runs the app
(:mod:`expereo_tui.cli.launch`); ``demo``, ``sim``, ``serve``, ``config init|secret set``
(:mod:`expereo_tui.cli.config_cmds`), ``config check`` (:mod:`expereo_tui.cli.config_check`),
``paths``, ``team status`` (:mod:`expereo_tui.cli.team`), ``completion`` (:mod:`expereo_tui.cli.completion`), ``help`` and the scripting
commands (``cases …``, ``inventory``: :mod:`expereo_tui.cli.scripting`) are sub-commands.  Errors
before the UI starts are one clear line and a non-zero exit (codes in docs/usage.md), never a
traceback."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from expereo_tui.cli.launch import NoTerminal, check_terminal
from expereo_tui.cli.parsers import FORWARDED, app_parser, demo_parser
from expereo_tui.config import ConfigError
from expereo_tui.locations import config_path, data_dir, log_path
from expereo_tui.store.errors import StoreError

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _setup_logging(debug: bool = False) -> None:
    from expereo_tui import logs

    logs.setup(debug=debug)


def cmd_config(args: argparse.Namespace) -> int:
    from expereo_tui.cli import config_cmds as cli_config

    if args.action == "init":
        return cli_config.config_init(args)
    if args.action == "secret":
        return cli_config.secret_set(args)
    from expereo_tui.cli import config_check

    if args.openapi:
        return config_check.check_openapi(Path(args.openapi))
    return asyncio.run(config_check.check_profile(args.profile))


def cmd_sim(argv: list[str]) -> int:
    from expereo_tui.sim.cli import main as sim_main

    return sim_main(argv)


# expereo-tui is not on an index: add the extra's package (which is) to the install there is
WEB_EXTRA = "pipx inject expereo-tui textual-serve (or, in its venv: pip install textual-serve)"


def cmd_serve(argv: list[str]) -> int:
    import importlib.util

    if importlib.util.find_spec("textual_serve") is None:  # the [web] extra is not installed
        print(f"expereo-tui serve: needs the web extra: {WEB_EXTRA}", file=sys.stderr)
        return 2
    from expereo_tui.cli.serve import main as serve_main

    return int(serve_main(argv) or 0)


def cmd_paths(args: argparse.Namespace) -> int:
    print(f"config  {config_path()}")
    print(f"data    {data_dir()}")
    print(f"log     {log_path()}")
    return 0


def _command_index(argv: list[str]) -> int | None:
    """Where the sub-command's name is: the first word that is neither a flag nor the value
    of a global flag that takes one."""
    skip = False
    for i, word in enumerate(argv):
        if skip:
            skip = False
        elif word in ("--profile", "--config"):
            skip = True
        elif word == "--":
            return i + 1 if i + 1 < len(argv) else None
        elif not word.startswith("-"):
            return i
    return None


def _help(parser: argparse.ArgumentParser, topic: list[str]) -> int:
    if not topic:
        parser.print_help()
        return 0
    try:
        if topic[0] in FORWARDED:
            return COMMANDS[topic[0]]([*topic[1:], "-h"])
        parser.parse_args([*topic, "-h"])
    except SystemExit as exc:  # -h exits 0 after printing; an unknown topic exits 2
        return int(exc.code or 0)
    return 0


def cmd_demo(argv: list[str]) -> int:
    from expereo_tui.cli import launch

    args = demo_parser().parse_args(argv)  # --help and a wrong flag need no terminal
    check_terminal()  # before the simulator starts
    return launch.run_demo(args)


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "sim": cmd_sim,
    "serve": cmd_serve,
}


def _dispatch(argv: list[str]) -> int:
    import os

    at = _command_index(argv)
    asks_help = any(word in ("-h", "--help") for word in argv)
    parser = app_parser(commands=at is not None or asks_help)
    if at is not None and argv[at] in FORWARDED:
        head = parser.parse_args(argv[:at])  # the global flags before the name
        rest = [word for word in argv[at + 1 :] if word != "--debug"]  # main() handled it
        if argv[at] == "demo" and getattr(head, "read_only", False):
            rest = ["--read-only", *rest]
        return COMMANDS[argv[at]](rest)
    if at is None and not asks_help:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # said by the whole parser: its usage names the commands too
            parser = app_parser()
            args = parser.parse_args(argv)
    else:
        args = parser.parse_args(argv)
    if getattr(args, "config", None):
        os.environ["EXPEREO_CONFIG"] = args.config
    args.profile = getattr(args, "profile", None) or os.environ.get("EXPEREO_PROFILE") or None
    args.read_only = getattr(args, "read_only", False)
    command = args.command
    if command == "help":
        return _help(parser, args.topic)
    if command == "paths":
        return cmd_paths(args)
    if command == "completion":
        from expereo_tui.cli import completion

        return completion.main(args.shell)
    if command == "config":
        return cmd_config(args)
    if command == "handover":
        from expereo_tui.cli import handover

        return handover.run(args)
    if command == "team":
        from expereo_tui.cli import team

        return team.run(args)
    if command in ("cases", "inventory"):
        from expereo_tui.cli import scripting

        return scripting.run(args)
    from expereo_tui.cli import launch

    return launch.run(args)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of what is left in its
    buffer cannot fail again ("Exception ignored ... BrokenPipeError", exit 120)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (a test's StringIO)
        pass


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 ok, 1 failed, 2 usage or configuration, 3 no terminal, 4-10 and 75 from
    scripting (expereo_tui.cli.exits.Exit; docs/usage.md lists them all), 130 interrupted."""
    import os

    argv = list(sys.argv[1:] if argv is None else argv)
    config_env = os.environ.get("EXPEREO_CONFIG")
    try:
        _setup_logging(debug="--debug" in argv[: argv.index("--") if "--" in argv else None])
        code = _dispatch(argv)
        sys.stdout.flush()  # a closed pipe is found here, not at exit
        return code
    except BrokenPipeError:  # `expereo-tui cases list | head`: the reader has what it wanted
        _silence_stdout()
        return 141  # as a process that SIGPIPE ended (128 + 13), quietly
    except SystemExit:  # argparse's --version and -h print (buffered), then exit from inside
        try:
            sys.stdout.flush()  # so `--version | head` finds its closed pipe here, too
        except BrokenPipeError:
            _silence_stdout()
            return 141
        raise
    except NoTerminal as exc:
        print(
            f"expereo-tui: needs a terminal ({exc}); for scripts and cron use "
            "`expereo-tui cases …` or `expereo-tui inventory` (see `expereo-tui help`)",
            file=sys.stderr,
        )
        return 3
    except ConfigError as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        from expereo_tui.ui.store_notices import error_line

        print(f"expereo-tui: {error_line(exc)}", file=sys.stderr)
        return 5
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"expereo-tui: {exc}", file=sys.stderr)
        return 1
    finally:  # --config is for this run only (main may be called again in one process)
        if config_env is None:
            os.environ.pop("EXPEREO_CONFIG", None)
        else:
            os.environ["EXPEREO_CONFIG"] = config_env


if __name__ == "__main__":
    raise SystemExit(main())
