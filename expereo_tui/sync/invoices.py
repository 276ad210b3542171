"""Invoices: listed with the inventory refresh; their line details (one request per invoice)
fetched on demand, when the user opens an invoice or a service, a few at a time within budget.

Invoices need a scope of their own (``customerapi/financial.read``) and API V1 has none, so
whether the app may show them is recorded in the store (meta ``invoices_access``) for the UI to
read, as a code: ``ok``, ``no_scope`` or ``unsupported``.  A refusal here never fails a poll:
it hides the invoices, nothing else."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import StrEnum

from expereo_tui.api.backend import Backend, Feature
from expereo_tui.api.errors import ForbiddenError, NotFoundError
from expereo_tui.api.models import Invoice
from expereo_tui.store.store import Store

PAGE = 200
META_INVOICES_ACCESS = "invoices_access"
#: invoices whose lines one look at a service fetches, newest first (one request each)
LINES_PER_ASK = 6
#: fetching several invoices' lines stops while less than this share of the read budget is
#: left, so that the case poll and the user's own actions always find budget
LINES_BUDGET_FLOOR = 0.5

log = logging.getLogger(__name__)


class InvoiceAccess(StrEnum):
    """Whether invoices can be shown (the UI words each code)."""

    OK = "ok"
    NO_SCOPE = "no_scope"  # the key lacks customerapi/financial.read (403)
    UNSUPPORTED = "unsupported"  # the API has no invoices (V1)


def invoice_access(store: Store, features: frozenset[str] | None = None) -> InvoiceAccess | None:
    """What the last refresh found out; None before the first one.  ``features`` (the
    engine's, when there is one) answers for an API without invoices before any refresh."""
    if features is not None and Feature.INVOICES not in features:
        return InvoiceAccess.UNSUPPORTED
    raw = store.meta.get_meta(META_INVOICES_ACCESS)
    try:
        return InvoiceAccess(raw) if raw else None
    except ValueError:
        return None


class InvoiceSync:
    """Lists invoices and fetches their lines for one store and one API."""

    def __init__(
        self, store: Store, client: Backend, on_stage: Callable[[str], None] | None = None
    ) -> None:
        self.store = store
        self.client = client
        self._on_stage = on_stage or (lambda stage: None)  # the poller's stage, for errors

    def _note_access(self, access: InvoiceAccess) -> None:
        if self.store.meta.get_meta(META_INVOICES_ACCESS) != access.value:
            self.store.meta.set_meta(META_INVOICES_ACCESS, access.value)

    async def refresh(self, listed: list[Invoice] | None = None, *, forbidden: bool = False) -> int:
        """List the invoices (unless ``listed`` already holds them, or ``forbidden`` says the
        listing was refused) and store them (not their lines: those cost a request each and
        are fetched when wanted).  Returns how many invoices differ from what was stored."""
        self._on_stage("invoices")
        if Feature.INVOICES not in self.client.features:
            self._note_access(InvoiceAccess.UNSUPPORTED)
            return 0
        invoices = listed
        if invoices is None and not forbidden:
            try:
                invoices = [i async for i in self.client.iter_invoices(page_size=PAGE)]
            except ForbiddenError:
                forbidden = True
        if forbidden or invoices is None:
            self._note_access(InvoiceAccess.NO_SCOPE)
            return 0
        self._note_access(InvoiceAccess.OK)
        self._on_stage("inventory-store")
        return await asyncio.to_thread(self.store.inventory.upsert_invoices, invoices)

    async def fetch_missing_lines(self, account_id: str | None = None) -> int:
        """Fetch the lines of up to ``LINES_PER_ASK`` of the account's invoices never fetched,
        newest first, while the read budget stays above its floor.  Returns how many were."""
        done = 0
        for invoice_id in self.store.invoices.invoices_without_lines(
            LINES_PER_ASK, account_id=account_id
        ):
            budget = self.client.budget
            if budget.read_available < budget.read_capacity * LINES_BUDGET_FLOOR:
                log.info("invoice lines wait: %.0f reads left in the budget", budget.read_available)
                break
            if await self.fetch_lines(invoice_id) is None:
                break
            done += 1
        return done

    async def fetch_lines(self, invoice_id: str) -> int | None:
        """Fetch and store one invoice's lines; returns their number, or None when the key may
        not read invoices (then the store says so)."""
        try:
            lines = [
                line async for line in self.client.iter_invoice_lines(invoice_id, page_size=PAGE)
            ]
        except ForbiddenError:
            self._note_access(InvoiceAccess.NO_SCOPE)
            return None
        except NotFoundError:
            lines = []  # the invoice is gone: it has no lines to show
        return await asyncio.to_thread(self.store.invoices.store_invoice_lines, invoice_id, lines)
