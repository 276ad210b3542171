"""The async expereoOne API V2 client.

Usable from a plain script::

    async with V2Client(ClientSettings(base_url=..., token_url=..., client_id=...,
                                            client_secret=..., scopes=[...])) as api:
        async for case in api.iter_cases(sort="-LastModifiedDate"):
            ...

One ``httpx.AsyncClient`` with OAuth2 auth, a rate limiter that keeps within the documented
budget, retries with jittered back-off for reads (never for writes: the outbox decides), and one
exception hierarchy (:mod:`expereo_tui.api.errors`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from functools import cache
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .auth import ClientCredentialsAuth
from .errors import (
    ApiError,
    ForbiddenError,
    NetworkError,
    NotFoundError,
    PaginationError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    ValidationError,
)
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
from .pagination import PageWalk, SkippedItem, read_envelope, read_items
from .ratelimit import RateBudget, RateLimiter, RateLimits, parse_retry_after
from .settings import ClientSettings

__all__ = [
    "ClientSettings",
    "V2Client",
    "PaginationError",
    "RateBudget",
    "RateLimits",
    "SkippedItem",
]

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


@cache
def page_of(model: type[M]) -> type[Page[M]]:
    """``Page[model]``, made once: pydantic keeps a parametrized model only while something
    refers to it, so ``Page[Case]`` written in the loop built the class again on each poll
    (~3 ms of an idle poll's CPU)."""
    return Page[model]  # type: ignore[valid-type]
MAX_PAGE = 200
PROBE_PAGE = 20  # the first page of a poll's listing (see iter_changed_cases)
#: noted on any exception raised while the token was being fetched (``BaseException.__notes__``)
TOKEN_NOTE = "expereo: raised while fetching an access token"


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


def _parse_errors(response: httpx.Response) -> list[ErrorObject]:
    try:
        body = response.json()
    except ValueError:
        return []
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        out = []
        for item in body["errors"]:
            try:
                out.append(ErrorObject.model_validate(item))
            except PydanticValidationError:
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
    return ServerError(f"The API failed on {what} (HTTP {status}); the app retries.", status=status)


class V2Client:
    """One ``httpx.AsyncClient`` with auth, rate limiting, retries (GET only) and typed errors.

    ``transport`` lets tests run against the simulator in-process (``httpx.ASGITransport``);
    ``clock``/``sleep`` make the rate limiter testable without real time; ``wall_clock``
    (epoch seconds) reads ``Retry-After`` dates.

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
        self.skipped: dict[str, list[SkippedItem]] = {}  # list path → items skipped last walk
        self.totals: dict[str, int | None] = {}  # list path → the API's total, as last told

    def __repr__(self) -> str:
        return (
            f"V2Client(base_url={self.settings.base_url!r}, "
            f"client_id={self.settings.client_id!r})"
        )

    async def __aenter__(self) -> V2Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def budget(self) -> RateBudget:
        return self.limiter.budget

    @property
    def skipped_count(self) -> int:
        """Items skipped by the latest walk of every list read so far."""
        return sum(len(items) for items in self.skipped.values())

    @property
    def granted_scopes(self) -> list[str]:
        """Scopes of the current token (empty before the first request)."""
        return list(self._auth.granted_scopes)

    # -- transport ---------------------------------------------------------------------------
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
                raise NetworkError(
                    f"The connection broke while sending {what} ({error}): it may or may not "
                    "have reached expereoOne. The app checks before sending it again."
                ) from None
            raise NetworkError(
                f"The expereoOne API is not reachable ({error}). The app keeps "
                "your work and retries."
            ) from None
        if response.status_code == 429:
            self.limiter.penalise(_retry_after(response, self.wall_clock()))
        return response

    async def _request(
        self, method: str, url: str, what: str, *, kind: str | None = None, **kw: Any
    ) -> Any:
        """Send; reads are retried on network errors, 5xx and 429.  Returns the JSON body."""
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

    async def _backoff(self, attempt: int, retry_after: str | None = None) -> None:
        """Jittered exponential back-off (0.5 s base, 30 s cap), never shorter than Retry-After."""
        delay = min(30.0, 0.5 * 2**attempt) * self._rng.uniform(0.5, 1.0)
        wait = parse_retry_after(retry_after, self.wall_clock())
        if wait is not None:
            delay = max(delay, min(wait, 300.0))
        await self.sleep(delay)

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
        walk = PageWalk(self._http.base_url, path)
        skipped: list[SkippedItem] = []
        self.skipped[path] = skipped
        url: httpx.URL | None = self._http.build_request("GET", path, params=query).url
        try:
            while url is not None:
                walk.visit(url)
                body = await self._request("GET", str(url), f"the list {path}")
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
        body = await self._request(method, path, what, **kw)
        data = body.get("data") if isinstance(body, dict) else None
        try:
            return model.model_validate(data)
        except PydanticValidationError:
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
        body = await self._request(method, path, what, json=wire, headers=self._headers(key))
        if body is None or body == {} or body == "":
            return None
        item = body.get("data", body) if isinstance(body, dict) else body
        try:
            return model.model_validate(item)
        except PydanticValidationError:
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
