"""The NOC wall: a read-only dashboard that runs for days without a key press.

Large counts (block digits that grow with their tile), open incidents newest first, newest
activity, services with open incidents by country, and freshness that cannot be missed: when the
data is older than three poll intervals, or the API is unreachable or refuses us, the whole
screen says so and since when.  Until the first sync is complete it shows no counts at all, only
how far the sync is ("waiting for first sync · N of M pages"): a zero there would read as "all
clear".  It reuses its widgets (no growth over days), shifts by a cell every few minutes against
burn-in, and can dim itself at night.  Idle, it repaints only what changed: the clock shows
minutes, tables are refilled when their rows differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from time import monotonic
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.geometry import Size
from textual.timer import Timer
from textual.widgets import ContentSwitcher, DataTable, Static

from expereo_tui.api.vocab import CaseStatus, CaseType, open_statuses
from expereo_tui.store.store import CaseQuery, CaseRow, Store
from expereo_tui.sync.events import (
    FirstSyncProgress,
    SyncEvent,
    SyncState,
    SyncStateChanged,
    SyncStatus,
)
from expereo_tui.triage.labels import subject_label
from expereo_tui.triage.read_model import WallTriage, read_wall_triage
from expereo_tui.triage.sla import Level
from expereo_tui.ui import themes
from expereo_tui.ui.format import ago, priority_text, relative, status_text
from expereo_tui.ui.retime import relative_next
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.screens.base import AppScreen
from expereo_tui.ui.team_view import subject_with_claim
from expereo_tui.ui.wall.big_number import BigNumber
from expereo_tui.ui.wall.fit import ACTIVITY_FIT, INCIDENTS_FIT, SERVICES_FIT, fit_columns
from expereo_tui.ui.wall.views import COLUMNS as VIEW_COLUMNS
from expereo_tui.ui.wall.views import chosen_views, view_rows
from expereo_tui.ui.widgets.news_line import news_text
from expereo_tui.ui.widgets.status_bar import data_age, describe, first_sync_line, next_change

VIEWS = ("overview", "incidents", "activity", "services")
TITLES = {
    "overview": "Open cases",
    "incidents": "Incidents by urgency",
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
RECHECK = 15.0  # seconds: the longest the wall sleeps without looking at the sync state
DUE = 1e-6  # ticks: a wait of n ticks is over after n ticks (floating sums)
CLOCK_CELLS = len("12:04  data 59m old")  # the wall's clock, as wide as it reads most often
SAME_SIZE = frozenset({"wall-title", "wall-footer"})  # one line, their size set by the CSS
HIDDEN_P1_GLYPH = "!"  # a P1 past the incidents table's rows (one cell, in any terminal)
FOOTER = Text("space pauses cycling · → next view · read-only wall", style="dim")


@dataclass(frozen=True)
class Tile:
    """One headline count of the overview: its id, its label, how to count it from the store
    (given the statuses that count as open), and whether a non-zero count is an alarm."""

    key: str
    label: str
    count: Callable[[Store, frozenset[str]], int] | None = None
    hot: bool = False
    # or, for the triage tiles: (what the tile shows, whether it is an alarm) from WallTriage
    triage: Callable[[WallTriage], tuple[str, bool]] | None = None


def _open(priority: str) -> Callable[[Store, frozenset[str]], int]:
    return lambda store, open_: store.cases.count_cases(
        CaseQuery(statuses=open_, priorities=frozenset({priority}))
    )


#: the overview's tiles, in reading order (add a Tile here for a new count)
TILES: list[Tile] = [
    Tile("p1", "P1 open", _open("P1"), hot=True),
    Tile("p2", "P2 open", _open("P2"), hot=True),
    Tile(
        "incidents",
        "Incidents",
        lambda store, open_: store.cases.count_cases(
            CaseQuery(statuses=open_, types=frozenset({CaseType.INCIDENT}))
        ),
    ),
    Tile(
        "awaiting",
        CaseStatus.AWAITING_CUSTOMER.value,
        lambda store, _: store.cases.count_cases(
            CaseQuery(statuses=frozenset({CaseStatus.AWAITING_CUSTOMER}))
        ),
    ),
    Tile(
        "new",
        CaseStatus.NEW.value,
        lambda store, _: store.cases.count_cases(CaseQuery(statuses=frozenset({CaseStatus.NEW}))),
    ),
    Tile("unread", "Unread", lambda store, _: store.cases.unread_count()),
    Tile("waiting-us", "Waiting on us", triage=lambda t: (str(len(t.waiting_on_us)), False)),
    Tile("clusters", "Open clusters", triage=lambda t: (str(len(t.clusters)), False)),
    Tile(  # SLA clocks: breached / at risk; any breach is an alarm
        "sla",
        "SLA breached/risk",  # whole in a tile at 80 columns (18 cells there)
        triage=lambda t: (f"{t.sla.breached}/{t.sla.at_risk}", t.sla.breached > 0),
    ),
]


@dataclass
class WallData:
    """What the wall read from the store at its last news (the rows kept, so that their ages
    can be drawn again as time passes without reading them again)."""

    triage: WallTriage
    counts: dict[str, int]  # the counted tiles
    incidents: list[CaseRow]  # shown, most urgent first (urgent_first)
    more_incidents: int  # open incidents that did not fit
    hidden_by_priority: dict[str, int]  # those, per priority (P1 first)
    recent: list[CaseRow]  # the newest activity
    services: list[list[Any]]  # services with open incidents, as table rows
    fit: int = ROWS  # the table rows the read was for (the views' height then)


def waiting_line(progress: FirstSyncProgress | None) -> str:
    """ "waiting for first sync · 12 of 180 pages" (the pages so far alone while a list has
    not told its size)."""
    if progress is None:
        return "waiting for first sync"
    total = progress.total_pages
    pages = f"{progress.pages:,} of {total:,} pages" if total else f"{progress.pages:,} pages"
    return f"waiting for first sync · {pages}"


def data_words(age: str) -> str:
    """The clock's data age: "  data current", "  data <1m old", "  data 4m old".  The first two
    are as wide, so each poll (which makes the data "now", then "<1m") repaints the clock's
    line only, not the screen's layout (~5 ms each)."""
    return "  data current" if age == "now" else f"  data {age} old"


