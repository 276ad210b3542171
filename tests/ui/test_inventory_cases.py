"""``c`` in the inventory lists the selected service's cases; escape comes back to the
inventory, on the same node (issue 32 item 12). The app's own inbox has no "back". A site
opened during a first sync fetches its services first (issue 30)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace

from textual.widgets import Tree

from expereo_tui.api.models import Service
from expereo_tui.sim import Simulator
from expereo_tui.store.store import Store
from expereo_tui.sync.events import InventoryChanged, SyncState, SyncStatus
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.inventory.screen import InventoryScreen, Node
from expereo_tui.ui.messages import SyncEventMessage

from .conftest import screen_text, until
from .test_inventory_invoices import open_account


async def test_c_lists_a_service_s_cases_and_escape_returns_to_the_same_node(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        base = app.screen
        assert isinstance(base, InboxScreen)
        assert "esc Back" not in screen_text(app)  # the app's inbox: nowhere to go back to
        tree = await open_account(app, pilot)
        inventory = app.screen
        sites = [n for n in tree.root.children[0].children if n.data and n.data.kind == "site"]
        for site in sites:
            site.expand()
        await until(pilot, lambda: any(site.children for site in sites))
        service = [site for site in sites if site.children][-1].children[-1]  # a place to keep
        tree.move_cursor(service)
        await pilot.pause()
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen is not base)
        listed = app.screen
        assert isinstance(listed, InboxScreen)
        assert listed.query_state.service_id == service.data.id
        await until(pilot, lambda: "esc Back" in screen_text(app))
        await pilot.press("slash", "x")  # escape ends a search first, and stays
        await pilot.press("escape")
        assert app.screen is listed
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is inventory)
        assert isinstance(inventory, InventoryScreen)
        assert inventory.query_one(Tree).cursor_node is service
        await pilot.press("c")  # again, and `i` this time: back to that inventory, not a new one
        await until(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen is not base)
        await pilot.press("i")
        await until(pilot, lambda: app.screen is inventory)
        assert len(app.screen_stack) == 2 and inventory.query_one(Tree).cursor_node is service
        await pilot.press("escape")  # and the inventory goes back to the app's inbox
        await until(pilot, lambda: app.screen is base)
        await pilot.press("escape")  # which stays
        await pilot.pause()
        assert app.screen is base and len(app.screen_stack) == 1


async def test_an_inventory_refresh_keeps_the_open_nodes_and_the_cursor(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """The inventory is read again when it changed (a refresh, a first sync's pages): the
    nodes that were open stay open, the cursor stays on its service, and what changed shows."""
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        tree = await open_account(app, pilot)
        inventory = app.screen
        assert isinstance(inventory, InventoryScreen)
        sites = [n for n in tree.root.children[0].children if n.data and n.data.kind == "site"]
        for site in sites:
            site.expand()
        await until(pilot, lambda: any(site.children for site in sites))
        site = [site for site in sites if site.children][-1]
        service = site.children[-1]
        tree.move_cursor(service)
        await pilot.pause()
        svc = store.inventory.service(service.data.id)
        assert svc is not None
        renamed = svc.model_copy(update={"service_name": "Renamed circuit 42"})
        store.inventory.upsert_services([renamed])
        app.post_message(SyncEventMessage(InventoryChanged(services=1)))
        await until(pilot, lambda: "Renamed circuit 42" in screen_text(app))
        cursor = tree.cursor_node
        assert cursor is not None and cursor.data is not None
        assert (cursor.data.kind, cursor.data.id) == ("service", svc.service_id)
        opened = [n for n in tree.root.children[0].children if n.is_expanded]
        assert [n.data.id for n in opened if n.data] == [site.data.id for site in sites]


class _FirstSyncEngine:
    """What the inventory asks of the engine while a first sync has not listed the services:
    one site's services, stored when the test lets them come."""

    inventory_listed = False
    paused = False
    is_poller = True
    features: frozenset[str] = frozenset()
    state = SyncState(SyncStatus.SYNCING, None, message="first sync")
    budget = SimpleNamespace(read_available=50.0, read_capacity=50)

    def __init__(self, store: Store, sim: Simulator) -> None:
        self.store, self.sim = store, sim
        self.asked: list[str] = []
        self.go = asyncio.Event()
        self.client = self

    async def fetch_site_services(self, site_id: str) -> int:
        self.asked.append(site_id)
        await self.go.wait()
        services = [
            Service.model_validate(s) for s in self.sim.data.services.values()
            if s["siteId"] == site_id
        ]  # fmt: skip
        return self.store.inventory.upsert_services(services)

    async def stop(self) -> None: ...

    async def aclose(self) -> None: ...


async def test_a_site_opened_before_the_first_sync_listed_its_services_fetches_them(
    make_app: Callable[..., ExpereoApp], store: Store, sim: Simulator
) -> None:
    """Opened during a first sync, a site without services says they are being fetched and
    asks the engine for that site's alone; they show when stored, and the site is asked once."""
    site_id = next(iter(sim.data.sites))
    names = [s["serviceId"] for s in sim.data.services.values() if s["siteId"] == site_id]
    assert names
    store.database.conn.execute("DELETE FROM services WHERE site_id = ?", (site_id,))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        engine = _FirstSyncEngine(store, sim)
        app.engine = engine  # type: ignore[assignment]
        app.action_open_inventory()
        await until(
            pilot,
            lambda: isinstance(app.screen, InventoryScreen) and bool(app.screen.query(Tree)),
        )
        tree: Tree[Node] = app.screen.query_one(Tree)
        account = next(
            n
            for n in tree.root.children
            if n.data and n.data.id == sim.data.sites[site_id]["accountId"]
        )
        account.expand()
        await until(pilot, lambda: bool(account.children))
        site = next(n for n in account.children if n.data and n.data.id == site_id)
        site.expand()
        await until(pilot, lambda: "fetching services…" in screen_text(app))
        assert engine.asked == [site_id]
        screen = app.screen
        assert isinstance(screen, InventoryScreen)
        screen.rebuild_in_place()  # a first sync's pages came meanwhile: still on their way
        await pilot.pause()
        assert "fetching services…" in screen_text(app) and engine.asked == [site_id]
        engine.go.set()
        await until(pilot, lambda: names[0] in screen_text(app))
        assert "fetching services…" not in screen_text(app)
        site.collapse()
        site.expand()
        await pilot.pause()
        assert engine.asked == [site_id]
        # once the inventory is listed whole, a site without services has none: nothing asked
        engine.inventory_listed = True
        other = next(n for n in account.children if n.data and n.data.id != site_id)
        store.database.conn.execute("DELETE FROM services WHERE site_id = ?", (other.data.id,))
        other.expand()
        await pilot.pause()
        assert engine.asked == [site_id] and "fetching services…" not in screen_text(app)
