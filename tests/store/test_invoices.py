"""Invoices per account in the order the user picks, and their line details."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from expereo_tui.api.models import Invoice, InvoiceLineDetail
from expereo_tui.store.schema import _v_invoice_lines
from expereo_tui.store.store import Store


def _inv(inv_id: str, day: str | None, ref: str | None, amount: float | None) -> Invoice:
    return Invoice.model_validate(
        {
            "invoiceId": inv_id,
            "invoiceDate": day,
            "invoiceReference": ref,
            "totalAmount": amount,
            "currency": "EUR",
            "accountId": "ACC-1",
        }
    )


def _line(service_id: str, amount: float) -> InvoiceLineDetail:
    return InvoiceLineDetail.model_validate(
        {"orderIDExpereo": service_id, "sumInvoiceLineInvoiceCurrencyAmount": amount}
    )


@pytest.fixture
def inv_store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "inv.sqlite3", clock=lambda: 1000.0)
    s.inventory.upsert_invoices(
        [
            _inv("I-1", "2026-09-01", "EXP-B", 300.0),
            _inv("I-2", "2026-11-01", "EXP-C", 100.0),
            _inv("I-3", "2026-10-01", "EXP-A", 200.0),
            _inv("I-4", None, None, None),
            Invoice.model_validate({"invoiceId": "OTHER", "accountId": "ACC-2"}),
        ]
    )
    return s


@pytest.mark.parametrize(
    ("sort", "descending", "order"),
    [
        ("date", True, ["I-2", "I-3", "I-1", "I-4"]),
        ("date", False, ["I-1", "I-3", "I-2", "I-4"]),
        ("amount", True, ["I-1", "I-3", "I-2", "I-4"]),
        ("amount", False, ["I-2", "I-3", "I-1", "I-4"]),
        ("reference", False, ["I-3", "I-1", "I-2", "I-4"]),
    ],
)
def test_account_invoices_sort_with_missing_values_last(
    inv_store: Store, sort: str, descending: bool, order: list[str]
) -> None:
    got = inv_store.invoices.account_invoices("ACC-1", sort=sort, descending=descending)
    assert [i.invoice_id for i in got] == order


def test_unknown_invoice_sort_is_refused(inv_store: Store) -> None:
    with pytest.raises(ValueError, match="one of date, reference, amount"):
        inv_store.invoices.account_invoices("ACC-1", sort="raw; DROP TABLE invoices")


def test_lines_are_none_until_fetched_then_replaced_whole(inv_store: Store) -> None:
    assert inv_store.invoices.invoice_lines("I-1") is None
    assert inv_store.invoices.invoices_without_lines(10)[:3] == ["I-2", "I-3", "I-1"]
    inv_store.invoices.store_invoice_lines("I-1", [_line("SVC-1", 10.0), _line("SVC-2", 20.0)])
    assert [x.order_id_expereo for x in inv_store.invoices.invoice_lines("I-1") or []] == ["SVC-1", "SVC-2"]
    inv_store.invoices.store_invoice_lines("I-1", [_line("SVC-3", 5.0)])
    assert [x.order_id_expereo for x in inv_store.invoices.invoice_lines("I-1") or []] == ["SVC-3"]
    inv_store.invoices.store_invoice_lines("I-2", [])
    assert inv_store.invoices.invoice_lines("I-2") == []  # fetched, and empty: not "never fetched"
    assert "I-1" not in inv_store.invoices.invoices_without_lines(10)
    assert "I-2" not in inv_store.invoices.invoices_without_lines(10)


def test_a_service_lists_the_lines_that_name_it_newest_invoice_first(inv_store: Store) -> None:
    inv_store.invoices.store_invoice_lines("I-1", [_line("SVC-1", 10.0), _line("SVC-2", 20.0)])
    inv_store.invoices.store_invoice_lines("I-2", [_line("SVC-1", 11.0)])
    got = inv_store.invoices.service_invoice_lines("SVC-1")
    assert [(i.invoice_id, x.sum_invoice_line_invoice_currency_amount) for i, x in got] == [
        ("I-2", 11.0),
        ("I-1", 10.0),
    ]
    assert inv_store.invoices.service_invoice_lines("SVC-9") == []


def test_invoice_lines_migration_is_idempotent(tmp_path: Path) -> None:
    Store(tmp_path / "m.sqlite3").close()
    db = sqlite3.connect(tmp_path / "m.sqlite3")
    _v_invoice_lines(db)  # a second run (another helper's ordering) changes nothing
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"invoice_lines", "invoice_lines_fetched"} <= tables
