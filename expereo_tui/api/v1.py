"""The expereoOne API V1 (GraphQL) backend.

It sends its own ``.graphql`` documents (``api/graphql/``, package data) as
``POST <base>/graphql`` through the transport it shares with V2
(:class:`~expereo_tui.api.http.HttpTransport`: httpx, OAuth2 auth and the rate limiter; a query is
one read and is retried like a GET, a mutation is one write and never retried here), and maps
GraphQL errors onto :mod:`expereo_tui.api.errors`.  See ``shared/docs/expereo-api.md`` §7.

V1 returns a case with its whole thread in one query.  The threads of the last answer are kept,
so the poller's "fetch the thread of a changed case" and the outbox's "refresh the case I just
wrote" cost no request when the answer already holds them (each kept thread is used once, and
every poll replaces those of the cases that changed).  A write to a case forgets what was kept
of it: after a write whose answer was lost, the outbox must see the thread as the server has it.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from importlib import resources
from typing import Any

import httpx

from .errors import (
    ApiError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    ValidationError,
)
from .http import Face, HttpTransport
from .models import (
    Account,
    Case,
    CaseCreate,
    CaseMessage,
    CaseType,
    CaseUpdate,
    ErrorObject,
    ErrorSource,
    Invoice,
    InvoiceLineDetail,
    MessageCreate,
    ModelError,
    RuleViolation,
    Service,
    Site,
    from_provider,
    write_problems,
)
from .pagination import repaired
from .settings import ClientSettings

log = logging.getLogger(__name__)

__all__ = ["SAFETY_MARGIN", "V1Client", "document", "minutes_since"]

PATH = "/graphql"
VIEWER_ACCOUNT = "viewer"  # V1's one account (``viewer.account``) has no id we can read
SAFETY_MARGIN = 120.0  # seconds added to the window since the last successful poll
_FILTERS = {"id": "id", "serviceid": "serviceId", "customerreference": "customerReference"}


@cache
def document(name: str) -> str:
    """One of our ``.graphql`` documents (package data)."""
    return (
        resources.files("expereo_tui.api")
        .joinpath("graphql", f"{name}.graphql")
        .read_text(encoding="utf-8")
    )


def minutes_since(since: float | None, now: float) -> int:
    """``lastModifiedMinutes`` for a poll: minutes since ``since`` plus the safety margin,
    rounded up; 0 (every case) when there was no successful poll yet."""
    if since is None:
        return 0
    return max(1, math.ceil((max(0.0, now - since) + SAFETY_MARGIN) / 60.0))


def _field_errors(items: list[RuleViolation]) -> ValidationError:
    errors = [
        ErrorObject(
            status="422",
            code="client_validation",
            detail=v.message,
            source=ErrorSource(pointer=f"/{v.field}"),
        )
        for v in items
    ]
    return ValidationError("; ".join(v.message for v in items), errors=errors, status=None)


def error_from_graphql(errors: list[Any], what: str) -> ApiError:
    """The typed error for a GraphQL ``errors`` array (the first one decides the kind)."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    raw_ext = first.get("extensions")
    ext: dict[str, Any] = raw_ext if isinstance(raw_ext, dict) else {}
    code = str(ext.get("code") or "")
    message = str(first.get("message") or "An error has occurred")
    if code == "HC0011":
        err = ErrorObject(
            status="400",
            code="HC0011",
            detail="an Incident must carry endOfIncident (HC0011: An error has occurred)",
            source=ErrorSource(pointer="/endOfIncident"),
        )
        return ValidationError(
            f"The API rejected {what}: {message} (HC0011)", errors=[err], status=400
        )
    if code in ("BAD_USER_INPUT", "BAD_REQUEST", "VALIDATION"):
        raw_fields = ext.get("fields")
        fields: list[Any] = raw_fields if isinstance(raw_fields, list) else []
        objs = [
            ErrorObject(
                status="422",
                code=code,
                detail=str(f.get("message") or message),
                source=ErrorSource(pointer=f"/{f['field']}") if f.get("field") else None,
            )
            for f in fields
            if isinstance(f, dict)
        ] or [ErrorObject(status="422", code=code, detail=message)]
        return ValidationError(f"The API rejected {what}: {message}", errors=objs, status=422)
    if code == "NOT_FOUND":
        return NotFoundError(f"Not found: {what} ({message}).", status=404)
    if code in ("FORBIDDEN", "insufficient_scope"):
        scope = ext.get("scope") if isinstance(ext.get("scope"), str) else None
        need = f"the scope {scope}" if scope else "a scope"
        return ForbiddenError(
            f"This API key lacks {need} needed for {what}. Scopes are fixed when a key is "
            "created: ask for a key with that scope.",
            scope=scope,
        )
    if code in ("UNAUTHENTICATED", "invalid_token"):
        return UnauthorizedError(
            f"The API no longer accepts our credentials ({message}). Check the client "
            "secret; the app retries later.",
            status=401,
        )
    if code in ("RATE_LIMITED", "TOO_MANY_REQUESTS"):
        wait = float(ext.get("retryAfter") or 1.0)
        return RateLimitedError(
            f"Over the API's rate limit; retrying in {wait:.0f} s.", retry_after=wait
        )
    if code in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"):
        return ApiError(
            f"The API V1 does not accept our request for {what} ({message}): this version of "
            "the app and the API disagree.",
            status=400,
        )
    return ServerError(f"The API failed on {what} ({message}); the app retries.")


