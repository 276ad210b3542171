"""``expereo-tui serve``: the same app in a browser (textual-serve), e.g. for wall screens that
are TVs with a browser.  Each browser tab runs its own app process; several tabs of one profile
share the poll lock like several terminals do."""

from __future__ import annotations

import argparse
import shlex
import sys


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="expereo-tui serve", description="Serve the app to a web browser."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--profile", help="profile name (default: the config's default)")
    parser.add_argument("--demo", action="store_true", help="run the demo on the simulator")
    parser.add_argument("--wall", action="store_true", help="serve the NOC wall")
    parser.add_argument("--read-only", action="store_true")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--activity", type=float, default=6.0)
    args = parser.parse_args(argv)
    from textual_serve.server import Server

    command = build_command(args)
    Server(command, host=args.host, port=args.port, title="expereo").serve()
    return 0
