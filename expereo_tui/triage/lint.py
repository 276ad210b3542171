"""Pre-send lint: what in a reply or a new case looks like a credential, line by line.

Catches a password or secret line pasted from a device config, SNMP communities, private key
blocks, bearer tokens (and JWTs), and this profile's own client secret (matched by digest: the
UI never holds the secret itself).  Each finding carries the line with the secret part masked,
so the warning itself shows nothing worth stealing.  A warning, not a block: the person sending
decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from expereo_tui.triage.secret import secret_matcher as secret_matcher  # re-exported

MASK = "•"
# what each finding is, in words (the app's dialog and the ``cases`` commands say it)
KIND = {
    "password": "a password or secret from a device config",
    "snmp-community": "an SNMP community",
    "private-key": "a private key block",
    "bearer-token": "a bearer token",
    "client-secret": "this profile's API client secret",
}

# (code, pattern): the group named "value" is what gets masked (the whole match without one)
_VALUE = r"(?P<value>\"[^\"]+\"|'[^']+'|\S+)"
_SECRETISH = r"(?=\S*[\d$!@#%^&*./+=_\-])"  # a value with a digit or a symbol: not a plain word
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    (
        "snmp-community",
        re.compile(
            r"(?i)\b(?:snmp-server\s+community|set\s+snmp\s+community|"
            r"community(?=\s+\S+\s+(?:ro|rw|read-only|read-write|authorization)\b))\s+" + _VALUE
        ),
    ),
    (
        "bearer-token",
        re.compile(
            r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9\-._~+/]{12,}=*)"
            r"|(?P<jwt>\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,})"
        ),
    ),
    (
        "password",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|pre-shared-key|psk|encrypted-password|"
            r"authentication-key|auth-key|key-string|(?:tacacs|radius)-server\s+key|"
            r"api[_-]?key|client[_-]?secret|access[_-]?token)"
            r"(?:\s*[:=]\s*|\s+(?:[0-9]\s+)?" + _SECRETISH + r")" + _VALUE
        ),
    ),
)


@dataclass(frozen=True)
class Finding:
    """One line that looks like it holds a credential."""

    code: str  # "password" | "snmp-community" | "private-key" | "bearer-token" | "client-secret"
    line_number: int  # 1-based
    masked: str  # the line, its secret part masked


_WORDS = re.compile(r"[^\s\"'=:,;<>()\[\]{}]+")


def _mask(line: str, start: int, end: int) -> str:
    keep = min(2, max(0, (end - start) // 4))  # a hint of which one, never most of it
    return line[: start + keep] + MASK * max(4, min(12, end - start - keep)) + line[end:]


def lint(text: str, is_client_secret: Callable[[str], bool] | None = None) -> list[Finding]:
    """The lines of ``text`` that look like credentials (one finding a line, the first kind
    found), in order."""
    found: list[Finding] = []
    for number, line in enumerate(text.splitlines(), start=1):
        finding = _line(line, is_client_secret)
        if finding is not None:
            found.append(Finding(finding[0], number, finding[1]))
    return found


def _line(line: str, is_client_secret: Callable[[str], bool] | None) -> tuple[str, str] | None:
    if is_client_secret is not None:
        for word in _WORDS.finditer(line):
            if is_client_secret(word.group()):
                return "client-secret", line[: word.start()] + MASK * 12 + line[word.end() :]
    for code, pattern in PATTERNS:
        match = pattern.search(line)
        if match is None:
            continue
        if code == "private-key":
            return code, line.strip()  # the BEGIN line names the block; the key is below it
        group = next((g for g in ("value", "jwt") if match.groupdict().get(g)), None)
        start, end = match.span(group) if group else match.span()
        return code, _mask(line, start, end)
    return None
