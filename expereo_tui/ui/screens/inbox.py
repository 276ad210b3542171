"""The case inbox: every case, sortable and filterable, unread first."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from expereo_tui.store.store import CaseQuery, CaseRow, InboxSummary
from expereo_tui.sync.events import CasesChanged, SyncEvent
from expereo_tui.ui.format import priority_text, relative, status_text, subject_label, type_label
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.widgets.case_table import CaseTable, Column, Fetch, TableRow
from expereo_tui.ui.widgets.search_box import SearchBox
from expereo_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from expereo_tui.ui.app import ExpereoApp

# (column key, header, sort column in the store)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("unread", "●", "unread"),
    ("priority", "Pri", "priority"),
    ("status", "Status", "status"),
    ("last_modified", "Changed", "last_modified"),
    ("id", "Case", "id"),
    ("subject", "Subject", "subject"),
    ("service", "Service", "service"),
    ("site", "Site", "site"),
    ("customer_reference", "Cust. ref", "customer_reference"),
    ("type", "Type", "type"),
    ("created", "Age", "created"),
)
DEFAULT_SORT = CaseQuery().sort
# what the inbox opens on: the cases that still need someone (Resolved/Closed are one key away)
OPEN_STATUSES = frozenset({"New", "In Progress", "Awaiting Customer"})
WIDTHS = {
    "unread": 1,
    "priority": 3,
    "status": 17,
    "last_modified": 7,
    "id": 10,
    "subject": 20,
    "service": 30,
    "site": 24,
    "customer_reference": 12,
    "type": 15,
    "created": 4,
}


class InboxScreen(Screen[None]):
    """Cases from the store; keys to open, reply, filter, sort and triage."""

    CSS_PATH = "inbox.tcss"
    BINDINGS = [
        Binding("enter", "open", "Open", id="inbox.open"),
        # priority (see "/"): the case screen is up before the keys typed after these are routed
        Binding("u", "next_unread", "Next unread", id="inbox.next_unread", priority=True),
        Binding("r", "reply", "Reply", id="inbox.reply", priority=True),
        Binding("n", "new_case", "New case", show=False, id="inbox.new_case"),
        # priority: the app runs it before it routes the next key, so "/tokyo" typed in one
        # burst (a fast typist, a laggy SSH link) all lands in the search box
        Binding("slash", "search", "Search", id="inbox.search", priority=True),
        Binding("f", "filter", "Filter", show=False, id="inbox.filter"),
        Binding("x", "clear_filters", "Clear filters", show=False, id="inbox.clear_filters"),
        Binding("a", "toggle_closed", "Open/all cases", show=False, id="inbox.toggle_closed"),
        Binding("s", "cycle_sort", "Sort", show=False, id="inbox.sort"),
        Binding("S", "reverse_sort", "Reverse sort", show=False, id="inbox.reverse_sort"),
        Binding("m", "toggle_read", "Read/unread", show=False, id="inbox.toggle_read"),
        Binding("g", "goto", "Go to case", show=False, id="inbox.goto"),
        Binding("y", "copy_id", "Copy id", show=False, id="inbox.copy_id"),
        Binding("o", "open_portal", "Portal", show=False, id="inbox.portal"),
        Binding("j", "cursor_down", "Down", show=False, id="inbox.down"),
        Binding("k", "cursor_up", "Up", show=False, id="inbox.up"),
    ]

    def __init__(self, query: CaseQuery | None = None) -> None:
        super().__init__()
        # built inside the running app (its options say whether closed cases show at first)
        open_only = getattr(self.app, "options", None) is None or self.xapp.options.inbox_open_only
        self.query_state = query or CaseQuery(statuses=OPEN_STATUSES if open_only else frozenset())
        self.total = 0
        self.shown_before = False
        self.recent: set[str] = set()  # changed since launch and not opened yet

    @property
    def xapp(self) -> ExpereoApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield Static(id="counts")
        with Horizontal(id="searchbar"):
            yield SearchBox(
                self._search,
                placeholder="search: case id, subject, reference, service, site, city",
                id="search",
            )
        yield Static(id="chips")
        yield CaseTable([Column(k, label, WIDTHS[k]) for k, label, _ in COLUMNS], id="cases")
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).value = self.query_state.text
        self.query_one("#searchbar").display = bool(self.query_state.text)
        self.xapp.paint_banner(self.query_one("#banner", Static))
        self.reload(data_changed=False)
        self.query_one(CaseTable).focus()
        self.call_after_refresh(self._after_first_frame)
        self.set_interval(30, self.reload)  # relative times age

    def on_screen_resume(self) -> None:
        """Back from a case (now read), a form or a dialog: show what changed meanwhile.  (The
        first resume comes with the first frame, which on_mount has just filled.)"""
        if self.shown_before:
            self.reload()
        self.shown_before = True

    def _after_first_frame(self) -> None:
        """What the first frame need not wait for: the unread counts in the window title."""
        self.xapp.alerter.update_title()
        self._warm_inbox()

    def _warm_inbox(self) -> None:
        """(Re)build the store's in-memory inbox in a thread, after the data changed: filter
        keystrokes then read memory, not the tables.  Until it is done they read SQL."""
        if not self.xapp.store.inbox_is_warm():
            self.run_worker(
                self.xapp.store.warm_inbox,
                thread=True,
                exclusive=True,
                group="inbox-index",
                exit_on_error=False,
            )

    # -- data -----------------------------------------------------------------------------------
    def current_case_id(self) -> str | None:
        return self.query_one(CaseTable).cursor_key

    def _cells(self, row: CaseRow, now: float) -> list[Text]:
        unread = row.unread or row.id in self.recent
        marker = Text(
            "★" if row.id in self.recent else ("●" if row.unread else " "),
            style="bold #e66100" if unread else "",
        )
        weight = "bold" if unread else ""
        return [
            marker,
            priority_text(row.priority),
            status_text(row.status),
            Text(relative(row.last_modified_date, now), style=weight),
            literal(row.id),
            Text(subject_label(safe(row.subject)), style=weight),
            literal(row.service_name or row.service_id, one_line=True),
            literal(row.site_name or "", one_line=True),
            literal(row.customer_reference or "", one_line=True),
            Text(type_label(row.type), style="dim"),
            Text(relative(row.created_date, now), style="dim"),
        ]

    def _fetch(self, query: CaseQuery) -> Fetch:
        """A page of rows for the table: read from the store when it scrolls into view."""
        store, now = self.xapp.store, self.xapp.now()

        def fetch(offset: int, limit: int) -> list[TableRow]:
            rows = store.inbox_page(query, offset=offset, limit=limit)
            return [TableRow(row.id, partial(self._cells, row, now)) for row in rows]

        return fetch

    def reload(self, *, data_changed: bool = True) -> None:
        """Re-read the inbox from the store, keeping the cursor on the same case when it is
        still near where it was (else on the same line).  ``data_changed`` is False when only
        the query changed: then the title's counts and the in-memory inbox are still good."""
        table = self.query_one(CaseTable)
        keep, row_index = table.cursor_key, table.cursor_row
        summary = self.xapp.store.inbox_summary(self.query_state)
        self.total = summary.total
        table.sort_column = self.query_state.sort[0] if self.query_state.sort else None
        table.reset(summary.total, self._fetch(self.query_state))
        found = table.find(keep, near=row_index) if keep is not None else None
        table.move_cursor(found if found is not None else row_index)
        self._paint_header(summary)
        if data_changed:
            self.xapp.alerter.update_title()
            self.call_after_refresh(self._warm_inbox)

    def _paint_header(self, summary: InboxSummary) -> None:
        counts = summary.by_status
        line = Text()
        line.append(f" {summary.total} case{'' if summary.total == 1 else 's'}", style="bold")
        # the first column's legend, early in the line so that 80 columns never cut it
        line.append(
            f" · ● {summary.unread} unread", style="bold #e66100" if summary.unread else "dim"
        )
        if self.recent:  # ★ marks what changed since the app started: its legend when shown
            line.append(" · ★ changed", style="dim")
        known = ("New", "In Progress", "Awaiting Customer", "Resolved", "Closed")
        unknown = sorted(s for s in counts if s not in known)  # new statuses show as they came
        shown = self.query_state.statuses  # a status filter counts only what it shows
        for status in (*known, *unknown):
            if counts.get(status) and (not shown or status in shown):
                line.append("  ")
                line.append_text(status_text(status))
                line.append(f" {counts[status]}")
        self.query_one("#counts", Static).update(line, layout=False)  # one line, fixed height
        self.query_one("#chips", Static).update(self._chips(), layout=False)

    def _chips(self) -> Text:
        q = self.query_state
        chips = Text(" filter: ", style="dim")
        parts: list[str] = []
        if q.statuses == OPEN_STATUSES:
            parts.append("open cases (a: all)")
        elif q.statuses:
            parts.append("status=" + "|".join(sorted(q.statuses)))
        if q.priorities:
            parts.append("priority=" + "|".join(sorted(q.priorities)))
        if q.types:
            parts.append("type=" + "|".join(type_label(t) for t in sorted(q.types)))
        if q.service_id:
            parts.append(f"service={q.service_id}")
        if q.site_id:
            parts.append(f"site={q.site_id}")
        if q.text:
            parts.append(f'text="{safe(q.text, one_line=True)}"')
        if q.unread_only:
            parts.append("unread only")
        if not parts:
            chips.append("none", style="dim")
        for part in parts:
            chips.append(f" {part} ", style="reverse")
            chips.append(" ")
        sort = ", ".join(f"{c}{' ↓' if d else ' ↑'}" for c, d in q.sort)
        chips.append(f"  sort: {sort}", style="dim")
        return chips

    def action_toggle_closed(self) -> None:
        """Open cases only <-> every case (Resolved and Closed too)."""
        statuses = frozenset() if self.query_state.statuses == OPEN_STATUSES else OPEN_STATUSES
        self.set_query(replace(self.query_state, statuses=statuses))

    def set_query(self, query: CaseQuery) -> None:
        self.query_state = query
        self.reload(data_changed=False)

    def sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, CasesChanged):
            self.recent.update(c.case_id for c in event.changes)
        self.reload()

    # -- events -----------------------------------------------------------------------------------
    @on(CaseTable.RowSelected)
    def _selected(self, event: CaseTable.RowSelected) -> None:
        if event.key is not None:
            self.open_case(event.key)

    @on(CaseTable.HeaderSelected)
    def _sort_by_header(self, event: CaseTable.HeaderSelected) -> None:
        column = next(c[2] for c in COLUMNS if c[0] == event.column_key)
        first = self.query_state.sort[0] if self.query_state.sort else None
        desc = (
            not first[1] if first and first[0] == column else column in ("unread", "last_modified")
        )
        self.set_query(replace(self.query_state, sort=((column, desc), ("last_modified", True))))

    def _search(self, text: str) -> None:
        """The search box's text, as each key is typed (see SearchBox)."""
        if text != self.query_state.text:
            self.set_query(replace(self.query_state, text=text))

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(CaseTable).focus()

    def key_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus:
            search.value = ""
            self.query_one("#searchbar").display = False
            self.query_one(CaseTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "reply", "next_unread"):  # the priority keys
            return self.focused is not self.query_one("#search", Input)  # else they are text
        return True

    # -- actions --------------------------------------------------------------------------------
    def open_case(self, case_id: str, *, reply: bool = False) -> None:
        self.recent.discard(case_id)
        self.xapp.action_open_case(case_id, reply=reply)

    def action_open(self) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.open_case(case_id)

    def action_reply(self) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.open_case(case_id, reply=True)

    def action_next_unread(self) -> None:
        store = self.xapp.store
        rows = store.query_cases(replace(self.query_state, unread_only=True), limit=1)
        if not rows:
            self.notify(
                "No unread cases"
                + (" in this filter" if self.query_state != CaseQuery() else "")
                + "."
            )
            return
        self.open_case(rows[0].id)

    def action_toggle_read(self) -> None:
        case_id = self.current_case_id()
        if not case_id:
            return
        store = self.xapp.store
        if store.is_unread(case_id) or case_id in self.recent:
            store.mark_read(case_id)
            self.recent.discard(case_id)
        else:
            store.mark_unread(case_id)
        self.reload()

    def action_new_case(self) -> None:
        case_id = self.current_case_id()
        case = self.xapp.store.case(case_id) if case_id else None
        self.xapp.action_new_case(case.service_id if case else None)

    def action_search(self) -> None:
        self.query_one("#searchbar").display = True
        # focus now, not after the queue: keys typed right after "/" belong to the search
        self.set_focus(self.query_one("#search", Input), scroll_visible=False)

    def action_filter(self) -> None:
        from expereo_tui.ui.screens.filter import FilterScreen

        def done(result: CaseQuery | None) -> None:
            if result is not None:
                self.set_query(result)

        self.app.push_screen(FilterScreen(self.query_state), done)

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#searchbar").display = False
        self.set_query(CaseQuery(sort=self.query_state.sort))

    def action_cycle_sort(self) -> None:
        order = [c[2] for c in COLUMNS]
        first = self.query_state.sort[0][0] if self.query_state.sort else "unread"
        if self.query_state.sort == DEFAULT_SORT:
            nxt = "priority"
        else:
            nxt = order[(order.index(first) + 1) % len(order)] if first in order else "unread"
        sort = (
            DEFAULT_SORT
            if nxt == "unread"
            else ((nxt, nxt in ("last_modified", "created")), ("last_modified", True))
        )
        self.set_query(replace(self.query_state, sort=sort))
        self.notify(f"Sorted by {nxt}", timeout=1.5)

    def action_reverse_sort(self) -> None:
        sort = tuple((c, not d) for c, d in self.query_state.sort)
        self.set_query(replace(self.query_state, sort=sort))

    def action_goto(self) -> None:
        self.xapp.action_goto_case()

    def action_copy_id(self) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.xapp.copy_case_id(case_id)

    def action_open_portal(self) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.xapp.open_in_portal(case_id)

    def action_cursor_down(self) -> None:
        self.query_one(CaseTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(CaseTable).action_cursor_up()
