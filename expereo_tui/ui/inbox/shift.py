"""The inbox's shift workflow: view tabs, snooze, pins, selection and bulk actions.

A mixin of :class:`~expereo_tui.ui.inbox.screen.InboxScreen` (its bindings are
:data:`SHIFT_BINDINGS`), kept apart so the inbox stays about listing cases.  Everything here is
local to the profile (store/shift.py) except the bulk customer reference, which is queued in the
outbox in one transaction and sent by the sync engine within the write budget, exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from expereo_tui.store.errors import StoreError
from expereo_tui.store.shift import query_from_dict
from expereo_tui.store.store import CaseQuery, CaseRow
from expereo_tui.sync.events import OutboxChanged, OutboxStatus, SyncEvent
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.view_tabs import ViewTabs
from expereo_tui.ui.shift.dialogs import PromptScreen, files_off, snooze_cases, snooze_label
from expereo_tui.ui.store_notices import error_line

if TYPE_CHECKING:
    from expereo_tui.ui.host import AppHost

SHIFT_BINDINGS = [
    Binding("left_square_bracket", "view(-1)", "Prev view", show=False, id="inbox.view_prev"),
    Binding("right_square_bracket", "view(1)", "Next view", show=False, id="inbox.view_next"),
    Binding("V", "save_view", "Save view", show=False, id="inbox.save_view"),
    Binding("D", "delete_view", "Delete view", show=False, id="inbox.delete_view"),
    Binding("z", "snooze", "Snooze", show=False, id="inbox.snooze"),
    Binding("Z", "unsnooze", "Unsnooze", show=False, id="inbox.unsnooze"),
    Binding("P", "pin", "Pin note", show=False, id="inbox.pin"),
    Binding("space", "select", "Select", show=False, id="inbox.select"),
    Binding("shift+down", "select_move(1)", "Select down", show=False, id="inbox.select_down"),
    Binding("shift+up", "select_move(-1)", "Select up", show=False, id="inbox.select_up"),
    Binding("A", "select_all", "Select all", show=False, id="inbox.select_all"),
    Binding("R", "bulk_reference", "Set reference", show=False, id="inbox.bulk_reference"),
    Binding("E", "export", "Export", show=False, id="inbox.export"),
]
WAKE_CHECK_SECONDS = 15.0  # how often timed snoozes are checked (the clock is the app's)
INBOX, SNOOZED = "inbox", "snoozed"


@dataclass(frozen=True)
class InboxView:
    """A tab: its name, its query, and what it is (``inbox``, ``config``, ``saved``,
    ``snoozed``)."""

    name: str
    query: CaseQuery
    kind: str


class ShiftInbox:
    """Views, snoozes, pins, selection and bulk actions for the inbox screen."""

    # provided by InboxScreen
    query_state: CaseQuery
    total: int
    if TYPE_CHECKING:
        xapp: AppHost

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def reload(self, *, data_changed: bool = True) -> None: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def set_interval(self, interval: float, callback: Any) -> Any: ...
        def current_case_id(self) -> str | None: ...

        @property
        def app(self) -> Any: ...

    def init_shift(self) -> None:
        self.views: list[InboxView] = []
        self.view_index = 0
        self.view_queries: dict[int, CaseQuery] = {}  # each tab's query as last left
        self.view_counts: dict[int, int] = {}
        self.selected: set[str] = set()
        self.bulk_entries: set[int] = set()  # the bulk writes of this session (progress)
        self.snoozed: frozenset[str] = frozenset()
        self.snooze_wakes: dict[str, str] = {}  # case id -> how its wake time reads
        self.counted_with: frozenset[str] = frozenset()  # the snoozes the tab counts left out

    def mount_shift(self) -> None:
        self.views = self._build_views()
        self.wake_snoozes()
        self.set_interval(WAKE_CHECK_SECONDS, self.wake_snoozes)

    def _build_views(self) -> list[InboxView]:
        views = [InboxView("Inbox", self.query_state, INBOX)]
        seen = {"Inbox", "Snoozed"}
        for name, data in self.xapp.options.views:
            try:
                views.append(InboxView(name, query_from_dict(data), "config"))
            except ValueError:  # config.py refuses these at load; a stale one is skipped
                continue
            seen.add(name)
        for saved in self.xapp.store.shift.views():
            if saved.name not in seen:
                views.append(InboxView(saved.name, saved.query, "saved"))
                seen.add(saved.name)
        views.append(InboxView("Snoozed", CaseQuery(), SNOOZED))
        return views

    @property
    def view(self) -> InboxView:
        return self.views[self.view_index] if self.views else InboxView("Inbox", CaseQuery(), "")

    # -- the query shown ------------------------------------------------------------------------
    def _refresh_snoozed(self) -> None:
        shift = self.xapp.store.shift
        snoozes = shift.snoozes()
        self.snoozed = frozenset(z.case_id for z in snoozes)
        self.snooze_wakes = {z.case_id: snooze_label(z) for z in snoozes}

    def shown_query(self, query: CaseQuery | None = None, kind: str | None = None) -> CaseQuery:
        """The query with snoozed cases left out, or (the Snoozed view) alone."""
        query = self.query_state if query is None else query
        if (kind or self.view.kind) == SNOOZED:
            return replace(query, only_ids=self.snoozed, hidden_ids=frozenset())
        return replace(query, hidden_ids=self.snoozed, only_ids=None)

    def paint_tabs(self, total: int, *, recount: bool) -> None:
        """The tabs with their counts (the active one from the reload that just ran; the others
        are counted again when the data changed)."""
        if not self.views:
            return
        if self.snoozed != self.counted_with:  # a snooze came or went: every count moves
            recount, self.counted_with = True, self.snoozed
        self.view_counts[self.view_index] = total
        store = self.xapp.store
        for i, view in enumerate(self.views):
            if i != self.view_index and (recount or i not in self.view_counts):
                query = self.view_queries.get(i, view.query)
                self.view_counts[i] = store.cases.inbox_summary(self.shown_query(query, view.kind)).total
        tabs = [(v.name, self.view_counts.get(i)) for i, v in enumerate(self.views)]
        widget = self.query_one(ViewTabs)
        widget.show(tabs, self.view_index)
        # only Inbox and an empty Snoozed: no row of tabs (a line less on a small terminal)
        wanted = (
            len(self.views) > 2
            or bool(self.snoozed)
            or self.view_index != 0
            or widget.progress is not None  # a bulk write's progress shows here
        )
        if widget.display != wanted:
            widget.display = wanted

    def shift_marker(self, row: CaseRow) -> Text | None:
        """The first cell of a selected row."""
        if row.id in self.selected:
            return Text("✓", style="bold reverse")
        return None

    def shift_subject(self, row: CaseRow, subject: Text) -> Text:
        """In the Snoozed view a row's subject starts with its wake time."""
        if self.view.kind != SNOOZED or row.id not in self.snooze_wakes:
            return subject
        line = Text(f"⏰ {self.snooze_wakes[row.id]} · ", style="dim")
        return line.append_text(subject)

    def before_reload(self) -> None:
        self._refresh_snoozed()

    # -- views ----------------------------------------------------------------------------------
    def action_view(self, step: int) -> None:
        self.switch_view((self.view_index + step) % len(self.views))

    def on_view_tabs_selected(self, event: ViewTabs.Selected) -> None:
        """A tab was clicked (a handler by name: @on does not reach a mixin's methods)."""
        self.switch_view(event.index)

    def switch_view(self, index: int) -> None:
        if not self.views or index == self.view_index:
            return
        self.view_queries[self.view_index] = self.query_state
        self.view_index = index
        self.query_state = self.view_queries.get(index, self.views[index].query)
        self.selected.clear()
        self.reload(data_changed=False)

    def action_save_view(self) -> None:
        """Save the current filter and sort as a view (a tab); the same name replaces it."""

        def check(name: str) -> str | None:
            name = name.strip()
            if not name:
                return "Give the view a name."
            if name in ("Inbox", "Snoozed") or any(
                v.name == name and v.kind == "config" for v in self.views
            ):
                return f"{name} is a view from the config; choose another name."
            return None

        def done(name: str | None) -> None:
            if name is None:
                return
            name = name.strip()
            try:
                self.xapp.store.shift.save_view(name, self.query_state)
            except StoreError as exc:
                self.notify(f"View not saved: {error_line(exc)}", severity="error", markup=False)
                return
            existing = next((i for i, v in enumerate(self.views) if v.name == name), None)
            view = InboxView(name, self.query_state, "saved")
            if existing is None:
                self.views.insert(len(self.views) - 1, view)  # before Snoozed
                existing = len(self.views) - 2
            else:
                self.views[existing] = view
            self.view_queries.pop(existing, None)
            self.view_counts.clear()
            self.switch_view(existing)
            self.reload(data_changed=False)
            self.notify(f"Saved view {name}", timeout=2, markup=False)

        self.app.push_screen(PromptScreen("Save this filter as a view named", check=check), done)

    def action_delete_view(self) -> None:
        """Delete the current view, if it was saved in the app (asks first)."""
        from expereo_tui.ui.screens.dialogs import ConfirmScreen

        view = self.view
        if view.kind != "saved":
            self.notify(
                "Only views saved in the app can be deleted here; those from the config live in "
                "the config file.",
                timeout=4,
            )
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.xapp.store.shift.delete_view(view.name)
            except StoreError as exc:
                self.notify(f"Not deleted: {error_line(exc)}", severity="error", markup=False)
                return
            del self.views[self.view_index]
            self.view_queries = {}
            self.view_counts = {}
            self.view_index = 0
            self.query_state = self.views[0].query
            self.reload(data_changed=False)
            self.notify(f"Deleted view {view.name}", timeout=2, markup=False)

        self.app.push_screen(
            ConfirmScreen(f"Delete the view {view.name}?", yes="Delete", no="Keep"), answer
        )

    # -- snooze and pins ------------------------------------------------------------------------
    def _targets(self) -> list[str]:
        """The selected cases, else the one under the cursor."""
        if self.selected:
            return sorted(self.selected)
        case_id = self.current_case_id()
        return [case_id] if case_id else []

    def action_snooze(self) -> None:
        targets = self._targets()
        if targets:
            snooze_cases(self, targets, then=self._after_bulk)  # type: ignore[arg-type]

    def action_unsnooze(self) -> None:
        targets = [c for c in self._targets() if c in self.snoozed]
        if not targets:
            self.notify("Not snoozed.", timeout=2)
            return
        for case_id in targets:
            self.xapp.store.shift.unsnooze(case_id)
        self.notify(f"Woke {len(targets)} case{'s' if len(targets) > 1 else ''}", timeout=2)
        self._after_bulk()

    def action_pin(self) -> None:
        case_id = self.current_case_id()
        if not case_id:
            return

        def done(note: str | None) -> None:
            if note is not None:
                try:
                    self.xapp.store.shift.pin(case_id, note)
                except StoreError as exc:
                    self.notify(f"Not pinned: {error_line(exc)}", severity="error", markup=False)

        current = self.xapp.store.shift.pin_note(case_id) or ""
        self.app.push_screen(
            PromptScreen(f"Pin {case_id} for handover (empty: unpin)", value=current), done
        )

    def wake_snoozes(self) -> None:
        """End the snoozes that are due (time, or the provider wrote) and say so."""
        try:
            wakes = self.xapp.store.shift.wake_due(self.xapp.now())
        except StoreError:
            return  # a read-only or full store: they wake once it can be written again
        if wakes:
            self.xapp.alerter.snoozes_woke([(w.case_id, w.reason) for w in wakes])
            self.reload(data_changed=False)

    # -- selection -------------------------------------------------------------------------------
    def _redraw(self) -> None:
        self.query_one(CaseTable).redraw_rows()

    def action_select(self) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.selected ^= {case_id}
            self._redraw()
            self._say_selected()

    def action_select_move(self, step: int) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.selected.add(case_id)
        table = self.query_one(CaseTable)
        table.move_cursor(table.cursor_row + step)
        if table.cursor_key:
            self.selected.add(table.cursor_key)
        self._redraw()
        self._say_selected()

    def action_select_all(self) -> None:
        """Every case of the view (again: none)."""
        store = self.xapp.store
        query = self.shown_query()
        total = store.cases.inbox_summary(query).total
        ids = {r.id for r in store.cases.inbox_page(query, limit=max(total, 1))}
        self.selected = set() if ids and ids <= self.selected else ids
        self._redraw()
        self._say_selected()

    def clear_selection(self) -> bool:
        if not self.selected:
            return False
        self.selected.clear()
        self._redraw()
        self._say_selected()
        return True

    def _say_selected(self) -> None:
        self.notify(
            f"{len(self.selected)} selected (space, shift+↑↓, A; escape clears)"
            if self.selected
            else "Selection cleared",
            timeout=2,
        )

    def _after_bulk(self) -> None:
        self.selected.clear()
        self.reload(data_changed=False)

    def bulk_toggle_read(self) -> bool:
        """``m`` on a selection: all read if any is unread, else all unread."""
        if not self.selected:
            return False
        store = self.xapp.store
        ids = sorted(self.selected)
        if any(store.cases.is_unread(c) for c in ids):
            for case_id in ids:
                store.mark_read(case_id)
            what = "read"
        else:
            for case_id in ids:
                store.mark_unread(case_id)
            what = "unread"
        self.notify(f"Marked {len(ids)} cases {what}", timeout=2)
        self.selected.clear()
        self.reload()
        return True

    # -- the bulk write --------------------------------------------------------------------------
    def action_bulk_reference(self) -> None:
        """Set one customer reference on every selected case (or the one under the cursor)."""
        targets = self._targets()
        if not targets or self.xapp._refuse_write():
            return
        engine = self.xapp.engine
        if engine is None:
            self.notify("Offline viewing: no connection to send through.", severity="warning")
            return

        def check(text: str) -> str | None:
            return None if text.strip() else "Give the reference."

        def done(reference: str | None) -> None:
            if reference is None:
                return
            from expereo_tui.api.models import CaseUpdate  # pydantic: not at launch

            body = CaseUpdate(customer_reference=reference.strip())
            try:
                entries = engine.update_cases([(c, body) for c in targets])
            except (StoreError, PermissionError) as exc:
                message = error_line(exc) if isinstance(exc, StoreError) else str(exc)
                self.notify(f"Not queued: {message}", severity="error", markup=False)
                return
            self.bulk_entries.update(entries)
            self.notify(
                f"Queued reference for {len(entries)} cases: sent within the write budget "
                "(30 a minute); they are sent after a restart too",
                timeout=5,
                markup=False,
            )
            self._after_bulk()
            self.bulk_progress()

        self.app.push_screen(
            PromptScreen(
                f"Customer reference for {len(targets)} case{'s' if len(targets) > 1 else ''}",
                check=check,
            ),
            done,
        )

    def bulk_progress(self) -> str | None:
        """``reference 3/10 sent`` for this session's bulk writes while any is pending."""
        if not self.bulk_entries:
            return None
        store = self.xapp.store
        entries = [store.outbox.outbox_entry(i) for i in sorted(self.bulk_entries)]
        sent = sum(1 for e in entries if e is not None and e.status == OutboxStatus.SENT)
        failed = sum(1 for e in entries if e is not None and e.status == OutboxStatus.FAILED)
        total = len(entries)
        text = f"reference {sent}/{total} sent" + (f", {failed} refused" if failed else "")
        if sent + failed == total:
            self.bulk_entries.clear()
            self.notify(f"Bulk update done: {text}", timeout=5, markup=False)
        self.query_one(ViewTabs).set_progress(text if sent + failed < total else None)
        self.paint_tabs(self.total, recount=False)
        return text

    def shift_sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, OutboxChanged) and event.entry_id in self.bulk_entries:
            self.bulk_progress()
        self.wake_snoozes()

    # -- export ----------------------------------------------------------------------------------
    def action_export(self) -> None:
        """Write the cases of the current view (its filter and sort) to a .csv or .json file."""
        from expereo_tui.shift.export import format_of

        if files_off(self.app, "Use `expereo-tui cases list --csv` on the server."):
            return

        def check(text: str) -> str | None:
            if format_of(text) is None:
                return "End the file name with .csv or .json."
            parent = Path(text.strip()).expanduser().parent
            return None if parent.is_dir() else f"No folder {parent}."

        def done(text: str | None) -> None:
            if text is None:
                return
            store, query = self.xapp.store, self.shown_query()
            total = store.cases.inbox_summary(query).total
            rows = store.cases.inbox_page(query, limit=max(total, 1))  # read here: a consistent view
            self.run_worker(  # type: ignore[attr-defined]
                partial(_write_export, Path(text.strip()).expanduser(), rows),
                thread=True,
                group="export",
                exit_on_error=False,
            )

        name = self.view.name.lower().replace(" ", "-")
        default = str(Path.cwd() / f"expereo-{name}.csv")
        self.app.push_screen(
            PromptScreen("Export this view to (.csv or .json)", value=default, check=check), done
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "export":
            return
        if event.state == WorkerState.SUCCESS:
            path, count = event.worker.result
            self.notify(f"Exported {count} cases to {path}", timeout=4, markup=False)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            reason = getattr(error, "strerror", None) or str(error)
            self.notify(f"Not exported: {reason}", severity="error", markup=False)


def _write_export(path: Path, rows: list[CaseRow]) -> tuple[Path, int]:
    """(In a worker thread) write the rows in the format the file name asks for."""
    import io

    from expereo_tui.files import write_file
    from expereo_tui.shift.export import format_of, write_cases

    fmt = format_of(str(path)) or "csv"
    out = io.StringIO(newline="")
    write_cases(rows, out, fmt)
    write_file(path, out.getvalue())  # beside it, then renamed: never through a symbolic link
    return path, len(rows)
