"""The inbox: rows from the store, search, filters, sort, unread, and the triage flow."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from textual import events
from textual.widgets import Input

from expereo_tui.sim import Simulator
from expereo_tui.sim.text import HOSTILE_TEXTS
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.screen import InboxScreen

from .conftest import engine_of, screen_text, until


def _table(app: ExpereoApp) -> CaseTable:
    return app.screen.query_one(CaseTable)


async def test_inbox_shows_every_case_unread_first(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    target = store.cases.query_cases(CaseQuery(sort=(("last_modified", False),)), limit=1)[0].id
    store.mark_unread(target)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert screen.total == store.cases.case_count()
        assert screen.current_case_id() == target
        assert "1 unread" in screen_text(app)


async def test_search_filters_rows_live_and_escape_clears(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    case_id = next(iter(sim.data.cases))
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("slash", *case_id)
        await until(pilot, lambda: _table(app).row_count == 1)
        assert f'text="{case_id}"' in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: _table(app).row_count > 1)


async def test_filter_modal_combines_status_and_priority(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f")
        await pilot.press("space")  # first status: New
        await pilot.press("tab", "space")  # first priority: P1
        await pilot.press("ctrl+s")
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        expected = store.cases.count_cases(
            CaseQuery(statuses=frozenset({"New"}), priorities=frozenset({"P1"}))
        )
        assert screen.total == expected and _table(app).row_count == expected
        assert "status=New" in screen_text(app) and "priority=P1" in screen_text(app)
        await pilot.press("x")
        assert screen.total == store.cases.case_count()


def _rows_shown(app: ExpereoApp) -> list[tuple[str, str]]:
    """(priority, case id) of each inbox row on screen, top to bottom."""
    import re

    found = re.findall(r"^[^\w\n]*(CS-\d+)\s*(P\d)\b", screen_text(app), flags=re.MULTILINE)
    return [(priority, case_id) for case_id, priority in found]


async def test_sort_cycles_and_reverses(make_app: Callable[..., ExpereoApp], store: Store) -> None:
    """``s`` sorts the rows shown by priority (P1 first, newest change first within one);
    ``S`` shows them the other way round."""

    def key(case_id: str) -> tuple[str, float]:
        case = store.cases.case(case_id)
        assert case is not None and case.priority and case.last_modified_date
        return case.priority, case.last_modified_date.timestamp()

    low = next(r for r in store.cases.query_cases(CaseQuery(), limit=1000) if r.priority == "P3")
    store.mark_unread(low.id)  # on top by default (unread first), not when sorted by priority
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        before = _rows_shown(app)
        assert before[0] == ("P3", low.id)
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert screen.query_state.sort[0] == ("priority", False)
        rows = _rows_shown(app)
        assert len(rows) >= 20 and rows != before
        assert len({p for p, _ in rows}) >= 2  # the order is something to check
        ids = [i for _, i in rows]
        assert ids == sorted(ids, key=lambda i: (key(i)[0], -key(i)[1]))
        assert rows[0][0] == "P1"
        await pilot.press("S")
        assert screen.query_state.sort[0] == ("priority", True)
        rows = _rows_shown(app)
        ids = [i for _, i in rows]
        assert len(rows) >= 20 and ids == sorted(ids, key=lambda i: (key(i)[0], -key(i)[1]))[::-1]
        lowest = max(c.priority or "" for c in store.cases.query_cases(CaseQuery(), limit=1000))
        assert rows[0][0] == lowest != "P1"


async def test_u_opens_next_unread_and_marks_it_read(
    make_app: Callable[..., ExpereoApp], store: Store, tmp_path: object
) -> None:
    rows = store.cases.query_cases(CaseQuery(), limit=3)
    store.mark_unread(rows[2].id)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert app.screen.case_id == rows[2].id  # type: ignore[attr-defined]
        assert not store.cases.is_unread(rows[2].id)
        await pilot.press("escape")
        # back in the inbox, the case just read is unmarked at once (not at the next refresh)
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await until(pilot, lambda: "0 unread" in screen_text(app))
        assert "●" not in screen_text(app).split("Subject", 1)[1]  # no row marked unread
        await pilot.press("u")
        assert isinstance(app.screen, InboxScreen)  # nothing unread left: a note, no jump
    reopened = Store(store.path)
    assert not reopened.cases.is_unread(rows[2].id)


async def test_m_toggles_read_state(make_app: Callable[..., ExpereoApp], store: Store) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        case_id = app.screen.current_case_id()  # type: ignore[attr-defined]
        await pilot.press("m")
        assert store.cases.is_unread(case_id)
        await pilot.press("m")
        assert not store.cases.is_unread(case_id)


async def test_hostile_text_is_shown_literally(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    hostile = next(
        c
        for c, msgs in sim.data.messages.items()
        if any(HOSTILE_TEXTS[0] in m["message"] for m in msgs)
    )
    app = make_app()
    async with app.run_test(size=(160, 60)) as pilot:
        app.action_open_case(hostile)
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]URGENT[/bold red]" in text
        assert "[link=http://evil.example]click[/link]" in text
        assert "red via ANSI" in text and "\x1b" not in text
        assert "\u202e" not in text


async def test_cases_changed_by_a_poll_are_marked(
    make_app: Callable[..., ExpereoApp], sim: Simulator, store: Store
) -> None:
    store.meta.set_meta("cases_first_sync_done", "1")
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        engine = await engine_of(pilot, app)
        assert engine is not None
        await until(pilot, lambda: engine.polls >= 1)
        sim.step_activity(3)
        engine.refresh_now()
        await until(pilot, lambda: bool(app.screen.recent))  # type: ignore[attr-defined]
        assert "★" in screen_text(app)


async def test_keys_typed_in_a_burst_after_slash_land_in_the_search(
    make_app: Callable[..., ExpereoApp],
) -> None:
    """A fast typist (or a laggy SSH link delivering keys together): "/tokyo" arrives before
    the app has handled "/"; no letter may fall through to the inbox's one-key actions."""
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        for key, char in [("slash", "/"), *((c, c) for c in "tok"), ("slash", "/"), ("y", "y")]:
            app.post_message(events.Key(key, char))  # queued together, handled in order
        search = app.screen.query_one("#search", Input)
        await until(pilot, lambda: search.value == "tok/y")
        assert app.screen.query_state.text == "tok/y"  # type: ignore[attr-defined]
        assert isinstance(app.screen, InboxScreen)  # no "o" (portal) or "k" went elsewhere


