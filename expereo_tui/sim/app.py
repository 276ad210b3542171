"""The simulator: one world, two faces, one middleware around both.

``Simulator`` puts the pieces together and is the public entry point (tests, benchmarks, the CLI
and the demo hold it): the :class:`~expereo_tui.sim.world.World` (data and its rules,
``world.py`` + ``writes.py`` + ``activity.py``), the API V2 face (``v2.py``, REST routes), the
API V1 face (``v1.py``, ``POST /graphql``), the :class:`~expereo_tui.sim.middleware.Middleware`
wrapping both (auth, rate limits, faults, request log), and what belongs to neither face: the
description at ``/``, the token endpoint and the ``/_sim`` control API (``docs/simulator.md``).
Use it in-process with :meth:`Simulator.transport` or over a real socket with
:func:`expereo_tui.sim.server.run_server`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from expereo_tui.api.models import ALL_SCOPES

from . import activity, unknowns, v1
from .faults import Faults, RateLimiter, SimLimits
from .middleware import Middleware, RequestRecord
from .responses import errors as _errors
from .v2 import READ_SUPPORT, V2Face
from .world import Idempotent, World

__all__ = [
    "READ_SUPPORT",
    "Idempotent",
    "RequestRecord",
    "SimConfig",
    "SimTransport",
    "Simulator",
]


@dataclass
class SimConfig:
    seed: int = 1
    scale: str = "small"  # tiny | small | medium | large
    client_id: str | None = None  # random when None
    client_secret: str | None = None  # random when None
    scopes: tuple[str, ...] = ALL_SCOPES
    activity_rate: float = 0.0  # live events per minute while served (0: none)
    clock: Callable[[], float] = time.time
    limits: SimLimits = field(default_factory=SimLimits)
    #: seed the world as of this moment (epoch seconds) instead of now: the demo keeps its
    #: store across runs, so each run must seed the same cases with the same dates
    epoch: float | None = None
    #: ``sim --unknowns``: what the documents leave open goes the unhelpful way (sim/unknowns.py)
    unknowns: bool = False
    #: (case number, message number) that new cases and messages are numbered after: the
    #: demo's store keeps an earlier run's live cases and writes, which this run's seeded world
    #: does not have; their ids must not be given to other cases
    ids_after: tuple[int, int] = (0, 0)


class SimTransport(httpx.ASGITransport):
    """In-process transport to the simulator: a simulated reset surfaces as ``httpx.ReadError``,
    as it would over a socket."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionResetError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc


def _allowed(routes: list[Route], path: str) -> list[str]:
    """The methods the routes of ``path`` answer (for a 405's ``Allow``)."""
    methods: set[str] = set()
    for route in routes:
        if route.path_regex.fullmatch(path):
            methods |= route.methods or set()
    return sorted(methods)