def table(view_id: str) -> str:
    """The id of the table that shows a view ("incidents" -> "incidents-table")."""
    return f"{view_id}-table"


def breakdown(by_priority: Mapping[str, int]) -> str:
    """``P2 4 · P3 12``: what did not fit, per priority."""
    return " · ".join(f"{p} {n:,}" for p, n in by_priority.items())


def more_line(hidden: int, by_priority: Mapping[str, int] | None = None) -> str:
    """``+16 more: P2 4 · P3 12`` (the incidents table spreads it over its cells, so that the
    narrow Age column is not widened by it)."""
    line = f"+{hidden:,} more"
    return f"{line}: {breakdown(by_priority)}" if by_priority else line


def _rank(priority: str | None) -> tuple[int, str]:
    """P1 < P2 < … < no priority < "lower" (past the read's limit)."""
    if priority and priority.startswith("P"):
        return (0, priority)
    return (1 if priority == "--" or not priority else 2, "")


def cut(rows: Sequence[CaseRow], total: int, fit: int) -> tuple[list[CaseRow], dict[str, int]]:
    """The incidents shown in ``fit`` table rows, and those hidden, counted per priority (P1
    first).  When some are hidden, the summary takes the last row ("+15 more  P2 1 · P3 4"),
    and a hidden P1 (more P1s than rows: ``rows`` are ``urgent_first``) takes a row more for
    its alarm.  ``total`` counts every open incident: past the read's ``rows`` are "lower"."""
    if total <= fit:
        return list(rows[:fit]), {}
    for summary in (1, 2):  # the "+N more" line; and the hidden P1s' alarm line
        shown = list(rows[: max(0, fit - summary)])
        hidden = Counter(r.priority or "--" for r in rows[len(shown) :])
        if total > len(rows):  # the read is by priority: past its limit are the lowest
            hidden["lower"] += total - len(rows)
        if not hidden.get("P1"):
            break
    return shown, dict(sorted(hidden.items(), key=lambda kv: _rank(kv[0])))


