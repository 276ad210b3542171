"""The async expereoOne API V2 (REST) face.

Usable from a plain script::

    async with V2Client(ClientSettings(base_url=..., token_url=..., client_id=...,
                                       client_secret=..., scopes=[...])) as api:
        async for case in api.iter_cases(sort="-LastModifiedDate"):
            ...

The endpoints: lists walked page by page, one item, and the writes (validated first).  Auth,
the rate limiter, retries and the mapping of errors are the transport's
(:class:`~expereo_tui.api.http.HttpTransport`), shared with the V1 face.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx

from .errors import PaginationError, ServerError, ValidationError
from .http import Face, HttpTransport
from .models import (
    Account,
    ApiClientInfo,
    Case,
    CaseCreate,
    CaseMessage,
    CaseUpdate,
    ErrorObject,
    ErrorSource,
    Invoice,
    InvoiceLineDetail,
    MessageCreate,
    Page,
    PageLinks,
    RuleViolation,
    Service,
    Site,
    check_case_update,
)
from .pagination import PageWalk, SkippedItem, id_field, read_envelope, read_items, repaired
from .ratelimit import RateBudget, RateLimits
from .settings import ClientSettings
from .shapes import Model, ModelError

__all__ = [
    "ClientSettings",
    "PaginationError",
    "RateBudget",
    "RateLimits",
    "SkippedItem",
    "V2Client",
]

M = TypeVar("M", bound=Model)


def page_of(model: type[M]) -> type[Page[M]]:
    """``Page[model]``: made once and kept (``Model.__class_getitem__``), not built again on
    each poll as pydantic's parametrized models were (~3 ms of an idle poll's CPU)."""
    return Page[model]  # type: ignore[valid-type]


MAX_PAGE = 200
PROBE_PAGE = 20  # the first page of a poll's listing (see iter_changed_cases)


def _violations(items: list[RuleViolation]) -> ValidationError:
    errors = [
        ErrorObject(
            status="422",
            code="client_validation",
            title="Invalid",
            detail=v.message,
            source=ErrorSource(pointer=f"/{v.field}"),
        )
        for v in items
    ]
    return ValidationError("; ".join(v.message for v in items), errors=errors, status=None)


class V2Client(Face):
    """API V2 behind the :class:`~expereo_tui.api.backend.Backend` interface, on one
    :class:`~expereo_tui.api.http.HttpTransport` (auth, rate limiting, retries for GETs only,
    typed errors); the keyword arguments are the transport's.

    Lists skip the items they cannot read; :attr:`skipped` holds them per list path, as of
    the last walk of that list.  Redirects are never followed and ``links.next`` is followed
    only within the base URL's origin, so the token never leaves it.
    """

    api = "v2"  # the Backend protocol (api/backend.py): which API this speaks
    features: frozenset[str] = frozenset({"priority", "status", "api_clients", "invoices"})

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
        self.http = HttpTransport(
            settings, transport=transport, clock=clock, sleep=sleep, rng=rng, wall_clock=wall_clock
        )
        self.skipped: dict[str, list[SkippedItem]] = {}  # list path → items skipped last walk
        self.totals: dict[str, int | None] = {}  # list path → the API's total, as last told

    @property
    def skipped_count(self) -> int:
        """Items skipped by the latest walk of every list read so far."""
        return sum(len(items) for items in self.skipped.values())

    # -- lists ---------------------------------------------------------------------------------
    async def iter_pages(
        self,
        path: str,
        model: type[M],
        *,
        params: dict[str, str] | None = None,
        page_size: int = MAX_PAGE,
        keep_skipped: bool = True,
    ) -> AsyncIterator[Page[M]]:
        """Pages of a list.  Items that cannot be read are left out of ``data`` and recorded in
        :attr:`skipped` (until the list is walked again; ``keep_skipped=False`` for a list read
        once, whose skipped items are only logged); ``links.next`` (absolute or relative) is followed only to the base
        URL's origin and only to a page not yet read in this walk, else
        :class:`PaginationError` ends the walk."""
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE}")
        query = {"page[limit]": str(page_size), **(params or {})}
        walk = PageWalk(self.http.base_url, path)
        skipped: list[SkippedItem] = []
        self.skipped[path] = skipped
        url: httpx.URL | None = self.http.url(path, query)
        try:
            while url is not None:
                walk.visit(url)
                body = await self.http.request("GET", str(url), f"the list {path}")
                raw = read_envelope(body, path)
                self.totals[path] = raw.metadata.total
                items, bad = read_items(path, raw.data, model)
                skipped.extend(bad)
                yield page_of(model).model_construct(
                    data=items, metadata=raw.metadata, links=raw.links or PageLinks()
                )
                url = walk.next_url(url, raw.links.next)
        finally:
            if (not skipped or not keep_skipped) and self.skipped.get(path) is skipped:
                del self.skipped[path]  # only lists with skipped items are kept

    async def _items(
        self,
        path: str,
        model: type[M],
        params: dict[str, str] | None,
        page_size: int,
        keep_skipped: bool = True,
    ) -> AsyncGenerator[M, None]:
        pages = self.iter_pages(
            path, model, params=params, page_size=page_size, keep_skipped=keep_skipped
        )
        async for page in pages:
            for item in page.data:
                yield item

    def iter_accounts(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[Account]:
        return self._items("/v2/accounts", Account, None, page_size)

    def iter_sites(
        self, *, account_id: str | None = None, page_size: int = MAX_PAGE
    ) -> AsyncIterator[Site]:
        path = f"/v2/accounts/{account_id}/sites" if account_id else "/v2/sites"
        return self._items(path, Site, None, page_size)

    def iter_services(
        self,
        *,
        account_id: str | None = None,
        site_id: str | None = None,
        page_size: int = MAX_PAGE,
    ) -> AsyncIterator[Service]:
        if site_id:
            path = f"/v2/sites/{site_id}/services"
        elif account_id:
            path = f"/v2/accounts/{account_id}/services"
        else:
            path = "/v2/services"
        return self._items(path, Service, None, page_size)

    def iter_site_services(
        self, site_id: str, *, page_size: int = MAX_PAGE
    ) -> AsyncIterator[Service]:
        return self.iter_services(site_id=site_id, page_size=page_size)

    def iter_cases(
        self,
        *,
        sort: str | None = None,
        filters: dict[str, str] | None = None,
        page_size: int = MAX_PAGE,
    ) -> AsyncIterator[Case]:
        params = {f"filter[{k}]": v for k, v in (filters or {}).items()}
        if sort:
            params["sort"] = sort
        return self._items("/v2/cases", Case, params, page_size)

    def iter_changed_cases(
        self, *, since: float | None = None, now: float | None = None
    ) -> AsyncIterator[Case]:
        """Cases newest change first (the caller stops at the first it has unchanged); V2 has
        no change filter: ``since`` only says whether this is a poll (the last success) or the
        first sync (None); ``now`` is not needed here.

        A poll usually finds nothing or a few: it first reads a small page (parsing and
        checking 200 cases every 30 s was most of an idle app's CPU).  Only when every case
        of that page is read does the listing start again in full pages."""
        if since is None:  # the first sync lists every case: full pages from the start
            return self.iter_cases(sort="-LastModifiedDate", page_size=MAX_PAGE)
        return self._changed_cases()

    async def _changed_cases(self) -> AsyncIterator[Case]:
        given: set[str] = set()
        first = self._items("/v2/cases", Case, {"sort": "-LastModifiedDate"}, PROBE_PAGE)
        try:
            async for case in first:
                given.add(case.id)
                yield case
                if len(given) == PROBE_PAGE:
                    break
            else:
                return  # the listing ended within the probe
        finally:
            await first.aclose()
        # every case of the probe was taken: the rest in full pages (those given skipped by id,
        # so a case that moved up meanwhile is neither lost nor given twice)
        async for case in self.iter_cases(sort="-LastModifiedDate", page_size=MAX_PAGE):
            if case.id not in given:
                yield case

    def iter_case_messages(
        self, case_id: str, *, page_size: int = MAX_PAGE
    ) -> AsyncIterator[CaseMessage]:
        return self._items(f"/v2/cases/{case_id}/case-messages", CaseMessage, None, page_size)

    def iter_invoices(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[Invoice]:
        return self._items("/v2/invoices", Invoice, None, page_size)

    def iter_invoice_lines(
        self, invoice_id: str, *, page_size: int = MAX_PAGE
    ) -> AsyncIterator[InvoiceLineDetail]:
        # read once per invoice, not walked again each poll: its skipped lines are logged, not
        # counted for ever in "N items skipped"
        return self._items(
            f"/v2/invoices/{invoice_id}/invoice-line-details",
            InvoiceLineDetail,
            None,
            page_size,
            keep_skipped=False,
        )

    def iter_api_clients(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[ApiClientInfo]:
        return self._items("/v2/api-clients", ApiClientInfo, None, page_size)

    # -- items ---------------------------------------------------------------------------------
    async def _one(self, method: str, path: str, model: type[M], what: str, **kw: Any) -> M:
        body = await self.http.request(method, path, what, **kw)
        data = body.get("data") if isinstance(body, dict) else None
        try:
            return repaired(model, data, id_field(model))
        except ModelError:
            raise ServerError(f"The API sent {what} in a form we cannot read.") from None

    async def get_account(self, account_id: str) -> Account:
        return await self._one(
            "GET", f"/v2/accounts/{account_id}", Account, f"account {account_id}"
        )

    async def get_site(self, site_id: str) -> Site:
        return await self._one("GET", f"/v2/sites/{site_id}", Site, f"site {site_id}")

    async def get_service(self, service_id: str) -> Service:
        return await self._one(
            "GET", f"/v2/services/{service_id}", Service, f"service {service_id}"
        )

    async def get_case(self, case_id: str) -> Case:
        return await self._one("GET", f"/v2/cases/{case_id}", Case, f"case {case_id}")

    async def get_invoice(self, invoice_id: str) -> Invoice:
        return await self._one(
            "GET", f"/v2/invoices/{invoice_id}", Invoice, f"invoice {invoice_id}"
        )

    # -- writes: validated first; never retried here (the outbox decides) ---------------------
    @staticmethod
    def _headers(idempotency_key: str | None) -> dict[str, str]:
        return {"Idempotency-Key": idempotency_key} if idempotency_key else {}

    async def _write(
        self,
        method: str,
        path: str,
        model: type[M],
        what: str,
        wire: dict[str, Any],
        key: str | None,
    ) -> M | None:
        """Send one write.  ``{"data": ...}`` (200/201), a bare object and an empty answer
        (204) are all success; None means the server accepted it without saying what it made."""
        body = await self.http.request(method, path, what, json=wire, headers=self._headers(key))
        if body is None or body == {} or body == "":
            return None
        item = body.get("data", body) if isinstance(body, dict) else body
        try:
            return repaired(model, item, id_field(model))
        except ModelError:
            raise ServerError(f"The API sent {what} in a form we cannot read.") from None

    async def create_case(
        self, body: CaseCreate, *, idempotency_key: str | None = None
    ) -> Case | None:
        """POST a new case (the model has checked the documented rules).  None: accepted with
        an empty answer; the caller finds the case (the outbox looks it up)."""
        return await self._write(
            "POST", "/v2/cases", Case, "the new case", body.to_wire(), idempotency_key
        )

    async def update_case(
        self,
        case_id: str,
        body: CaseUpdate,
        *,
        case_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        wire = body.to_wire()
        problems = check_case_update(case_type, wire)
        if not wire:
            problems.append(RuleViolation(field="", message="nothing to update"))
        if problems:
            raise _violations(problems)
        case = await self._write(
            "PATCH",
            f"/v2/cases/{case_id}",
            Case,
            f"the update of case {case_id}",
            wire,
            idempotency_key,
        )
        return case if case is not None else await self.get_case(case_id)  # 204: re-read

    async def add_message(
        self, case_id: str, body: MessageCreate, *, idempotency_key: str | None = None
    ) -> CaseMessage | None:
        """POST a reply.  None: accepted with an empty answer; the caller re-reads the thread."""
        if not body.message.strip():
            raise _violations([RuleViolation(field="message", message="the reply is empty")])
        return await self._write(
            "POST",
            f"/v2/cases/{case_id}/case-messages",
            CaseMessage,
            f"the reply to case {case_id}",
            body.to_wire(),
            idempotency_key,
        )
