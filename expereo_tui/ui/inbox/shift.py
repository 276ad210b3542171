"""The inbox's shift workflow: view tabs, snooze, pins, selection and bulk actions.

The base class of :class:`~expereo_tui.ui.inbox.screen.InboxScreen` (its bindings are
:data:`SHIFT_BINDINGS`), kept apart so the inbox stays about listing cases.  The state lives in
the widgets that show it: the views, the active one, each tab's query and count in
:class:`~expereo_tui.ui.inbox.view_tabs.ViewTabs`; the selection in
:class:`~expereo_tui.ui.inbox.case_table.CaseTable`.  This class coordinates them.  Everything
here is local to the profile (store/shift.py) except the bulk customer reference, which is queued
in the outbox in one transaction and sent by the sync engine within the write budget, exactly
once.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

from rich.text import Text
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from expereo_tui.store.errors import StoreError
from expereo_tui.store.shift import query_from_dict
from expereo_tui.store.store import CaseQuery, CaseRow
from expereo_tui.sync.events import OutboxChanged, OutboxStatus, SyncEvent
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.view_tabs import INBOX, SNOOZED, InboxView, ViewTabs
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.shift.dialogs import PromptScreen, files_off, snooze_cases, snooze_label
from expereo_tui.ui.store_notices import error_line

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


class ShiftInbox(AppScreen[None]):
    """Views, snoozes, pins, selection and bulk actions for the inbox screen."""

    query_state: CaseQuery  # the query shown (InboxScreen sets it)
    total: int  # rows shown

    def reload(self, *, data_changed: bool = True) -> None:
        """Read the inbox again (the listing is InboxScreen's)."""
        raise NotImplementedError

    @property
    def tabs(self) -> ViewTabs:
        return self.query_one(ViewTabs)

    @property
    def table(self) -> CaseTable:
        return self.query_one(CaseTable)

    def current_case_id(self) -> str | None:
        return self.table.cursor_key

    def init_shift(self) -> None:
        self.bulk_entries: set[int] = set()  # the bulk writes of this session (progress)
        self.snoozed: frozenset[str] = frozenset()
        self.snooze_wakes: dict[str, str] = {}  # case id -> how its wake time reads
        self.counted_with: frozenset[str] = frozenset()  # the snoozes the tab counts left out

    def mount_shift(self) -> None:
        self.tabs.views = self._build_views()
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
        return self.tabs.view

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
        widget = self.tabs
        if not widget.views:
            return
        if self.snoozed != self.counted_with:  # a snooze came or went: every count moves
            recount, self.counted_with = True, self.snoozed
        counts = widget.counts
        counts[widget.active] = total
        store = self.xapp.store
        for i, view in enumerate(widget.views):
            if i != widget.active and (recount or i not in counts):
                query = self.shown_query(widget.query_of(i), view.kind)
                counts[i] = store.cases.inbox_summary(query).total
        widget.show([(v.name, counts.get(i)) for i, v in enumerate(widget.views)], widget.active)
        # only Inbox and an empty Snoozed: no row of tabs (a line less on a small terminal)
        wanted = (
            len(widget.views) > 2
            or bool(self.snoozed)
            or widget.active != 0
            or widget.progress is not None  # a bulk write's progress shows here
        )
        if widget.display != wanted:
            widget.display = wanted

    def shift_marker(self, row: CaseRow) -> Text | None:
        """The first cell of a selected row."""
        if row.id in self.table.selected:
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
        tabs = self.tabs
        if tabs.views:
            self.switch_view((tabs.active + step) % len(tabs.views))

    def on_view_tabs_selected(self, event: ViewTabs.Selected) -> None:
        """A tab was clicked."""
        self.switch_view(event.index)

    def on_case_table_selection_changed(self, event: CaseTable.SelectionChanged) -> None:
        self.notify(
            f"{event.count} selected (space, shift+↑↓, A; escape clears)"
            if event.count
            else "Selection cleared",
            timeout=2,
        )

    def switch_view(self, index: int) -> None:
        query = self.tabs.switch(index, self.query_state)
        if query is None:
            return
        self.query_state = query
        self.table.clear_selection(say=False)
        self.reload(data_changed=False)

    def action_save_view(self) -> None:
        """Save the current filter and sort as a view (a tab); the same name replaces it."""

        def check(name: str) -> str | None:
            name = name.strip()
            if not name:
                return "Give the view a name."
            if name in ("Inbox", "Snoozed") or any(
                v.name == name and v.kind == "config" for v in self.tabs.views
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
            existing = self.tabs.put_saved(InboxView(name, self.query_state, "saved"))
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
            self.query_state = self.tabs.remove_active()
            self.reload(data_changed=False)
            self.notify(f"Deleted view {view.name}", timeout=2, markup=False)

        self.app.push_screen(
            ConfirmScreen(f"Delete the view {view.name}?", yes="Delete", no="Keep"), answer
        )

    # -- snooze and pins ------------------------------------------------------------------------
    def _targets(self) -> list[str]:
        """The selected cases, else the one under the cursor."""
        if self.table.selected:
            return sorted(self.table.selected)
        case_id = self.current_case_id()
        return [case_id] if case_id else []

    def action_snooze(self) -> None:
        targets = self._targets()
        if targets:
            snooze_cases(self, targets, then=self._after_bulk)

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
                    return
                self.xapp.team_pin(case_id, note)  # team mode: the team's pin too

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

    # -- selection (the table holds it) -------------------------------------------------------
    def action_select(self) -> None:
        case_id = self.current_case_id()
        if case_id:
            self.table.toggle_selected(case_id)

    def action_select_move(self, step: int) -> None:
        table = self.table
        case_id = table.cursor_key
        table.move_cursor(table.cursor_row + step)
        table.add_selected(case_id, table.cursor_key)

    def action_select_all(self) -> None:
        """Every case of the view (again: none)."""
        store = self.xapp.store
        query = self.shown_query()
        total = store.cases.inbox_summary(query).total
        ids = {r.id for r in store.cases.inbox_page(query, limit=max(total, 1))}
        selected = self.table.selected
        self.table.set_selection(set() if ids and ids <= selected else ids)

    def clear_selection(self) -> bool:
        return self.table.clear_selection()

    def _after_bulk(self) -> None:
        self.table.clear_selection(say=False)
        self.reload(data_changed=False)

    def bulk_toggle_read(self) -> bool:
        """``m`` on a selection: all read if any is unread, else all unread."""
        if not self.table.selected:
            return False
        store = self.xapp.store
        ids = sorted(self.table.selected)
        if any(store.cases.is_unread(c) for c in ids):
            for case_id in ids:
                store.mark_read(case_id)
            what = "read"
        else:
            for case_id in ids:
                store.mark_unread(case_id)
            what = "unread"
        self.notify(f"Marked {len(ids)} cases {what}", timeout=2)
        self.table.clear_selection(say=False)
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
            from expereo_tui.api.models import CaseUpdate  # the models: not at launch

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
        self.tabs.set_progress(text if sent + failed < total else None)
        self.paint_tabs(self.total, recount=False)
        return text

    def shift_sync_event(self, event: SyncEvent) -> None:
        if isinstance(event, OutboxChanged) and event.entry_id in self.bulk_entries:
            self.bulk_progress()
        self.wake_snoozes()

    # -- export ----------------------------------------------------------------------------------
    def export_rows(self) -> list[CaseRow]:
        """The rows of the current view, as the export writes them (the inbox adds its own
        filters: the whose-turn view, the cluster)."""
        store, query = self.xapp.store, self.shown_query()
        total = store.cases.inbox_summary(query).total
        return store.cases.inbox_page(query, limit=max(total, 1))

    def action_export(self) -> None:
        """Write the cases of the current view (its filter and sort) to a .csv or .json file."""
        from expereo_tui.shift.export import export_name, format_of

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
            rows = self.export_rows()  # read here: a consistent view
            self.run_worker(
                partial(_write_export, Path(text.strip()).expanduser(), rows),
                thread=True,
                group="export",
                exit_on_error=False,
            )

        default = str(Path.cwd() / export_name(self.view.name))
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
