"""Command line: ``expereo-tui [--profile NAME] [--read-only] [--wall]`` runs the app
(:mod:`expereo_tui.launch`); ``demo``, ``sim``, ``serve``, ``config init|secret set``
(:mod:`expereo_tui.cli_config`), ``config check`` (:mod:`expereo_tui.config_check`),
``paths``, ``completion`` (:mod:`expereo_tui.completion`), ``help`` and the scripting
commands (``cases …``, ``inventory``: :mod:`expereo_tui.scripting`) are sub-commands.  Errors
before the UI starts are one clear line and a non-zero exit (codes in docs/usage.md), never a
traceback."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from expereo_tui import __version__
from expereo_tui.config import ConfigError, config_path, data_dir, log_path
from expereo_tui.launch import NoTerminal, check_terminal
from expereo_tui.store.errors import StoreError

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _setup_logging(debug: bool = False) -> None:
    from expereo_tui import logs

    logs.setup(debug=debug)


def _global_flags() -> argparse.ArgumentParser:
    """Flags that work before and after the sub-command (``--profile x demo`` and
    ``cases list --profile x``).  SUPPRESS: a sub-parser must not overwrite a value given
    before the sub-command with its default."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument(
        "--profile",
        default=argparse.SUPPRESS,
        help="profile name from the config file (default: EXPEREO_PROFILE, else the config's "
        "default_profile)",
    )
    flags.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="hide and disable every write",
    )
    flags.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log more detail (each HTTP request, our debug lines) to the log file "
        "(`expereo-tui paths` says where); secrets are never logged",
    )
    flags.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file to use (default: EXPEREO_CONFIG, else the platform's config dir; "
        "see `expereo-tui paths`)",
    )
    return flags


#: Sub-commands whose own parsers live beside their code: everything after the name goes there.
FORWARDED = ("demo", "sim", "serve")


def _app_parser(prog: str = "expereo-tui", *, commands: bool = True) -> argparse.ArgumentParser:
    """The command line; without ``commands``, only the app's own flags (a plain launch: the
    sub-commands' parsers, and the modules they import, are not built on the way to the first
    frame)."""
    flags = _global_flags()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A terminal app for the expereoOne customer API. Without a sub-command it "
        "runs the app on the chosen profile.",
        epilog="`expereo-tui help COMMAND` or `expereo-tui COMMAND -h` for a command's options. "
        "Exit codes: docs/usage.md.",
        parents=[flags],
    )
    parser.add_argument("--version", action="version", version=f"expereo-tui {__version__}")
    parser.add_argument("--wall", action="store_true", help="NOC wall dashboard (read-only)")
    parser.add_argument(
        "--reset-store",
        action="store_true",
        help="set the local database aside (renamed, not deleted) and start a fresh one; "
        "drafts and queued writes that can be read are copied over",
    )
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", help="without one: run the app on the profile"
    )
    sub.add_parser("demo", add_help=False, help="the app on the built-in simulator")
    sub.add_parser("sim", add_help=False, help="the simulator alone, on loopback")
    sub.add_parser("serve", add_help=False, help="the app in a browser (textual-serve)")
    help_ = sub.add_parser("help", help="show help for expereo-tui or one command")
    help_.add_argument("topic", nargs="*", help="a command, e.g. `cases reply`")
    sub.add_parser("paths", parents=[flags], help="print the config, data and log paths")
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script (docs/usage.md: where to put it)",
        description="Print a static completion script for SHELL (made by shtab from this "
        "command line; make it again after an upgrade).",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="bash, zsh or fish")
    _config_subparser(sub, flags)
    _cases_subparser(sub, flags)
    from expereo_tui import handover

    handover.add_parser(sub, flags)
    inv = sub.add_parser("inventory", parents=[flags], help="sites and services (scripting)")
    _script_flags(inv)
    inv.add_argument("--json", action="store_true", help="JSON instead of tab-separated lines")
    return parser


