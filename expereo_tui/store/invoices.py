"""Invoices of an account and their line details, as the API last returned them.

The invoice list itself is written by :class:`~.inventory.InventoryStore` (with the rest of the
inventory); this store reads it per account in the order the user picks, and keeps each
invoice's line details, which are fetched one invoice at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .database import Table

if TYPE_CHECKING:  # the models: imported where a row becomes one, not at launch
    from expereo_tui.api.models import Invoice, InvoiceLineDetail

#: what an account's invoices can be sorted by (the UI names them)
INVOICE_SORTS = ("date", "reference", "amount")
_SORT_SQL = {
    "date": "invoice_date",
    "reference": "json_extract(raw, '$.invoiceReference')",
    "amount": "json_extract(raw, '$.totalAmount')",
}


class InvoiceStore(Table):
    """Reads invoices; writes and reads their lines (table ``invoice_lines``)."""

    def account_invoices(
        self, account_id: str, *, sort: str = "date", descending: bool = True
    ) -> list[Invoice]:
        """An account's invoices; values missing from an invoice sort last either way."""
        from expereo_tui.api.models import Invoice

        if sort not in _SORT_SQL:
            raise ValueError(f"cannot sort invoices on {sort!r}; one of {', '.join(INVOICE_SORTS)}")
        expr = _SORT_SQL[sort]
        direction = "DESC" if descending else "ASC"
        rows = self._rows(
            f"SELECT raw FROM invoices WHERE account_id = ? "
            f"ORDER BY {expr} IS NULL, {expr} {direction}, id",
            (account_id,),
        )
        return [Invoice.model_validate_json(r["raw"]) for r in rows]

    def invoice_count(self, account_id: str) -> int:
        rows = self._rows("SELECT count(*) AS n FROM invoices WHERE account_id = ?", (account_id,))
        return int(rows[0]["n"])

    def invoice(self, invoice_id: str) -> Invoice | None:
        from expereo_tui.api.models import Invoice

        rows = self._rows("SELECT raw FROM invoices WHERE id = ?", (invoice_id,))
        return Invoice.model_validate_json(rows[0]["raw"]) if rows else None

    def store_invoice_lines(self, invoice_id: str, lines: Sequence[InvoiceLineDetail]) -> int:
        """Replace an invoice's lines with ``lines`` (the API's whole list); returns their
        number.  The invoice is marked fetched, even with no lines."""
        rows = [
            (
                invoice_id,
                seq,
                line.order_id_expereo,
                line.sum_invoice_line_invoice_currency_amount,
                json.dumps(line.to_wire(), sort_keys=True),
            )
            for seq, line in enumerate(lines)
        ]
        with self._tx() as db:
            db.execute("DELETE FROM invoice_lines WHERE invoice_id = ?", (invoice_id,))
            db.executemany("INSERT INTO invoice_lines VALUES (?,?,?,?,?)", rows)
            db.execute(
                "INSERT OR REPLACE INTO invoice_lines_fetched VALUES (?, ?)",
                (invoice_id, self.clock()),
            )
        return len(rows)

    def invoice_lines(self, invoice_id: str) -> list[InvoiceLineDetail] | None:
        """An invoice's lines in the API's order; None while they were never fetched."""
        from expereo_tui.api.models import InvoiceLineDetail

        fetched = self._rows(
            "SELECT 1 FROM invoice_lines_fetched WHERE invoice_id = ?", (invoice_id,)
        )
        if not fetched:
            return None
        rows = self._rows(
            "SELECT raw FROM invoice_lines WHERE invoice_id = ? ORDER BY seq", (invoice_id,)
        )
        return [InvoiceLineDetail.model_validate_json(r["raw"]) for r in rows]

    def service_invoice_lines(self, service_id: str) -> list[tuple[Invoice, InvoiceLineDetail]]:
        """The stored invoice lines that name a service, newest invoice first."""
        from expereo_tui.api.models import Invoice, InvoiceLineDetail

        rows = self._rows(
            "SELECT i.raw AS invoice, l.raw AS line FROM invoice_lines l "
            "JOIN invoices i ON i.id = l.invoice_id WHERE l.service_id = ? "
            "ORDER BY i.invoice_date IS NULL, i.invoice_date DESC, i.id, l.seq",
            (service_id,),
        )
        return [
            (
                Invoice.model_validate_json(r["invoice"]),
                InvoiceLineDetail.model_validate_json(r["line"]),
            )
            for r in rows
        ]

    def invoices_without_lines(
        self, limit: int = 100, *, account_id: str | None = None
    ) -> list[str]:
        """Ids of invoices (of one account, or all) whose lines were never fetched, newest
        first."""
        rows = self._rows(
            "SELECT id FROM invoices WHERE id NOT IN (SELECT invoice_id FROM invoice_lines_fetched) "
            "AND (?1 IS NULL OR account_id = ?1) "
            "ORDER BY invoice_date IS NULL, invoice_date DESC, id LIMIT ?2",
            (account_id, limit),
        )
        return [str(r["id"]) for r in rows]
