"""Invoices in the inventory: an account lists its invoices, sortable; an invoice shows its
lines (fetched when opened); a service lists the lines that name it; without the invoice scope,
or on API V1, one line says why they are hidden."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Tree

from expereo_tui.api.models import Invoice, InvoiceLineDetail
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.invoices import META_INVOICES_ACCESS, InvoiceAccess
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inventory.screen import InventoryScreen, Node

from .conftest import screen_text, until


def add_invoices(store: Store, sim: Simulator, *, lines: bool = True) -> None:
    """The simulator's invoices in the store, as an inventory refresh leaves them."""
    store.inventory.upsert_invoices(Invoice.model_validate(i) for i in sim.data.invoices.values())
    if lines:
        for inv_id, items in sim.data.invoice_lines.items():
            store.invoices.store_invoice_lines(inv_id, [InvoiceLineDetail.model_validate(x) for x in items])
    store.meta.set_meta(META_INVOICES_ACCESS, InvoiceAccess.OK.value)


async def open_account(app: ExpereoApp, pilot: Pilot[Any]) -> Tree[Node]:
    """The inventory with its first account expanded."""
    app.action_open_inventory()
    await until(
        pilot, lambda: isinstance(app.screen, InventoryScreen) and bool(app.screen.query(Tree))
    )
    tree: Tree[Node] = app.screen.query_one(Tree)
    account = tree.root.children[0]
    account.expand()
    await until(pilot, lambda: bool(account.children))
    return tree


def invoices_node(tree: Tree[Node]) -> Any:
    account = tree.root.children[0]
    return next(n for n in account.children if n.data and n.data.kind == "invoices")


async def test_an_account_lists_its_invoices_newest_first_and_o_sorts_them(
    make_app: Callable[..., ExpereoApp], store: Store, sim: Simulator
) -> None:
    add_invoices(store, sim)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        tree = await open_account(app, pilot)
        account_id = tree.root.children[0].data.id  # type: ignore[union-attr]
        node = invoices_node(tree)
        node.expand()
        await until(pilot, lambda: bool(node.children))
        wanted = sorted(
            (i for i in sim.data.invoices.values() if i["accountId"] == account_id),
            key=lambda i: i["invoiceDate"],
            reverse=True,
        )
        assert [c.data.id for c in node.children] == [i["invoiceId"] for i in wanted]
        tree.move_cursor(node)
        await pilot.pause()
        text = screen_text(app)
        assert "newest first" in text
        first = wanted[0]
        amount = f"{first['totalAmount']:,.2f} {first['currency']}"
        assert re.search(rf"{first['invoiceDate']} *{first['invoiceReference']} *{amount}", text)
        # on an invoice, o re-sorts its list and the cursor stays on the same invoice
        tree.move_cursor(node.children[0])
        await pilot.pause()
        for _ in range(2):  # newest → oldest → largest amount
            await pilot.press("o")
        by_amount = sorted(wanted, key=lambda i: i["totalAmount"], reverse=True)
        assert [c.data.id for c in node.children] == [i["invoiceId"] for i in by_amount]
        assert tree.cursor_node is not None and tree.cursor_node.data.id == first["invoiceId"]
        assert re.search(rf"Reference *{first['invoiceReference']}", screen_text(app))


async def test_an_invoice_shows_its_lines_and_a_service_the_lines_naming_it(
    make_app: Callable[..., ExpereoApp], store: Store, sim: Simulator
) -> None:
    add_invoices(store, sim)
    inv_id, lines = next(iter(sim.data.invoice_lines.items()))
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        tree = await open_account(app, pilot)
        node = invoices_node(tree)
        node.expand()
        await until(pilot, lambda: bool(node.children))
        invoice = next(c for c in node.children if c.data.id == inv_id)
        tree.move_cursor(invoice)
        await pilot.pause()
        text = screen_text(app)
        assert f"{len(lines)} lines" in text
        for line in lines:
            assert line["orderIDExpereo"] in text
        screen = app.screen
        assert isinstance(screen, InventoryScreen)
        service_id = lines[0]["orderIDExpereo"]
        screen.show_detail(Node("service", service_id))
        await pilot.pause()
        inv = sim.data.invoices[inv_id]
        amount = f"{lines[0]['sumInvoiceLineInvoiceCurrencyAmount']:,.2f} {inv['currency']}"
        assert re.search(
            rf"Invoice lines[^\n]*\n[^\n]*{inv['invoiceDate']} *{inv['invoiceReference']} *{amount}",
            screen_text(app),
        )


async def test_opening_an_invoice_fetches_its_lines_through_the_engine(
    make_app: Callable[..., ExpereoApp], store: Store, sim: Simulator
) -> None:
    add_invoices(store, sim, lines=False)
    inv_id = next(iter(sim.data.invoices))
    app = make_app(online=True)
    async with app.run_test(size=(100, 40)) as pilot:
        tree = await open_account(app, pilot)
        node = invoices_node(tree)
        node.expand()
        await until(pilot, lambda: bool(node.children))
        tree.move_cursor(next(c for c in node.children if c.data.id == inv_id))
        await until(pilot, lambda: store.invoices.invoice_lines(inv_id) is not None)
        n = len(sim.data.invoice_lines[inv_id])
        await until(pilot, lambda: f"{n} lines" in screen_text(app))
        # a service of an older invoice: looking at it fetches its account's missing lines
        older = store.invoices.account_invoices(node.data.id)[-1].invoice_id
        service_id = sim.data.invoice_lines[older][0]["orderIDExpereo"]
        screen = app.screen
        assert isinstance(screen, InventoryScreen)
        screen.show_detail(Node("service", service_id))
        await until(pilot, lambda: store.invoices.invoice_lines(older) is not None)
        ref = sim.data.invoices[older]["invoiceReference"]
        await until(pilot, lambda: ref in screen_text(app))


async def test_without_access_invoices_are_hidden_with_one_line_saying_why(
    make_app: Callable[..., ExpereoApp], store: Store, sim: Simulator
) -> None:
    add_invoices(store, sim)  # stored earlier: still not shown once access is gone
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for access, line, why in (
            (InvoiceAccess.NO_SCOPE, "Invoices hidden: no scope", "financial.read"),
            (InvoiceAccess.UNSUPPORTED, "Invoices hidden: API V1", "API V2 key"),
        ):
            store.meta.set_meta(META_INVOICES_ACCESS, access.value)
            if isinstance(app.screen, InventoryScreen):
                app.screen.build()
            tree = await open_account(app, pilot)
            account = tree.root.children[0]
            kinds = [c.data.kind for c in account.children if c.data]
            assert "invoices" not in kinds and kinds.count("invoices-hidden") == 1
            hidden = next(c for c in account.children if c.data.kind == "invoices-hidden")
            tree.move_cursor(hidden)
            await pilot.pause()
            text = screen_text(app)
            assert line in text  # whole, in the tree at 80 columns
            assert why in " ".join(str(app.screen.query_one("#detail").content).split())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_invoice_snapshot(
    snap_compare: Any,
    make_app: Callable[..., ExpereoApp],
    store: Store,
    sim: Simulator,
    size: tuple[int, int],
) -> None:
    """An account's invoices listed in the tree, the newest one open with its lines."""
    add_invoices(store, sim)
    app = make_app(profile_label="PROD", profile_color="red")

    async def before(pilot: Pilot[Any]) -> None:
        tree = await open_account(app, pilot)
        node = invoices_node(tree)
        node.expand()
        await until(pilot, lambda: bool(node.children))
        tree.move_cursor(node.children[0])
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=before)
