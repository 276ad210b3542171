"""The command line's parsers: the app's (with every sub-command), ``demo``'s, the flags the
scripting commands share.  ``cli/main.py`` dispatches; ``cli/completion.py`` reads them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from expereo_tui import __version__
from expereo_tui.cli.exits import exit_codes_text

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]


def global_flags() -> argparse.ArgumentParser:
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


def version_text() -> str:
    """``expereo-tui X (Python Y, Textual Z)``: what a bug report needs."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        textual = version("textual")
    except PackageNotFoundError:  # pragma: no cover - a broken install
        textual = "not installed"
    return f"expereo-tui {__version__} (Python {platform.python_version()}, Textual {textual})"


class VersionAction(argparse.Action):
    """``--version``, its text made only when asked (not on the way to the first frame)."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(version_text())
        parser.exit()


def app_parser(prog: str = "expereo-tui", *, commands: bool = True) -> argparse.ArgumentParser:
    """The command line; without ``commands``, only the app's own flags (a plain launch: the
    sub-commands' parsers, and the modules they import, are not built on the way to the first
    frame)."""
    flags = global_flags()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A terminal app for the expereoOne customer API. Without a sub-command it "
        "runs the app on the chosen profile.",
        epilog="`expereo-tui help COMMAND` or `expereo-tui COMMAND -h` for a command's options. "
        "Exit codes: docs/usage.md.",
        parents=[flags],
    )
    parser.add_argument(
        "--version",
        action=VersionAction,
        help="show the versions of expereo-tui, Python and Textual",
    )
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
    config_subparser(sub, flags)
    cases_subparser(sub, flags)
    from expereo_tui.cli import handover

    handover.add_parser(sub, flags)
    from expereo_tui.cli import team

    team.add_parser(sub, flags)
    inv = sub.add_parser("inventory", parents=[flags], help="sites and services (scripting)")
    script_flags(inv)
    inv.add_argument("--json", action="store_true", help="JSON instead of tab-separated lines")
    return parser


def script_flags(
    parser: argparse.ArgumentParser, *, writes: bool = False, repeatable: bool = False
) -> None:
    """The scripting commands' flags; ``writes`` adds --wait and --yes, ``repeatable`` (a reply
    or a new case: sending one twice makes two) --again and --key."""
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
        parser.add_argument(
            "--yes",
            action="store_true",
            help="send even when a line looks like a credential (else: refused, exit 8)",
        )
    if repeatable:
        parser.add_argument(
            "--again",
            action="store_true",
            help="send it even though the same write was confirmed before (else: exit 10 with "
            "the id it was given)",
        )
        parser.add_argument(
            "--key",
            metavar="KEY",
            help="your own key for this write: the same key again finishes it, or reports it "
            "sent, whatever the text (default: the command's content)",
        )


def config_subparser(sub: SubParsers, flags: argparse.ArgumentParser) -> None:
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


def cases_subparser(sub: SubParsers, flags: argparse.ArgumentParser) -> None:
    cases = sub.add_parser(
        "cases",
        parents=[flags],
        help="list, show, reply to and open cases (scripting)",
        description="Scripting: each command syncs once, then answers from the local store.",
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = cases.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="what to do"
    )
    lst = actions.add_parser("list", parents=[flags], help="cases, newest change first")
    script_flags(lst)
    lst.add_argument("--status", action="append", help="only this status (repeatable)")
    lst.add_argument(
        "--open", action="store_true", help="only open cases (every status but Closed/Resolved)"
    )
    lst.add_argument("--priority", action="append", help="only this priority, e.g. P1 (repeatable)")
    lst.add_argument("--service", metavar="SERVICE_ID", help="only cases on this service")
    fmt = lst.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="a JSON array")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    show = actions.add_parser("show", parents=[flags], help="one case and its messages")
    script_flags(show)
    show.add_argument("id", help="case id, e.g. CS-0001234")
    show.add_argument("--json", action="store_true", help="JSON (the case and its messages)")
    reply = actions.add_parser(
        "reply", parents=[flags], help="reply to a case; the message is read from stdin"
    )
    script_flags(reply, writes=True, repeatable=True)
    reply.add_argument("id", help="case id")
    reply.add_argument("message", metavar="-", help="`-`: read the message from stdin")
    new = actions.add_parser(
        "new", parents=[flags], help="open a case; the first message is read from stdin"
    )
    script_flags(new, writes=True, repeatable=True)
    new.add_argument("--service", required=True, metavar="SERVICE_ID", help="the service")
    new.add_argument("--type", required=True, help="case type, e.g. Incident or Request")
    new.add_argument("--subject", required=True, help="subject line")
    new.add_argument("--priority", help="P1..P4 (incidents)")
    new.add_argument("--start", metavar="TIME", help="start of the incident, ISO 8601 with offset")
    new.add_argument("message", metavar="-", help="`-`: read the message from stdin")
    ref = actions.add_parser("reference", parents=[flags], help="set a case's customer reference")
    script_flags(ref, writes=True)
    ref.add_argument("id", help="case id")
    ref.add_argument("reference", help="the new customer reference")


def demo_parser() -> argparse.ArgumentParser:
    from expereo_tui.sim.cli import add_arguments

    parser = argparse.ArgumentParser(
        prog="expereo-tui demo", description="Run the app against the built-in simulator."
    )
    add_arguments(parser)
    # an event every 30 s: lively, yet a change is news (6 a minute touched 40 of 50 open
    # cases in 15 minutes, and the inbox became a wall of ★)
    parser.set_defaults(activity=2.0)
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
    parser.add_argument(
        "--profile-snippet",
        metavar="FILE",
        help="write a profile (demo-sim) for scripting against this demo's simulator while it "
        "runs: `expereo-tui --profile demo-sim cases list` in another terminal",
    )
    return parser
