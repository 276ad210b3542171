"""``expereo-tui sim``: run the simulator alone and print how to reach it."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from expereo_tui.api.models import ALL_SCOPES

from .app import SimConfig, Simulator
from .seed import SCALES
from .server import run_server

#: where a profile goes: said once, by the simulator's banner and the demo's snippet file
ADD_PROFILE = "add it to your config file (`expereo-tui paths` names it)"


def profile_snippet(
    name: str, base_url: str, token_url: str, client_id: str, api: str = "v2"
) -> str:
    """A ready ``[profiles.<name>]`` table for scripting against a running simulator (no secret
    in it: it goes in ``EXPEREO_CLIENT_SECRET_<NAME>``, as a real profile's would)."""
    lines = [
        f"[profiles.{name}]",
        f'base_url = "{base_url}"  # without /v2: the app adds the API\'s paths',
        f'token_url = "{token_url}"',
        f'client_id = "{client_id}"',
    ]
    if api != "v2":
        lines.append(f'api = "{api}"')
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``sim`` and ``demo``."""
    parser.add_argument("--seed", type=int, default=1, help="data seed (default 1)")
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="small",
        help="how much data (large: 10,000 cases, 100,000 messages)",
    )
    parser.add_argument(
        "--activity",
        type=float,
        default=0.0,
        metavar="RATE",
        help="live events per minute: new cases, replies, status changes",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="expereo-tui sim", description="Run the expereoOne API simulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--client-id", help="accepted client id (default: random)")
    parser.add_argument("--client-secret", help="accepted client secret (default: random)")
    parser.add_argument(
        "--scopes",
        help="comma-separated scopes the key was created with (default: all four), e.g. "
        "customerapi/basic.read,customerapi/support.read",
    )
    add_arguments(parser)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests → 500")
    parser.add_argument("--no-rate-limit", action="store_true", help="disable the rate limits")
    parser.add_argument(
        "--unknowns",
        action="store_true",
        help="what the API documents leave open goes the unhelpful way (docs/simulator.md)",
    )
    parser.add_argument(
        "--openapi",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the simulator's OpenAPI 3 spec to FILE (default: stdout) and exit",
    )
    return parser


def _scopes(text: str) -> tuple[str, ...]:
    """``basic.read,support.read`` or the full ``customerapi/…`` names."""
    names = [s.strip() for s in text.replace(" ", ",").split(",") if s.strip()]
    return tuple(n if "/" in n else f"customerapi/{n}" for n in names)


def write_openapi(target: str) -> int:
    """The spec, generated from the routes and models (the data set does not matter)."""
    from .openapi import openapi_json

    text = openapi_json(Simulator(SimConfig(scale="tiny")))
    if target == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"expereo-tui sim: cannot write {target}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"wrote the simulator's OpenAPI spec to {target}")
    return 0


def main(argv: list[str] | None = None, *, stop: threading.Event | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.openapi:
        return write_openapi(args.openapi)
    from .faults import SimLimits

    sim = Simulator(
        SimConfig(
            seed=args.seed,
            scale=args.scale,
            client_id=args.client_id,
            client_secret=args.client_secret,
            scopes=_scopes(args.scopes) if args.scopes else ALL_SCOPES,
            activity_rate=args.activity,
            limits=SimLimits(enabled=not args.no_rate_limit),
            unknowns=args.unknowns,
        )
    )
    sim.faults.latency = args.latency
    sim.faults.error_rate = args.error_rate
    stop = stop or threading.Event()
    try:
        with run_server(sim, args.host, args.port) as url:
            print(f"expereoOne API simulator at {url} (V2 under /v2, V1 at /graphql)", flush=True)
            print(f"  base URL:      {url}   (a profile's base_url: without /v2)")
            print(f"  token URL:     {url}/oauth2/token")
            print(f"  client id:     {sim.client_id}")
            print(f"  client secret: {sim.client_secret}")
            print(f"  scopes:        {' '.join(sim.config.scopes)}")
            print(f"  control API:   {url}/_sim/faults (see docs/simulator.md)")
            if args.unknowns:
                print("  mode:          --unknowns (the documents' silences go the unhelpful way)")
            print(f"A profile for scripting against it ({ADD_PROFILE}):")
            snippet = profile_snippet("sim", url, f"{url}/oauth2/token", sim.client_id)
            print("".join(f"  {line}\n" for line in snippet.splitlines()), end="")
            print(f"  then: EXPEREO_CLIENT_SECRET_SIM={sim.client_secret} "
                  "expereo-tui --profile sim cases list")  # fmt: skip
            print("Press Ctrl+C to stop.", flush=True)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    except (OSError, RuntimeError) as exc:
        print(f"expereo-tui sim: {exc}")
        return 1
    return 0
