"""What a client needs to reach the API: a plain dataclass, importable without httpx.

The CLI builds it before the app's first frame; the client (and httpx) are imported after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ratelimit import RateLimits


@dataclass
class ClientSettings:
    """Where the API is, the credentials, and how the client paces and retries."""

    base_url: str  # e.g. http://127.0.0.1:8080 (routes are /v2/...)
    token_url: str  # e.g. http://127.0.0.1:8080/oauth2/token
    client_id: str
    client_secret: str = field(repr=False)
    scopes: list[str] = field(default_factory=list)
    limits: RateLimits = field(default_factory=RateLimits)
    timeout: float = 20.0
    max_get_retries: int = 4
    # seconds an idle connection is kept for the next request: longer than the 30 s poll, so
    # an idle app does not connect (and, against the real API, shake hands for TLS) again on
    # every poll; shorter than the 60 s after which load balancers commonly drop idle ones
    keepalive: float = 45.0
