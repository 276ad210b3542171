"""The profile's client secret as the pre-send lint knows it: a digest, never the secret.

Apart from ``lint`` (and its patterns) so that the CLI can build it before the first frame.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable


def secret_matcher(secret: str | None) -> Callable[[str], bool] | None:
    """A test of whether a word is ``secret``, holding only its digest."""
    if not secret:
        return None
    digest = hashlib.sha256(secret.encode()).digest()

    def matches(word: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(word.encode()).digest(), digest)

    return matches