def _script_flags(parser: argparse.ArgumentParser, *, writes: bool = False) -> None:
    parser.add_argument(
        "--offline", action="store_true", help="answer from the local store without a sync"
    )
    if writes:
        parser.add_argument(
            "--wait",
            type=float,
            default=120.0,
            metavar="SECONDS",
            help="how long to keep trying to deliver before exiting 75 with the write still "
            "queued (default 120); the same command run again finishes it, exactly once",
        )


def _config_subparser(sub: SubParsers, flags: argparse.ArgumentParser) -> None:
    config = sub.add_parser(
        "config",
        parents=[flags],
        help="create or check the configuration, store the secret",
        description="Create or check the configuration; store the client secret.",
    )
    actions = config.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="init, check or secret"
    )
    init = actions.add_parser(
        "init",
        parents=[flags],
        help="write a commented starter config file (the profile "
        "named by --profile, default 'default')",
    )
    init.add_argument("--base-url", help="the API's base URL")
    init.add_argument("--token-url", help="the OAuth2 token URL")
    init.add_argument("--client-id", help="the API client id")
    init.add_argument("--secret-file", help="a file holding the client secret (chmod 600)")
    init.add_argument("--api", choices=("v2", "v1"), help="v2 (REST, default) or v1 (GraphQL)")
    init.add_argument(
        "--with-invoices",
        action="store_true",
        help="also ask for customerapi/financial.read (not a documented scope: only if your "
        "key was created with it, or the API refuses every token)",
    )
    init.add_argument("--sent-by", help="who you are to the provider (default user@host)")
    init.add_argument(
        "--force",
        action="store_true",
        help="replace the profile if the file already has one of that name (after asking); "
        "other profiles and comments stay",
    )
    init.add_argument(
        "--yes", action="store_true", help="with --force: replace without asking (no terminal)"
    )
    check = actions.add_parser(
        "check", parents=[flags], help="verify a profile end to end (token, scopes, one read)"
    )
    check.add_argument(
        "--openapi",
        metavar="FILE",
        help="compare an OpenAPI spec (JSON, e.g. from the portal) with what the app relies on; "
        "no network, no credentials",
    )
    secret = actions.add_parser(
        "secret", parents=[flags], help="store the profile's client secret in the system keyring"
    )
    secret_actions = secret.add_subparsers(
        dest="secret_action", required=True, metavar="ACTION", help="set"
    )
    secret_actions.add_parser(
        "set",
        parents=[flags],
        help="store the secret (typed without echo, or the first line of stdin) in the system "
        "keyring (needs the keyring extra)",
    )


def _cases_subparser(sub: SubParsers, flags: argparse.ArgumentParser) -> None:
    cases = sub.add_parser(
        "cases",
        parents=[flags],
        help="list, show, reply to and open cases (scripting)",
        description="Scripting: each command syncs once, then answers from the local store.",
    )
    actions = cases.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="what to do"
    )
    lst = actions.add_parser("list", parents=[flags], help="cases, newest change first")
    _script_flags(lst)
    lst.add_argument("--status", action="append", help="only this status (repeatable)")
    lst.add_argument("--priority", action="append", help="only this priority, e.g. P1 (repeatable)")
    lst.add_argument("--service", metavar="SERVICE_ID", help="only cases on this service")
    fmt = lst.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON array")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    show = actions.add_parser("show", parents=[flags], help="one case and its messages")
    _script_flags(show)
    show.add_argument("id", help="case id, e.g. CS-0001234")
    show.add_argument("--json", action="store_true", help="JSON (the case and its messages)")
    reply = actions.add_parser(
        "reply", parents=[flags], help="reply to a case; the message is read from stdin"
    )
    _script_flags(reply, writes=True)
    reply.add_argument("id", help="case id")
    reply.add_argument("message", metavar="-", help="`-`: read the message from stdin")
    new = actions.add_parser(
        "new", parents=[flags], help="open a case; the first message is read from stdin"
    )
    _script_flags(new, writes=True)
    new.add_argument("--service", required=True, metavar="SERVICE_ID", help="the service")
    new.add_argument("--type", required=True, help="case type, e.g. Incident or Request")
    new.add_argument("--subject", required=True, help="subject line")
    new.add_argument("--priority", help="P1..P4 (incidents)")
    new.add_argument("--start", metavar="TIME", help="start of the incident, ISO 8601 with offset")
    new.add_argument("message", metavar="-", help="`-`: read the message from stdin")
    ref = actions.add_parser("reference", parents=[flags], help="set a case's customer reference")
    _script_flags(ref, writes=True)
    ref.add_argument("id", help="case id")
    ref.add_argument("reference", help="the new customer reference")


