"""Invoices arrive with the inventory refresh; their lines a few at a time within the budget;
a key without the invoice scope, or API V1, hides them without failing the poll."""

from __future__ import annotations

import random

import pytest

from expereo_tui.api.models import ALL_SCOPES
from expereo_tui.api.v2 import ClientSettings, V2Client
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync import invoices as invoice_sync
from expereo_tui.sync.engine import SyncEngine, SyncSettings
from expereo_tui.sync.events import InventoryChanged, SyncStatus
from expereo_tui.sync.invoices import InvoiceAccess, invoice_access
from tests.sim_fixtures import FakeClock

from .conftest import Recorder


async def test_inventory_refresh_stores_invoices_but_not_their_lines(
    sim: Simulator, store: Store, engine: SyncEngine, events: Recorder
) -> None:
    await engine.poll_once()
    assert invoice_access(store) is InvoiceAccess.OK
    account = next(iter(sim.data.accounts))
    stored = {i.invoice_id for i in store.invoices.account_invoices(account)}
    assert stored == {i for i, v in sim.data.invoices.items() if v["accountId"] == account}
    # lines cost a request per invoice: none in the poll, they come when wanted
    assert len(store.invoices.invoices_without_lines()) == len(sim.data.invoices)
    assert not [p for _, p in sim.request_log if p.endswith("/invoice-line-details")]
    assert events.of(InventoryChanged)


async def test_a_look_at_a_service_fetches_the_newest_missing_lines_of_its_account(
    sim: Simulator, store: Store, engine: SyncEngine
) -> None:
    await engine.poll_once()
    account = next(iter(sim.data.accounts))
    assert await engine.fetch_missing_invoice_lines(account) == invoice_sync.LINES_PER_ASK
    newest = store.invoices.account_invoices(account)[0].invoice_id
    lines = store.invoices.invoice_lines(newest)
    assert lines is not None
    assert [x.order_id_expereo for x in lines] == [
        x["orderIDExpereo"] for x in sim.data.invoice_lines[newest]
    ]
    others = [i for i, v in sim.data.invoices.items() if v["accountId"] != account]
    assert all(store.invoices.invoice_lines(i) is None for i in others)  # only that account's


async def test_missing_lines_wait_while_the_read_budget_is_low(
    store: Store, engine: SyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await engine.poll_once()
    monkeypatch.setattr(invoice_sync, "LINES_BUDGET_FLOOR", 1.01)  # never enough budget
    account = store.inventory.accounts()[0].account_id
    assert await engine.fetch_missing_invoice_lines(account) == 0
    assert len(store.invoices.invoices_without_lines(account_id=account)) == len(
        store.invoices.account_invoices(account)
    )


async def test_opening_an_invoice_fetches_its_lines(
    sim: Simulator, store: Store, engine: SyncEngine
) -> None:
    await engine.poll_once()
    invoice_id = next(iter(sim.data.invoices))
    assert store.invoices.invoice_lines(invoice_id) is None
    assert await engine.fetch_invoice_lines(invoice_id)
    assert len(store.invoices.invoice_lines(invoice_id) or []) == len(sim.data.invoice_lines[invoice_id])


async def test_a_key_without_the_invoice_scope_hides_invoices_and_polls_on(
    sim: Simulator, store: Store, sim_clock: FakeClock, events: Recorder
) -> None:
    no_invoices = tuple(s for s in ALL_SCOPES if s != "customerapi/financial.read")
    sim.add_client("no-invoices", "s6", no_invoices)
    settings = ClientSettings(
        base_url="http://sim",
        token_url="http://sim/oauth2/token",
        client_id="no-invoices",
        client_secret="s6",
        scopes=list(no_invoices),
    )

    async def fake_sleep(seconds: float) -> None:
        sim_clock.advance(seconds)

    async with V2Client(
        settings, transport=sim.transport(), clock=sim_clock, sleep=fake_sleep, rng=random.Random(0)
    ) as client:
        engine = SyncEngine(
            store, client, on_event=events.append, clock=sim_clock, settings=SyncSettings()
        )
        await engine.poll_once()
        assert engine.state.status is SyncStatus.FRESH
        assert not await engine.fetch_invoice_lines(next(iter(sim.data.invoices)))
    assert invoice_access(store) is InvoiceAccess.NO_SCOPE
    assert store.inventory.accounts() and not store.invoices.account_invoices(store.inventory.accounts()[0].account_id)


async def test_api_v1_has_no_invoices_and_asks_for_none(
    sim: Simulator, store: Store, sim_clock: FakeClock, events: Recorder
) -> None:
    from tests.v1.conftest import make_v1_client

    client, transport = make_v1_client(sim, sim_clock)
    async with client:
        engine = SyncEngine(
            store, client, on_event=events.append, clock=sim_clock, settings=SyncSettings()
        )
        await engine.poll_once()
    assert engine.state.status is SyncStatus.FRESH
    assert invoice_access(store) is InvoiceAccess.UNSUPPORTED
    assert not any("invoice" in str(b).lower() for b in transport.bodies)
