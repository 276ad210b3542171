"""A virtual table for the case inbox: it holds no rows, only their count and a way to fetch a
page of them, and renders the lines that are on screen (the toolong way: Line API).

A DataTable keeps every row as widgets-worth of cells and renders each cell through Rich's
layout; for an inbox of 10,000 cases that made the first frame and every filter keystroke cost
what the table did, not what the screen shows.  Here the cost of a frame is the visible rows,
whatever the total, and a filter keystroke is one count and one page from the store.

Rows that show a time ("11m", "▲ 4m at risk") tell when their text next changes: the table
draws such a row again then, if it is on screen (one timer, for the soonest), and never on a
fixed tick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

CELL_PADDING = 1  # a space each side of a cell, as DataTable draws them
PAGE = 64  # rows fetched at a time (a tall screenful); pages are cached until the table is reset
MAX_PAGES = 20
MAX_LINES = 400  # drawn lines kept (several screenfuls)
INF = float("inf")


class Column(NamedTuple):
    key: str
    label: str
    width: int


class Layout(NamedTuple):
    """The columns a view of ``width`` cells shows (indexes into the table's columns, in their
    order, each whole: a column that does not fit is not drawn at all, never cut), and how many
    are hidden to the left and to the right (the header's marker says so)."""

    shown: tuple[int, ...]
    left: int
    right: int

    @property
    def marker(self) -> str:
        """``‹2 +5›``: 2 columns hidden to the left (← shows them), 5 to the right (→)."""
        return " ".join(p for p in (f"‹{self.left}" if self.left else "",
                                    f"+{self.right}›" if self.right else "") if p)  # fmt: skip


def cell_width(column: Column) -> int:
    return column.width + 2 * CELL_PADDING


def layout(
    columns: Sequence[Column], width: int, fixed: int, first: int, keep: str | None
) -> Layout:
    """Which columns fit in ``width`` cells: the ``fixed`` first ones always (the case id, as
    k9s keeps its name column), then the others from the ``first`` scrolled-to one, whole; the
    column ``keep`` (the sorted-by one) is always among them, whatever the scrolling; room is
    left at the right for the marker of hidden columns."""
    rest = range(fixed, len(columns))
    first = max(fixed, min(fixed + first, len(columns) - 1))
    forced = next((i for i in rest if columns[i].key == keep), None)
    base = sum(cell_width(columns[i]) for i in range(fixed))

    def fit(budget: int) -> Layout:
        budget -= base
        pinned = forced is not None and cell_width(columns[forced]) <= budget
        if pinned:
            budget -= cell_width(columns[forced])  # type: ignore[index]
        chosen = [forced] if pinned else []
        for i in range(first, len(columns)):
            if i == forced and pinned:
                continue
            if cell_width(columns[i]) > budget:
                break
            chosen.append(i)
            budget -= cell_width(columns[i])
        shown = tuple(range(fixed)) + tuple(sorted(c for c in chosen if c is not None))
        left = sum(1 for i in rest if i < first and i not in shown)
        return Layout(shown, left, len(columns) - len(shown) - left)

    whole = fit(width)
    if not whole.left and not whole.right:
        return whole
    for _ in range(3):  # the marker takes room, which may hide one more column (and a digit)
        reserved = fit(width - len(whole.marker))  # (a cell's padding spaces it)
        if len(reserved.marker) == len(whole.marker):
            return reserved
        whole = reserved
    return whole


def header_label(column: Column, sort: tuple[str, bool] | None) -> str:
    """A column's header: its label, with ↓/↑ when the table is sorted by it; never cut
    mid-word (a label too long loses whole words; the columns are declared wide enough)."""
    label = column.label
    arrow = (
        ("↓" if sort[1] else "↑") if sort and sort[0] == column.key and column.width >= 2 else ""
    )
    while cell_len(label + arrow) > column.width and " " in label.strip():
        label = label.rsplit(" ", 1)[0]
    return label + arrow


class TableRow(NamedTuple):
    """One row: its key, and how to make its cells (safe, literal text) as of a time, when it
    is first drawn: a page is fetched whole, but only the rows on screen are ever turned into
    text.  ``changes(t)``: when the cells drawn at ``t`` next read differently (None: never)."""

    key: str
    cells: Callable[[float], Sequence[Text]]
    changes: Callable[[float], float | None] | None = None


Fetch = Callable[[int, int], Sequence[TableRow]]  # (offset, limit) -> rows


def _no_rows(offset: int, limit: int) -> Sequence[TableRow]:
    return ()


def _no_clock() -> float:
    return 0.0


class CaseTable(ScrollView, can_focus=True):
    """Rows come from ``fetch(offset, limit)`` a page at a time, as they scroll into view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open"),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
        Binding("left", "column_left", "Column left", show=False),
        Binding("right", "column_right", "Column right", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "case-table--header",
        "case-table--cursor",
        "case-table--even-row",
    }
    DEFAULT_CSS = """
    CaseTable {
        scrollbar-size-vertical: 1;
        background: $surface;
        color: $foreground;
        & > .case-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .case-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .case-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .case-table--even-row { background: $surface-darken-1 40%; }
        & > .case-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .case-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    # repaint=False: a move redraws the two rows it changes, not the whole table
    cursor_row: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)

    class RowHighlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: CaseTable, cursor_row: int, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.key = key

        @property
        def control(self) -> CaseTable:
            return self.table

    class RowSelected(RowHighlighted):
        """Enter on a row, or a click on the highlighted row."""

    class SelectionChanged(Message):
        """The rows chosen for a bulk action changed (``count`` of them now)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class HeaderSelected(Message):
        """A column header was clicked."""

        def __init__(self, table: CaseTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> CaseTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column],
        *,
        fixed_columns: int = 0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = tuple(columns)
        self.fixed_columns = fixed_columns  # the first ones stay while scrolling sideways
        self.first_column = 0  # the first of the others shown (→ and ← move it)
        self._layout: tuple[tuple[int, int, str | None], Layout] | None = None
        self._fetch: Fetch = _no_rows
        self._total = 0
        # plain dicts, not LRUCaches: an LRUCache links its entries in a ring, so what it lets go
        # of is cyclic garbage (thousands of strips a keystroke) left to the slow full GC
        self._pages: dict[int, Sequence[TableRow]] = {}
        self._lines: dict[tuple[int, bool, bool], tuple[Strip, float]] = {}  # with its expiry
        self.clock: Callable[[], float] = _no_clock  # the time rows are drawn at
        self._now = 0.0  # the frame's
        self._expiry: dict[int, float] = {}  # a drawn row -> when its text next changes
        self._expiry_timer: Timer | None = None
        self.expires_at: float | None = None  # when the soonest row on screen changes
        self.sort_column: tuple[str, bool] | None = None  # (key, descending): marked in header
        self.selected: set[str] = set()  # row keys chosen for a bulk action (set_selection)
        self.virtual_size = Size(1, 1)  # sideways, the table moves a whole column at a time
        self._base = Style()  # set by render_lines for the frame being drawn
        self._view_width = 0
        self._styles: dict[str, Style] = {}

    # -- the selection (rows chosen for a bulk action) -----------------------------------------
    def set_selection(self, keys: set[str], *, say: bool = True) -> None:
        """Choose exactly ``keys``; their rows are drawn again (``say``: post SelectionChanged,
        which the screen turns into a line for the person)."""
        if keys != self.selected:
            self.selected = set(keys)
            self.redraw_rows()
        if say:
            self.post_message(self.SelectionChanged(len(self.selected)))

    def toggle_selected(self, key: str) -> None:
        self.set_selection(self.selected ^ {key})

    def add_selected(self, *keys: str | None) -> None:
        self.set_selection(self.selected | {k for k in keys if k is not None})

    def clear_selection(self, *, say: bool = True) -> bool:
        """Unchoose every row; whether any was chosen."""
        if not self.selected:
            return False
        self.set_selection(set(), say=say)
        return True

    # -- data -----------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return self._total

    def reset(self, total: int, fetch: Fetch) -> None:
        """Show ``total`` rows from ``fetch``: forget every cached page and line."""
        self._total = max(0, total)
        self._fetch = fetch
        self._pages.clear()
        self._lines.clear()
        self._expiry.clear()
        self.virtual_size = Size(1, self._total + 1)  # + the header line
        self.refresh()

    def redraw_rows(self) -> None:
        """Draw the rows again from their cells (a selection mark changed), keeping the pages."""
        self._lines.clear()
        self.refresh()

    # -- times on screen ------------------------------------------------------------------------
    def _visible(self) -> range:
        top = round(self.scroll_y)
        return range(top, min(self._total, top + max(0, self.size.height - 1)))

    def _arm_expiry(self) -> None:
        """One timer, for when the soonest text of a row on screen changes."""
        expiry = self._expiry
        soonest = min((t for i in self._visible() if (t := expiry.get(i, INF)) < INF), default=None)
        if soonest == self.expires_at and (soonest is None or self._expiry_timer is not None):
            return
        if self._expiry_timer is not None:
            self._expiry_timer.stop()
            self._expiry_timer = None
        self.expires_at = soonest
        if soonest is not None and self.is_attached:
            delay = max(0.05, soonest - self.clock())
            self._expiry_timer = self.set_timer(delay, self.redraw_expired, name="row-times")

    def redraw_expired(self) -> None:
        """Draw again the rows on screen whose text has changed by now (only those).  The
        timer's handle is kept: this call may be a stale one (queued as the timer was set
        again), and dropping the handle then left the new timer running, never stopped, and
        another each time (_arm_expiry stops it, whichever fired)."""
        self.expires_at = None
        now = self.clock()
        due = [i for i in self._visible() if self._expiry.get(i, INF) <= now]
        for index in due:
            self._refresh_row(index)  # drawn again (and its next change noted) in the frame
        if not due:
            self._arm_expiry()  # early: nothing reads differently yet

    def row(self, index: int) -> TableRow | None:
        """The row at ``index`` (fetching its page if need be), or None past the end."""
        if not 0 <= index < self._total:
            return None
        number, within = divmod(index, PAGE)
        page = self._pages.get(number)
        if page is None:
            page = self._fetch(number * PAGE, PAGE)
            if len(self._pages) >= MAX_PAGES:
                del self._pages[next(iter(self._pages))]  # the oldest
            self._pages[number] = page
        return page[within] if within < len(page) else None

    def find(self, key: str, near: int = 0, span: int = PAGE // 2) -> int | None:
        """The index of the row with ``key`` within ``span`` rows of ``near``, if there (a
        page or two of rows that are about to be drawn anyway)."""
        start, stop = max(0, near - span), min(self._total, near + span + 1)
        for index in range(start, stop):
            row = self.row(index)
            if row is not None and row.key == key:
                return index
        return None

    @property
    def cursor_key(self) -> str | None:
        row = self.row(self.cursor_row)
        return row.key if row is not None else None

    # -- cursor -----------------------------------------------------------------------------------
    def validate_cursor_row(self, value: int) -> int:
        return max(0, min(value, self._total - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        for index in {old, new}:
            self._refresh_row(index)
        self.scroll_to_cursor()
        self.post_message(self.RowHighlighted(self, new, self.cursor_key))

    def move_cursor(self, row: int) -> None:
        self.cursor_row = row

    def on_resize(self, event: events.Resize) -> None:
        # a line above the table came or went (the incidents banner, a filter): the cursor's
        # row stays on screen
        self.call_after_refresh(self.scroll_to_cursor)

    def scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        for key in [k for k in self._lines if k[0] == index]:
            del self._lines[key]
        self._expiry.pop(index, None)
        y = index - round(self.scroll_y) + 1
        if 0 < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 2)

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_page_up(self) -> None:
        self.cursor_row -= self._page()

    def action_page_down(self) -> None:
        self.cursor_row += self._page()

    def action_first_row(self) -> None:
        self.cursor_row = 0

    def action_last_row(self) -> None:
        self.cursor_row = self._total - 1

    def current_layout(self) -> Layout:
        """The columns the table shows at its width (worked out again when the width, the
        scrolling or the sorted-by column changes)."""
        width = self.scrollable_content_region.width or self.size.width
        keep = self.sort_column[0] if self.sort_column else None
        key = (width, self.first_column, keep)
        if self._layout is None or self._layout[0] != key:
            self._layout = (key, layout(self.columns, width, self.fixed_columns, *key[1:]))
            self._lines.clear()
        return self._layout[1]

    def _scroll_columns(self, by: int) -> None:
        self.first_column = max(0, self.first_column + by)
        self._lines.clear()
        self.refresh()

    def action_column_right(self) -> None:
        """Show the next column at the right, hiding the first one after the pinned ones (→
        moves a whole column; the case id stays)."""
        if self.current_layout().right:
            self._scroll_columns(1)

    def action_column_left(self) -> None:
        """Show again the column hidden at the left (←)."""
        if self.first_column:
            self._scroll_columns(-1)

    def action_select_cursor(self) -> None:
        if self._total:
            self.post_message(self.RowSelected(self, self.cursor_row, self.cursor_key))

    def on_focus(self) -> None:
        self._lines.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._lines.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x
            for i in self.current_layout().shown:
                x -= cell_width(self.columns[i])
                if x < 0:
                    self.post_message(self.HeaderSelected(self, self.columns[i].key))
                    return
            return
        index = round(self.scroll_y) + offset.y - 1
        if index >= self._total:
            return
        if index == self.cursor_row:
            self.action_select_cursor()
        else:
            self.cursor_row = index

    # -- rendering --------------------------------------------------------------------------------
    painted = False
    """Whether a frame has drawn the table's lines (the app's first frame waits for it)."""

    def render_lines(self, crop: Region) -> list[Strip]:
        self.painted = True
        # what every line needs, worked out once a frame rather than once a line
        self._base = self.rich_style
        self._view_width = self.scrollable_content_region.width
        self._styles = {c: self.get_component_rich_style(c) for c in self.COMPONENT_CLASSES}
        self._now = self.clock()
        self.current_layout()  # (a new one forgets the lines drawn for the old)
        lines = super().render_lines(crop)
        self._arm_expiry()
        return lines

    def render_line(self, y: int) -> Strip:
        scroll_y = self.scroll_offset.y
        width, base = self._view_width, self._base
        if y == 0:
            strip = self._header(base)
        else:
            index = scroll_y + y - 1
            if index >= self._total:
                return Strip.blank(width, base)
            strip = self._row_line(index, base)
        return strip.crop_extend(0, width, base)

    def _header(self, base: Style) -> Strip:
        style = base + self._styles["case-table--header"]
        segments: list[Segment] = []
        shown = self.current_layout()
        for i in shown.shown:
            column = self.columns[i]
            label = header_label(column, self.sort_column)
            segments.extend(self._cell(Text(label), column.width, style, self.app.console))
        strip = Strip(segments)
        if shown.marker:  # the sign that more columns exist, at the right edge
            gap = self._view_width - strip.cell_length - len(shown.marker)
            strip = Strip([*segments, Segment(" " * max(0, gap), style),
                           Segment(shown.marker, style)])  # fmt: skip
        return strip.extend_cell_length(self._view_width, style)

    def _row_line(self, index: int, base: Style) -> Strip:
        cursor = index == self.cursor_row
        key = (index, cursor, self.has_focus)
        cached = self._lines.get(key)
        now = self._now
        if cached is not None and cached[1] > now:  # else a time in it reads differently now
            return cached[0]
        row = self.row(index)
        style = base
        if index % 2:
            style += self._styles["case-table--even-row"]
        over: Style | None = None
        if cursor:  # the cursor's colours, as DataTable draws it: only a cell's own
            cursor_style = self._styles["case-table--cursor"]  # background
            style += cursor_style  # (a P1's red) shows through
            over = Style(color=cursor_style.color, bold=cursor_style.bold)
        console = self.app.console
        segments: list[Segment] = []
        drawn = row.cells(now) if row else ()
        for i in self.current_layout().shown:
            if i < len(drawn):
                segments.extend(self._cell(drawn[i], self.columns[i].width, style, console))
        until = INF
        if row is not None and row.changes is not None:
            until = row.changes(now) or INF
        self._expiry[index] = until
        if over is not None:
            segments = list(Segment.apply_style(segments, post_style=over))
        strip = Strip(segments).extend_cell_length(self._view_width, style)
        if len(self._lines) >= MAX_LINES:
            self._lines.clear()
            self._expiry = {i: t for i, t in self._expiry.items() if i in self._visible()}
        self._lines[key] = (strip, until)
        return strip

    @staticmethod
    def _cell(cell: Text, width: int, style: Style, console: Console) -> list[Segment]:
        """One cell as segments: a single line cut to ``width`` (an ellipsis marks the cut),
        padded, in ``style`` under the cell's own."""
        pad = Segment(" " * CELL_PADDING, style)
        if cell.spans:  # several styles in one cell: let Rich lay it out
            text = cell.copy()
            if "\n" in text.plain:
                text = Text(" ", style=cell.style).join(text.split("\n"))
            text.truncate(width, overflow="ellipsis", pad=True)
            return [pad, *Segment.apply_style(text.render(console), style), pad]
        plain = cell.plain.replace("\n", " ")
        if cell_len(plain) > width:
            plain = set_cell_size(plain, width - 1) + "…"
        elif len(plain) != width:
            plain = set_cell_size(plain, width)
        own = console.get_style(cell.style) if cell.style else None
        return [pad, Segment(plain, style + own if own else style), pad]