def _demo_parser() -> argparse.ArgumentParser:
    from expereo_tui.sim.cli import add_arguments

    parser = argparse.ArgumentParser(
        prog="expereo-tui demo", description="Run the app against the built-in simulator."
    )
    add_arguments(parser)
    parser.set_defaults(activity=6.0)
    parser.add_argument("--read-only", action="store_true", help="hide and disable every write")
    parser.add_argument("--wall", action="store_true", help="NOC wall dashboard (read-only)")
    parser.add_argument(
        "--api",
        choices=("v2", "v1"),
        default="v2",
        help="which face of the simulator the app talks to: v2 (REST) or v1 (GraphQL)",
    )
    parser.add_argument(
        "--fresh",
        "--reset-store",
        action="store_true",
        dest="fresh",
        help="start with a new demo store (the old one is set aside); by default the demo "
        "keeps its store, so drafts and read state survive a restart",
    )
    parser.add_argument(
        "--keep-store", action="store_true", help="the default: kept for older scripts"
    )
    return parser


def cmd_config(args: argparse.Namespace) -> int:
    from expereo_tui import cli_config

    if args.action == "init":
        return cli_config.config_init(args)
    if args.action == "secret":
        return cli_config.secret_set(args)
    from expereo_tui import config_check

    if args.openapi:
        return config_check.check_openapi(Path(args.openapi))
    return asyncio.run(config_check.check_profile(args.profile))


def cmd_sim(argv: list[str]) -> int:
    from expereo_tui.sim.cli import main as sim_main

    return sim_main(argv)


WEB_EXTRA = "pipx install 'expereo-tui[web]' (or pip install 'expereo-tui[web]')"


def cmd_serve(argv: list[str]) -> int:
    import importlib.util

    if importlib.util.find_spec("textual_serve") is None:  # the [web] extra is not installed
        print(f"expereo-tui serve: needs the web extra: {WEB_EXTRA}", file=sys.stderr)
        return 2
    from expereo_tui.ui.serve import main as serve_main

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
    from expereo_tui import launch

    return launch.run_demo(_demo_parser().parse_args(argv))


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "sim": cmd_sim,
    "serve": cmd_serve,
}


def _dispatch(argv: list[str]) -> int:
    import os

    at = _command_index(argv)
    asks_help = any(word in ("-h", "--help") for word in argv)
    parser = _app_parser(commands=at is not None or asks_help)
    if at is not None and argv[at] in FORWARDED:
        head = parser.parse_args(argv[:at])  # the global flags before the name
        rest = [word for word in argv[at + 1 :] if word != "--debug"]  # main() handled it
        if argv[at] == "demo" and getattr(head, "read_only", False):
            rest = ["--read-only", *rest]
        if argv[at] == "demo":
            check_terminal()
        return COMMANDS[argv[at]](rest)
    if at is None and not asks_help:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # said by the whole parser: its usage names the commands too
            parser = _app_parser()
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
        from expereo_tui import completion

        return completion.main(args.shell)
    if command == "config":
        return cmd_config(args)
    if command == "handover":
        from expereo_tui import handover

        return handover.run(args)
    if command in ("cases", "inventory"):
        from expereo_tui import scripting

        return scripting.run(args)
    from expereo_tui import launch

    return launch.run(args)


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 ok, 1 failed, 2 usage or configuration, 3 no terminal, 4-9 and 75 from
    scripting (expereo_tui.scripting.Exit; docs/usage.md lists them all), 130 interrupted."""
    import os

    argv = list(sys.argv[1:] if argv is None else argv)
    config_env = os.environ.get("EXPEREO_CONFIG")
    try:
        _setup_logging(debug="--debug" in argv[: argv.index("--") if "--" in argv else None])
        return _dispatch(argv)
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
