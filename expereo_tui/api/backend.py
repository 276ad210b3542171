"""The interface the sync engine talks to, whichever API a profile speaks.

Both :class:`expereo_tui.api.v2.V2Client` (API V2, REST) and
:class:`expereo_tui.api.v1.V1Client` (API V1, GraphQL) implement it: changed cases since a
point, one case with its thread, create, reply, set the reference (update), and the inventory.
Method names are those the poller and the outbox have always called on the V2 client.
:func:`expereo_tui.api.factory.backend_for` builds the one a profile's ``api`` setting names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .models import (
    Account,
    Case,
    CaseCreate,
    CaseMessage,
    CaseUpdate,
    Invoice,
    InvoiceLineDetail,
    MessageCreate,
    Service,
    Site,
)
from .ratelimit import RateBudget

if TYPE_CHECKING:
    from .settings import ClientSettings


class Feature(StrEnum):
    """What one API offers and the other may not (V1 lacks all four)."""

    PRIORITY = "priority"  # set a priority on create, change it later
    STATUS = "status"  # change a case's status (close it)
    API_CLIENTS = "api_clients"  # list the account's API clients
    INVOICES = "invoices"  # invoices as lists of their own


@runtime_checkable
class Backend(Protocol):
    """One API, as the sync engine sees it.  Errors are those of :mod:`expereo_tui.api.errors`."""

    @property
    def api(self) -> str:
        """``"v1"`` or ``"v2"``."""
        ...

    @property
    def features(self) -> frozenset[str]:
        """The :class:`Feature` values this API offers."""
        ...

    @property
    def budget(self) -> RateBudget: ...

    @property
    def settings(self) -> ClientSettings:
        """Base URL, credentials and timeouts (the outbox sizes its look-before-resend window
        from the client's timeout)."""
        ...

    @property
    def granted_scopes(self) -> list[str]: ...

    @property
    def skipped_count(self) -> int:
        """Items the latest walk of each list could not read (skipped, counted, logged)."""
        ...

    async def aclose(self) -> None: ...

    def iter_changed_cases(
        self, *, since: float | None = None, now: float | None = None
    ) -> AsyncIterator[Case]:
        """Cases changed since ``since`` (epoch seconds; None: every case), newest change
        first, each at most once.  ``now`` is the caller's clock for the same instant."""
        ...

    def iter_cases(
        self,
        *,
        sort: str | None = None,
        filters: dict[str, str] | None = None,
        page_size: int = 200,
    ) -> AsyncIterator[Case]: ...

    def iter_case_messages(
        self, case_id: str, *, page_size: int = 200
    ) -> AsyncIterator[CaseMessage]: ...

    async def get_case(self, case_id: str) -> Case: ...

    async def create_case(
        self, body: CaseCreate, *, idempotency_key: str | None = None
    ) -> Case | None:
        """The new case; None when the API answered 204 without it (the caller finds it)."""
        ...

    async def add_message(
        self, case_id: str, body: MessageCreate, *, idempotency_key: str | None = None
    ) -> CaseMessage | None:
        """The stored message; None after an empty 204 (the caller re-reads the thread)."""
        ...

    async def update_case(
        self,
        case_id: str,
        body: CaseUpdate,
        *,
        case_type: str | None = None,
        idempotency_key: str | None = None,
    ) -> Case:
        """The updated case (after an empty 204, read again)."""
        ...

    def iter_accounts(self, *, page_size: int = 200) -> AsyncIterator[Account]: ...

    def iter_sites(self, *, page_size: int = 200) -> AsyncIterator[Site]: ...

    def iter_services(self, *, page_size: int = 200) -> AsyncIterator[Service]: ...

    def iter_site_services(
        self, site_id: str, *, page_size: int = 200
    ) -> AsyncIterator[Service]:
        """One site's services (the person opened the site before the whole list came)."""
        ...

    def iter_invoices(self, *, page_size: int = 200) -> AsyncIterator[Invoice]: ...

    def iter_invoice_lines(
        self, invoice_id: str, *, page_size: int = 200
    ) -> AsyncIterator[InvoiceLineDetail]: ...