async def test_cursor_keys_page_through_every_case(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    everything = store.cases.query_cases(CaseQuery(), limit=1000)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        table = _table(app)
        await pilot.press("end")
        assert table.cursor_row == len(everything) - 1
        assert table.cursor_key == everything[-1].id
        assert everything[-1].id in screen_text(app)  # scrolled to it
        await pilot.press("home", "pagedown")
        page = table.cursor_row
        assert 10 < page < 30
        assert everything[page].id in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert app.screen.case_id == everything[page].id  # type: ignore[attr-defined]


async def test_mouse_sorts_by_header_and_opens_the_highlighted_row(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        # the open incidents' banner is read in a thread and moves the table down a line when
        # it comes: let it come before clicking by position
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.click(CaseTable, offset=(6, 0))  # the "Case" header
        assert screen.query_state.sort[0] == ("id", False)
        by_id = store.cases.query_cases(CaseQuery(sort=(("id", False),)), limit=3)
        await pilot.click(CaseTable, offset=(6, 3))  # the third row: highlighted
        assert _table(app).cursor_key == by_id[2].id
        assert isinstance(app.screen, InboxScreen)
        await pilot.click(CaseTable, offset=(20, 3))  # again: opened
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        assert app.screen.case_id == by_id[2].id  # type: ignore[attr-defined]


async def test_hostile_text_in_inbox_rows_is_shown_literally(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """Markup and escapes in a case's reference reach the table as text: they neither style,
    link nor move the cursor, and a long one is cut to its column."""
    from tests.store.test_store import _case

    reference = "[bold red]X[/bold red]\x1b[31m[link=http://evil.example]y[/link]"
    store.cases.upsert_cases([_case("CS-HOSTILE", 10**7, customer_reference=reference)])
    app = make_app()
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.press("slash", *"cs-hostile", "enter")
        await until(pilot, lambda: _table(app).row_count == 1)
        text = screen_text(app)
        assert "[bold red]X…" in text  # literal, cut with "…" to the 12-cell column
        assert "\x1b" not in text
        # what the table draws: the row holds the literal text, and no cell carries a link
        # (the URL itself could never be seen in a 12-cell column, so look at the styles)
        table = _table(app)
        segments = [seg for y in range(table.size.height) for seg in table.render_line(y)]
        row = next(
            "".join(s.text for s in table.render_line(y))
            for y in range(table.size.height)
            if "CS-HOSTILE" in "".join(s.text for s in table.render_line(y))
        )
        assert "[bold red]X…" in row and "\x1b" not in row
        assert not any(seg.style and seg.style.link for seg in segments)


async def test_the_in_memory_inbox_is_built_once_per_gap_however_often_the_data_changes(
    make_app: Callable[..., ExpereoApp], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first sync changes the data with every page it stores: the in-memory inbox is built
    again after a change, but not twice within WARM_GAP; changes within it are built once,
    when it is over."""
    builds: list[float] = []
    warm = store.cases.warm_inbox

    def counted() -> None:
        builds.append(time.monotonic())
        warm()

    monkeypatch.setattr(store.cases, "warm_inbox", counted)
    monkeypatch.setattr(InboxScreen, "WARM_GAP", 1.0)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: len(builds) == 1 and store.cases.inbox_is_warm())
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        started = screen.warmed_at  # when the screen set the first build going
        some = [r.id for r in store.cases.query_cases(CaseQuery(), limit=2)]
        for case_id in some:  # two changes, each followed by the call a reload makes
            store.mark_unread(case_id)
            assert not store.cases.inbox_is_warm()
            screen._warm_inbox()
            await pilot.pause()
            assert len(builds) == 1  # within the gap: waits
        await until(pilot, lambda: len(builds) == 2 and store.cases.inbox_is_warm())
        assert builds[1] >= started + 1.0
        await pilot.pause(0.2)
        assert len(builds) == 2  # one build for both changes
