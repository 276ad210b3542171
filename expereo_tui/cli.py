"""Command line entry point.  STUB — implemented under issue #3."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("expereo-tui: not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
