"""The inventory: account → sites → services (and services without a site) and the account's
invoices, loaded lazily from the store, with a detail pane; jump from a service to its cases or
to a new case for it.  An invoice's line details are fetched (through the sync engine, in a
worker) when it is opened and not stored yet."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Static, Tree
from textual.widgets.tree import TreeNode

from expereo_tui.api.vocab import open_statuses
from expereo_tui.store.store import CaseQuery
from expereo_tui.sync.events import InventoryChanged, SyncEvent, SyncStateChanged
from expereo_tui.sync.invoices import InvoiceAccess, invoice_access
from expereo_tui.ui.format import SERVICE_STATUS_ROLE, role_style
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.widgets.in_order import Input
from expereo_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from expereo_tui.api.models import Invoice, Service


@dataclass(frozen=True)
class Node:
    kind: str  # account | site | service | nosite | invoices | invoice | invoices-hidden
    id: str
    account_id: str | None = None


#: the orders of an account's invoices that ``o`` cycles through: (column, descending, words)
INVOICE_ORDERS = (
    ("date", True, "newest first"),
    ("date", False, "oldest first"),
    ("amount", True, "largest first"),
    ("amount", False, "smallest first"),
    ("reference", False, "by reference"),
)
#: why invoices are hidden: (the tree's one line, the detail pane's sentence)
INVOICES_HIDDEN = {
    InvoiceAccess.NO_SCOPE: (
        "Invoices hidden: no scope",
        "Invoices are hidden: this API key was created without the "
        "customerapi/financial.read scope. Scopes are fixed when a key is created, so seeing "
        "invoices takes a new key with it.",
    ),
    InvoiceAccess.UNSUPPORTED: (
        "Invoices hidden: API V1",
        "Invoices are hidden: API V1 has no invoice lists. They come with an API V2 key.",
    ),
}
SERVICE_INVOICE_LINES = 6  # the newest lines a service's detail lists
TREE_LISTS = ("accounts", "sites", "services")  # a first sync's lists the tree shows
FIRST_SYNC_READ = 3.0  # seconds: during a first sync the tree is read again at most this often


def money(amount: float | None, currency: str | None = None) -> str:
    """``1,234.50 EUR``; a missing amount is a dash."""
    if amount is None:
        return "—"
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")


def _detail_table() -> Table:
    """A table for the detail pane: a one-cell gap between columns, no edges, full width."""
    return Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, expand=True, header_style="bold")


def invoice_label(inv: Invoice) -> Text:
    """One invoice in the tree: date and amount (the reference is in the detail pane)."""
    label = Text(f"{inv.invoice_date or 'no date'}  {money(inv.total_amount)} ")
    label.append_text(literal(inv.currency or "", one_line=True))
    return label


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
        Binding("o", "sort_invoices", "Sort invoices", show=False, id="inventory.sort_invoices"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.invoice_order = 0  # index into INVOICE_ORDERS
        self._lines_asked: set[str] = set()  # invoices whose lines this screen fetched
        self._sites_asked: dict[str, bool] = {}  # sites whose services this screen fetched:
        # True while on their way
        self._stored: tuple[tuple[str, int], ...] = ()  # a first sync's lists, as last read
        self._read_at = 0.0  # when the tree was last read again (time.monotonic)
        self.shown: Node | None = None  # what the detail pane shows

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
        accounts = store.inventory.accounts()
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
        sites, services = store.inventory.search_inventory(text)
        by_account: dict[str, TreeNode[Node]] = {}
        by_site: dict[str, TreeNode[Node]] = {}

        def account_node(account_id: str | None) -> TreeNode[Node]:
            key = account_id or "?"
            if key not in by_account:
                acc = next(
                    (a for a in store.inventory.accounts() if a.account_id == account_id), None
                )
                by_account[key] = tree.root.add(
                    literal(acc.name if acc and acc.name else key, "bold", one_line=True),
                    Node("account", key),
                    expand=True,
                )
            return by_account[key]

        def site_node(site_id: str) -> TreeNode[Node] | None:
            if site_id not in by_site:
                site = store.inventory.site(site_id)
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
                for svc in store.inventory.services(site_id=site.site_id):
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
        self._fill(event.node)

    def _fill(self, node: TreeNode[Node]) -> None:
        """A node's children, read from the store when it is first opened."""
        data = node.data
        if data is None or node.children:
            return
        store = self.xapp.store
        if data.kind == "account":
            for site in store.inventory.sites(data.id):
                node.add(
                    literal(f"{site.name} · {site.city}, {site.country}", one_line=True),
                    Node("site", site.site_id, data.id),
                    allow_expand=True,
                )
            if store.inventory.services(account_id=data.id, without_site=True):
                node.add(
                    Text("Services without a site", style="italic"),
                    Node("nosite", data.id, data.id),
                    allow_expand=True,
                )
            self._add_invoices_node(node, data.id)
        elif data.kind == "site":
            services = store.inventory.services(site_id=data.id)
            for svc in services:
                node.add_leaf(service_label(svc), Node("service", svc.service_id))
            if not services and self._fetch_site_services(data.id):
                node.add_leaf(Text("fetching services…", style="dim"))
        elif data.kind == "nosite":
            for svc in store.inventory.services(account_id=data.id, without_site=True):
                node.add_leaf(service_label(svc), Node("service", svc.service_id))
        elif data.kind == "invoices":
            self._fill_invoices(node, data.id)

    # -- invoices -----------------------------------------------------------------------------
    def invoice_access(self) -> InvoiceAccess | None:
        engine = self.xapp.engine
        return invoice_access(self.xapp.store, engine.features if engine is not None else None)

    def _add_invoices_node(self, account: TreeNode[Node], account_id: str) -> None:
        """The account's invoices, or one line saying why they are hidden."""
        access = self.invoice_access()
        if access in INVOICES_HIDDEN:
            line, _ = INVOICES_HIDDEN[access]
            account.add_leaf(Text(line, style="dim italic"), Node("invoices-hidden", access))
            return
        count = self.xapp.store.invoices.invoice_count(account_id)
        if count:
            account.add(
                Text(f"Invoices ({count})", style="italic"),
                Node("invoices", account_id, account_id),
                allow_expand=True,
            )

    def _fill_invoices(self, node: TreeNode[Node], account_id: str) -> None:
        column, descending, _ = INVOICE_ORDERS[self.invoice_order]
        for inv in self.xapp.store.invoices.account_invoices(
            account_id, sort=column, descending=descending
        ):
            node.add_leaf(invoice_label(inv), Node("invoice", inv.invoice_id, account_id))

    def action_sort_invoices(self) -> None:
        """Cycle the order of the invoices (the list under the cursor is re-sorted in place)."""
        self.invoice_order = (self.invoice_order + 1) % len(INVOICE_ORDERS)
        tree: Tree[Node] = self.query_one(Tree)
        cursor = tree.cursor_node
        data = cursor.data if cursor else None
        words = INVOICE_ORDERS[self.invoice_order][2]
        if cursor is None or data is None or data.kind not in ("invoices", "invoice"):
            self.notify(f"Invoices: {words}.", timeout=2)
            return
        parent = cursor if data.kind == "invoices" else cursor.parent
        if parent is None or parent.data is None:
            return
        account_id = parent.data.id
        column, descending, _ = INVOICE_ORDERS[self.invoice_order]
        invoices = self.xapp.store.invoices.account_invoices(
            account_id, sort=column, descending=descending
        )
        if len(invoices) == len(parent.children):  # relabel in place: the cursor line stays
            for child, inv in zip(parent.children, invoices, strict=True):
                child.data = Node("invoice", inv.invoice_id, account_id)
                child.set_label(invoice_label(inv))
        else:
            parent.remove_children()
            self._fill_invoices(parent, account_id)
        if data.kind == "invoice":  # the cursor follows the invoice it was on
            for child in parent.children:
                if child.data == data:
                    tree.move_cursor(child)
        self.show_detail(tree.cursor_node.data if tree.cursor_node else None)

    def _invoices_detail(self, account_id: str) -> RenderableType:
        column, descending, words = INVOICE_ORDERS[self.invoice_order]
        invoices = self.xapp.store.invoices.account_invoices(
            account_id, sort=column, descending=descending
        )
        table = _detail_table()
        table.add_column("Date", no_wrap=True, min_width=10)
        table.add_column("Reference", no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column("Amount", justify="right", no_wrap=True, min_width=13)
        for inv in invoices:
            amount = Text(f"{money(inv.total_amount)} ")
            amount.append_text(literal(inv.currency or "", one_line=True))
            table.add_row(
                str(inv.invoice_date or "—"),
                literal(inv.invoice_reference or inv.invoice_id, one_line=True),
                amount,
            )
        head = Text(f"{len(invoices)} invoices · {words} · o: sort", style="dim")
        return Group(head, table)

    def _invoice_detail(self, invoice_id: str) -> RenderableType | None:
        store = self.xapp.store
        inv = store.invoices.invoice(invoice_id)
        if inv is None:
            return None
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for label, value in (
            ("Invoice", inv.invoice_id),
            ("Reference", inv.invoice_reference),
            ("Date", str(inv.invoice_date or "—")),
            ("Amount", money(inv.total_amount, inv.currency)),
        ):
            grid.add_row(label, literal(value or "—"))
        lines = store.invoices.invoice_lines(invoice_id)
        if lines is None:
            if self._fetch_lines(invoice_id):
                return Group(grid, Text("Loading the invoice's lines…", style="dim"))
            why = (
                "Lines not loaded: no connection to the API."
                if self.xapp.engine is None
                else "Lines could not be loaded (the status bar says why); reopen the "
                "inventory to try again."
            )
            return Group(grid, Text(why, style="dim"))
        table = _detail_table()
        table.add_column("Service", no_wrap=True, min_width=10)
        table.add_column("Name", overflow="ellipsis", no_wrap=True, ratio=1)
        table.add_column("Amount", justify="right", no_wrap=True, min_width=9)
        for line in lines:
            table.add_row(
                literal(line.order_id_expereo or "—", one_line=True),
                literal(line.order_name or line.site_address or "", one_line=True),
                money(line.sum_invoice_line_invoice_currency_amount),
            )
        count = Text(f"{len(lines)} line{'' if len(lines) == 1 else 's'}", style="dim")
        return Group(grid, count, table)

    def _fetch_lines(self, invoice_id: str) -> bool:
        """Ask the engine for an invoice's lines in a worker; False when there is no engine
        (offline) or they were asked for already."""
        engine = self.xapp.engine
        if engine is None or invoice_id in self._lines_asked:
            return False
        self._lines_asked.add(invoice_id)

        async def fetch() -> None:
            await engine.fetch_invoice_lines(invoice_id)
            if self.shown is not None and self.shown.kind == "invoice":
                if self.shown.id == invoice_id:
                    self.show_detail(self.shown)

        self.run_worker(fetch(), group="invoice-lines", exit_on_error=False)
        return True

    def _fetch_site_services(self, site_id: str) -> bool:
        """A site opened before the first sync's listing reached its services: ask the engine
        for that site's now (a read or two, ahead of the rest), in a worker; the tree is read
        again when they are stored.  True while they are on their way; False when offline,
        listed already, or fetched before."""
        engine = self.xapp.engine
        if site_id in self._sites_asked:
            return self._sites_asked[site_id]
        if engine is None or engine.inventory_listed:
            return False
        self._sites_asked[site_id] = True

        async def fetch() -> None:
            try:
                await engine.fetch_site_services(site_id)
            finally:
                self._sites_asked[site_id] = False
                self.rebuild_in_place()  # this site's services, or none: no "fetching" left

        self.run_worker(fetch(), group="site-services", exit_on_error=False)
        return True

    def _fetch_missing_lines(self, account_id: str, service_id: str) -> bool:
        """Ask the engine, in a worker, for the lines of the account's invoices not fetched
        yet (a few, within budget); False when offline or asked already."""
        engine = self.xapp.engine
        if engine is None or f"account:{account_id}" in self._lines_asked:
            return False
        self._lines_asked.add(f"account:{account_id}")

        async def fetch() -> None:
            await engine.fetch_missing_invoice_lines(account_id)
            if self.shown == Node("service", service_id):
                self.show_detail(self.shown)

        self.run_worker(fetch(), group="invoice-lines", exit_on_error=False)
        return True

    def _service_invoices(self, service_id: str, account_id: str | None) -> RenderableType | None:
        """The invoice lines naming a service, newest first (or why there are none); nothing
        before the first refresh has said whether there are invoices."""
        access = self.invoice_access()
        if access in INVOICES_HIDDEN:
            return Text(INVOICES_HIDDEN[access][0], style="dim")
        store = self.xapp.store
        found = store.invoices.service_invoice_lines(service_id)
        pending = (
            len(store.invoices.invoices_without_lines(account_id=account_id)) if account_id else 0
        )
        notes = []
        if len(found) > SERVICE_INVOICE_LINES:
            notes.append(f"… and {len(found) - SERVICE_INVOICE_LINES} older")
        if pending and account_id and self._fetch_missing_lines(account_id, service_id):
            notes.append(f"loading the lines of {pending} invoices…")
        elif pending:
            notes.append(f"lines of {pending} invoices not loaded yet")
        note = Text("; ".join(notes), style="dim")
        if not found and access is None:
            return None
        if not found:
            return Group(Text("Invoice lines: none stored", style="bold"), note)
        table = _detail_table()
        table.show_header = False
        table.add_column(no_wrap=True, min_width=10)
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        table.add_column(justify="right", no_wrap=True, min_width=13)
        for inv, line in found[:SERVICE_INVOICE_LINES]:
            amount = Text(f"{money(line.sum_invoice_line_invoice_currency_amount)} ")
            amount.append_text(literal(inv.currency or line.invoice_currency or "", one_line=True))
            table.add_row(
                str(inv.invoice_date or "—"),
                literal(inv.invoice_reference or inv.invoice_id, one_line=True),
                amount,
            )
        title = Text("Invoice lines", style="bold")
        return Group(title, table, note) if notes else Group(title, table)

    @on(Tree.NodeHighlighted)
    def _highlight(self, event: Tree.NodeHighlighted[Node]) -> None:
        self.show_detail(event.node.data)

    def show_detail(self, data: Node | None) -> None:
        self.shown = data
        store = self.xapp.store
        detail = self.query_one("#detail", Static)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        if data is None:
            detail.update("")
            return
        if data.kind == "service":
            svc = store.inventory.service(data.id)
            if svc is None:
                return
            site = store.inventory.site(svc.site_id) if svc.site_id else None
            open_cases = store.cases.count_cases(
                CaseQuery(
                    service_id=svc.service_id,
                    statuses=open_statuses(store.cases.statuses()),
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
            site = store.inventory.site(data.id)
            if site is None:
                return
            counts = store.inventory.service_status_counts(site.site_id)
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
            acc = next((a for a in store.inventory.accounts() if a.account_id == data.id), None)
            sites, services = store.inventory.inventory_counts(data.id)
            rows = [
                ("Account", data.id),
                ("Name", acc.name if acc else ""),
                ("Legal name", acc.legal_name if acc else ""),
                ("Sites", str(sites)),
                ("Services", str(services)),
            ]
            access = self.invoice_access()
            if access in INVOICES_HIDDEN:
                rows.append(("Invoices", INVOICES_HIDDEN[access][1]))
            elif count := store.invoices.invoice_count(data.id):
                rows.append(("Invoices", str(count)))
        elif data.kind == "invoices":
            detail.update(self._invoices_detail(data.id))
            return
        elif data.kind == "invoice":
            shown = self._invoice_detail(data.id)
            if shown is not None:
                detail.update(shown)
            return
        elif data.kind == "invoices-hidden":
            hidden = INVOICES_HIDDEN.get(InvoiceAccess(data.id))
            detail.update(literal(hidden[1] if hidden else ""))
            return
        else:
            rows = [("Services without a site", "mobile and virtual services of the account")]
        for label, value in rows:
            grid.add_row(label, literal(value or "—"))
        invoices = None
        if data.kind == "service":
            svc = store.inventory.service(data.id)
            invoices = self._service_invoices(data.id, svc.account_id if svc else None)
        if invoices is not None:
            detail.update(Group(grid, Text(""), invoices))
            return
        detail.update(grid)

    def sync_event(self, event: SyncEvent) -> None:
        """The inventory changed (a refresh, or pages of a first sync stored meanwhile): the
        tree is read again, the nodes that were open open again and the cursor stays on its
        node, so a refresh never takes the person's place."""
        if isinstance(event, SyncStateChanged) and event.state.progress is not None:
            stored = tuple(
                (p.name, p.done) for p in event.state.progress.lists if p.name in TREE_LISTS
            )
            now = time.monotonic()
            if stored == self._stored or now - self._read_at < FIRST_SYNC_READ:
                return  # a first sync's progress: the tree is read again every few seconds
            self._stored = stored
        elif not isinstance(event, InventoryChanged):
            return
        self._read_at = time.monotonic()
        search = self.query_one("#inv-search", Input)
        if search.display and search.value.strip():
            self.build(search.value)
            return
        self.rebuild_in_place()

    def rebuild_in_place(self) -> None:
        tree: Tree[Node] = self.query_one(Tree)

        def key(node: TreeNode[Node] | None) -> tuple[str, str] | None:
            return (node.data.kind, node.data.id) if node is not None and node.data else None

        opened: set[tuple[str, str] | None] = set()
        stack = list(tree.root.children)
        while stack:
            node = stack.pop()
            if node.is_expanded:
                opened.add(key(node))
                stack.extend(node.children)
        cursor = key(tree.cursor_node)
        self.build()
        found = None
        stack = list(tree.root.children)
        while stack:
            node = stack.pop(0)  # parents before their children
            if key(node) == cursor:
                found = node
            if key(node) in opened:
                self._fill(node)
                node.expand()
                stack.extend(node.children)
        if found is not None:
            target = found

            def restore() -> None:
                _ = tree.last_line  # the lines are laid out (a node's line is known) before
                tree.move_cursor(target)

            self.call_after_refresh(restore)

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