def _case(item: dict[str, Any]) -> tuple[Case, list[CaseMessage]]:
    """A V1 case (nested site/service, communications) as the shared model and its thread."""
    flat = {k: v for k, v in item.items() if k not in ("site", "service", "communications")}
    site, service = item.get("site"), item.get("service")
    flat["siteId"] = site.get("siteId") if isinstance(site, dict) else None
    flat["serviceId"] = service.get("serviceId") if isinstance(service, dict) else None
    case = repaired(Case, flat, "id")
    thread: list[CaseMessage] = []
    for raw in item.get("communications") or []:
        try:
            thread.append(repaired(CaseMessage, {**raw, "caseId": case.id}))
        except ModelError:
            continue  # a malformed message is skipped, never the case
    return case, thread


class V1Client(Face):
    """API V1 behind the :class:`~expereo_tui.api.backend.Backend` interface."""

    api = "v1"
    features: frozenset[str] = frozenset()  # no priority, status, API clients or invoice lists

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.http = HttpTransport(settings, transport=transport, clock=clock, sleep=sleep, rng=rng)
        self._threads: dict[str, list[CaseMessage]] = {}
        self.keep_threads = 1000  # at most this many kept threads (the newest changes)
        self._cases: dict[str, Case] = {}
        self.skipped: dict[str, int] = {}  # cases skipped by the latest query, per document

    @property
    def skipped_count(self) -> int:
        """Cases the latest case query could not read (skipped, not fatal)."""
        return sum(self.skipped.values())

    # -- transport -------------------------------------------------------------------------
    async def _graphql(
        self,
        name: str,
        variables: dict[str, Any],
        what: str,
        *,
        write: bool = False,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send one document; returns ``data``, raises the typed error for ``errors``.  A write
        carries its outbox entry's ``Idempotency-Key`` as on V2 (harmless if ignored)."""
        payload = {"query": document(name), "variables": variables}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = await self.http.request(
            "POST", PATH, what, kind="write" if write else "read", json=payload, headers=headers
        )
        if not isinstance(body, dict):
            raise ServerError(f"The API sent an answer to {what} that is not GraphQL.")
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            raise error_from_graphql(errors, what)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ServerError(f"The API sent an answer to {what} without data.")
        return data

    @staticmethod
    def _account_field(data: dict[str, Any], name: str, what: str) -> list[Any]:
        try:
            items = data["viewer"]["account"][name]
        except (KeyError, TypeError):
            raise ServerError(f"The API sent {what} in a form we cannot read.") from None
        return items if isinstance(items, list) else []

    async def _query_cases(self, variables: dict[str, Any], what: str) -> list[Case]:
        """Cases for these arguments, deduplicated by id (the newest last-modified date wins),
        newest change first; their threads are kept for one use each."""
        data = await self._graphql("cases", variables, what)
        newest: dict[str, tuple[Case, list[CaseMessage]]] = {}
        bad = 0
        for item in self._account_field(data, "cases", what):
            if not isinstance(item, dict):
                bad += 1
                continue
            try:
                case, thread = _case(item)
            except ModelError as exc:
                bad += 1  # a malformed case is skipped, never the answer
                errs = exc.errors()
                log.warning(
                    "skipped a case of %s: id=%r field=%s reason=%s",
                    what,
                    str(item.get("id"))[:40],
                    ".".join(str(x) for x in errs[0]["loc"]) if errs else "",
                    errs[0]["type"] if errs else "invalid",
                )
                continue
            seen = newest.get(case.id)
            if seen is None or _stamp(case) >= _stamp(seen[0]):
                newest[case.id] = (case, thread)
        self.skipped["cases"] = bad
        ordered = sorted((c for c, _ in newest.values()), key=_stamp, reverse=True)
        for case in reversed(ordered):  # oldest first, so the newest are kept longest
            self._threads.pop(case.id, None)
            self._threads[case.id] = newest[case.id][1]
            if "id" in variables:  # one case asked for: kept for the caller's refresh
                self._cases[case.id] = case
        while len(self._threads) > self.keep_threads:  # a big first sync: memory stays bounded
            self._threads.pop(next(iter(self._threads)))
        return ordered

    # -- cases -----------------------------------------------------------------------------
    async def iter_changed_cases(
        self, *, since: float | None = None, now: float | None = None
    ) -> AsyncIterator[Case]:
        """One query: ``lastModifiedMinutes`` = minutes since ``since`` + margin (0 the first
        time); each case arrives with its whole thread."""
        window = minutes_since(since, now if now is not None else time.time())
        for case in await self._query_cases({"lastModifiedMinutes": window}, "the changed cases"):
            yield case

    async def iter_cases(
        self,
        *,
        sort: str | None = None,
        filters: dict[str, str] | None = None,
        page_size: int = 200,
    ) -> AsyncIterator[Case]:
        """V1 filters by id, service and customer reference; other V2 filters apply locally.
        ``sort`` is one V2 sort field (e.g. ``-CreatedDate``) applied locally."""
        variables: dict[str, Any] = {}
        local: dict[str, str] = {}
        for key, value in (filters or {}).items():
            name = _FILTERS.get(key.lower())
            if name:
                variables[name] = value
            else:
                local[key[:1].lower() + key[1:]] = value
        cases = await self._query_cases(variables, "the case list")
        cases = [c for c in cases if all(str(c.to_wire().get(k)) == v for k, v in local.items())]
        if sort:
            field = sort.lstrip("-+")
            attr = "".join("_" + ch.lower() if ch.isupper() else ch for ch in field).lstrip("_")
            present = [c for c in cases if getattr(c, attr, None) is not None]
            missing = [c for c in cases if getattr(c, attr, None) is None]
            present.sort(key=lambda c: getattr(c, attr), reverse=sort.startswith("-"))
            cases = present + missing
        for case in cases:
            yield case

    def _forget(self, case_id: str) -> None:
        self._threads.pop(case_id, None)
        self._cases.pop(case_id, None)

    async def _fetch_case(self, case_id: str, what: str) -> Case:
        """One query for one case (kept, with its thread, for one later use)."""
        cases = await self._query_cases({"id": case_id}, what)
        if not cases:
            raise NotFoundError(f"Not found: {what} (it does not exist).", status=404)
        return cases[0]

    async def get_case(self, case_id: str) -> Case:
        """The case as our own write just left it when that is kept, else one query."""
        kept = self._cases.pop(case_id, None)
        if kept is not None:
            return kept
        case = await self._fetch_case(case_id, f"case {case_id}")
        self._cases.pop(case_id, None)
        return case

    async def iter_case_messages(
        self, case_id: str, *, page_size: int = 200
    ) -> AsyncIterator[CaseMessage]:
        """The case's whole thread: from the last answer when it held it, else one query."""
        thread = self._threads.pop(case_id, None)
        if thread is None:
            await self._fetch_case(case_id, f"case {case_id}")
            self._cases.pop(case_id, None)
            thread = self._threads.pop(case_id, [])
        for msg in thread:
            yield msg

    # -- writes: validated first; never retried here (the outbox decides) -----------------
    async def create_case(self, body: CaseCreate, *, idempotency_key: str | None = None) -> Case:
        """``createCase`` (always with ``endOfIncident`` for an Incident), then one read of the
        new case: V1 answers only its id."""
        wire = body.to_wire()
        problems = write_problems(CaseCreate, wire)
        if body.priority is not None:
            problems.append(RuleViolation(field="priority", message="API V1 cannot set a priority"))
        if problems:
            raise _field_errors(problems)
        variables = {k: v for k, v in wire.items() if k != "priority"}
        if body.type == CaseType.INCIDENT:
            variables.setdefault("endOfIncident", None)
        data = await self._graphql(
            "create_case", variables, "the new case", write=True, idempotency_key=idempotency_key
        )
        created = data.get("createCase")
        case_id = created.get("id") if isinstance(created, dict) else None
        if not isinstance(case_id, str):
            raise ServerError("The API created the case but sent no id back.")
        case = await self._fetch_case(case_id, f"the new case {case_id}")
        self._cases.pop(case_id, None)
        return case

    async def add_message(
        self, case_id: str, body: MessageCreate, *, idempotency_key: str | None = None
    ) -> CaseMessage:
        """``replyToCase``, then one read of the case: V1 answers only ``true``, and the
        message as the server stored it (its timestamp) is what the store keys it by."""
        if not body.message.strip():
            raise _field_errors([RuleViolation(field="message", message="the reply is empty")])
        what = f"the reply to case {case_id}"
        self._forget(case_id)
        data = await self._graphql(
            "reply_to_case",
            body.to_wire() | {"caseId": case_id},
            what,
            write=True,
            idempotency_key=idempotency_key,
        )
        if data.get("replyToCase") is False:
            raise ServerError(f"The API did not take {what}.")
        await self._fetch_case(case_id, f"case {case_id}")  # kept for the caller's refresh
        thread = self._threads.get(case_id, [])
        for msg in reversed(thread):
            if msg.message == body.message and not from_provider(msg.type):
                return msg
        return CaseMessage(case_id=case_id, message=body.message, sent_by=body.sent_by)

    async def update_case(
        self,
        case_id: str,
        body: CaseUpdate,
        *,
        case_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """V1 can only set the customer reference (``addCustomerReference``)."""
        wire = body.to_wire()
        problems = [
            RuleViolation(field=k, message=f"API V1 cannot change the {k}")
            for k in wire
            if k != "customerReference"
        ]
        reference = wire.get("customerReference")
        if "customerReference" in wire and not reference:
            problems.append(
                RuleViolation(field="customerReference", message="API V1 cannot clear a reference")
            )
        if not wire:
            problems.append(RuleViolation(field="", message="nothing to update"))
        if problems:
            raise _field_errors(problems)
        what = f"the reference of case {case_id}"
        self._forget(case_id)
        variables = {"caseId": case_id, "customerReference": reference}
        await self._graphql(
            "add_customer_reference", variables, what, write=True, idempotency_key=idempotency_key
        )
        case = await self._fetch_case(case_id, f"case {case_id}")
        self._cases.pop(case_id, None)
        return case

    # -- inventory -------------------------------------------------------------------------
    async def iter_accounts(self, *, page_size: int = 200) -> AsyncIterator[Account]:
        """V1 has no account list: the key is one account's (``viewer.account``), given here
        as one account that every V1 site and service belongs to."""
        yield Account(account_id=VIEWER_ACCOUNT, name="Account of this API key (V1)")

    async def iter_sites(self, *, page_size: int = 200) -> AsyncIterator[Site]:
        data = await self._graphql("sites", {}, "the site list")
        for item in self._account_field(data, "sites", "the site list"):
            try:
                yield repaired(Site, {**item, "accountId": VIEWER_ACCOUNT}, "siteId")
            except (ModelError, TypeError):
                continue

    async def iter_services(self, *, page_size: int = 200) -> AsyncIterator[Service]:
        data = await self._graphql("services", {}, "the service list")
        for item in self._account_field(data, "services", "the service list"):
            if not isinstance(item, dict):
                continue
            site = item.get("site")
            flat = {k: v for k, v in item.items() if k != "site"}
            flat["siteId"] = site.get("siteId") if isinstance(site, dict) else None
            flat["accountId"] = VIEWER_ACCOUNT
            try:
                yield repaired(Service, flat, "serviceId")
            except ModelError:
                continue

    async def iter_site_services(
        self, site_id: str, *, page_size: int = 200
    ) -> AsyncIterator[Service]:
        """V1 lists every service in one query: that site's, from it."""
        async for service in self.iter_services(page_size=page_size):
            if service.site_id == site_id:
                yield service

    async def iter_invoices(self, *, page_size: int = 200) -> AsyncIterator[Invoice]:
        """V1 has no invoice lists (``Feature.INVOICES`` is absent): nothing, not an error."""
        nothing: tuple[Invoice, ...] = ()
        for item in nothing:
            yield item

    async def iter_invoice_lines(
        self, invoice_id: str, *, page_size: int = 200
    ) -> AsyncIterator[InvoiceLineDetail]:
        """V1 has no invoice lists, so no lines of one either: nothing, not an error."""
        nothing: tuple[InvoiceLineDetail, ...] = ()
        for item in nothing:
            yield item


def _stamp(case: Case) -> float:
    return case.last_modified_date.timestamp() if case.last_modified_date else float("-inf")
