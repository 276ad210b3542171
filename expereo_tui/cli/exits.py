"""The command line's exit codes: one table, read by the scripting commands, their ``-h`` and the
man page (docs/usage.md lists them too)."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NO_TERMINAL = 3
    NOT_FOUND = 4
    STORE = 5
    OFFLINE = 6
    AUTH = 7
    REJECTED = 8
    READ_ONLY = 9
    ALREADY_SENT = 10
    PENDING = 75  # EX_TEMPFAIL


MEANING = {
    Exit.OK: "done",
    Exit.FAILED: "anything else (an OS error)",
    Exit.USAGE: "bad arguments or configuration",
    Exit.NO_TERMINAL: "a screen command without a terminal",
    Exit.NOT_FOUND: "no such case (after the sync, or in the store with --offline)",
    Exit.STORE: "the local store cannot be used",
    Exit.OFFLINE: "the sync could not reach the API (network, 5xx, rate limit)",
    Exit.AUTH: "credentials refused or a scope missing",
    Exit.REJECTED: "the API or a local rule refused the write (invalid, closed, credentials "
    "in the text)",
    Exit.READ_ONLY: "the profile or --read-only forbids writes",
    Exit.ALREADY_SENT: "this write was confirmed before: its id printed; --again sends it again",
    Exit.PENDING: "queued, not confirmed yet: run the same command again",
}


def exit_codes_text() -> str:
    """The table for a parser's epilog."""
    return "exit codes:\n" + "\n".join(f"  {int(code):>3}  {MEANING[code]}" for code in Exit)
