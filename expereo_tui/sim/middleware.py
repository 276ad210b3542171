"""What wraps both faces of the simulator: the request log, latency, auth (token and scopes),
faults, rate limits, Idempotency-Key records and the hold before a write commits.

Each concern is one small step ``async (call, next) -> Response``; :meth:`Middleware.guard` chains
them, in :attr:`Middleware.steps` order, around a face's handler.  The V2 routes are guarded once
each; the V1 ``POST /graphql`` route is guarded per request, once it knows whether the document is
a query (a read) or a mutation (a write).  The order is the contract: a redirect or a 401 is
logged without a client, a fault fires only for a request its scopes allow, a replayed
Idempotency-Key commits nothing and loses no response.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import responses, unknowns
from .auth import Grant
from .faults import Faults, RateLimiter, uncoded
from .listing import BadQuery
from .world import Idempotent, World
from .writes import WriteRejected

Handler = Callable[[Request, Grant], Awaitable[Response] | Response]


class RequestRecord(NamedTuple):
    method: str
    path: str
    status: int
    client_id: str | None
    at: float


@dataclass
class Call:
    """One API request on its way through the steps."""

    request: Request
    scopes: tuple[str, ...]
    write: bool
    grant: Grant | None = None  # set by the auth step
    replayed: bool = False  # answered from an Idempotency-Key record

    @property
    def client_id(self) -> str | None:
        return self.grant.client_id if self.grant else None

    def granted(self) -> Grant:
        assert self.grant is not None, "a step after authenticate"
        return self.grant


Next = Callable[[Call], Awaitable[Response]]
Step = Callable[[Call, Next], Awaitable[Response]]


def _bind(step: Step, inner: Next) -> Next:
    async def run(call: Call) -> Response:
        return await step(call, inner)

    return run


class Middleware:
    def __init__(
        self, world: World, faults: Faults, limiter: RateLimiter, fault_rng: random.Random
    ) -> None:
        self.world = world
        self.faults = faults
        self.limiter = limiter
        self._rnd = fault_rng.random
        self.request_log: deque[tuple[str, str]] = deque(maxlen=50_000)
        self.request_records: deque[RequestRecord] = deque(maxlen=50_000)
        # tests: while set and not released, writes wait here before committing
        self.write_gate: threading.Event | None = None
        self.steps: tuple[Step, ...] = (
            self.log,
            self.uncoded_errors,
            self.latency,
            self.redirect,
            self.authenticate,
            self.authorise,
            self.outage,
            self.storm,
            self.rate_limit,
            self.server_errors,
            self.resets,
            self.dropped_writes,
            self.bad_query,
            self.lost_write_response,
            self.malformed_json,
            self.idempotency,
            self.hold_commit,
            self.rejected_writes,
        )

    def guard(
        self, handler: Handler, *scopes: str, write: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """A face's handler wrapped in every step."""

        async def innermost(call: Call) -> Response:
            result = handler(call.request, call.granted())
            if asyncio.iscoroutine(result):
                result = await result
            assert isinstance(result, Response)
            return result

        chain: Next = innermost
        for step in reversed(self.steps):
            chain = _bind(step, chain)

        async def endpoint(request: Request) -> Response:
            return await chain(Call(request, scopes, write))

        # what sim/openapi.py reads to describe the route (scopes, write, the handler's name)
        endpoint.scopes = scopes  # type: ignore[attr-defined]
        endpoint.write = write  # type: ignore[attr-defined]
        endpoint.handler_name = handler.__name__  # type: ignore[attr-defined]
        return endpoint

    # -- the steps, outermost first ------------------------------------------------------------
    async def log(self, call: Call, nxt: Next) -> Response:
        response = await nxt(call)
        method, path = call.request.method, call.request.url.path
        self.request_log.append((method, path))
        self.request_records.append(
            RequestRecord(method, path, response.status_code, call.client_id, self.world.clock())
        )
        return response

    async def uncoded_errors(self, call: Call, nxt: Next) -> Response:
        """Every error answered (a 401 as much as a refused write) without its code."""
        response = await nxt(call)
        return uncoded(response) if self.faults.uncoded_errors else response

    async def latency(self, call: Call, nxt: Next) -> Response:
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        return await nxt(call)

    async def redirect(self, call: Call, nxt: Next) -> Response:
        target = self.faults.redirect_to
        if target and call.request.method == "GET":
            url = call.request.url
            return RedirectResponse(f"{target.rstrip('/')}{url.path}?{url.query}", status_code=307)
        return await nxt(call)

    async def authenticate(self, call: Call, nxt: Next) -> Response:
        auth = call.request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self.world.lock:
            grant = self.world.issuer.check(token) if token else None
        if grant is None:
            detail = "missing bearer token" if not token else "the token is invalid or expired"
            return responses.errors(
                401,
                "Unauthorized",
                detail,
                code="invalid_token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        call.grant = grant
        return await nxt(call)

    async def authorise(self, call: Call, nxt: Next) -> Response:
        if not call.granted().scopes & set(call.scopes):
            need = call.scopes[-1] if call.write else call.scopes[0]
            return responses.errors(
                403,
                "Forbidden",
                f"this API client lacks the scope {need}",
                code="insufficient_scope",
                scope=need,
            )
        return await nxt(call)

    async def outage(self, call: Call, nxt: Next) -> Response:
        if self.faults.outage:
            return responses.errors(
                503, "Service Unavailable", "the API is down (simulated outage)"
            )
        return await nxt(call)

    async def storm(self, call: Call, nxt: Next) -> Response:
        faults = self.faults
        if faults.storm_429 > 0:
            faults.storm_429 -= 1
            return self._too_many(faults.storm_retry_after)
        return await nxt(call)

    async def rate_limit(self, call: Call, nxt: Next) -> Response:
        with self.world.lock:
            retry_after = self.limiter.check(
                call.granted().client_id, "write" if call.write else "read"
            )
        if retry_after:
            return self._too_many(retry_after)
        return await nxt(call)

    def _too_many(self, retry: int) -> Response:
        response = responses.errors(
            429,
            "Too Many Requests",
            f"rate limit exceeded, retry in {retry} s",
            headers={"Retry-After": self.faults.retry_after(retry, self.world.clock())},
        )
        return unknowns.without_retry_after(response) if self.faults.unknowns else response

    async def server_errors(self, call: Call, nxt: Next) -> Response:
        if self.faults.error_rate and self._rnd() < self.faults.error_rate:
            return responses.errors(500, "Internal Server Error", "An error has occurred")
        return await nxt(call)

    async def resets(self, call: Call, nxt: Next) -> Response:
        if self.faults.reset_rate and self._rnd() < self.faults.reset_rate:
            return responses.ResetResponse()
        return await nxt(call)

    async def dropped_writes(self, call: Call, nxt: Next) -> Response:
        if call.write and self.faults.drop_writes > 0:
            self.faults.drop_writes -= 1
            return responses.ResetResponse()
        return await nxt(call)

    async def bad_query(self, call: Call, nxt: Next) -> Response:
        try:
            return await nxt(call)
        except BadQuery as bad:
            return responses.errors(400, "Bad Request", bad.detail, parameter=bad.parameter)

    async def lost_write_response(self, call: Call, nxt: Next) -> Response:
        """The write commits, its answer never arrives (after ``hang_after_commit`` seconds)."""
        response = await nxt(call)
        faults = self.faults
        if (
            call.write
            and not call.replayed
            and faults.lost_write_responses > 0
            and response.status_code < 300
        ):
            faults.lost_write_responses -= 1
            return responses.ResetResponse(faults.hang_after_commit)
        return response

    async def malformed_json(self, call: Call, nxt: Next) -> Response:
        response = await nxt(call)
        rate = self.faults.malformed_json_rate
        if not call.write and rate and self._rnd() < rate:
            return Response(b'{"data": [{"id": "trunc', media_type="application/json")
        return response

    async def idempotency(self, call: Call, nxt: Next) -> Response:
        """[assume] A repeated Idempotency-Key returns the first answer and commits nothing."""
        key = call.request.headers.get("idempotency-key") if call.write else None
        if not key or self.faults.unknowns:  # --unknowns: the header is ignored
            return await nxt(call)
        request, world = call.request, self.world
        records = (call.granted().client_id, key)
        fingerprint = (request.method, request.url.path, await request.body())
        with world.lock:
            slot = world.idempotency.get(records)
            if slot is None:
                slot = world.idempotency[records] = Idempotent(fingerprint)
                replay = None
            else:
                replay = slot
        if replay is not None:
            call.replayed = True
            return _replay(replay, fingerprint)
        try:
            result = await nxt(call)
        except BaseException:  # nothing was committed: the key may be used again
            with world.lock:
                world.idempotency.pop(records, None)
            raise
        with world.lock:
            slot.status = result.status_code
            slot.body = bytes(result.body)
            slot.headers = {
                k: v for k, v in result.headers.items() if k.lower() != "content-length"
            }
        return result

    async def hold_commit(self, call: Call, nxt: Next) -> Response:
        """Faults that hold a write before it commits: its client may time out meanwhile."""
        if call.write:
            await call.request.body()  # received whole: the client may go, the write commits
            if self.faults.commit_delay:
                await asyncio.sleep(self.faults.commit_delay)
            gate = self.write_gate
            if gate is not None and not gate.is_set():
                await asyncio.to_thread(gate.wait)
        return await nxt(call)

    async def rejected_writes(self, call: Call, nxt: Next) -> Response:
        try:
            return await nxt(call)
        except WriteRejected as rej:
            return responses.rejected(rej)


def _replay(slot: Idempotent, fingerprint: tuple[str, str, bytes]) -> Response:
    if slot.fingerprint != fingerprint:
        return responses.errors(
            422,
            "Unprocessable Entity",
            "this Idempotency-Key was used with a different request",
            code="idempotency_key_reused",
        )
    if slot.status is None:
        return responses.errors(
            409,
            "Conflict",
            "a request with this Idempotency-Key is still being processed",
            code="idempotency_key_in_use",
        )
    return Response(slot.body, status_code=slot.status, headers=slot.headers)
