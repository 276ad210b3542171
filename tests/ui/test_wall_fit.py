"""The wall's tables fit their width (ui/wall/fit.py): a column is dropped or narrowed, never
cut by the screen; summaries and headers stay whole."""

from __future__ import annotations

from rich.text import Text

from expereo_tui.ui.wall.fit import PAD, cut, fit_columns

HEADERS = ("Age", "Pri", "Case", "Subject", "Service", "Site", "Status")
ROW = ["2h", "P1", "CS-1000040", "Service degradation", "MPLS 1 Gbps – Copenhagen",
       "Copenhagen Warehouse 27", "In Progress"]  # fmt: skip
NATURAL = 3 + 3 + 10 + 19 + 24 + 23 + 11 + 7 * PAD  # 107


def _width(headers: tuple[str, ...], rows: list[list[object]]) -> int:
    return sum(
        max(len(h), *(len(r[i].plain if isinstance(r[i], Text) else str(r[i])) for r in rows))
        + PAD
        for i, h in enumerate(headers)
    )


def test_a_table_that_fits_is_left_as_it_is() -> None:
    headers, rows, _ = fit_columns(HEADERS, [ROW], NATURAL, drop=("Site",), flex=("Subject",))
    assert headers == HEADERS and [[str(c) for c in rows[0]]] == [ROW]


def test_one_cell_too_wide_drops_the_droppable_column_first_and_cuts_nothing() -> None:
    headers, rows, _ = fit_columns(
        HEADERS, [ROW], NATURAL - 1, drop=("Site",), flex=("Subject", "Service")
    )
    assert headers == ("Age", "Pri", "Case", "Subject", "Service", "Status")
    assert [str(c) for c in rows[0]] == [c for c in ROW if c != "Copenhagen Warehouse 27"]


def test_at_80_columns_the_text_columns_narrow_the_widest_first_and_keep_the_city() -> None:
    headers, rows, widths = fit_columns(
        HEADERS, [ROW], 79, drop=("Site",), flex=("Subject", "Service")
    )
    assert headers == ("Age", "Pri", "Case", "Subject", "Service", "Status")
    assert widths == (3, 3, 10, 16, 24, 11)  # the table is given them: 67 + 6 × 2 = 79
    assert _width(headers, rows) <= 79
    # 79 - (3 + 3 + 10 + 11 + 6 * 2) = 40 cells for the two, 19 + 24 now: the widest narrows
    # first, a service counted as 24 / 1.5 = 16, so Subject goes 19 -> 16 and Service stays
    subject, service = str(rows[0][3]), str(rows[0][4])
    assert subject == "Service degrada…"
    assert service == "MPLS 1 Gbps – Copenhagen"
    headers, rows, _ = fit_columns(HEADERS, [ROW], 70, drop=("Site",), flex=("Subject", "Service"))
    # 31 cells: 16 + 24 -> Service counted 16 = Subject: they take turns, 12 + 19
    assert [str(c) for c in rows[0][3:5]] == ["Service deg…", "MPLS 1 … Copenhagen"]


def test_summary_rows_and_headers_are_never_cut() -> None:
    alarm = ["!", "P1", "+2 hidden", "⚠ P1 NOT SHOWN: no room", "", "", ""]
    more = ["", "", "+16 more", "P3 7 · P4 7 · P5 2", "", "", ""]
    headers, rows, _ = fit_columns(
        HEADERS, [ROW, alarm, more], 40, drop=("Site",), flex=("Subject", "Service"), whole=2
    )
    assert str(rows[1][3]) == "⚠ P1 NOT SHOWN: no room" and str(rows[2][3]) == "P3 7 · P4 7 · P5 2"
    assert str(rows[0][3]) == "Service degradation"  # no narrower than the summary under it
    assert str(rows[0][4]) == "MP…hagen"  # MIN_FLEX (8) is its floor: the screen cuts the rest
    assert "Service" in headers


def test_cut_keeps_both_ends_of_a_service_name_and_the_style() -> None:
    name = Text("Broadband 500/50 Mbps – Manchester", style="bold")
    assert cut(name, 17, middle=True).plain == "Broadb…Manchester"
    assert cut(name, 17).plain == "Broadband 500/50…"
    assert cut(name, 40).plain == name.plain  # it fits: as it was
    assert cut(name, 17).style == "bold"