def summary_rows(hidden: int, by_priority: Mapping[str, int]) -> list[list[Any]]:
    """What did not fit, as the incidents table's last rows: hidden P1s first, as an alarm
    (a glyph, the word, the P1 colour), then "+N more" per priority.  The counts are in the
    Case column (as wide as a case id): the narrow Age and Pri columns are not widened (a
    wider Pri cut "more" to "mor" at 80×24 when the widths moved after the row was drawn)."""
    if hidden <= 0:
        return []
    rows: list[list[Any]] = []
    p1 = by_priority.get("P1", 0)
    if p1:
        alarm = themes.style("priority-p1") + Style(bold=True)
        rows.append(
            [
                Text(HIDDEN_P1_GLYPH, style=alarm),
                Text("P1", style=alarm),
                Text(f"+{p1:,} hidden", style=alarm),
                Text(f"{HIDDEN_P1_GLYPH} P1 NOT SHOWN: no room", style=alarm),
                "",
                "",
                "",
            ]
        )
    more = Text(f"+{hidden:,} more", style="bold")  # in the Case column: 10 cells wide
    rows.append(["", "", more, Text(breakdown(by_priority)), "", "", ""])
    return rows


def urgent_first(rows: Sequence[CaseRow], worst: Mapping[str, Level], now: float) -> list[CaseRow]:
    """The wall's incidents, most urgent first: every P1 (breached ones first), then the other
    breached, then by priority; within each, the oldest first (start of incident, else
    creation). P1s come before everything, so a cut never hides one behind "+N more"."""

    def key(row: CaseRow) -> tuple[bool, bool, tuple[int, str], float]:
        start = row.start_of_incident or row.created_date
        return (
            row.priority != "P1",
            worst.get(row.id) is not Level.BREACHED,
            _rank(row.priority),
            start.timestamp() if start else now,
        )

    return sorted(rows, key=key)


class WallTable(DataTable[Any]):
    """A table nobody navigates: no focus, no cursor."""

    can_focus = False
    _drawn_size: Size | None = None

    def _on_resize(self, event: events.Resize) -> None:
        """Shown (again) in its view's turn: DataTable would draw every cell again each time.
        Its lines are drawn at the size they are shown at (the first Resize comes after the
        first frame has drawn them); only a new size (the terminal's) needs them drawn again."""
        if self._drawn_size is None or event.size == self._drawn_size:
            event.prevent_default()  # not DataTable's: its drawn lines stay good
        self._drawn_size = event.size


