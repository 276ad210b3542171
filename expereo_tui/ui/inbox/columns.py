"""The inbox's columns, declared once: key, header, width, what it sorts on, which way a first
sort goes, and how a row's cell is drawn.

The table draws ``key``/``label``/``width``; the screen sorts by ``sort`` in ``descending``
order when a header is clicked or ``s`` reaches the column; ``render`` turns a row into its
cell (safe, literal text).  Before this model the headers, the widths and the sort columns were
three parallel tables, and the header click and ``s`` disagreed about which way "Age" sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rich.text import Text

from expereo_tui.api.vocab import is_open_status
from expereo_tui.store.store import CaseActivity, CaseRow
from expereo_tui.triage.labels import subject_label
from expereo_tui.triage.sla import EXAMPLE_TARGETS, Clock, Targets, most_urgent
from expereo_tui.triage.turn import Turn, whose_turn
from expereo_tui.ui import themes
from expereo_tui.ui.format import priority_text, relative, status_text, type_label
from expereo_tui.ui.inbox.case_table import Column
from expereo_tui.ui.safe_text import literal, safe
from expereo_tui.ui.triage_text import DEFAULT_STYLES, sla_text, turn_text


@dataclass(frozen=True)
class RowContext:
    """What a row's cells need beyond the row: the time, and what the screen knows of it."""

    now: float
    recent: frozenset[str] | set[str] = frozenset()  # changed since launch, not opened yet
    # triage: each case's thread summary and status history (a page's worth), the targets
    activity: Mapping[str, CaseActivity] = field(default_factory=dict)
    targets: Mapping[str, Targets] = field(default_factory=lambda: EXAMPLE_TARGETS)
    styles: Mapping[str, str] = field(default_factory=lambda: DEFAULT_STYLES)

    def unread(self, row: CaseRow) -> bool:
        return row.unread or row.id in self.recent

    def weight(self, row: CaseRow) -> str:
        return "bold" if self.unread(row) else ""

    def clock(self, row: CaseRow) -> Clock | None:
        return most_urgent(row, self.activity.get(row.id, _NONE), self.targets, self.now)

    def turn(self, row: CaseRow) -> Turn | None:
        return whose_turn(row, self.activity.get(row.id, _NONE))

    def thread_unknown(self, row: CaseRow) -> bool:
        """An open case whose thread the store does not hold yet (fetched in the background)."""
        return is_open_status(row.status) and not self.activity.get(row.id, _NONE).thread_known


_NONE = CaseActivity()


Render = Callable[[CaseRow, RowContext], Text]


@dataclass(frozen=True)
class InboxColumn:
    """One inbox column: the whole of what the screen and the table need to know about it."""

    key: str
    label: str
    width: int
    sort: str  # the sort key: a store sort column (CaseQuery.sort), or a triage sort
    descending: bool  # the direction of a first sort on it (a header click, or ``s``)
    render: Render

    def table_column(self) -> Column:
        return Column(self.key, self.label, self.width)


def _unread(row: CaseRow, ctx: RowContext) -> Text:
    return Text(
        "★" if row.id in ctx.recent else ("●" if row.unread else " "),
        style=themes.style("attention") if ctx.unread(row) else "",
    )


