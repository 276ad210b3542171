"""The simulated expereoOne API V2 as a Starlette (ASGI) application.

``Simulator`` owns the data, the registered clients, the faults and the rate limiter; its
``app`` serves the contract of ``shared/docs/expereo-api.md`` and a ``/_sim`` control API
(``docs/simulator.md``).  Use it in-process with :meth:`Simulator.transport` or over a real
socket with :func:`expereo_tui.sim.server.run_server`.
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
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from expereo_tui.api.models import (
    ALL_SCOPES,
    Account,
    ApiClientInfo,
    Case,
    CaseMessage,
    Invoice,
    InvoiceLineDetail,
    Service,
    Site,
)
from expereo_tui.api.models import (
    Scope as ApiScope,
)

from . import activity, v1
from .auth import Grant, TokenIssuer
from .faults import Faults, RateLimiter, SimLimits
from .listing import BadQuery, fields_of, list_response
from .seed import SeedBuilder, SimData, iso
from .writes import WriteRejected, add_message, create_case, update_case

READ_SUPPORT = (ApiScope.SUPPORT_READ.value, ApiScope.SUPPORT_READ_WRITE.value)


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


@dataclass
class _Idempotent:
    """What one Idempotency-Key did: the request it came with and, once done, its answer."""

    fingerprint: tuple[str, str, bytes]
    status: int | None = None  # None: the first request is still being processed
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class RequestRecord(NamedTuple):
    method: str
    path: str
    status: int
    client_id: str | None
    at: float


def _errors(
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    pointer: str | None = None,
    parameter: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    err: dict[str, Any] = {
        "status": str(status),
        "code": code or str(status),
        "title": title,
        "detail": detail,
    }
    if pointer or parameter:
        err["source"] = {"pointer": pointer} if pointer else {"parameter": parameter}
    err.update(extra)
    return JSONResponse({"errors": [err]}, status_code=status, headers=headers)


class _ResetResponse(Response):
    """Starts a response, then drops the connection (what a reset looks like to a client)."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(status_code=200)
        self.delay = delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        raise ConnectionResetError("simulated connection reset")


