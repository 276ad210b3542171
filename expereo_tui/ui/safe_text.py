"""Untrusted text from the API, made safe to show: never parsed as markup (callers wrap it in
``rich.text.Text``), and stripped of terminal escapes, control characters and the Unicode
controls that reorder text or hide in it (a subject must not be able to disguise itself)."""

from __future__ import annotations

import re

from rich.text import Text

# Each family is one rule (tests/ui/test_safe_text.py breaks each on purpose). Sequences go
# whole, with their parameters and payload, in both the 7-bit (ESC x) and the 8-bit C1 form
# (U+0080..U+009F, which a terminal may still obey), so no "]0;title" or "31m" is left behind.
_CSI = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
# OSC (ESC ] / U+009D, incl. OSC 52 clipboard and OSC 8 links), DCS (ESC P / U+0090) and the
# other string sequences SOS, PM, APC: the payload runs to BEL or ST; an unterminated one ends
# where a terminal would abort it (ESC, CAN, SUB) or at the end of the text.
_STRING = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x18\x1a\x9c]*(?:\x07|\x1b\\|\x9c)?"
# Any other escape: ESC, intermediates, final byte (charset switches, ESC c = full reset, ...).
_OTHER_ESCAPE = r"\x1b[ -/]*[0-~]?"
# What is left of C0 (except tab and newline), DEL and C1.
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"
# Bidirectional marks, embeddings, overrides and isolates (they reorder what is shown).
_BIDI = r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
# Invisible characters that sit inside words: soft hyphen, Mongolian vowel separator,
# zero-width space / non-joiner / joiner, word joiner and invisible operators, BOM.
_ZERO_WIDTH = r"[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]"
# The rest of Unicode's format characters (category Cf): deprecated shaping controls,
# interlinear annotation, prepended number marks, and the tag characters that can smuggle
# invisible ASCII.
_OTHER_FORMAT = (
    r"[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u206a-\u206f\ufff9-\ufffb"
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    r"\U000e0001\U000e0020-\U000e007f]"
)

_ESCAPES = re.compile(
    "|".join((_CSI, _STRING, _OTHER_ESCAPE, _CONTROL, _BIDI, _ZERO_WIDTH, _OTHER_FORMAT))
)
# A lone surrogate (JSON allows "\ud800") cannot be encoded for the terminal at all.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def safe(value: str | None, *, one_line: bool = False) -> str:
    """``value`` with escapes and control characters removed (``""`` for None)."""
    if not value:
        return ""
    cleaned = _SURROGATE.sub("\ufffd", _ESCAPES.sub("", value))
    if one_line:
        cleaned = " ".join(cleaned.split())
    return cleaned


def literal(value: str | None, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich ``Text`` that shows ``value`` exactly (no markup), safely."""
    return Text(safe(value, one_line=one_line), style=style)
