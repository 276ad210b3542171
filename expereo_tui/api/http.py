"""The HTTP transport both API faces stand on (:mod:`~expereo_tui.api.v2`, REST, and
:mod:`~expereo_tui.api.v1`, GraphQL).

One ``httpx.AsyncClient`` with OAuth2 client-credentials auth (:mod:`~expereo_tui.api.auth`), a
rate limiter that keeps within the documented budget (:mod:`~expereo_tui.api.ratelimit`),
retries with jittered back-off for reads (never for writes: the outbox decides), and the mapping
of a failed response onto one exception hierarchy (:mod:`expereo_tui.api.errors`).  Redirects are
never followed, so the token never leaves the base URL's origin.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self

import httpx

from .auth import ClientCredentialsAuth
from .errors import (
    ApiError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    ValidationError,
)
from .models import ErrorObject, ModelError
from .ratelimit import RateBudget, RateLimiter, parse_retry_after
from .settings import ClientSettings
from .tls import tls_failure

__all__ = ["TOKEN_NOTE", "HttpTransport", "error_for"]

log = logging.getLogger(__name__)

#: noted on any exception raised while the token was being fetched (``BaseException.__notes__``)
TOKEN_NOTE = "expereo: raised while fetching an access token"


def _parse_errors(response: httpx.Response) -> list[ErrorObject]:
    try:
        body = response.json()
    except ValueError:
        return []
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        out = []
        for item in body["errors"]:
            if isinstance(item, dict) and item.get("message") and not item.get("detail"):
                # GraphQL-style {"message": ...} without a code: the server's words all the same
                item = {**item, "detail": str(item["message"])}
            try:
                out.append(ErrorObject.model_validate(item))
            except ModelError:
                continue
        return out
    if isinstance(body, dict) and body.get("message"):
        detail = str(body["message"]).encode("utf-8", "replace").decode("utf-8")  # no surrogate
        return [ErrorObject(status=str(response.status_code), detail=detail)]
    return []


def _scope_of(errors: list[ErrorObject]) -> str | None:
    for err in errors:
        extra = err.model_extra or {}
        if isinstance(extra.get("scope"), str):
            return str(extra["scope"])
        for word in (err.detail or "").split():
            if word.startswith("customerapi/"):
                return word.rstrip(".,;")
    return None


def _retry_after(response: httpx.Response, now: float, default: float = 1.0) -> float:
    """``Retry-After`` in seconds, whether the server sent seconds or an HTTP date."""
    seconds = parse_retry_after(response.headers.get("Retry-After"), now)
    return default if seconds is None else seconds


def _json_body(response: httpx.Response) -> Any:
    """The JSON body; bytes that are not UTF-8 become lone surrogates (``surrogateescape``) so
    that only the item holding them is refused, not the whole page."""
    return json.loads(response.content.decode("utf-8", "surrogateescape"))


def error_for(response: httpx.Response, what: str, now: float | None = None) -> ApiError:
    """The typed error for a non-2xx response; messages are for a NOC engineer.  ``now``
    (epoch seconds) reads a ``Retry-After`` given as an HTTP date."""
    status = response.status_code
    errors = _parse_errors(response)
    detail = "; ".join(e.detail or e.title or "" for e in errors if e.detail or e.title)
    if status in (400, 422):
        return ValidationError(
            f"The API rejected {what}: {detail or 'invalid request'}", errors=errors, status=status
        )
    if status == 401:
        return UnauthorizedError(
            f"The API no longer accepts our credentials ({detail or 'unauthorised'}). "
            "Check the client secret; the app retries later.",
            status=status,
        )
    if status == 403:
        scope = _scope_of(errors)
        need = f"the scope {scope}" if scope else "a scope"
        return ForbiddenError(
            f"This API key lacks {need} needed for {what}. Scopes are fixed "
            "when a key is created: ask for a key with that scope.",
            scope=scope,
        )
    if status == 404:
        return NotFoundError(f"Not found: {what} ({detail or 'it does not exist'}).", status=status)
    if status == 429:
        wait = _retry_after(response, time.time() if now is None else now)
        return RateLimitedError(
            f"Over the API's rate limit; retrying in {wait:.0f} s.", retry_after=wait
        )
    said = f": {detail[:300]}" if detail else ""  # the server's own words, when it gave any
    return ServerError(
        f"The API failed on {what} (HTTP {status}{said}); the app retries.", status=status
    )


class HttpTransport:
    """One ``httpx.AsyncClient`` with auth, rate limiting, retries (reads only) and typed errors.

    ``transport`` lets tests run against the simulator in-process (``httpx.ASGITransport``);
    ``clock``/``sleep`` make the rate limiter testable without real time; ``wall_clock``
    (epoch seconds) reads ``Retry-After`` dates.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        rng: random.Random | None = None,
        wall_clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or time.monotonic
        self.wall_clock = wall_clock or time.time
        self.sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            timeout=settings.timeout,
            limits=httpx.Limits(keepalive_expiry=settings.keepalive),
            follow_redirects=False,  # a redirect must not carry the token anywhere
            headers={"Accept": "application/json", "User-Agent": "expereo-tui"},
        )
        self.limiter = RateLimiter(settings.limits, self.clock, self.sleep)
        self._auth = ClientCredentialsAuth(
            settings.token_url,
            settings.client_id,
            settings.client_secret,
            settings.scopes,
            clock=self.clock,
            send_token_request=self._post_token,
        )
        self.requests = 0  # API requests sent (token requests excluded)

    def __repr__(self) -> str:
        return (
            f"HttpTransport(base_url={self.settings.base_url!r}, "
            f"client_id={self.settings.client_id!r})"
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def budget(self) -> RateBudget:
        return self.limiter.budget

    @property
    def granted_scopes(self) -> list[str]:
        """Scopes of the current token (empty before the first request)."""
        return list(self._auth.granted_scopes)

    @property
    def base_url(self) -> httpx.URL:
        return self._http.base_url

    def url(self, path: str, params: dict[str, str] | None = None) -> httpx.URL:
        """The absolute URL a GET of ``path`` with ``params`` would ask for."""
        return self._http.build_request("GET", path, params=params).url

    async def request(
        self, method: str, url: str, what: str, *, kind: str | None = None, **kw: Any
    ) -> Any:
        """Send; reads are retried on network errors, 5xx and 429.  Returns the JSON body
        (None for an empty one).  ``kind`` ("read"/"write") defaults from the method (V1 POSTs
        reads); ``what`` names the request in error messages; ``kw`` goes to httpx."""
        kind = kind or ("read" if method == "GET" else "write")
        attempts = self.settings.max_get_retries + 1 if kind == "read" else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._send_once(method, url, what, kind=kind, **kw)
            except NetworkError:
                if last:
                    raise
                log.info("retrying %s after a network error", what)
                await self._backoff(attempt)
                continue
            if response.is_success:
                try:
                    return _json_body(response) if response.content else None
                except ValueError:
                    err: ApiError = ServerError(
                        f"The API sent a response to {what} that is not valid JSON.",
                        status=response.status_code,
                    )
            else:
                err = error_for(response, what, self.wall_clock())
            if not err.transient or last or kind != "read":
                raise err
            log.info("retrying %s after %s", what, type(err).__name__)
            if isinstance(err, RateLimitedError):
                continue  # the limiter now waits for Retry-After
            await self._backoff(attempt, response.headers.get("Retry-After"))
        raise AssertionError("unreachable")

    async def _post_token(self, url: str, form: dict[str, str]) -> httpx.Response:
        try:
            return await self._http.post(url, data=form)
        except Exception as exc:  # whatever it is, say it happened while getting a token
            exc.add_note(TOKEN_NOTE)
            raise

    async def _send_once(
        self, method: str, url: str, what: str, *, kind: str | None = None, **kw: Any
    ) -> httpx.Response:
        """One request; ``kind`` ("read"/"write") defaults from the method (V1 POSTs reads)."""
        kind = kind or ("read" if method == "GET" else "write")
        try:
            # the token before the rate token: a token fetch between the two would make the
            # request reach the API later than our bucket counted it (a 429 after a burst)
            await self._auth.token()
            await self.limiter.acquire(kind)
            self.requests += 1
            response = await self._http.request(method, url, auth=self._auth, **kw)
        except httpx.TransportError as exc:
            error = type(exc).__name__
            if kind == "write":
                failed = NetworkError(
                    f"The connection broke while sending {what} ({error}): it may or may not "
                    "have reached expereoOne. The app checks before sending it again."
                )
            else:
                failed = NetworkError(
                    tls_failure(exc, "the expereoOne API")
                    or f"The expereoOne API is not reachable ({error}). The app keeps "
                    "your work and retries."
                )
            failed.unreachable = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
            raise failed from None
        if response.status_code == 429:
            self.limiter.penalise(_retry_after(response, self.wall_clock()))
        return response

    async def _backoff(self, attempt: int, retry_after: str | None = None) -> None:
        """Jittered exponential back-off (0.5 s base, 30 s cap), never shorter than Retry-After."""
        delay = min(30.0, 0.5 * 2**attempt) * self._rng.uniform(0.5, 1.0)
        wait = parse_retry_after(retry_after, self.wall_clock())
        if wait is not None:
            delay = max(delay, min(wait, 300.0))
        await self.sleep(delay)


class Face:
    """What each face of the API (``v2.V2Client``, ``v1.V1Client``) is over its transport: a
    context manager that closes it, the rate budget, the requests sent, the token's scopes, and
    a ``repr`` without the secret.  The faces set ``settings`` and ``http``."""

    settings: ClientSettings
    http: HttpTransport

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.settings.base_url!r}, "
            f"client_id={self.settings.client_id!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    @property
    def budget(self) -> RateBudget:
        return self.http.budget

    @property
    def requests(self) -> int:
        """API requests sent (token requests excluded)."""
        return self.http.requests

    @property
    def granted_scopes(self) -> list[str]:
        """Scopes of the current token (empty before the first request)."""
        return self.http.granted_scopes
