"""``expereo-tui serve``: the same app in a browser (textual-serve), e.g. for wall screens that
are TVs with a browser.  Each browser tab runs its own app process; several tabs of one profile
share the poll lock like several terminals do."""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
from urllib.parse import urlsplit


def build_command(args: argparse.Namespace) -> str:
    """The command line each browser session runs."""
    parts = [sys.executable, "-m", "expereo_tui"]
    if args.demo:
        parts += [
            "demo",
            "--scale",
            args.scale,
            "--seed",
            str(args.seed),
            "--activity",
            str(args.activity),
            "--keep-store",
        ]
    elif args.profile:
        parts += ["--profile", args.profile]
    if args.wall:
        parts.append("--wall")
    if args.read_only and not args.wall:
        parts.append("--read-only")
    return " ".join(shlex.quote(p) for p in parts)


def is_loopback_host(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def remote_check(args: argparse.Namespace) -> tuple[list[str], str | None]:
    """Warnings to print, and the reason to refuse (None: go ahead), for ``args.host``.

    Anyone who can reach a non-loopback address gets the app with this profile's credentials,
    so it must be read-only unless ``--allow-remote-writes`` says otherwise."""
    if is_loopback_host(args.host):
        return [], None
    warnings = [
        f"expereo-tui serve: warning: listening on {args.host}, not loopback: anyone who can "
        "reach this port uses the app with this profile's credentials (no login)"
    ]
    read_only = args.read_only or args.wall
    if not read_only and not args.allow_remote_writes:
        return warnings, (
            f"expereo-tui serve: refusing to serve writes on {args.host}: add --read-only, "
            "or --allow-remote-writes if every person who can reach it may write"
        )
    return warnings, None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings, refusal = remote_check(args)
    for line in warnings:
        print(line, file=sys.stderr)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    if args.public_url and problem_with_public_url(args.public_url):
        print(
            f"expereo-tui serve: --public-url: {problem_with_public_url(args.public_url)}",
            file=sys.stderr,
        )
        return 2
    if args.max_sessions < 1:
        print("expereo-tui serve: --max-sessions must be at least 1", file=sys.stderr)
        return 2
    from expereo_tui import logs
    from expereo_tui.cli.web import SafeServer, new_token

    token = None
    if args.require_token or not is_loopback_host(args.host):
        token = new_token()
        logs.redact_value(token)  # printed once to this terminal, never to the log
    server = SafeServer(
        build_command(args),
        host=args.host,
        port=args.port,
        title="expereo",
        public_url=args.public_url,
        token=token,
        max_sessions=args.max_sessions,
    )
    server.serve()
    return 0


def problem_with_public_url(url: str) -> str | None:
    """Why ``url`` cannot be where browsers reach this server (None: it can)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http:// or https:// URL with a host"
    if parts.query or parts.fragment:
        return f"{url!r} must not have a query or fragment"
    return None


def build_parser() -> argparse.ArgumentParser:
    """``serve``'s options (also read by ``expereo-tui completion``)."""
    parser = argparse.ArgumentParser(
        prog="expereo-tui serve", description="Serve the app to a web browser."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--profile", help="profile name (default: the config's default)")
    parser.add_argument("--demo", action="store_true", help="run the demo on the simulator")
    parser.add_argument("--wall", action="store_true", help="serve the NOC wall")
    parser.add_argument("--read-only", action="store_true", help="hide and disable every write")
    parser.add_argument(
        "--allow-remote-writes",
        action="store_true",
        help="allow a non-loopback --host without --read-only",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="where browsers reach this server (e.g. behind a proxy); default: the address "
        "the browser used",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=8,
        metavar="N",
        help="browser sessions at once, each a running app (default 8)",
    )
    parser.add_argument(
        "--require-token",
        action="store_true",
        help="ask for the printed access token on loopback too (always asked elsewhere)",
    )
    parser.add_argument("--scale", default="small", help="with --demo: simulated data size")
    parser.add_argument("--seed", type=int, default=1, help="with --demo: random seed")
    parser.add_argument(
        "--activity", type=float, default=6.0, help="with --demo: live events per minute"
    )
    return parser
