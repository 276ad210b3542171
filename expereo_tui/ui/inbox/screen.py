"""The case inbox: every case, sortable and filterable, unread first."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from expereo_tui.api.vocab import OPEN_STATUSES, CaseStatus, open_statuses
from expereo_tui.store.store import AlreadyQueued, CaseQuery, CaseRow, InboxSummary, OutboxStatus
from expereo_tui.sync.events import CasesChanged, OutboxChanged, SyncEvent, SyncStateChanged
from expereo_tui.triage.clusters import Cluster, clusters
from expereo_tui.triage.read_model import open_rows
from expereo_tui.triage.sla import EXAMPLE_TARGETS
from expereo_tui.ui import themes
from expereo_tui.ui.format import status_text, type_label
from expereo_tui.ui.inbox.case_table import CaseTable, Fetch, TableRow
from expereo_tui.ui.inbox.cluster_link import ReferenceScreen, cluster_line, link_key
from expereo_tui.ui.inbox.columns import (
    BY_KEY,
    BY_SORT,
    FIXED_COLUMNS,
    INBOX_COLUMNS,
    TRIAGE_SORTS,
    RowContext,
    cells,
    first_sort,
    triage_order,
)
from expereo_tui.ui.inbox.shift import SHIFT_BINDINGS, ShiftInbox
from expereo_tui.ui.inbox.view_tabs import ViewTabs
from expereo_tui.ui.retime import row_next
from expereo_tui.ui.safe_text import safe
from expereo_tui.ui.team_view import subject_with_claim
from expereo_tui.ui.triage_text import resolve_styles
from expereo_tui.ui.widgets.in_order import Input
from expereo_tui.ui.widgets.search_box import SearchBox
from expereo_tui.ui.widgets.status_bar import StatusBar

DEFAULT_SORT = CaseQuery().sort
FIRST_SYNC_RELOAD = 0.25  # seconds: how often a first sync's new rows are read at most
# the cells a shift decorates: a selected row's mark, a snoozed row's wake time
_UNREAD_AT = [c.key for c in INBOX_COLUMNS].index("unread")
_SUBJECT_AT = [c.key for c in INBOX_COLUMNS].index("subject")
# the whose-turn views ("w" cycles them): who owes the next message, the longest wait first
TURN_VIEWS: dict[str | None, str] = {
    None: "",
    "provider": "waiting on provider longest",
    "you": "waiting on us",
}


def sort_name(sort: str) -> str:
    """A sort key as the sort line says it: the column's header ("unread" for ●)."""
    column = BY_SORT.get(sort)
    return "unread" if column is None or sort == "unread" else column.label


def summary_of(rows: list[CaseRow]) -> InboxSummary:
    """The header's counts over the rows a whose-turn view or a cluster filter shows."""
    by_status: dict[str, int] = {}
    for row in rows:
        status = "?" if row.status is None else row.status
        by_status[status] = by_status.get(status, 0) + 1
    return InboxSummary(total=len(rows), unread=sum(r.unread for r in rows), by_status=by_status)


