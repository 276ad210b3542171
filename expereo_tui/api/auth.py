"""OAuth2 client credentials as an ``httpx.Auth`` flow: a token fetched on first use, cached
until shortly before it expires, refreshed once when the API answers 401.  Neither the secret nor
the token ever appears in a repr, an exception message or a log line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx

from .errors import NetworkError, ScopeRefusedError, ServerError, UnauthorizedError
from .models import TokenResponse
from .tls import tls_failure

EARLY = 60.0  # refresh this many seconds before the token expires


class ClientCredentialsAuth(httpx.Auth):
    requires_response_body = False

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scopes: list[str],
        clock: Callable[[], float],
        send_token_request: Callable[..., Any],
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scopes = scopes
        self.clock = clock
        self._send = send_token_request  # posts the form through the client's transport
        self._token: str | None = None
        self._expires_at = 0.0
        self.granted_scopes: list[str] = []
        self._lock = asyncio.Lock()
        self.tokens_fetched = 0
        self._refused: list[str] | None = None  # scopes the token endpoint refused

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def invalidate(self) -> None:
        self._token = None

    async def token(self, *, stale: str | None = None) -> str:
        """A valid token; ``stale`` is one the API just refused (refreshed only once even when
        several requests were refused at the same time)."""
        async with self._lock:
            expiring = self.clock() >= self._expires_at - EARLY
            if self._token is None or self._token == stale or expiring:
                await self._fetch()
            assert self._token is not None
            return self._token

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        response = await self._post(form)
        if response.status_code in (400, 401):
            code = _oauth_error(response)
            if code == "invalid_scope":
                refused = await self._refused_scopes()
                raise ScopeRefusedError(
                    f"The API refused the scope(s) {' '.join(refused)} for client "
                    f"{self.client_id}: the key was created without them; remove them from the "
                    "profile's scopes.",
                    refused=refused,
                    status=response.status_code,
                )
            raise UnauthorizedError(
                f"The API refused the client id/secret for client {self.client_id} "
                f"({code or response.status_code}). Check the secret, or create a new key in "
                "the expereoOne portal.",
                status=response.status_code,
            )
        if response.status_code >= 300:
            raise ServerError(
                f"The token endpoint answered {response.status_code}; retrying later.",
                status=response.status_code,
            )
        try:
            token = TokenResponse.model_validate(response.json())
        except ValueError:
            raise ServerError(
                "The token endpoint sent a response that is not a token.",
                status=response.status_code,
            ) from None
        self._token = token.access_token
        self._expires_at = self.clock() + token.expires_in
        self.granted_scopes = token.scope.split() if token.scope else list(self.scopes)
        self.tokens_fetched += 1

    async def _post(self, form: dict[str, str]) -> httpx.Response:
        try:
            response: httpx.Response = await self._send(self.token_url, form)
        except httpx.TransportError as exc:
            raise NetworkError(
                tls_failure(exc, "the token endpoint")
                or f"The token endpoint is not reachable ({type(exc).__name__}). "
                "The app keeps your work and retries."
            ) from None
        return response

    async def _refused_scopes(self) -> list[str]:
        """Which of the requested scopes the key lacks: OAuth2's ``invalid_scope`` does not say,
        so each is asked for alone (once; the answer is kept)."""
        if self._refused is None:
            if len(self.scopes) <= 1:
                self._refused = list(self.scopes)
            else:
                refused = []
                for scope in self.scopes:
                    form = {
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self._secret,
                        "scope": scope,
                    }
                    answer = await self._post(form)
                    if answer.status_code in (400, 401) and _oauth_error(answer) == "invalid_scope":
                        refused.append(scope)
                self._refused = refused or list(self.scopes)
        return list(self._refused)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        used = await self.token()
        request.headers["Authorization"] = f"Bearer {used}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {await self.token(stale=used)}"
            yield request


def _oauth_error(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) and body.get("error") else None
