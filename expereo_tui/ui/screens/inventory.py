"""The inventory: account → sites → services (and services without a site), loaded lazily from
the store, with a detail pane; jump from a service to its cases or to a new case for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Static, Tree
from textual.widgets.tree import TreeNode

from expereo_tui.api.models import open_statuses
from expereo_tui.store.store import CaseQuery
from expereo_tui.sync.events import InventoryChanged, SyncEvent
from expereo_tui.ui.format import SERVICE_STATUS_ROLE, role_style
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from expereo_tui.api.models import Service


@dataclass(frozen=True)
class Node:
    kind: str  # account | site | service | nosite
    id: str
    account_id: str | None = None


def service_label(svc: Service) -> Text:
    label = literal(f"{svc.service_id}  {svc.service_name or ''}", one_line=True)
    label.append(f"  {svc.status or '?'}", style=role_style(SERVICE_STATUS_ROLE, svc.status, "dim"))
    return label


class InventoryScreen(AppScreen[None]):
    CSS_PATH = "inventory.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", id="inventory.back"),
        Binding("slash", "search", "Filter", id="inventory.search"),
        Binding("c", "cases", "Cases of service", id="inventory.cases"),
        Binding("n", "new_case", "New case", id="inventory.new_case"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield Input(
            placeholder="filter: site, city, country, service id or name (escape clears)",
            id="inv-search",
        )
        with Horizontal():
            yield Tree[Node](Text("Accounts"), id="tree")
            yield Static(id="detail")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.xapp.paint_banner(self.query_one("#banner", Static))
        self.query_one("#inv-search").display = False
        self.build()
        self.query_one(Tree).focus()

    # -- tree ---------------------------------------------------------------------------------
    def build(self, text: str = "") -> None:
        tree: Tree[Node] = self.query_one(Tree)
        tree.clear()
        tree.root.expand()
        store = self.xapp.store
        if text.strip():
            self._build_filtered(text)
            return
        accounts = store.accounts()
        if not accounts:
            tree.root.add_leaf(
                Text("No inventory yet: it arrives with the first refresh.", style="dim")
            )
        for acc in accounts:
            node = tree.root.add(
                literal(acc.name or acc.account_id, "bold", one_line=True),
                Node("account", acc.account_id),
                allow_expand=True,
            )
            if len(accounts) == 1:
                node.expand()

    def _build_filtered(self, text: str) -> None:
        """Matches with their ancestors, expanded."""
        tree: Tree[Node] = self.query_one(Tree)
        store = self.xapp.store
        sites, services = store.search_inventory(text)
        by_account: dict[str, TreeNode[Node]] = {}
        by_site: dict[str, TreeNode[Node]] = {}

        def account_node(account_id: str | None) -> TreeNode[Node]:
            key = account_id or "?"
            if key not in by_account:
                acc = next((a for a in store.accounts() if a.account_id == account_id), None)
                by_account[key] = tree.root.add(
                    literal(acc.name if acc and acc.name else key, "bold", one_line=True),
                    Node("account", key),
                    expand=True,
                )
            return by_account[key]

        def site_node(site_id: str) -> TreeNode[Node] | None:
            if site_id not in by_site:
                site = store.site(site_id)
                if site is None:
                    return None
                by_site[site_id] = account_node(site.account_id).add(
                    literal(f"{site.name} · {site.city}, {site.country}", one_line=True),
                    Node("site", site_id, site.account_id),
                    expand=True,
                )
            return by_site[site_id]

        for site in sites:
            node = site_node(site.site_id)
            if node is not None:
                for svc in store.services(site_id=site.site_id):
                    node.add_leaf(service_label(svc), Node("service", svc.service_id))
        for svc in services:
            parent = site_node(svc.site_id) if svc.site_id else account_node(svc.account_id)
            if parent is not None and not any(
                c.data and c.data.id == svc.service_id for c in parent.children
            ):
                parent.add_leaf(service_label(svc), Node("service", svc.service_id))
        if not sites and not services:
            tree.root.add_leaf(Text(f"Nothing matches {safe(text, one_line=True)!r}", style="dim"))

    @on(Tree.NodeExpanded)
    def _expand(self, event: Tree.NodeExpanded[Node]) -> None:
        node = event.node
        data = node.data
        if data is None or node.children:
            return
        store = self.xapp.store
        if data.kind == "account":
            for site in store.sites(data.id):
                node.add(
                    literal(f"{site.name} · {site.city}, {site.country}", one_line=True),
                    Node("site", site.site_id, data.id),
                    allow_expand=True,
                )
            if store.services(account_id=data.id, without_site=True):
                node.add(
                    Text("Services without a site", style="italic"),
                    Node("nosite", data.id, data.id),
                    allow_expand=True,
                )
        elif data.kind == "site":
            for svc in store.services(site_id=data.id):
                node.add_leaf(service_label(svc), Node("service", svc.service_id))
        elif data.kind == "nosite":
            for svc in store.services(account_id=data.id, without_site=True):
                node.add_leaf(service_label(svc), Node("service", svc.service_id))

    @on(Tree.NodeHighlighted)
    def _highlight(self, event: Tree.NodeHighlighted[Node]) -> None:
        self.show_detail(event.node.data)

    def show_detail(self, data: Node | None) -> None:
        store = self.xapp.store
        detail = self.query_one("#detail", Static)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        if data is None:
            detail.update("")
            return
        if data.kind == "service":
            svc = store.service(data.id)
            if svc is None:
                return
            site = store.site(svc.site_id) if svc.site_id else None
            open_cases = store.count_cases(
                CaseQuery(
                    service_id=svc.service_id,
                    statuses=open_statuses(store.status_counts()),
                )
            )
            rows = [
                ("Service", svc.service_id),
                ("Name", svc.service_name),
                ("Type", svc.service_type),
                ("Bandwidth", svc.bandwidth),
                ("Status", svc.status),
                ("Ready for service", str(svc.ready_for_service_date or "—")),
                ("Planned delivery", str(svc.planned_delivery_date or "—")),
                ("Site", f"{site.name}, {site.city}, {site.country}" if site else "no site"),
                ("Technical note", svc.technical_note or "—"),
                ("Open cases", f"{open_cases}  (c: show cases · n: new case)"),
            ]
        elif data.kind == "site":
            site = store.site(data.id)
            if site is None:
                return
            counts = store.service_status_counts(site.site_id)
            rows = [
                ("Site", site.site_id),
                ("Name", site.name),
                ("Address", site.address),
                ("Postal code", site.postal_code),
                ("City", site.city),
                ("Country", site.country),
                ("Services", ", ".join(f"{n} {s}" for s, n in counts.items()) or "none"),
            ]
        elif data.kind == "account":
            acc = next((a for a in store.accounts() if a.account_id == data.id), None)
            sites, services = store.inventory_counts(data.id)
            rows = [
                ("Account", data.id),
                ("Name", acc.name if acc else ""),
                ("Legal name", acc.legal_name if acc else ""),
                ("Sites", str(sites)),
                ("Services", str(services)),
            ]
        else:
            rows = [("Services without a site", "mobile and virtual services of the account")]
        for label, value in rows:
            grid.add_row(label, literal(value or "—"))
        detail.update(grid)

    def sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, InventoryChanged):
            search = self.query_one("#inv-search", Input)
            self.build(search.value if search.display else "")

    # -- actions --------------------------------------------------------------------------------
    def _service_id(self) -> str | None:
        node = self.query_one(Tree).cursor_node
        if node and node.data and node.data.kind == "service":
            return node.data.id
        self.notify("Select a service first.", timeout=2)
        return None

    def action_cases(self) -> None:
        service_id = self._service_id()
        if service_id:
            self.xapp.action_open_inbox(CaseQuery(service_id=service_id))

    def action_new_case(self) -> None:
        service_id = self._service_id()
        if service_id:
            self.xapp.action_new_case(service_id)

    def action_search(self) -> None:
        search = self.query_one("#inv-search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#inv-search")
    def _filter(self, event: Input.Changed) -> None:
        if len(event.value.strip()) >= 2 or not event.value.strip():
            self.build(event.value)

    @on(Input.Submitted, "#inv-search")
    def _filter_done(self) -> None:
        self.query_one(Tree).focus()

    def action_back(self) -> None:
        search = self.query_one("#inv-search", Input)
        if search.display:
            search.value = ""
            search.display = False
            self.build()
            self.query_one(Tree).focus()
            return
        self.app.pop_screen()
