"""The NOC wall: a read-only dashboard that runs for days without a key press.

Large counts (``Digits``), open incidents with their age, newest activity, services with open
incidents by country, and freshness that cannot be missed: when the data is older than three poll
intervals, or the API is unreachable or refuses us, the whole screen says so and since when.
It reuses its widgets (no growth over days), shifts by a cell every few minutes against burn-in,
and can dim itself at night.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import ContentSwitcher, DataTable, Digits, Label, Static

from expereo_tui.api.models import CaseType, open_statuses
from expereo_tui.store.store import CaseQuery
from expereo_tui.sync.events import SyncEvent, SyncStatus
from expereo_tui.ui.format import ago, priority_text, relative, status_text, subject_label
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.triage_data import read_triage
from expereo_tui.ui.wall_views import COLUMNS as VIEW_COLUMNS
from expereo_tui.ui.wall_views import chosen_views, view_rows
from expereo_tui.ui.widgets.status_bar import describe

VIEWS = ("overview", "incidents", "activity", "services")
TITLES = {
    "overview": "Open cases",
    "incidents": "Open incidents by age",
    "activity": "Newest activity",
    "services": "Services with open incidents",
}
ROWS = 40  # rows per table: the wall shows what fits, never grows
BAD = {
    SyncStatus.STALE: "STALE",
    SyncStatus.OFFLINE: "OFFLINE",
    SyncStatus.UNAUTHORISED: "UNAUTHORISED",
    SyncStatus.FORBIDDEN: "NO ACCESS",
    SyncStatus.RATE_LIMITED: "RATE-LIMITED",
    SyncStatus.ERROR: "SYNC ERROR",
}
SHIFTS = ((0, 0), (1, 0), (1, 1), (0, 1))
HEARTBEAT = "◐◓◑◒"


class WallTable(DataTable[Any]):
    """A table nobody navigates: no focus, no cursor."""

    can_focus = False


class WallScreen(AppScreen[None]):
    CSS_PATH = "wall.tcss"
    AUTO_FOCUS = None
    BINDINGS = [
        Binding("space", "toggle_cycle", "Pause cycling", show=False, id="wall.pause"),
        Binding("right", "next_view", "Next view", show=False, id="wall.next"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view_index = 0
        self.cycling = True
        self.beat = 0
        self.shift = 0
        self.since_cycle = 0.0
        self.since_shift = 0.0
        self.dirty = False

    def compose(self) -> ComposeResult:
        self.saved_views = chosen_views(self.xapp.options, self.xapp.store)
        self.cycle = VIEWS + tuple(f"view-{i}" for i in range(len(self.saved_views)))
        with Vertical(id="wall"):
            with Horizontal(id="topbar"):
                yield Static(id="wall-title")
                yield Static(id="wall-clock")
            yield Static(id="alarm")
            with ContentSwitcher(initial="overview", id="views"):
                with Grid(id="overview"):
                    for key, label in (
                        ("p1", "P1 open"),
                        ("p2", "P2 open"),
                        ("incidents", "Incidents"),
                        ("awaiting", "Awaiting Customer"),
                        ("new", "New"),
                        ("unread", "Unread"),
                        ("waiting-us", "Waiting on us"),
                        ("clusters", "Open clusters"),
                    ):
                        with Vertical(classes="tile", id=f"tile-{key}"):
                            yield Label(label, classes="tile-label")
                            yield Digits("0", id=f"digits-{key}")
                    with Vertical(classes="tile", id="tile-sla"):  # triage: SLA clocks
                        yield Label("SLA breached/at risk", classes="tile-label")
                        with Horizontal(classes="tile-pair"):
                            yield Digits("0", id="digits-breached")
                            yield Label(" / ", classes="tile-slash")
                            yield Digits("0", id="digits-at-risk")
                yield WallTable(id="incidents", cursor_type="none", show_cursor=False)
                yield WallTable(id="activity", cursor_type="none", show_cursor=False)
                yield WallTable(id="services", cursor_type="none", show_cursor=False)
                for i, _ in enumerate(self.saved_views):  # wall_views (ui/wall_views.py)
                    yield WallTable(id=f"view-{i}", cursor_type="none", show_cursor=False)
            yield Static(id="wall-footer")

    def on_mount(self) -> None:
        for table_id, columns in (
            ("incidents", ("Age", "Pri", "Case", "Subject", "Service", "Site", "Status")),
            ("activity", ("Changed", "Pri", "Case", "Status", "Subject", "Service")),
            ("services", ("Country", "Site", "Service", "Incidents", "Worst")),
            *((f"view-{i}", VIEW_COLUMNS) for i in range(len(self.saved_views))),
        ):
            table = self.query_one(f"#{table_id}", DataTable)
            table.add_columns(*columns)
        self.refresh_all()
        self.set_interval(self.xapp.options.wall_tick_seconds, self.tick)

    # -- the clock of the wall ------------------------------------------------------------------
    def tick(self) -> None:
        """Once a second: heartbeat, data age, cycling, burn-in shift, night dim."""
        self.beat += 1
        self.since_cycle += 1
        self.since_shift += 1
        opts = self.xapp.options
        if self.cycling and self.since_cycle >= opts.wall_cycle_seconds:
            self.action_next_view()
        if self.since_shift >= opts.burn_in_shift_seconds:
            self.since_shift = 0
            self.shift = (self.shift + 1) % len(SHIFTS)
            self.query_one("#wall").styles.offset = SHIFTS[self.shift]
        if opts.night_dim:
            start, end = opts.night_dim
            hour = datetime.fromtimestamp(self.xapp.now()).hour
            night = start <= hour < end if start < end else hour >= start or hour < end
            self.set_class(night, "night")
        self.paint_freshness()
        if self.dirty or self.beat % 15 == 0:  # relative ages move even without news
            self.dirty = False
            self.refresh_all()

    def paint_freshness(self) -> None:
        app = self.xapp
        now = app.now()
        state = app.engine.state if app.engine is not None else None
        clock = Text()
        clock.append(HEARTBEAT[self.beat % len(HEARTBEAT)] + " ", style="bold")
        clock.append(datetime.fromtimestamp(now).strftime("%H:%M:%S"), style="bold")
        if state and state.last_success:
            clock.append(f"  data {relative(state.last_success, now) or '0s'} old")
        self.query_one("#wall-clock", Static).update(clock)
        alarm = self.query_one("#alarm", Static)
        bad = BAD.get(state.status) if state else None
        if bad:
            since = (
                datetime.fromtimestamp(state.last_success).strftime("%H:%M")
                if state and state.last_success
                else "never"
            )
            text = Text(
                f" {bad} — data from {since} "
                f"({ago(state.last_success, now) if state and state.last_success else 'no data yet'}) ",
                style="bold",
            )
            text.append(f"\n {describe(state, now)} ")
            alarm.update(text)
        self.set_class(bool(bad), "alarm")
        alarm.display = bool(bad)

    # -- data -------------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        store = self.xapp.store
        now = self.xapp.now()
        open_q = CaseQuery(statuses=open_statuses(store.status_counts()))  # unknown: open
        opts = self.xapp.options
        title = Text()
        if opts.profile_label:
            title.append(
                f" {opts.profile_label} ", style=f"bold white on {opts.profile_color or 'blue'}"
            )
            title.append(" ")
        view = self.cycle[self.view_index]
        named = dict((f"view-{i}", v[0]) for i, v in enumerate(self.saved_views))
        title.append(f"expereo NOC · {TITLES.get(view) or named[view]}", style="bold")
        title.append(
            f"   ({self.view_index + 1}/{len(self.cycle)}{', paused' if not self.cycling else ''})",
            style="dim",
        )
        self.query_one("#wall-title", Static).update(title)
        counts = {
            "p1": store.count_cases(
                CaseQuery(statuses=open_q.statuses, priorities=frozenset({"P1"}))
            ),
            "p2": store.count_cases(
                CaseQuery(statuses=open_q.statuses, priorities=frozenset({"P2"}))
            ),
            "incidents": store.count_cases(
                CaseQuery(statuses=open_q.statuses, types=frozenset({CaseType.INCIDENT}))
            ),
            "awaiting": store.count_cases(CaseQuery(statuses=frozenset({"Awaiting Customer"}))),
            "new": store.count_cases(CaseQuery(statuses=frozenset({"New"}))),
            "unread": store.unread_count(),
        }
        triage = read_triage(store, opts, now)
        counts["waiting-us"] = triage.board.waiting_on_us
        counts["clusters"] = len(triage.clusters)
        for key, value in counts.items():
            self.query_one(f"#digits-{key}", Digits).update(str(value))
            self.query_one(f"#tile-{key}").set_class(value > 0 and key in ("p1", "p2"), "hot")
        self.query_one("#digits-breached", Digits).update(str(triage.board.breached))
        self.query_one("#digits-at-risk", Digits).update(str(triage.board.at_risk))
        self.query_one("#tile-sla").set_class(triage.board.breached > 0, "hot")
        incidents = store.query_cases(
            CaseQuery(
                statuses=open_q.statuses,
                types=frozenset({CaseType.INCIDENT}),
                sort=(("priority", False), ("created", False)),
            ),
            limit=500,
        )
        incidents.sort(
            key=lambda r: (
                (r.start_of_incident or r.created_date).timestamp()
                if (r.start_of_incident or r.created_date)
                else now
            )
        )
        self._fill(
            "incidents",
            [
                [
                    Text(relative(r.start_of_incident or r.created_date, now), style="bold"),
                    priority_text(r.priority),
                    literal(r.id),
                    Text(subject_label(safe(r.subject))),
                    literal(r.service_name or r.service_id, one_line=True),
                    literal(r.site_name or "", one_line=True),
                    status_text(r.status),
                ]
                for r in incidents[:ROWS]
            ],
        )
        recent = store.query_cases(CaseQuery(sort=(("last_modified", True),)), limit=ROWS)
        self._fill(
            "activity",
            [
                [
                    Text(relative(r.last_modified_date, now)),
                    priority_text(r.priority),
                    literal(r.id),
                    status_text(r.status),
                    Text(subject_label(safe(r.subject))),
                    literal(r.service_name or r.service_id, one_line=True),
                ]
                for r in recent
            ],
        )
        by_service: Counter[str] = Counter(r.service_id or "?" for r in incidents)
        worst: dict[str, str] = {}
        for r in incidents:
            key = r.service_id or "?"
            worst[key] = min(worst.get(key, "P9"), r.priority or "P9")
        rows: list[list[Any]] = []
        for service_id, n in by_service.most_common(ROWS):
            svc = store.service(service_id)
            site = store.site(svc.site_id) if svc and svc.site_id else None
            rows.append(
                [
                    literal(site.country if site else "—"),
                    literal(site.name if site else "no site", one_line=True),
                    literal(f"{service_id} {svc.service_name if svc else ''}", one_line=True),
                    Text(str(n), style="bold"),
                    priority_text(worst[service_id]),
                ]
            )
        rows.sort(key=lambda row: (str(row[0]), str(row[1])))
        self._fill("services", rows[:ROWS])
        for i, (_, query) in enumerate(self.saved_views):
            self._fill(f"view-{i}", view_rows(store, query, now, ROWS))
        self.query_one("#wall-footer", Static).update(
            Text("space pauses cycling · → next view · read-only wall", style="dim")
        )

    def _fill(self, table_id: str, rows: list[list[Any]]) -> None:
        table = self.query_one(f"#{table_id}", DataTable)
        table.clear()
        for row in rows:
            table.add_row(*row)

    def sync_event(self, event: SyncEvent) -> None:
        # several events arrive per poll; redraw at most once a second, on the next tick
        self.dirty = True

    # -- actions ----------------------------------------------------------------------------------
    def action_toggle_cycle(self) -> None:
        self.cycling = not self.cycling
        self.since_cycle = 0
        self.refresh_all()

    def action_next_view(self) -> None:
        self.since_cycle = 0
        self.view_index = (self.view_index + 1) % len(self.cycle)
        self.query_one(ContentSwitcher).current = self.cycle[self.view_index]
        self.refresh_all()
