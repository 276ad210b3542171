"""Words for the API's vocabulary, shared by the screens, the handover and the command line."""

from __future__ import annotations

import re


def subject_label(value: str | None) -> str:
    """``ServiceDown`` → ``Service down``, ``RfoRequest`` → ``RFO request``."""
    if not value:
        return ""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", value).split()
    out = " ".join([words[0]] + [w.lower() for w in words[1:]]) if words else value
    return out.replace("Rfo", "RFO")
