"""OAuth2 client credentials for the simulator: registered clients, issued tokens, scopes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RegisteredClient:
    client_id: str
    secret: str = field(repr=False)
    scopes: tuple[str, ...]
    name: str
    created: float


@dataclass(frozen=True)
class Grant:
    """What a bearer token stands for."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float


class TokenIssuer:
    """Issues opaque bearer tokens (the real API issues JWTs; clients must treat them as opaque)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.clients: dict[str, RegisteredClient] = {}
        self._tokens: dict[str, Grant] = {}

    def register(self, client_id: str, secret: str, scopes: tuple[str, ...], name: str) -> None:
        self.clients[client_id] = RegisteredClient(client_id, secret, scopes, name, self.clock())

    def issue(
        self, client_id: str, secret: str, requested: list[str], ttl: int
    ) -> tuple[str, Grant] | str:
        """A token and its grant, or the OAuth2 error code (``invalid_client``/``invalid_scope``)."""
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            return "invalid_client"
        if requested and not set(requested) <= set(client.scopes):
            return "invalid_scope"
        granted = frozenset(requested or client.scopes)
        token = "sim-" + secrets.token_urlsafe(24)
        grant = Grant(client_id, granted, self.clock() + ttl)
        self._purge()
        self._tokens[token] = grant
        return token, grant

    def check(self, token: str) -> Grant | None:
        grant = self._tokens.get(token)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant

    def expire_all(self) -> None:
        self._tokens.clear()

    def _purge(self) -> None:
        now = self.clock()
        for token in [t for t, g in self._tokens.items() if g.expires_at <= now]:
            del self._tokens[token]
