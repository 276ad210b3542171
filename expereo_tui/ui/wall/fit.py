"""The wall's tables fit their width: nobody scrolls a wall, so a column the screen cuts is a
column nobody reads (at 80 columns the incidents table showed its Site column as one letter).

A table too wide first loses the columns it can do without (the incidents' Site: the service's
name says its city), then its long text columns narrow, the widest first (a service's name keeps more), never under their
header nor under what the trailing summary rows say (the hidden P1 alarm, "+N more" by
priority), each cut cell ending in "…", or for a service's name cut in the middle: the
city at its end is what a wall reader looks for ("Broadb…Manchester")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text

PAD = 2  # DataTable's cell padding: one cell each side of every column
MIN_FLEX = 8  # a text column is not narrowed under this (or under its header)

MIDDLE = "Service"  # the column cut in the middle (its name ends with the city)
SERVICE_WEIGHT = 1.5  # it narrows as if it were this much narrower than it is
#: per table: the columns dropped when too wide (in this order), the columns that narrow
INCIDENTS_FIT = (("Site", "Status"), ("Subject", "Service"))  # Status: the tiles count it
ACTIVITY_FIT = ((), ("Subject", "Service"))
SERVICES_FIT = ((), ("Site", "Service"))


def cut(cell: Any, width: int, *, middle: bool = False) -> Text:
    """``cell`` in ``width`` cells: its start and "…", or its start, "…" and its end."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    if cell_len(text.plain) <= width:
        return text
    if not middle or width < 5:
        text.truncate(width, overflow="ellipsis")
        return text
    head = (width - 1) * 2 // 5
    tail = width - 1 - head
    start, end = text[:head], text[len(text) - tail :]
    while cell_len(end.plain) > tail:  # wide characters: fewer of them
        end = end[1:]
    while cell_len(start.plain) > head:
        start = start[:-1]
    return Text.assemble(start, "…", end)


def _plain(cell: Any) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _widths(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    return [
        max([cell_len(h), *(cell_len(_plain(r[i])) for r in rows)]) for i, h in enumerate(headers)
    ]


def fit_columns(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: int,
    *,
    drop: Sequence[str] = (),
    flex: Sequence[str] = (),
    whole: int = 0,
) -> tuple[tuple[str, ...], list[list[Any]], tuple[int, ...]]:
    """The headers and rows that fit ``width`` cells, and each column's width (given to the
    table: no frame where a column is as wide as its header until the table measures its
    cells); the last ``whole`` rows (summaries) are never cut.  A table that fits comes back as
    it was."""
    kept = list(range(len(headers)))

    def total(widths: Sequence[int]) -> int:
        return sum(widths[i] + PAD for i in kept)

    widths = _widths(headers, rows)
    for name in drop:
        if total(widths) <= width:
            break
        if name in headers:
            kept.remove(headers.index(name))
    summaries = rows[len(rows) - whole :] if whole else []
    floor = {
        i: max([MIN_FLEX, cell_len(headers[i]), *(cell_len(_plain(r[i])) for r in summaries)])
        for i in kept
        if headers[i] in flex
    }
    while total(widths) > width:
        narrowable = [i for i in floor if widths[i] > floor[i]]
        if not narrowable:
            break  # as narrow as it goes: the screen cuts the rest
        # the widest first, a service's name counted narrower: its city keeps more room
        widest = max(
            narrowable, key=lambda i: widths[i] / (SERVICE_WEIGHT if headers[i] == MIDDLE else 1)
        )
        widths[widest] -= 1
    out: list[list[Any]] = []
    for row in rows:
        cells: list[Any] = []
        for i in kept:
            cell = row[i]
            if i in floor and cell_len(_plain(cell)) > widths[i]:
                cell = cut(cell, widths[i], middle=headers[i] == MIDDLE)
            cells.append(cell)
        out.append(cells)
    return tuple(headers[i] for i in kept), out, tuple(widths[i] for i in kept)