class SimTransport(httpx.ASGITransport):
    """In-process transport to the simulator: a simulated reset surfaces as ``httpx.ReadError``,
    as it would over a socket."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionResetError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc


class Simulator:
    """The simulated API: data, clients, faults, rate limits and live activity."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.clock = self.config.clock
        self.rng = random.Random(self.config.seed)
        now = datetime.fromtimestamp(self.clock(), UTC)
        self.builder = SeedBuilder(self.rng, now)
        self.data: SimData = self.builder.build(self.config.scale)
        self.lock = threading.RLock()
        self.faults = Faults()
        self.limiter = RateLimiter(self.config.limits, self.clock)
        self.issuer = TokenIssuer(self.clock)
        self.client_id = self.config.client_id or "sim-" + secrets.token_hex(4)
        self.client_secret = self.config.client_secret or secrets.token_urlsafe(18)
        self.issuer.register(
            self.client_id, self.client_secret, self.config.scopes, "expereo-tui demo"
        )
        self.request_log: deque[tuple[str, str]] = deque(maxlen=50_000)
        self.request_records: deque[RequestRecord] = deque(maxlen=50_000)
        self._last_stamp = now
        self._fault_rng = random.Random(self.config.seed + 1)
        # [assume] Idempotency-Key: (client id, key) -> the first request's answer
        self.idempotency: dict[tuple[str, str], _Idempotent] = {}
        # tests: while set and not released, writes wait here before committing
        self.write_gate: threading.Event | None = None
        self.app = self._build_app()

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
            return [activity.step(self) for _ in range(n)]

    def stamp(self) -> str:
        """Now as a wire timestamp, strictly after the previous stamp (no ties)."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        if now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return iso(now)

    def api_requests(self) -> int:
        return len(self.request_log)

    # -- the ASGI app ----------------------------------------------------------------------
    def _build_app(self) -> Starlette:
        g = self._guard
        routes = [
            Route("/", self._describe),
            Route("/oauth2/token", self._token, methods=["POST"]),
            Route("/v2/api-clients", g(self._api_clients, ApiScope.BASIC_READ.value)),
            Route("/v2/accounts", g(self._accounts, ApiScope.BASIC_READ.value)),
            Route("/v2/accounts/{account_id}", g(self._account, ApiScope.BASIC_READ.value)),
            Route(
                "/v2/accounts/{account_id}/sites", g(self._account_sites, ApiScope.BASIC_READ.value)
            ),
            Route(
                "/v2/accounts/{account_id}/services",
                g(self._account_services, ApiScope.BASIC_READ.value),
            ),
            Route("/v2/sites", g(self._sites, ApiScope.BASIC_READ.value)),
            Route("/v2/sites/{site_id}", g(self._site, ApiScope.BASIC_READ.value)),
            Route(
                "/v2/sites/{site_id}/services", g(self._site_services, ApiScope.BASIC_READ.value)
            ),
            Route("/v2/services", g(self._services, ApiScope.BASIC_READ.value)),
            Route("/v2/services/{service_id}", g(self._service, ApiScope.BASIC_READ.value)),
            Route("/v2/cases", g(self._cases, *READ_SUPPORT), methods=["GET"]),
            Route(
                "/v2/cases",
                g(self._create_case, ApiScope.SUPPORT_READ_WRITE.value, write=True),
                methods=["POST"],
            ),
            Route("/v2/cases/{case_id}", g(self._case, *READ_SUPPORT), methods=["GET"]),
            Route(
                "/v2/cases/{case_id}",
                g(self._update_case, ApiScope.SUPPORT_READ_WRITE.value, write=True),
                methods=["PATCH"],
            ),
            Route(
                "/v2/cases/{case_id}/case-messages",
                g(self._messages, *READ_SUPPORT),
                methods=["GET"],
            ),
            Route(
                "/v2/cases/{case_id}/case-messages",
                g(self._add_message, ApiScope.SUPPORT_READ_WRITE.value, write=True),
                methods=["POST"],
            ),
            Route("/v2/invoices", g(self._invoices, ApiScope.FINANCIAL_READ.value)),
            Route("/v2/invoices/{invoice_id}", g(self._invoice, ApiScope.FINANCIAL_READ.value)),
            Route(
                "/v2/invoices/{invoice_id}/invoice-line-details",
                g(self._invoice_lines, ApiScope.FINANCIAL_READ.value),
            ),
            Route(v1.PATH, functools.partial(v1.endpoint, self), methods=["POST"]),  # API V1
            Route("/_sim/faults", self._ctl_faults, methods=["GET", "POST"]),
            Route("/_sim/activity", self._ctl_activity, methods=["POST"]),
            Route("/_sim/expire-tokens", self._ctl_expire, methods=["POST"]),
            Route("/_sim/requests", self._ctl_requests, methods=["GET"]),
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            return _errors(
                status,
                "Not Found" if status == 404 else "Error",
                f"{request.method} {request.url.path}: {getattr(exc, 'detail', 'no such route')}",
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

    def _guard(
        self,
        handler: Callable[[Request, Grant], Awaitable[Response] | Response],
        *scopes: str,
        write: bool = False,
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a route with latency, auth, scopes, faults, rate limits and logging."""

        async def endpoint(request: Request) -> Response:
            faults = self.faults
            if faults.latency:
                await asyncio.sleep(faults.latency)
            response, client_id = await self._guarded(request, handler, scopes, write)
            self.request_log.append((request.method, request.url.path))
            self.request_records.append(
                RequestRecord(
                    request.method, request.url.path, response.status_code, client_id, self.clock()
                )
            )
            return response

        # what sim/openapi.py reads to describe the route (scopes, write, the handler's name)
        endpoint.scopes = scopes  # type: ignore[attr-defined]
        endpoint.write = write  # type: ignore[attr-defined]
        endpoint.handler_name = handler.__name__  # type: ignore[attr-defined]
        return endpoint

    async def _guarded(
        self,
        request: Request,
        handler: Callable[[Request, Grant], Any],
        scopes: tuple[str, ...],
        write: bool,
    ) -> tuple[Response, str | None]:
        faults, rnd = self.faults, self._fault_rng.random
        if faults.redirect_to and request.method == "GET":
            target = f"{faults.redirect_to.rstrip('/')}{request.url.path}?{request.url.query}"
            return RedirectResponse(target, status_code=307), None
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self.lock:
            grant = self.issuer.check(token) if token else None
        if grant is None:
            detail = "missing bearer token" if not token else "the token is invalid or expired"
            return _errors(
                401,
                "Unauthorized",
                detail,
                code="invalid_token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ), None
        if not grant.scopes & set(scopes):
            need = scopes[-1] if write else scopes[0]
            return _errors(
                403,
                "Forbidden",
                f"this API client lacks the scope {need}",
                code="insufficient_scope",
                scope=need,
            ), grant.client_id
        if faults.outage:
            return _errors(
                503, "Service Unavailable", "the API is down (simulated outage)"
            ), grant.client_id
        if faults.storm_429 > 0:
            faults.storm_429 -= 1
            retry = faults.storm_retry_after
            return _errors(
                429,
                "Too Many Requests",
                f"rate limit exceeded, retry in {retry} s",
                headers={"Retry-After": faults.retry_after(retry, self.clock())},
            ), grant.client_id
        with self.lock:
            retry_after = self.limiter.check(grant.client_id, "write" if write else "read")
        if retry_after:
            return _errors(
                429,
                "Too Many Requests",
                f"rate limit exceeded, retry in {retry_after} s",
                headers={"Retry-After": faults.retry_after(retry_after, self.clock())},
            ), grant.client_id
        if faults.error_rate and rnd() < faults.error_rate:
            return _errors(500, "Internal Server Error", "An error has occurred"), grant.client_id
        if faults.reset_rate and rnd() < faults.reset_rate:
            return _ResetResponse(), grant.client_id
        if write and faults.drop_writes > 0:
            faults.drop_writes -= 1
            return _ResetResponse(), grant.client_id
        key = request.headers.get("idempotency-key") if write else None
        slot: _Idempotent | None = None
        if key:
            fingerprint = (request.method, request.url.path, await request.body())
            with self.lock:
                slot = self.idempotency.get((grant.client_id, key))
                if slot is None:
                    slot = self.idempotency[(grant.client_id, key)] = _Idempotent(fingerprint)
                    replay = None
                else:
                    replay = slot
            if replay is not None:
                return self._replay(replay, fingerprint), grant.client_id
        try:
            if write:
                await self._before_commit()
            result = handler(request, grant)
            if asyncio.iscoroutine(result):
                result = await result
        except WriteRejected as rej:
            result = rej.response()
        except BadQuery as bad:
            return _errors(400, "Bad Request", bad.detail, parameter=bad.parameter), grant.client_id
        except BaseException:
            if slot is not None:  # nothing was committed: the key may be used again
                with self.lock:
                    self.idempotency.pop((grant.client_id, str(key)), None)
            raise
        if slot is not None:
            with self.lock:
                slot.status = result.status_code
                slot.body = bytes(result.body)
                slot.headers = {
                    k: v for k, v in result.headers.items() if k.lower() != "content-length"
                }
        if write and faults.lost_write_responses > 0 and result.status_code < 300:
            faults.lost_write_responses -= 1
            return _ResetResponse(faults.hang_after_commit), grant.client_id
        if not write and faults.malformed_json_rate and rnd() < faults.malformed_json_rate:
            return Response(
                b'{"data": [{"id": "trunc', media_type="application/json"
            ), grant.client_id
        return result, grant.client_id

    # -- writes: idempotency, commit timing, response shapes ----------------------------------
    @staticmethod
    def _replay(slot: _Idempotent, fingerprint: tuple[str, str, bytes]) -> Response:
        """[assume] A repeated Idempotency-Key returns the first answer and commits nothing."""
        if slot.fingerprint != fingerprint:
            return _errors(
                422,
                "Unprocessable Entity",
                "this Idempotency-Key was used with a different request",
                code="idempotency_key_reused",
            )
        if slot.status is None:
            return _errors(
                409,
                "Conflict",
                "a request with this Idempotency-Key is still being processed",
                code="idempotency_key_in_use",
            )
        return Response(slot.body, status_code=slot.status, headers=slot.headers)

    async def _before_commit(self) -> None:
        """Faults that hold a write before it commits: its client may time out meanwhile."""
        if self.faults.commit_delay:
            await asyncio.sleep(self.faults.commit_delay)
        gate = self.write_gate
        if gate is not None and not gate.is_set():
            await asyncio.to_thread(gate.wait)

    def _written(self, item: dict[str, Any], status: int) -> Response:
        """A write's answer in the shape the ``write_response_shape`` fault asks for."""
        shape = self.faults.write_response_shape
        if shape == "empty":
            return Response(status_code=204)
        if shape == "bare":
            return JSONResponse(item, status_code=200)
        return JSONResponse({"data": item}, status_code=status)

    # -- helpers -----------------------------------------------------------------------------
    def _decorate(self, item: dict[str, Any]) -> dict[str, Any]:
        item = self.faults.reshape_item(item)
        if not self.faults.extra_fields:
            return item
        return {**item, "simAddedField": "tolerate me", "simNested": {"a": [1, 2, {"b": None}]}}

    def _list(self, request: Request, items: list[dict[str, Any]], model: type) -> Response:
        body = list_response(
            items, fields_of(model.model_fields), request.query_params, request.url
        )
        body["data"] = [self._decorate(it) for it in body["data"]]
        return self.faults.list_response(body, model, request.url)

    def _item(self, table: dict[str, dict[str, Any]], key: str, what: str) -> JSONResponse:
        item = table.get(key)
        if item is None:
            return _errors(404, "Not Found", f"{what} {key} does not exist")
        return JSONResponse({"data": self._decorate(item)})

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
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.faults.token_ttl,
                "scope": " ".join(sorted(grant.scopes)),
            }
        )

    def _api_clients(self, request: Request, grant: Grant) -> Response:
        items = [
            {
                "clientId": c.client_id,
                "name": c.name,
                "scopes": list(c.scopes),
                "createdDate": iso(datetime.fromtimestamp(c.created, UTC)),
            }
            for c in self.issuer.clients.values()
        ]
        return self._list(request, items, ApiClientInfo)

    def _accounts(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.accounts.values()), Account)

    def _account(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.accounts, request.path_params["account_id"], "account")

    def _account_sites(self, request: Request, grant: Grant) -> Response:
        acc = request.path_params["account_id"]
        if acc not in self.data.accounts:
            return _errors(404, "Not Found", f"account {acc} does not exist")
        return self._list(
            request, [s for s in self.data.sites.values() if s["accountId"] == acc], Site
        )

    def _account_services(self, request: Request, grant: Grant) -> Response:
        acc = request.path_params["account_id"]
        if acc not in self.data.accounts:
            return _errors(404, "Not Found", f"account {acc} does not exist")
        return self._list(
            request, [s for s in self.data.services.values() if s["accountId"] == acc], Service
        )

    def _sites(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.sites.values()), Site)

    def _site(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.sites, request.path_params["site_id"], "site")

    def _site_services(self, request: Request, grant: Grant) -> Response:
        site = request.path_params["site_id"]
        if site not in self.data.sites:
            return _errors(404, "Not Found", f"site {site} does not exist")
        return self._list(
            request, [s for s in self.data.services.values() if s["siteId"] == site], Service
        )

    def _services(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.services.values()), Service)

    def _service(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.services, request.path_params["service_id"], "service")

    def _cases(self, request: Request, grant: Grant) -> Response:
        with self.lock:
            items = list(self.data.cases.values())
        return self._list(request, items, Case)

    def _case(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.cases, request.path_params["case_id"], "case")

    def _messages(self, request: Request, grant: Grant) -> Response:
        case_id = request.path_params["case_id"]
        with self.lock:
            if case_id not in self.data.cases:
                return _errors(404, "Not Found", f"case {case_id} does not exist")
            items = list(self.data.messages.get(case_id, []))
        return self._list(request, items, CaseMessage)

    def _invoices(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.invoices.values()), Invoice)

    def _invoice(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.invoices, request.path_params["invoice_id"], "invoice")

    def _invoice_lines(self, request: Request, grant: Grant) -> Response:
        inv = request.path_params["invoice_id"]
        if inv not in self.data.invoices:
            return _errors(404, "Not Found", f"invoice {inv} does not exist")
        return self._list(request, self.data.invoice_lines.get(inv, []), InvoiceLineDetail)

    async def _json_body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise WriteRejected(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise WriteRejected(400, "the request body must be a JSON object")
        return body

    async def _create_case(self, request: Request, grant: Grant) -> Response:
        body = await self._json_body(request)
        with self.lock:
            case = create_case(self, body, grant)
        return self._written(case, 201)

    async def _update_case(self, request: Request, grant: Grant) -> Response:
        body = await self._json_body(request)
        with self.lock:
            case = update_case(self, request.path_params["case_id"], body)
        return self._written(case, 200)

    async def _add_message(self, request: Request, grant: Grant) -> Response:
        body = await self._json_body(request)
        with self.lock:
            msg = add_message(self, request.path_params["case_id"], body, grant)
        return self._written(msg, 201)

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
