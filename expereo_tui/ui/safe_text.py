"""Untrusted text from the API, made safe to show: never parsed as markup (callers wrap it in
``rich.text.Text``), and stripped of terminal escapes, control characters and the Unicode
controls that reorder text (a subject must not be able to disguise itself)."""

from __future__ import annotations

import re

from rich.text import Text

# CSI / OSC / other ESC sequences, then any remaining C0/C1 controls except tab and newline,
# then bidirectional overrides/isolates.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
    r"|[\u202a-\u202e\u2066-\u2069\u200e\u200f]"
)


def safe(value: str | None, *, one_line: bool = False) -> str:
    """``value`` with escapes and control characters removed (``""`` for None)."""
    if not value:
        return ""
    cleaned = _ESCAPES.sub("", value)
    if one_line:
        cleaned = " ".join(cleaned.split())
    return cleaned


def literal(value: str | None, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich ``Text`` that shows ``value`` exactly (no markup), safely."""
    return Text(safe(value, one_line=one_line), style=style)