class Simulator:
    """The simulated API: the world, its two faces, the middleware, live activity."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.clock = self.config.clock
        self.world = World(self.config.seed, self.config.scale, self.clock, self.config.epoch)
        self.world.number_after(*self.config.ids_after)
        # the world's parts, under the names tests and tools have always used
        self.rng = self.world.rng
        self.builder = self.world.builder
        self.data = self.world.data
        self.lock = self.world.lock
        self.issuer = self.world.issuer
        self.idempotency = self.world.idempotency
        self.faults = Faults(unknowns=self.config.unknowns)
        self.limiter = RateLimiter(self.config.limits, self.clock)
        self.middleware = Middleware(
            self.world, self.faults, self.limiter, random.Random(self.config.seed + 1)
        )
        self.client_id = self.config.client_id or "sim-" + secrets.token_hex(4)
        self.client_secret = self.config.client_secret or secrets.token_urlsafe(18)
        self.issuer.register(
            self.client_id, self.client_secret, self.config.scopes, "expereo-tui demo"
        )
        self.app = self._build_app()

    @property
    def request_log(self) -> deque[tuple[str, str]]:
        return self.middleware.request_log

    @property
    def request_records(self) -> deque[RequestRecord]:
        return self.middleware.request_records

    @property
    def write_gate(self) -> threading.Event | None:
        """Tests: while set and not released, writes wait before committing."""
        return self.middleware.write_gate

    @write_gate.setter
    def write_gate(self, gate: threading.Event | None) -> None:
        self.middleware.write_gate = gate

    # -- public helpers for tests and the demo --------------------------------------------
    def add_client(
        self,
        client_id: str,
        secret: str,
        scopes: tuple[str, ...] = ALL_SCOPES,
        name: str = "extra client",
    ) -> None:
        with self.lock:
            self.issuer.register(client_id, secret, tuple(scopes), name)

    def transport(self) -> SimTransport:
        return SimTransport(app=self.app)

    def step_activity(self, n: int = 1) -> list[str]:
        """Advance live activity by ``n`` events; returns a line describing each."""
        with self.lock:
            return [activity.step(self.world) for _ in range(n)]

    def stamp(self) -> str:
        """Now as a wire timestamp, strictly after the previous stamp (no ties)."""
        return self.world.stamp()

    def api_requests(self) -> int:
        return len(self.request_log)

    # -- the ASGI app ----------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        routes = [
            Route("/", self._describe),
            Route("/oauth2/token", self._token, methods=["POST"]),
            *V2Face(self.world, self.faults).routes(self.middleware.guard),
            Route(  # API V1
                v1.PATH,
                functools.partial(v1.endpoint, self.world, self.middleware),
                methods=["POST"],
            ),
            Route("/_sim/faults", self._ctl_faults, methods=["GET", "POST"]),
            Route("/_sim/activity", self._ctl_activity, methods=["POST"]),
            Route("/_sim/event", self._ctl_event, methods=["POST"]),
            Route("/_sim/expire-tokens", self._ctl_expire, methods=["POST"]),
            Route("/_sim/requests", self._ctl_requests, methods=["GET"]),
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            headers = None
            if status == 405:  # every method of the path, not only those of its first route
                headers = {"Allow": ", ".join(_allowed(routes, request.url.path))}
            return _errors(
                status,
                "Not Found" if status == 404 else "Error",
                f"{request.method} {request.url.path}: {getattr(exc, 'detail', 'no such route')}",
                headers=headers,
            )

        return Starlette(
            routes=routes, lifespan=self._lifespan, exception_handlers={HTTPException: not_found}
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        task = None
        if self.config.activity_rate > 0:
            task = asyncio.create_task(self._live_activity())
        try:
            yield
        finally:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _live_activity(self) -> None:
        rng = random.Random(self.config.seed + 2)
        while True:
            await asyncio.sleep(rng.expovariate(self.config.activity_rate / 60.0))
            self.step_activity(1)

    # -- routes ----------------------------------------------------------------------------
    async def _describe(self, request: Request) -> Response:
        d = self.data
        return JSONResponse(
            {
                "name": "expereoOne API V2 simulator (expereo-tui)",
                "tokenUrl": str(request.url.replace(path="/oauth2/token", query="")),
                "apiBase": str(request.url.replace(path="/v2", query="")),
                "graphql": str(request.url.replace(path=v1.PATH, query="")),  # API V1
                "counts": {
                    "accounts": len(d.accounts),
                    "sites": len(d.sites),
                    "services": len(d.services),
                    "cases": len(d.cases),
                    "messages": sum(len(m) for m in d.messages.values()),
                },
                "docs": "docs/simulator.md",
            }
        )

    async def _token(self, request: Request) -> Response:
        # parsed by hand: starlette's form parser needs python-multipart, an extra dependency
        form = {
            k: v[-1]
            for k, v in parse_qs(
                (await request.body()).decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        requested = str(form.get("scope") or "").split()
        with self.lock:
            result = self.issuer.issue(
                str(form.get("client_id") or ""),
                str(form.get("client_secret") or ""),
                requested,
                self.faults.token_ttl,
            )
        if isinstance(result, str):
            return JSONResponse(
                {"error": result}, status_code=401 if result == "invalid_client" else 400
            )
        token, grant = result
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.faults.token_ttl,
            "scope": " ".join(sorted(grant.scopes)),
        }
        return JSONResponse(unknowns.token_body(body) if self.faults.unknowns else body)

    # -- control API (not part of the real API; see docs/simulator.md) ---------------------
    async def _ctl_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                values = json.loads(await request.body() or b"{}")
                if values.pop("reset", False):
                    self.faults.reset()
                self.faults.update(values)
            except KeyError as exc:
                return _errors(400, "Bad Request", f"unknown fault(s): {exc.args[0]}")
            except (ValueError, TypeError, AttributeError) as exc:
                return _errors(400, "Bad Request", f"bad fault values: {exc}")
        return JSONResponse(self.faults.as_dict())

    async def _ctl_activity(self, request: Request) -> Response:
        try:
            steps = int(json.loads(await request.body() or b"{}").get("steps", 1))
        except (ValueError, TypeError, AttributeError):
            return _errors(400, "Bad Request", 'expected {"steps": N}')
        return JSONResponse({"events": self.step_activity(max(0, min(steps, 10_000)))})

    async def _ctl_event(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise activity.ScriptError("expected a JSON object")
            with self.lock:
                line = activity.scripted(self.world, body)
        except (ValueError, TypeError) as exc:  # ScriptError, bad JSON
            return _errors(400, "Bad Request", str(exc))
        return JSONResponse({"event": line})

    async def _ctl_expire(self, request: Request) -> Response:
        with self.lock:
            self.issuer.expire_all()
        return JSONResponse({"expired": True})

    async def _ctl_requests(self, request: Request) -> Response:
        return JSONResponse(
            {
                "count": len(self.request_log),
                "rateLimited": self.limiter.rejected,
                "last": [list(r) for r in list(self.request_records)[-50:]],
            }
        )
