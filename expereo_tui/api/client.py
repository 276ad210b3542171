"""The async expereoOne API V2 client.  INTERFACE STUB — implemented under issue #3.

Usable from a plain script::

    async with ExpereoClient(ClientSettings(base_url=..., token_url=..., client_id=...,
                                            client_secret=..., scopes=[...])) as api:
        async for case in api.iter_cases(sort="-LastModifiedDate"):
            ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .models import (
    Account,
    ApiClientInfo,
    Case,
    CaseCreate,
    CaseMessage,
    CaseUpdate,
    Invoice,
    InvoiceLineDetail,
    MessageCreate,
    Page,
    Service,
    Site,
)


@dataclass(frozen=True)
class RateLimits:
    """The documented budgets (configurable: the provider may change them)."""

    read_rate: float = 3.0  # tokens per second
    read_burst: int = 50
    write_rate: float = 0.5  # 30 per minute
    write_burst: int = 30


@dataclass(frozen=True)
class RateBudget:
    """A snapshot of the limiter for display: tokens left now and when reads resume."""

    read_available: float
    read_capacity: int
    write_available: float
    write_capacity: int
    read_rate: float  # current (possibly shrunk after 429s) refill rate per second
    blocked_until: float | None  # clock time before which nothing is sent (Retry-After)


@dataclass
class ClientSettings:
    base_url: str  # e.g. http://127.0.0.1:8080 (routes are /v2/...)
    token_url: str  # e.g. http://127.0.0.1:8080/oauth2/token
    client_id: str
    client_secret: str = field(repr=False)
    scopes: list[str] = field(default_factory=list)
    limits: RateLimits = field(default_factory=RateLimits)
    timeout: float = 20.0
    max_get_retries: int = 4


class ExpereoClient:
    """One ``httpx.AsyncClient`` with auth, rate limiting, retries (GET only) and typed errors.

    ``transport`` lets tests run against the simulator in-process (``httpx.ASGITransport``);
    ``clock``/``sleep`` make the rate limiter testable without real time.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> ExpereoClient: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def aclose(self) -> None: ...

    @property
    def budget(self) -> RateBudget: ...

    @property
    def granted_scopes(self) -> list[str]:
        """Scopes of the current token (empty before the first request)."""
        ...

    # lists: async iterators over items; they follow links.next page by page and stop
    # requesting as soon as the caller stops iterating.  page_size ≤ 200.
    def iter_pages(self, path: str, model: type[Any], *, params: dict[str, str] | None = None,
                   page_size: int = 200) -> AsyncIterator[Page[Any]]: ...
    def iter_accounts(self, *, page_size: int = 200) -> AsyncIterator[Account]: ...
    def iter_sites(self, *, account_id: str | None = None, page_size: int = 200
                   ) -> AsyncIterator[Site]: ...
    def iter_services(self, *, account_id: str | None = None, site_id: str | None = None,
                      page_size: int = 200) -> AsyncIterator[Service]: ...
    def iter_cases(self, *, sort: str | None = None, filters: dict[str, str] | None = None,
                   page_size: int = 200) -> AsyncIterator[Case]: ...
    def iter_case_messages(self, case_id: str, *, page_size: int = 200
                           ) -> AsyncIterator[CaseMessage]: ...
    def iter_invoices(self, *, page_size: int = 200) -> AsyncIterator[Invoice]: ...
    def iter_invoice_lines(self, invoice_id: str, *, page_size: int = 200
                           ) -> AsyncIterator[InvoiceLineDetail]: ...
    def iter_api_clients(self, *, page_size: int = 200) -> AsyncIterator[ApiClientInfo]: ...

    async def get_account(self, account_id: str) -> Account: ...
    async def get_site(self, site_id: str) -> Site: ...
    async def get_service(self, service_id: str) -> Service: ...
    async def get_case(self, case_id: str) -> Case: ...
    async def get_invoice(self, invoice_id: str) -> Invoice: ...

    # writes: validated client-side first (raises errors.ValidationError without sending);
    # never retried by the client — the outbox decides.
    async def create_case(self, body: CaseCreate) -> Case: ...
    async def update_case(self, case_id: str, body: CaseUpdate, *, case_type: str | None = None
                          ) -> Case: ...
    async def add_message(self, case_id: str, body: MessageCreate) -> CaseMessage: ...
