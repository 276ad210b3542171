"""The simulator's API V2 face: the REST routes of ``shared/docs/expereo-api.md``.

A thin adapter: each handler reads or changes the :class:`~expereo_tui.sim.world.World` and
shapes the answer (pagination, sort and filter in ``listing.py``; the response-shape faults in
``faults.py``).  Auth, rate limits, the other faults and the request log are the middleware's,
applied by the ``guard`` the routes are built with.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from expereo_tui.api.models import (
    Account,
    ApiClientInfo,
    Case,
    CaseMessage,
    Invoice,
    InvoiceLineDetail,
    Service,
    Site,
)
from expereo_tui.api.models import Scope as ApiScope

from . import unknowns
from .auth import Grant
from .faults import Faults
from .listing import fields_of, list_response
from .middleware import Handler
from .responses import errors
from .seed import iso
from .world import World
from .writes import WriteRejected, add_message, create_case, update_case

READ_SUPPORT = (ApiScope.SUPPORT_READ.value, ApiScope.SUPPORT_READ_WRITE.value)
BASIC = ApiScope.BASIC_READ.value
WRITE = ApiScope.SUPPORT_READ_WRITE.value
FINANCIAL = ApiScope.FINANCIAL_READ.value

Guard = Callable[..., Callable[[Request], Awaitable[Response]]]


class V2Face:
    """The ``/v2`` routes over one world."""

    def __init__(self, world: World, faults: Faults) -> None:
        self.world = world
        self.data = world.data
        self.faults = faults

    def routes(self, guard: Guard) -> list[Route]:
        """Every ``/v2`` route, each wrapped by ``guard(handler, *scopes, write=...)``."""

        def route(path: str, handler: Handler, *scopes: str, method: str = "GET") -> Route:
            write = method != "GET"
            return Route(path, guard(handler, *scopes, write=write), methods=[method])

        return [
            route("/v2/api-clients", self._api_clients, BASIC),
            route("/v2/accounts", self._accounts, BASIC),
            route("/v2/accounts/{account_id}", self._account, BASIC),
            route("/v2/accounts/{account_id}/sites", self._account_sites, BASIC),
            route("/v2/accounts/{account_id}/services", self._account_services, BASIC),
            route("/v2/sites", self._sites, BASIC),
            route("/v2/sites/{site_id}", self._site, BASIC),
            route("/v2/sites/{site_id}/services", self._site_services, BASIC),
            route("/v2/services", self._services, BASIC),
            route("/v2/services/{service_id}", self._service, BASIC),
            route("/v2/cases", self._cases, *READ_SUPPORT),
            route("/v2/cases", self._create_case, WRITE, method="POST"),
            route("/v2/cases/{case_id}", self._case, *READ_SUPPORT),
            route("/v2/cases/{case_id}", self._update_case, WRITE, method="PATCH"),
            route("/v2/cases/{case_id}/case-messages", self._messages, *READ_SUPPORT),
            route("/v2/cases/{case_id}/case-messages", self._add_message, WRITE, method="POST"),
            route("/v2/invoices", self._invoices, FINANCIAL),
            route("/v2/invoices/{invoice_id}", self._invoice, FINANCIAL),
            route("/v2/invoices/{invoice_id}/invoice-line-details", self._invoice_lines, FINANCIAL),
        ]

    # -- answers -------------------------------------------------------------------------------
    def _written(self, item: dict[str, Any], status: int) -> Response:
        """A write's answer in the shape the ``write_response_shape`` fault asks for."""
        shape = self.faults.write_response_shape
        if shape == "empty":
            return Response(status_code=204)
        if shape == "bare":
            return JSONResponse(item, status_code=200)
        return JSONResponse({"data": item}, status_code=status)

    def _decorate(self, item: dict[str, Any]) -> dict[str, Any]:
        item = self.faults.reshape_item(item)
        if self.faults.unknowns:
            item = unknowns.reshape_item(item)
        if not self.faults.extra_fields:
            return item
        return {**item, "simAddedField": "tolerate me", "simNested": {"a": [1, 2, {"b": None}]}}

    def _list(self, request: Request, items: list[dict[str, Any]], model: type) -> Response:
        if self.faults.unknowns:
            unknowns.check_query(request.query_params)
        body = list_response(
            items, fields_of(model.model_fields), request.query_params, request.url
        )
        body["data"] = [self._decorate(it) for it in body["data"]]
        if self.faults.unknowns:
            body = unknowns.list_body(body)
        return self.faults.list_response(body, model, request.url)

    def _item(self, table: dict[str, dict[str, Any]], key: str, what: str) -> JSONResponse:
        item = table.get(key)
        if item is None:
            return errors(404, "Not Found", f"{what} {key} does not exist")
        return JSONResponse({"data": self._decorate(item)})

    def _within(
        self, request: Request, table: dict[str, dict[str, Any]], param: str, what: str
    ) -> str | Response:
        """The parent id of a nested list, or a 404 when there is no such parent."""
        key = str(request.path_params[param])
        if key not in table:
            return errors(404, "Not Found", f"{what} {key} does not exist")
        return key

    # -- reads ---------------------------------------------------------------------------------
    def _api_clients(self, request: Request, grant: Grant) -> Response:
        items = [
            {
                "clientId": c.client_id,
                "name": c.name,
                "scopes": list(c.scopes),
                "createdDate": iso(datetime.fromtimestamp(c.created, UTC)),
            }
            for c in self.world.issuer.clients.values()
        ]
        return self._list(request, items, ApiClientInfo)

    def _accounts(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.accounts.values()), Account)

    def _account(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.accounts, request.path_params["account_id"], "account")

    def _account_sites(self, request: Request, grant: Grant) -> Response:
        acc = self._within(request, self.data.accounts, "account_id", "account")
        if isinstance(acc, Response):
            return acc
        return self._list(
            request, [s for s in self.data.sites.values() if s["accountId"] == acc], Site
        )

    def _account_services(self, request: Request, grant: Grant) -> Response:
        acc = self._within(request, self.data.accounts, "account_id", "account")
        if isinstance(acc, Response):
            return acc
        return self._list(
            request, [s for s in self.data.services.values() if s["accountId"] == acc], Service
        )

    def _sites(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.sites.values()), Site)

    def _site(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.sites, request.path_params["site_id"], "site")

    def _site_services(self, request: Request, grant: Grant) -> Response:
        site = self._within(request, self.data.sites, "site_id", "site")
        if isinstance(site, Response):
            return site
        return self._list(
            request, [s for s in self.data.services.values() if s["siteId"] == site], Service
        )

    def _services(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.services.values()), Service)

    def _service(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.services, request.path_params["service_id"], "service")

    def _cases(self, request: Request, grant: Grant) -> Response:
        with self.world.lock:
            items = list(self.data.cases.values())
        return self._list(request, items, Case)

    def _case(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.cases, request.path_params["case_id"], "case")

    def _messages(self, request: Request, grant: Grant) -> Response:
        case_id = request.path_params["case_id"]
        with self.world.lock:
            if case_id not in self.data.cases:
                return errors(404, "Not Found", f"case {case_id} does not exist")
            items = list(self.data.messages.get(case_id, []))
        return self._list(request, items, CaseMessage)

    def _invoices(self, request: Request, grant: Grant) -> Response:
        return self._list(request, list(self.data.invoices.values()), Invoice)

    def _invoice(self, request: Request, grant: Grant) -> Response:
        return self._item(self.data.invoices, request.path_params["invoice_id"], "invoice")

    def _invoice_lines(self, request: Request, grant: Grant) -> Response:
        inv = self._within(request, self.data.invoices, "invoice_id", "invoice")
        if isinstance(inv, Response):
            return inv
        return self._list(request, self.data.invoice_lines.get(inv, []), InvoiceLineDetail)

    # -- writes: the world's rules -------------------------------------------------------------
    @staticmethod
    async def _json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise WriteRejected(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise WriteRejected(400, "the request body must be a JSON object")
        return body

    async def _create_case(self, request: Request, grant: Grant) -> Response:
        body = await self._json_body(request)
        with self.world.lock:
            case = create_case(self.world, body, grant)
        return self._written(case, 201)

    async def _update_case(self, request: Request, grant: Grant) -> Response:
        body = await self._json_body(request)
        with self.world.lock:
            case = update_case(self.world, request.path_params["case_id"], body)
        return self._written(case, 200)

    async def _add_message(self, request: Request, grant: Grant) -> Response:
        body = await self._json_body(request)
        with self.world.lock:
            msg = add_message(self.world, request.path_params["case_id"], body, grant)
        return self._written(msg, 201)