class WallViews(ContentSwitcher):
    """The views: how many incidents fit is their height, known only after a layout.  Hidden
    while the first sync runs, they had no height, and the first read after it was for
    ``ROWS`` rows: 33 incidents at 80×24 showed 21 and no "+N more" until the next news."""

    def on_resize(self, event: events.Resize) -> None:
        screen = self.screen
        if isinstance(screen, WallScreen):
            screen.views_resized()


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
        self.beat = 0.0
        self.shift = 0
        self.since_cycle = 0.0
        self.since_shift = 0.0
        self.reads = 0  # reads started (the latest one is shown)
        self.data: WallData | None = None
        self.due_at: float | None = None  # when an age, or an SLA count, next changes
        self._timer: Timer | None = None  # the next wake (_arm)
        self.wake_in = 0.0  # ticks until then
        self._armed_at = 0.0  # monotonic seconds when it was set
        self.arms = 0  # timers set so far: a wake from any but the last is stale (_wake)
        self.waiting = False
        self._rows: dict[str, list[tuple[str, ...]]] = {}  # what each table shows: its headers,
        # then its rows (plain)
        self._texts: dict[str, Text] = {}  # what each Static shows
        self.ticker: Text | None = None  # the latest news, in the footer (no toasts: tell)

    def compose(self) -> ComposeResult:
        self.saved_views = chosen_views(self.xapp.options, self.xapp.store)
        self.cycle = VIEWS + tuple(f"view-{i}" for i in range(len(self.saved_views)))
        with Vertical(id="wall"):
            with Horizontal(id="topbar"):
                yield Static(id="wall-title")
                yield Static(id="wall-clock")
            yield Static(id="alarm")
            yield Static(id="waiting")
            with WallViews(initial="overview", id="views"):
                with Grid(id="overview"):
                    for tile in TILES:
                        digits = BigNumber("", id=f"digits-{tile.key}", classes="tile")
                        digits.border_title = tile.label
                        yield digits
                # each table in a view of its own: the switcher shows and hides the view, and
                # the table's drawn lines are kept (shown itself, it would draw them again)
                tables = ["incidents", "activity", "services"]
                tables += [f"view-{i}" for i, _ in enumerate(self.saved_views)]  # wall_views
                for view_id in tables:
                    with Vertical(id=view_id, classes="table-view"):
                        yield WallTable(id=table(view_id), cursor_type="none", show_cursor=False)
            yield Static(id="wall-footer")

    def _columns(self, table_id: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """A table's columns, those dropped when it is too wide, those that narrow (fit.py)."""
        if table_id == "incidents":
            return ("Age", "Pri", "Case", "Subject", "Service", "Site", "Status"), *INCIDENTS_FIT
        if table_id == "services":
            return ("Country", "Site", "Service", "Incidents", "Worst"), *SERVICES_FIT
        return VIEW_COLUMNS, *ACTIVITY_FIT  # the activity view's are the saved views' columns

    def on_mount(self) -> None:
        for table_id in ["incidents", "activity", "services"] + [
            f"view-{i}" for i in range(len(self.saved_views))
        ]:
            columns, _, _ = self._columns(table_id)
            self.query_one(f"#{table(table_id)}", DataTable).add_columns(*columns)
        self.paint_freshness()
        self.refresh_all()
        self._arm()

    # -- the clock of the wall ------------------------------------------------------------------
    def tick(self, ticks: float = 1) -> None:
        """``ticks`` seconds (``wall_tick_seconds`` each) have passed: the clock and data age
        (painted when their text changes), cycling, burn-in shift, night dim; the store is read
        again only after news, and the tables' ages and the SLA tile are drawn again when their
        text changes (``due_at``).  The wall wakes only when one of these is due (``_arm``)."""
        if self._timer is not None:  # ticked by hand (tests): these ticks are the time passed
            self._timer.stop()
            self._timer = None
        self._credit(ticks)
        opts = self.xapp.options
        if self.cycling and self.since_cycle >= opts.wall_cycle_seconds - DUE:
            self.action_next_view()
        if self.since_shift >= opts.burn_in_shift_seconds - DUE:
            self.since_shift = 0
            self.shift = (self.shift + 1) % len(SHIFTS)
            self.query_one("#wall").styles.offset = SHIFTS[self.shift]
        if opts.night_dim:
            start, end = opts.night_dim
            hour = datetime.fromtimestamp(self.xapp.now()).hour
            night = start <= hour < end if start < end else hour >= start or hour < end
            self.set_class(night, "night")
        self.paint_freshness()
        if self.due_at is not None and self.xapp.now() >= self.due_at:
            self.retime()  # an age or an SLA count moved on: from what was read
        self._arm()

    def _credit(self, ticks: float) -> None:
        self.beat += ticks
        self.since_cycle += ticks
        self.since_shift += ticks

    def _arm(self) -> None:
        """One timer, for the next thing due: the next view, the burn-in shift, the clock's
        minute, the data age's next step (or a look at whether the data turned STALE), the
        night's hour, an age in the tables or an SLA count (``due_at``)."""
        opts = self.xapp.options
        if self._timer is not None:  # set again before it fired (news, a poll's state):
            self._timer.stop()  # the ticks waited so far still count
            self._timer = None
            waited = (monotonic() - self._armed_at) / opts.wall_tick_seconds
            self._credit(min(max(waited, 0.0), self.wake_in))
        now = self.xapp.now()
        engine = self.xapp.engine
        waits = [opts.burn_in_shift_seconds - self.since_shift, 60 - now % 60, RECHECK]
        if self.cycling:
            waits.append(opts.wall_cycle_seconds - self.since_cycle)
        change = next_change(engine.state, now) if engine is not None else None
        if change is not None:
            waits.append(change)
        if self.due_at is not None:
            waits.append(self.due_at - now)
        if opts.night_dim:
            waits.append(1800 - now % 1800)  # the local hour turns (half-hour time zones too)
        self.wake_in = wait = max(0.05, min(waits))  # in ticks: a second each, but in tests
        self._armed_at = monotonic()
        self.arms += 1
        self._timer = self.set_timer(
            wait * opts.wall_tick_seconds, partial(self._wake, wait, self.arms)
        )

    def _wake(self, ticks: float, armed: int) -> None:
        """The timer set by the ``armed``-th ``_arm`` fired.  Its call may already be queued
        when a poll's state sets the timer again: that wake is stale, and acting on it dropped
        the new timer's handle (never stopped after) and counted the ticks twice; a wall up for
        days gathered dozens of such timers, each waking it."""
        if armed != self.arms:
            return
        self._timer = None
        self.tick(ticks)

    def _show(self, widget_id: str, text: Text) -> None:
        """Update a Static only when what it shows changes (an idle wall repaints nothing)."""
        before = self._texts.get(widget_id)
        if before != text:
            self._texts[widget_id] = text
            # the title and footer are one line the screen's width; the clock is as wide as it
            # reads: only their own lines are repainted, not the screen's layout
            layout = widget_id not in SAME_SIZE and not (
                widget_id == "wall-clock"
                and before is not None
                and before.cell_len == text.cell_len
            )
            self.query_one(f"#{widget_id}", Static).update(text, layout=layout)

    def _is_waiting(self, state: SyncState | None) -> bool:
        """No complete sync yet: counts would be zeros that read as "all clear"."""
        return self.xapp.engine is not None and (state is None or not state.last_success)

    def paint_freshness(self) -> None:
        app = self.xapp
        now = app.now()
        state = app.engine.state if app.engine is not None else None
        clock = Text(datetime.fromtimestamp(now).strftime("%H:%M"), style="bold")
        if state and state.last_success:
            clock.append(data_words(data_age(state.last_success, now)))
        self._show("wall-clock", clock)
        waiting = self._is_waiting(state)
        if waiting:
            line = Text(waiting_line(state.progress if state else None), style="bold")
            if state is not None and state.progress is not None:
                line.append(f"\n{first_sync_line(state.progress)}")
            self._show("waiting", line)
        if waiting != self.waiting:
            self.waiting = waiting
            self.set_class(waiting, "waiting")
            self.refresh_all()
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
            self._show("alarm", text)
        self.set_class(bool(bad), "alarm")
        if alarm.display != bool(bad):
            alarm.display = bool(bad)

    # -- data -------------------------------------------------------------------------------------
    def refresh_all(self) -> None:
        store = self.xapp.store
        now = self.xapp.now()
        open_q = CaseQuery(statuses=open_statuses(store.cases.statuses()))  # unknown: open
        self.paint_title()
        if self.waiting:  # no counts, no tables: nothing is known yet
            self._show("wall-footer", self.ticker or FOOTER)
            return
        self._refresh_data(store, now, open_q)

    def paint_title(self) -> None:
        opts = self.xapp.options
        title = Text()
        if opts.profile_label:
            title.append(
                f" {opts.profile_label} ", style=f"bold white on {opts.profile_color or 'blue'}"
            )
            title.append(" ")
        view = self.cycle[self.view_index]
        named = dict((f"view-{i}", v[0]) for i, v in enumerate(self.saved_views))
        name = TITLES.get(view) or named[view]
        where = f"({self.view_index + 1}/{len(self.cycle)}{', paused' if not self.cycling else ''})"
        # narrow (80 columns): the view's name and where it is in the cycle before the brand.
        # The title has the row less the clock, whose text may not be painted yet: as wide as
        # "12:04  data 59m old" at least.
        clock = self._texts.get("wall-clock")
        clock_room = max(CLOCK_CELLS, clock.cell_len if clock is not None else 0) + 2
        room = self.size.width - clock_room - 2  # less than 0 before the first layout
        long = f"expereo NOC · {name}"
        if room <= 0 or title.cell_len + cell_len(f"{long}   {where}") <= room:
            title.append(long, style="bold")
            title.append(f"   {where}", style="dim")
        elif title.cell_len + cell_len(f"{name}  {where}") <= room:
            title.append(name, style="bold")
            title.append(f"  {where}", style="dim")
        else:  # "paused" must show: the view's name is what is cut
            title.append(f"{where} ", style="dim")
            title.append(name, style="bold")
        self._show("wall-title", title)

    def _refresh_data(self, store: Store, now: float, open_q: CaseQuery) -> None:
        self._apply(self._read(store, now, open_q, self._fitting_rows()))

    def _read(self, store: Store, now: float, open_q: CaseQuery, fit: int) -> WallData:
        """Everything the wall shows from the store (no widget: it runs in a thread after
        news, where a large account's every open case costs what it costs off the keys)."""
        opts = self.xapp.options
        triage = read_wall_triage(store, opts, now)  # waiting on us, clusters, SLA
        counts = {tile.key: tile.count(store, open_q.statuses) for tile in TILES if tile.count}
        incidents = store.cases.query_cases(
            CaseQuery(
                statuses=open_q.statuses,
                types=frozenset({CaseType.INCIDENT}),
                sort=(("priority", False), ("created", False)),
            ),
            limit=500,
        )
        incidents = urgent_first(incidents, triage.sla.worst, now)
        total_incidents = store.cases.count_cases(
            CaseQuery(statuses=open_q.statuses, types=frozenset({CaseType.INCIDENT}))
        )
        shown, hidden = cut(incidents, total_incidents, fit)
        recent = store.cases.query_cases(CaseQuery(sort=(("last_modified", True),)), limit=ROWS)
        by_service: Counter[str] = Counter(r.service_id or "?" for r in incidents)
        worst: dict[str, str] = {}
        for r in incidents:
            key = r.service_id or "?"
            worst[key] = min(worst.get(key, "P9"), r.priority or "P9")
        rows: list[list[Any]] = []
        for service_id, n in by_service.most_common(ROWS):
            svc = store.inventory.service(service_id)
            site = store.inventory.site(svc.site_id) if svc and svc.site_id else None
            rows.append(
                [
                    literal(site.country if site else "—"),
                    literal(site.name if site else "no site", one_line=True),
                    literal(f"{service_id} {svc.service_name if svc else ''}", one_line=True),
                    Text(str(n), style="bold"),
                    priority_text(worst[service_id]),
                ]
            )
        rows.sort(key=lambda row: (str(row[0]), str(row[1]), str(row[2])))  # not by read order
        return WallData(
            triage=triage,
            counts=counts,
            incidents=shown,
            more_incidents=total_incidents - len(shown),
            hidden_by_priority=hidden,
            fit=fit,
            recent=recent,
            services=rows[:ROWS],
        )

    def read_data(self) -> None:
        """News: read the store again in a thread, then show it (what did not change is not
        repainted).  The tiles are counted here, and only here (and at mount or resize)."""
        if self.waiting:
            self.refresh_all()
            return
        store, now = self.xapp.store, self.xapp.now()
        fit = self._fitting_rows()
        self.reads += 1
        generation = self.reads

        def read() -> None:
            open_q = CaseQuery(statuses=open_statuses(store.cases.statuses()))  # unknown: open
            data = self._read(store, now, open_q, fit)
            self.app.call_from_thread(self._read_done, generation, data)

        self.run_worker(read, thread=True, group="wall-data", exclusive=True, exit_on_error=False)

    def _read_done(self, generation: int, data: WallData) -> None:
        if generation == self.reads and not self.waiting:  # else a newer read is coming
            self._apply(data)

    def _apply(self, data: WallData) -> None:
        self.data = data
        self.paint_title()
        for tile in TILES:
            if tile.triage is not None:
                text, alarm = tile.triage(data.triage)
            else:
                value = data.counts[tile.key]
                text, alarm = str(value), tile.hot and value > 0
            self._tile(tile.key, text, alarm)
        self._fill("services", data.services)
        self.retime()
        self._show("wall-footer", self.ticker or FOOTER)
        self._arm()  # due_at has moved

    def _tile(self, key: str, text: str, alarm: bool) -> None:
        self.query_one(f"#digits-{key}", BigNumber).update(text)
        self.query_one(f"#digits-{key}").set_class(alarm, "hot")

    def team_changed(self) -> None:
        """Team mode: a case taken or given back shows at once."""
        self.retime()

    def retime(self) -> None:
        """What moves with time alone, from what was read (no store query, but the saved
        views'): the SLA tile as clocks change level, the ages in the tables."""
        data = self.data
        if data is None:
            return
        now = self.xapp.now()
        team = self.xapp.awareness  # team mode: who took each case
        sla = data.triage.sla
        if sla.next_due is not None and sla.next_due <= now:
            sla.advance(now)
            for tile in TILES:
                if tile.key == "sla" and tile.triage is not None:
                    self._tile(tile.key, *tile.triage(data.triage))
        rows: list[list[Any]] = [
            [
                Text(relative(r.start_of_incident or r.created_date, now), style="bold"),
                priority_text(r.priority),
                literal(r.id),
                subject_with_claim(team, r.id, Text(subject_label(safe(r.subject)))),
                literal(r.service_name or r.service_id, one_line=True),
                literal(r.site_name or "", one_line=True),
                status_text(r.status),
            ]
            for r in data.incidents
        ]
        summary = summary_rows(data.more_incidents, data.hidden_by_priority)
        self._fill("incidents", rows + summary, whole=len(summary))
        self._fill(
            "activity",
            [
                [
                    Text(relative(r.last_modified_date, now)),
                    priority_text(r.priority),
                    literal(r.id),
                    status_text(r.status),
                    subject_with_claim(team, r.id, Text(subject_label(safe(r.subject)))),
                    literal(r.service_name or r.service_id, one_line=True),
                ]
                for r in data.recent
            ],
        )
        for i, (_, query) in enumerate(self.saved_views):  # read: a page, each minute at most
            self._fill(f"view-{i}", view_rows(self.xapp.store, query, now, ROWS))
        times = [sla.next_due]
        times += [relative_next(r.start_of_incident or r.created_date, now) for r in data.incidents]
        times += [relative_next(r.last_modified_date, now) for r in data.recent]
        if self.saved_views:  # their ages: minutes (a second "45s" is read a minute late)
            times.append((now // 60 + 1) * 60)
        self.due_at = min((t for t in times if t is not None), default=None)

    def _fitting_rows(self) -> int:
        """Table rows that fit the views' height (less the header row), at most ROWS."""
        height = self.query_one("#views").size.height
        return min(ROWS, height - 1) if height > 1 else ROWS

    def _fill(self, table_id: str, rows: list[list[Any]], *, whole: int = 0) -> None:
        """Show ``rows`` (the last ``whole`` of them summaries, never cut) as they fit the
        views' width (fit.py): a column the screen would cut is dropped or narrowed."""
        columns, drop, flex = self._columns(table_id)
        width = self.query_one("#views").size.width or self.size.width
        shown, rows, widths = fit_columns(
            columns, rows, width - 1, drop=drop, flex=flex, whole=whole
        )
        plain = [shown, *(tuple(str(cell) for cell in row) for row in rows)]
        if self._rows.get(table_id) == plain:
            return  # the same rows: no clear, no repaint
        self._rows[table_id] = plain
        data_table = self.query_one(f"#{table(table_id)}", DataTable)
        data_table.clear(columns=True)  # a column keeps its widest cell's width across clear()
        for label, cells in zip(shown, widths, strict=True):
            data_table.add_column(label, width=cells)
        for row in rows:
            data_table.add_row(*row)

    def on_resize(self) -> None:
        self.call_after_refresh(self.refresh_all)  # how many incidents fit has changed

    def views_resized(self) -> None:
        """The views have a new height (the terminal's, or shown after the first sync): read
        again when the rows that fit are not those the last read was for."""
        if self.data is not None and not self.waiting and self.data.fit != self._fitting_rows():
            self.read_data()

    def sync_event(self, event: SyncEvent) -> None:
        """A state change (every poll says "fresh") paints the freshness, at once: an idle
        poll reads nothing."""
        if isinstance(event, SyncStateChanged):
            self.paint_freshness()  # an outage, the first sync's progress: shown at once
            self._arm()  # the data age starts again

    def news(self) -> None:
        """A poll's changes are stored: read the data again (once for the whole poll, at the
        moment the SLA alerts read too: one read of every open case between them)."""
        self.read_data()

    def tell(self, message: str, *, title: str = "", severity: str = "information") -> None:
        """The app's news (a new P1, an SLA alert, a rejected write) on the footer's line,
        ``14:02 expereo: New P1 case CS-1 …``, until the next: never a toast over the tables.
        A wall is unattended: a toast hides rows for seconds and is gone before anyone looks;
        the line stays, and the tiles and the activity view show the same news."""
        ticker = news_text(message, title=title, severity=severity, markup=False, now=self.xapp.now())
        if ticker is None:
            return
        self.ticker = ticker
        self._show("wall-footer", ticker)

    # -- actions ----------------------------------------------------------------------------------
    def action_toggle_cycle(self) -> None:
        self.cycling = not self.cycling
        self.since_cycle = 0
        self.paint_title()

    def action_next_view(self) -> None:
        """Show the next view: every view is kept filled, so only the title changes (the store
        is read again on news only, not on each turn)."""
        self.since_cycle = 0
        self.view_index = (self.view_index + 1) % len(self.cycle)
        self.query_one(ContentSwitcher).current = self.cycle[self.view_index]
        self.paint_title()