# In the order of what matters most: at 80 columns the first ones show (the case id pinned
# while scrolling sideways, the sorted-by one always), the rest are a → away.  A column is wide
# enough for its header and a sort arrow (headers are never cut: tests/ui/test_columns_80.py).
INBOX_COLUMNS: tuple[InboxColumn, ...] = (
    InboxColumn("unread", "●", 1, "unread", True, _unread),  # unread first
    InboxColumn("id", "Case", 10, "id", False, lambda r, c: literal(r.id)),
    InboxColumn("priority", "Pri", 4, "priority", False, lambda r, c: priority_text(r.priority)),
    InboxColumn(  # time to breach: the least time left first
        "sla",
        "SLA",
        15,
        "sla",
        False,
        lambda r, c: sla_text(c.clock(r), c.styles, thread_unknown=c.thread_unknown(r)),
    ),
    InboxColumn(  # whose turn, the longest wait first
        "turn",
        "Turn",
        14,
        "turn",
        False,
        lambda r, c: turn_text(c.turn(r), c.now, c.styles, thread_unknown=c.thread_unknown(r)),
    ),
    InboxColumn(
        "subject",
        "Subject",
        20,
        "subject",
        False,
        lambda r, c: Text(subject_label(safe(r.subject)), style=c.weight(r)),
    ),
    InboxColumn("status", "Status", 17, "status", False, lambda r, c: status_text(r.status)),
    InboxColumn(  # the newest change first
        "last_modified",
        "Changed",
        8,
        "last_modified",
        True,
        lambda r, c: Text(relative(r.last_modified_date, c.now), style=c.weight(r)),
    ),
    InboxColumn(  # "Age" reads youngest first, like "Changed": the newest case first
        "created",
        "Age",
        4,
        "created",
        True,
        lambda r, c: Text(relative(r.created_date, c.now), style="dim"),
    ),
    InboxColumn(
        "service",
        "Service",
        30,
        "service",
        False,
        lambda r, c: literal(r.service_name or r.service_id, one_line=True),
    ),
    InboxColumn(
        "site", "Site", 24, "site", False, lambda r, c: literal(r.site_name or "", one_line=True)
    ),
    InboxColumn(
        "customer_reference",
        "Cust. ref",
        12,
        "customer_reference",
        False,
        lambda r, c: literal(r.customer_reference or "", one_line=True),
    ),
    InboxColumn(
        "type", "Type", 15, "type", False, lambda r, c: Text(type_label(r.type), style="dim")
    ),
)
FIXED_COLUMNS = 2  # the unread mark and the case id stay when the table scrolls sideways
BY_KEY = {c.key: c for c in INBOX_COLUMNS}
BY_SORT = {c.sort: c for c in INBOX_COLUMNS}


# sorts the store cannot do (they depend on the time and on triage rules): the screen orders
# the filtered rows itself by these keys (None sorts last, whatever the direction)
def _sla_key(row: CaseRow, ctx: RowContext) -> float | None:
    clock = ctx.clock(row)
    return None if clock is None else clock.left


def _turn_key(row: CaseRow, ctx: RowContext) -> float | None:
    turn = ctx.turn(row)
    return None if turn is None else turn.since


TRIAGE_SORTS: dict[str, Callable[[CaseRow, RowContext], float | None]] = {
    "sla": _sla_key,
    "turn": _turn_key,
}


def triage_order(
    rows: list[CaseRow], ctx: RowContext, sort: tuple[tuple[str, bool], ...]
) -> list[CaseRow]:
    """``rows`` (already in the store's order for the rest of the sort) ordered by the first
    sort key, a triage one; ties keep the store's order."""
    column, descending = sort[0]
    key = TRIAGE_SORTS[column]
    keyed = [(key(row, ctx), i, row) for i, row in enumerate(rows)]
    known = [k for k in keyed if k[0] is not None]
    known.sort(key=lambda k: (-k[0] if descending else k[0], k[1]))  # type: ignore[operator]
    return [k[2] for k in known] + [k[2] for k in keyed if k[0] is None]


def first_sort(column: InboxColumn) -> tuple[tuple[str, bool], ...]:
    """The sort a first click on ``column`` (or ``s`` reaching it) sets: the column in its
    default direction, then the newest change first."""
    tie = () if column.sort == "last_modified" else (("last_modified", True),)
    return ((column.sort, column.descending), *tie)


def cells(row: CaseRow, ctx: RowContext) -> list[Text]:
    """The row's cells, in column order."""
    return [column.render(row, ctx) for column in INBOX_COLUMNS]
