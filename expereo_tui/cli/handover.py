"""``expereo-tui handover``: the shift handover report (``shift/handover.py``) from a profile's
local store, to stdout, a file or the clipboard."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TextIO

from expereo_tui.cli.output import emit
from expereo_tui.files import write_file
from expereo_tui.shift.handover import (
    DEFAULT_SINCE,
    build,
    osc52,
    parse_since,
    to_json,
    to_markdown,
)

if TYPE_CHECKING:
    from expereo_tui.store.store import Store


def add_parser(sub: Any, flags: argparse.ArgumentParser) -> None:
    """``expereo-tui handover``: the cli.py hunk is one call of this."""
    parser = sub.add_parser(
        "handover", parents=[flags], help="the shift's handover report (Markdown or JSON)"
    )
    parser.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        metavar="WHEN",
        help="start of the shift: 8h, 30m, 2d back, or a time (default 8h)",
    )
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--md", action="store_true", help="Markdown (the default)")
    fmt.add_argument("--json", action="store_true", help="JSON")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    out.add_argument(
        "--clipboard", action="store_true", help="put it on the clipboard (OSC 52, over SSH too)"
    )


def run(
    args: argparse.Namespace,
    out: TextIO | None = None,
    *,
    clock: Callable[[], float] | None = None,
    open_store: Callable[[str], Store] | None = None,
) -> int:
    """Build and write the report from the profile's local store (what the app last synced)."""
    import time

    from expereo_tui.config import get_profile

    out = out or sys.stdout
    now = (clock or time.time)()
    try:
        since = parse_since(args.since, now)
    except ValueError as exc:
        print(f"expereo-tui: --since: {exc}", file=sys.stderr)
        return 2
    from expereo_tui.store.store import Store

    name, profile = get_profile(getattr(args, "profile", None))
    sla = getattr(profile, "sla", None) or {}  # SLA targets per priority, where configured
    options = SimpleNamespace(sla_targets={p: t.targets() for p, t in sla.items()} or None)
    store = (open_store or Store.for_profile)(name)
    try:
        report = build(store, since=since, now=now, profile=name, options=options)
    finally:
        store.close()
    text = to_json(report) if args.json else to_markdown(report)
    if args.out:
        write_file(Path(args.out), text)  # never through a planted symbolic link
        print(f"handover written to {args.out}", file=sys.stderr)
    elif args.clipboard:
        out.write(osc52(text))
        out.flush()
        print("handover copied to the clipboard (OSC 52)", file=sys.stderr)
    else:
        emit(out, text)  # to a terminal: without the API's escapes (JSON is exact anyway)
    return 0