class InboxScreen(ShiftInbox):
    """Cases from the store; keys to open, reply, filter, sort and triage."""

    CSS_PATH = "inbox.tcss"
    WARM_GAP = 5.0  # seconds between two builds of the in-memory inbox (_warm_inbox)
    BINDINGS = [
        Binding("enter", "open", "Open", id="inbox.open"),
        Binding("escape", "back", "Back", id="inbox.back"),  # only when it came from somewhere
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
        Binding("b", "sort_by_breach", "By breach", show=False, id="inbox.sort_breach"),
        Binding("w", "cycle_turn_view", "Whose turn", show=False, id="inbox.turn_view"),
        Binding("c", "cycle_cluster", "Incident cluster", show=False, id="inbox.cluster"),
        Binding("L", "link_cluster", "Link cluster", show=False, id="inbox.link_cluster"),
        Binding("m", "toggle_read", "Read/unread", show=False, id="inbox.toggle_read"),
        Binding("g", "goto", "Go to case", show=False, id="inbox.goto"),
        Binding("y", "copy_id", "Copy id", show=False, id="inbox.copy_id"),
        Binding("o", "open_portal", "Portal", show=False, id="inbox.portal"),
        Binding("j", "cursor_down", "Down", show=False, id="inbox.down"),
        Binding("k", "cursor_up", "Up", show=False, id="inbox.up"),
        Binding("T", "claim", "Take", show=False, id="inbox.claim"),
        *SHIFT_BINDINGS,  # views, snooze, pin, selection, bulk (inbox_shift.py)
    ]

    def __init__(self, query: CaseQuery | None = None) -> None:
        super().__init__()
        # built inside the running app (its options say whether closed cases show at first)
        open_only = getattr(self.app, "options", None) is None or self.xapp.options.inbox_open_only
        self.query_state = query or CaseQuery(statuses=OPEN_STATUSES if open_only else frozenset())
        self.total = 0
        self.shown_before = False
        self.recent: set[str] = set()  # changed since launch and not opened yet
        self.turn_view: str | None = None  # see TURN_VIEWS
        self.init_shift()
        self.clusters: list[Cluster] = []  # open incident clusters (read when the data changes)
        self.clusters_read = False
        self.cluster: Cluster | None = None  # the cluster the inbox is filtered to ("c")
        self.linking: dict[int, str] = {}  # outbox entry -> case: a cluster link in flight
        self.linked: set[int] = set()  # of those, the ones done
        self.first_sync_rows = 0  # cases the first sync had stored at the last reload
        self.reload_timer: Timer | None = None
        self.warmed_at = -float("inf")  # when the in-memory inbox was last built (monotonic)
        self.warm_timer: Timer | None = None  # a build waiting for WARM_GAP to pass

    def compose(self) -> ComposeResult:
        yield Static(id="banner")
        yield ViewTabs(id="view-tabs")
        yield Static(id="counts")
        yield Static(id="clusters")
        with Horizontal(id="searchbar"):
            yield SearchBox(
                self._search,
                placeholder="search: case id, subject, reference, service, site, city",
                id="search",
            )
        yield Static(id="chips")
        examples = not getattr(self.xapp.options, "sla_targets", None)  # no [sla] in the profile
        yield CaseTable(
            [
                c.table_column()._replace(label="SLA (example)")
                if c.key == "sla" and examples
                else c.table_column()
                for c in INBOX_COLUMNS
            ],
            fixed_columns=FIXED_COLUMNS,
            id="cases",
        )
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).value = self.query_state.text
        self.query_one("#searchbar").display = bool(self.query_state.text)
        self.xapp.paint_banner(self.query_one("#banner", Static))
        self.mount_shift()
        self.reload(data_changed=False)
        self.query_one(CaseTable).focus()
        self.query_one(CaseTable).clock = self.xapp.now  # its rows' times age (row_next)
        self.xapp.after_first_frame(self._after_first_frame)

    @property
    def content_painted(self) -> bool:
        return self.query_one(CaseTable).painted

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
        keystrokes then read memory, not the tables.  Until it is done they read SQL.

        Not more often than once every ``WARM_GAP`` seconds: a first sync changes the data with
        every page it stores, and rebuilding 100,000 cases (~0.5 s of a core) for each of its
        pages kept a core busy and left each build's garbage scattered in the allocator's
        arenas (xl: RSS 148 MB).  A change within the gap is built when the gap is over."""
        if self.xapp.store.cases.inbox_is_warm() or self.warm_timer is not None:
            return
        wait = self.warmed_at + self.WARM_GAP - time.monotonic()
        if wait > 0:
            self.warm_timer = self.set_timer(wait, self._warm_after_gap)
            return
        self.warmed_at = time.monotonic()
        self.run_worker(
            self.xapp.store.cases.warm_inbox,
            thread=True,
            exclusive=True,
            group="inbox-index",
            exit_on_error=False,
        )

    def _warm_after_gap(self) -> None:
        self.warm_timer = None
        self._warm_inbox()

    # -- data -----------------------------------------------------------------------------------
    def _cells(self, row: CaseRow, ctx: RowContext, now: float) -> list[Text]:
        out = cells(row, ctx if now == ctx.now else replace(ctx, now=now))
        marker = self.shift_marker(row)  # a selected row's first cell
        if marker is not None:
            out[_UNREAD_AT] = marker
        out[_SUBJECT_AT] = subject_with_claim(
            self.xapp.awareness, row.id, self.shift_subject(row, out[_SUBJECT_AT])
        )
        return out

    def _row_context(self, now: float, rows: list[CaseRow]) -> RowContext:
        """What the rows' cells need: the time, and the triage facts of these rows."""
        return RowContext(
            now=now,
            recent=self.recent,
            activity=self.xapp.store.activity.activity([r.id for r in rows]),
            targets=getattr(self.xapp.options, "sla_targets", None) or EXAMPLE_TARGETS,
            styles=resolve_styles(self.app.theme_variables),
        )

    @property
    def store_query(self) -> CaseQuery:
        """The query as the store can run it: without the triage sorts (the screen does them)."""
        q = self.query_state
        sort = tuple(s for s in q.sort if s[0] not in TRIAGE_SORTS)
        q = replace(q, sort=sort or DEFAULT_SORT)
        if q.statuses == OPEN_STATUSES:  # open cases: a status the API added since counts too
            q = replace(q, statuses=open_statuses(self.xapp.store.cases.statuses()))
        # snoozed cases left out (or alone: the Snoozed view)
        return self.shown_query(q)

    @property
    def shown_sort(self) -> tuple[tuple[str, bool], ...]:
        """The order the rows show in: the query's, or in a whose-turn view the longest wait
        first (unless a triage sort is chosen) -- what the header's arrow and the sort line say."""
        sort = self.query_state.sort
        if self.turn_view is not None and not (sort and sort[0][0] in TRIAGE_SORTS):
            return (("turn", False),)
        return sort

    def _triaged(self, query: CaseQuery | None = None) -> list[CaseRow] | None:
        """Every row of the query in a triage sort or whose-turn view, ordered and filtered
        here (the store knows neither); None when the store's paging serves as it is."""
        q = self.query_state
        triage_sort = bool(q.sort and q.sort[0][0] in TRIAGE_SORTS)
        if self.turn_view is None and self.cluster is None and not triage_sort:
            return None
        store, now = self.xapp.store, self.xapp.now()
        store_query = query or self.store_query
        rows = store.cases.inbox_page(
            store_query, offset=0, limit=store.cases.count_cases(store_query)
        )
        ctx = self._row_context(now, rows)
        if self.turn_view is not None:
            rows = [r for r in rows if (t := ctx.turn(r)) is not None and t.who == self.turn_view]
        if self.cluster is not None:
            members = set(self.cluster.case_ids)
            rows = [r for r in rows if r.id in members]
            if not triage_sort and self.turn_view is None:
                return rows  # the store's order
        sort = q.sort if q.sort and q.sort[0][0] in TRIAGE_SORTS else (("turn", False),)
        return triage_order(rows, ctx, sort)

    def export_rows(self) -> list[CaseRow]:
        """The rows shown, the whose-turn view and the cluster filter included, in their order."""
        triaged = self._triaged()
        return super().export_rows() if triaged is None else triaged

    def _fetch(self, query: CaseQuery, triaged: list[CaseRow] | None = None) -> Fetch:
        """A page of rows for the table: read from the store when it scrolls into view (or cut
        from the rows a triage sort or view has ordered)."""
        store, now = self.xapp.store, self.xapp.now()

        def fetch(offset: int, limit: int) -> list[TableRow]:
            if triaged is None:
                rows = store.cases.inbox_page(query, offset=offset, limit=limit)
            else:
                rows = triaged[offset : offset + limit]
            ctx = self._row_context(now, rows)
            return [
                TableRow(row.id, partial(self._cells, row, ctx), partial(row_next, row, ctx))
                for row in rows
            ]

        return fetch

    def reload(self, *, data_changed: bool = True) -> None:
        """Re-read the inbox from the store, keeping the cursor on the same case when it is
        still near where it was (else on the same line).  ``data_changed`` is False when only
        the query changed: then the title's counts and the in-memory inbox are still good."""
        table = self.query_one(CaseTable)
        keep, row_index = table.cursor_key, table.cursor_row
        self.before_reload()  # snoozes woken or set: store_query leaves them out
        query = self.store_query  # once: it counts the statuses (open ones the API added since)
        summary = self.xapp.store.cases.inbox_summary(query)
        if data_changed or not self.clusters_read:
            self.clusters_read = True
            self.xapp.after_first_frame(self._read_clusters)  # not on the way of the frame
        triaged = self._triaged(query)
        self.total = summary.total if triaged is None else len(triaged)
        if triaged is not None:  # a whose-turn view or a cluster: the header counts what shows
            summary = summary_of(triaged)
        shown_sort = self.shown_sort
        first = shown_sort[0] if shown_sort else None
        column = BY_SORT.get(first[0]) if first else None
        table.sort_column = (column.key, first[1]) if column and first else None
        table.reset(self.total, self._fetch(query, triaged))
        found = table.find(keep, near=row_index) if keep is not None else None
        table.move_cursor(found if found is not None else row_index)
        self._paint_header(summary, query)
        self.paint_tabs(summary.total, recount=data_changed)
        if data_changed:
            self.xapp.alerter.update_title()
            self.call_after_refresh(self._warm_inbox)

    def _read_clusters(self) -> None:
        """Read the open incident clusters from the store (only when the data changed), in a
        thread: on a large account that is every open case, ~200 ms the keys must not wait for."""
        self.run_worker(
            self._clusters_worker, thread=True, exclusive=True, group="clusters",
            exit_on_error=False,
        )  # fmt: skip

    def _clusters_worker(self) -> None:
        store = self.xapp.store
        found = clusters(open_rows(store), store.activity.site_cities())
        if not get_current_worker().is_cancelled:  # a newer read replaced this one
            self.app.call_from_thread(self._clusters_read, found)

    def _clusters_read(self, found: list[Cluster]) -> None:
        """The clusters are read: the inbox's cluster filter follows its cluster as it grows,
        and ends when it dissolves."""
        self.clusters = found
        if self.cluster is not None:
            here = (self.cluster.kind, self.cluster.key)
            same = [c for c in self.clusters if (c.kind, c.key) == here]
            moved = (same[0] if same else None) != self.cluster
            self.cluster = same[0] if same else None
            if moved:  # the filter follows its cluster (or ends with it)
                self.reload(data_changed=False)
                return
        self._paint_clusters()

    def _paint_clusters(self) -> None:
        line = Text()
        shown = self.cluster or (self.clusters[0] if self.clusters else None)
        if shown is not None:
            line.append("⚠ ")
            line.append_text(cluster_line(shown))
            others = len(self.clusters) - 1
            if others > 0:
                line.append(f"  (+{others} more)")
            line.append("  c: " + ("next" if self.cluster else "show") + ", L: link", style="dim")
        if self.linking:
            line.append(f"  linking {len(self.linked)}/{len(self.linking)}")
        widget = self.query_one("#clusters", Static)
        widget.display = bool(shown or self.linking)
        widget.update(line, layout=False)

    def _paint_header(self, summary: InboxSummary, query: CaseQuery) -> None:
        counts = summary.by_status
        line = Text()
        line.append(f" {summary.total} case{'' if summary.total == 1 else 's'}", style="bold")
        # the first column's legend, early in the line so that 80 columns never cut it
        line.append(
            f" · ● {summary.unread} unread",
            style=themes.style("attention") if summary.unread else "dim",
        )
        if self.recent:  # ★ marks what changed since the app started: its legend when shown
            line.append(" · ★ changed", style="dim")
        known = tuple(CaseStatus)  # in workflow order
        # new statuses show as they came, with the open ones (they count as open), before the
        # done ones that a narrow line cuts first
        unknown = sorted(s for s in counts if s not in known)
        shown = query.statuses  # a status filter counts only what it shows
        for status in (*known[:3], *unknown, *known[3:]):
            if counts.get(status) and (not shown or status in shown):
                line.append("  ")
                line.append_text(status_text(status))
                line.append(f" {counts[status]}")
        self.query_one("#counts", Static).update(line, layout=False)  # one line, fixed height
        self._paint_clusters()
        # layout: a long filter wraps the line to two (the sort first, never cut)
        self.query_one("#chips", Static).update(self._chips(), layout=True)

    def _chips(self) -> Text:
        q = self.query_state
        # the sort first, in the columns' own short names: a long filter never cuts it
        sort = " ".join(f"{sort_name(c)}{'↓' if d else '↑'}" for c, d in self.shown_sort)
        chips = Text(f" sort: {sort} · filter: ", style="dim")
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
        if self.turn_view is not None:
            parts.append(TURN_VIEWS[self.turn_view] + " (w)")
        if self.cluster is not None:
            parts.append(f"cluster: {safe(self.cluster.label, one_line=True)} (c)")
        if not parts:
            chips.append("none", style="dim")
        for part in parts:
            chips.append(f" {part} ", style="reverse")
            chips.append(" ")
        return chips

    def action_toggle_closed(self) -> None:
        """Open cases only <-> every case (Resolved and Closed too)."""
        statuses = frozenset() if self.query_state.statuses == OPEN_STATUSES else OPEN_STATUSES
        self.set_query(replace(self.query_state, statuses=statuses))

    def set_query(self, query: CaseQuery) -> None:
        self.query_state = query
        self.reload(data_changed=False)

    def sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, SyncStateChanged):  # a poll (idle or not) says how fresh it is:
            self.shift_sync_event(event)  # nothing stored, nothing to read again
            if self._first_sync_stored_more(event):
                self._reload_soon()  # except in a first sync: its pages are stored as they come
            return
        if isinstance(event, CasesChanged):
            self.recent.update(c.case_id for c in event.changes)
        self.shift_sync_event(event)
        if isinstance(event, OutboxChanged) and event.entry_id in self.linking:
            if event.status in (OutboxStatus.SENT, OutboxStatus.FAILED):
                self.linked.add(event.entry_id)
            if event.status == OutboxStatus.FAILED:
                self.notify(
                    f"Linking {event.case_id} failed: {event.error}", severity="error", markup=False
                )
            if len(self.linked) == len(self.linking):
                self.notify(f"Linked {len(self.linking)} cases.", timeout=4)
                self.linking, self.linked = {}, set()
        self.reload()

    def _first_sync_stored_more(self, event: SyncStateChanged) -> bool:
        """Whether the first sync of an empty store has stored cases since the inbox last
        read it (each page is stored before its progress is told)."""
        progress = event.state.progress
        cases = progress.of("cases") if progress is not None else None
        if cases is None or cases.done == self.first_sync_rows:
            return False
        self.first_sync_rows = cases.done
        return True

    def _reload_soon(self) -> None:
        """Read the rows stored so far, at most every FIRST_SYNC_RELOAD seconds: the rows show
        as they land (the cursor stays on its case), without one reload a page on a large
        account.  The in-memory inbox and the clusters wait for the sync's own news."""
        if self.reload_timer is not None:
            return

        def due() -> None:
            self.reload_timer = None
            self.reload(data_changed=False)

        self.reload_timer = self.set_timer(FIRST_SYNC_RELOAD, due)

    # -- events -----------------------------------------------------------------------------------
    @on(CaseTable.RowSelected)
    def _selected(self, event: CaseTable.RowSelected) -> None:
        if event.key is not None:
            self.open_case(event.key)

    @on(CaseTable.HeaderSelected)
    def _sort_by_header(self, event: CaseTable.HeaderSelected) -> None:
        column = BY_KEY[event.column_key]
        first = self.query_state.sort[0] if self.query_state.sort else None
        if first and first[0] == column.sort:  # the same header again: the other way
            sort = ((column.sort, not first[1]), *self.query_state.sort[1:])
        else:
            sort = first_sort(column)
        self.set_query(replace(self.query_state, sort=sort))

    def _search(self, text: str) -> None:
        """The search box's text, as each key is typed (see SearchBox)."""
        if text != self.query_state.text:
            self.set_query(replace(self.query_state, text=text))

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(CaseTable).focus()

    def key_escape(self) -> None:
        self._escape()

    def _escape(self) -> bool:
        """Escape ends the search or the selection first; whether it did."""
        search = self.query_one("#search", Input)
        if not search.has_focus and self.clear_selection():
            return True
        if search.has_focus:
            search.value = ""
            self.query_one("#searchbar").display = False
            self.query_one(CaseTable).focus()
            return True
        return False

    @property
    def stacked(self) -> bool:
        """Opened on top of another screen (``c`` in the inventory), not the app's inbox."""
        return self.is_attached and self.app.screen_stack.index(self) > 0

    def action_back(self) -> None:
        """Back to the screen it was opened from (the inventory, at the node it was on)."""
        if not self._escape():
            self.dismiss()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.writes_off(action):  # read-only: gone from the footer (the key says why)
            return False
        if action == "back":  # the app's own inbox has nowhere to go back to (key_escape)
            return self.stacked
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
        rows = store.cases.query_cases(replace(self.store_query, unread_only=True), limit=1)
        if not rows:
            self.notify(
                "No unread cases"
                + (" in this filter" if self.query_state != CaseQuery() else "")
                + "."
            )
            return
        self.open_case(rows[0].id)

    def action_toggle_read(self) -> None:
        if self.bulk_toggle_read():
            return
        case_id = self.current_case_id()
        if not case_id:
            return
        store = self.xapp.store
        if store.cases.is_unread(case_id) or case_id in self.recent:
            store.mark_read(case_id)
            self.recent.discard(case_id)
        else:
            store.mark_unread(case_id)
        self.reload()

    def action_new_case(self) -> None:
        case_id = self.current_case_id()
        case = self.xapp.store.cases.case(case_id) if case_id else None
        self.xapp.action_new_case(case.service_id if case else None)

    def action_search(self) -> None:
        self.query_one("#searchbar").display = True
        # focus now, not after the queue: keys typed right after "/" belong to the search
        self.set_focus(self.query_one("#search", Input), scroll_visible=False)

    def action_filter(self) -> None:
        from expereo_tui.ui.inbox.filter import FilterScreen

        def done(result: CaseQuery | None) -> None:
            if result is not None:
                self.set_query(result)

        self.app.push_screen(FilterScreen(self.query_state), done)

    def action_clear_filters(self) -> None:
        """Every filter off: the query's, the whose-turn view's and the cluster's."""
        self.query_one("#search", Input).value = ""
        self.query_one("#searchbar").display = False
        self.turn_view = None
        self.cluster = None
        self.set_query(CaseQuery(sort=self.query_state.sort))

    def action_cycle_sort(self) -> None:
        # the columns after the pinned ones, in their order, then the case id, then the default
        order = [c.sort for c in (*INBOX_COLUMNS[FIXED_COLUMNS:], *INBOX_COLUMNS[:FIXED_COLUMNS])]
        order.remove("unread")
        order.append("unread")
        first = self.query_state.sort[0][0] if self.query_state.sort else "unread"
        if self.query_state.sort == DEFAULT_SORT:
            nxt = "priority"
        else:
            nxt = order[(order.index(first) + 1) % len(order)] if first in order else "unread"
        sort = DEFAULT_SORT if nxt == "unread" else first_sort(BY_SORT[nxt])
        self.set_query(replace(self.query_state, sort=sort))  # the sort line says it

    def action_sort_by_breach(self) -> None:
        """Sort by time to breach, the least time left first (the breached ones the most
        overdue first), in one key."""
        self.set_query(replace(self.query_state, sort=first_sort(BY_SORT["sla"])))

    def action_cycle_turn_view(self) -> None:
        """Every case -> waiting on provider (longest first) -> waiting on us -> every case."""
        views = list(TURN_VIEWS)
        self.turn_view = views[(views.index(self.turn_view) + 1) % len(views)]
        self.reload(data_changed=False)
        self.notify(TURN_VIEWS[self.turn_view] or "Every case", timeout=1.5)

    def action_cycle_cluster(self) -> None:
        """Every case -> the first open incident cluster -> the next -> every case."""
        if not self.clusters:
            self.cluster = None
            self.notify("No open incident clusters.", timeout=2)
        elif self.cluster is None:
            self.cluster = self.clusters[0]
        else:
            keys = [(c.kind, c.key) for c in self.clusters]
            here = (self.cluster.kind, self.cluster.key)
            i = keys.index(here) + 1 if here in keys else len(keys)
            self.cluster = self.clusters[i] if i < len(self.clusters) else None
        self.reload(data_changed=False)

    def action_link_cluster(self) -> None:
        """One customer reference on every case of the cluster shown, through the outbox."""

        cluster = self.cluster or (self.clusters[0] if self.clusters else None)
        if cluster is None:
            self.notify("No open incident cluster to link.", timeout=2)
            return
        if self.xapp._refuse_write():
            return

        def done(reference: str | None) -> None:
            if reference:
                self.link_cluster(cluster, reference)

        self.app.push_screen(ReferenceScreen(cluster), done)

    def link_cluster(self, cluster: Cluster, reference: str) -> None:
        """Queue one update a case (skipping those that already carry ``reference``); the
        outbox sends them within the write budget, and the cluster line shows the progress."""
        from expereo_tui.api.models import CaseUpdate

        engine, store = self.xapp.engine, self.xapp.store
        if engine is None:
            self.notify("Offline viewing: nothing can be sent.", severity="warning")
            return
        queued = 0
        for case_id in cluster.case_ids:
            case = store.cases.case(case_id)
            if case is not None and case.customer_reference == reference:
                continue  # already linked: exactly once
            try:
                entry = engine.update_case(
                    case_id, CaseUpdate(customer_reference=reference), draft_key=link_key(case_id)
                )
            except AlreadyQueued as exc:  # a link of this case is still on its way
                entry = exc.entry_id
            except Exception as exc:  # read-only, a full disk: say so, queue no more
                self.notify(f"Linking stopped at {case_id}: {exc}", severity="error", markup=False)
                break
            self.linking[entry] = case_id
            queued += 1
        if not queued:
            self.notify("Every case in the cluster already carries that reference.", timeout=3)
        self._paint_clusters()

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

    def action_claim(self) -> None:
        """Team mode: take the case (\"mine\" for the team), or give it back."""
        case_id = self.current_case_id()
        if case_id:
            self.xapp.claim_case(case_id)

    def team_changed(self) -> None:
        self.reload(data_changed=False)

    def action_cursor_down(self) -> None:
        self.query_one(CaseTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(CaseTable).action_cursor_up()
