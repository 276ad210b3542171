"""What a new user ran into at 80x24 (issue 14): each fix, seen the way a person sees it."""

from __future__ import annotations

import re
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Footer, Input, Static, TextArea
from textual.widgets._toast import Toast, ToastRack

from expereo_tui.api.vocab import OPEN_STATUSES
from expereo_tui.sim import Simulator
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.compose import ComposePanel
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.case.thread_view import ThreadView
from expereo_tui.ui.forms.new_case import NewCaseScreen
from expereo_tui.ui.forms.update_case import UpdateCaseScreen
from expereo_tui.ui.inbox.screen import InboxScreen
from expereo_tui.ui.options import AppOptions
from expereo_tui.ui.screens.dialogs import ConfirmScreen, HelpScreen
from expereo_tui.ui.widgets.news_line import NewsLine
from expereo_tui.ui.widgets.status_bar import StatusBar

from .conftest import screen_text, until


def _footer_line(app: ExpereoApp) -> str:
    return screen_text(app).rstrip().splitlines()[-1]


async def test_footer_shows_the_keys_that_matter_at_80_columns(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause()
        footer = _footer_line(app)
        for key in ("⏎ Open", "u Next unread", "r Reply", "/ Search", "q Quit", "? Help"):
            assert key in footer, (key, footer)
        assert footer.rstrip().endswith("^p palette")  # nothing cut off
        for rest in ("Filter", "Sort", "New case", "Inventory", "Refresh", "Pause"):
            assert rest not in footer, (rest, footer)  # behind "?"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one(Static).render()).lower()
        for rest in ("filter by", "cycle the sort", "new case", "inventory", "refresh now"):
            assert rest in help_text, rest
        await pilot.press("escape")
        case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
        await app.push_screen(CaseScreen(case_id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        footer = _footer_line(app)
        for key in ("esc Back", "r Reply", "q Quit", "? Help"):
            assert key in footer, (key, footer)


async def test_reply_box_starts_small_and_grows_to_a_third_of_the_screen(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
    store.drafts.save_draft(f"reply:{case_id}", {"text": ""})
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id, reply=True))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        area = app.screen.query_one(ComposePanel).area
        thread = app.screen.query_one(ThreadView)
        assert area.region.height <= 2, area.region
        assert thread.region.height >= 10, thread.region  # the thread gets the room
        await pilot.press(*"one", "enter", *"two", "enter", *"three")
        await until(pilot, lambda: area.region.height >= 3)
        for _ in range(20):
            await pilot.press("enter", "x")
        await pilot.pause()
        assert 3 <= area.region.height <= 24 // 3, area.region
        assert area.text.count("\n") == 22  # nothing typed was lost


def _plain(app: ExpereoApp) -> str:
    return " ".join(re.sub(r"[█▀▄▔▁▌]", " ", screen_text(app)).split())


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_quit_with_draft_dialog_reads_whole(
    make_app: Callable[..., ExpereoApp], store: Store, size: tuple[int, int]
) -> None:
    case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
    store.drafts.save_draft(f"reply:{case_id}", {"text": "half a reply"})
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        for n in range(4):  # toasts in the corner would lie over the question at 80x24
            app.notify(f"CS-10000{n}: In Progress → Awaiting Customer, a longer line", timeout=60)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.pause()
        text = _plain(app)
        assert f"1 unsent draft(s) ({case_id})." in text, text
        assert "They are saved and come back next time. Quit anyway?" in text, text
        assert "Stay (n)" in text and "Quit (y)" in text


async def test_toasts_never_cover_the_reply_box_or_the_status_bar(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id, reply=True))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        for n in range(6):
            app.notify(f"CS-10000{n}: In Progress → Awaiting Customer, a longer line", timeout=60)
        await pilot.press(*"a reply", *["enter", "x"] * 10)
        await until(pilot, lambda: len(app.screen.query(Toast)) > 0)
        await pilot.pause()
        screen = app.screen
        keep_clear = [
            screen.query_one("#case-header").region,  # the case header too (#32)
            screen.query_one(ComposePanel).region,
            screen.query_one(StatusBar).region,
            screen.query_one(Footer).region,
        ]
        toasts = [t.region for t in screen.query(Toast) if t.region.height]
        assert toasts
        for region in keep_clear:  # what is on top at every cell of them
            for y in range(region.y, region.bottom):
                for x in range(region.x, region.right):
                    widget, _ = screen.get_widget_at(x, y)
                    assert not isinstance(widget, Toast | ToastRack), (x, y, widget)


async def test_toasts_never_cover_the_inbox_header_and_stack_at_most_a_few(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        for n in range(6):
            app.notify(f"CS-10000{n}: In Progress → Awaiting Customer, a longer line", timeout=60)
        await until(pilot, lambda: len(app.screen.query(Toast)) > 0)
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#cases")
        header_line = table.region._replace(height=1)
        keep_clear = [screen.query_one("#counts").region, screen.query_one("#chips").region,
                      header_line, screen.query_one(StatusBar).region,
                      screen.query_one(Footer).region]  # fmt: skip
        shown = [t.region for t in screen.query(Toast) if t.region.height]
        assert shown and screen.query_one(ToastRack).region.height <= 10  # a capped stack
        assert all(r.width <= 44 for r in shown)
        for region in keep_clear:
            for y in range(region.y, region.bottom):
                for x in range(region.x, region.right):
                    widget, _ = screen.get_widget_at(x, y)
                    assert not isinstance(widget, Toast | ToastRack), (x, y, widget)


@pytest.mark.parametrize("form", ["update", "new"])
async def test_a_form_has_no_toasts_its_news_is_one_line_above_the_status_bar(
    make_app: Callable[..., ExpereoApp], sim: Simulator, form: str
) -> None:
    """News on a form (a new P1, a batch of changes) never lies over a field: no toast, but one
    line above the status bar that says it, and is empty again after its time."""
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(UpdateCaseScreen(case_id) if form == "update" else NewCaseScreen())
        await until(pilot, lambda: isinstance(app.screen, UpdateCaseScreen | NewCaseScreen))
        for n in range(4):
            app.notify(f"New P1 case CS-10000{n}: [b]Service down[/b]", markup=False, timeout=0.3)
        app.notify("Background refresh [b]PAUSED[/b]", severity="warning", timeout=0.3)
        line = app.screen.query_one(NewsLine)
        await until(pilot, lambda: "PAUSED" in str(line.render()))
        assert not app.screen.query(Toast) and not app.query(Toast)
        assert "[b]" not in str(line.render())  # the app's own markup is read, not shown
        assert line.region.bottom == app.screen.query_one(StatusBar).region.y
        assert not any(line.region.overlaps(i.region) for i in app.screen.query(Input))
        await until(pilot, lambda: str(line.render()) == "")  # gone after its time
        app.notify("New P1 case CS-1: [b]x[/b]", markup=False)
        await until(pilot, lambda: "[b]x[/b]" in str(line.render()))  # the API's text as it came


async def test_case_header_shows_a_saved_customer_reference_at_once(
    make_app: Callable[..., ExpereoApp], sim: Simulator
) -> None:
    case_id = next(c["id"] for c in sim.data.cases.values() if c["status"] == "In Progress")
    app = make_app(online=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        case_screen = app.screen
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, UpdateCaseScreen))
        form = app.screen
        form.query_one("#reference", Input).value = "CHG-NEW-77"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Saved:" in screen_text(app))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is case_screen)
        await pilot.pause()
        assert "CHG-NEW-77" in screen_text(app)
        await pilot.press("ctrl+r")
        for _ in range(20):
            await pilot.pause()
        assert "CHG-NEW-77" in screen_text(app)


@pytest.fixture
def fake_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An 'editor' that records what it was given and appends a line; the headless driver is
    allowed to suspend (a real terminal is), and each suspension is counted."""
    seen = tmp_path / "seen.txt"
    script = tmp_path / "fake-editor"
    script.write_text(f'#!/bin/sh\ncp "$1" {seen}\nprintf "\\nfrom the editor\\n" >> "$1"\n')
    script.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: True))
    monkeypatch.setattr(
        HeadlessDriver, "suspend_application_mode", lambda self: SUSPENDED.append(True)
    )
    SUSPENDED.clear()
    return seen


SUSPENDED: list[bool] = []


def _seen(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


async def test_ctrl_e_edits_the_reply_in_the_editor(
    make_app: Callable[..., ExpereoApp], store: Store, fake_editor: Path
) -> None:
    case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id, reply=True))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        panel = app.screen.query_one(ComposePanel)
        await until(pilot, lambda: app.focused is panel.area)
        await pilot.press(*"typed first", "ctrl+e")
        await until(pilot, lambda: "from the editor" in panel.text)
        assert _seen(fake_editor) == "typed first"
        assert panel.text == "typed first\nfrom the editor"
        assert SUSPENDED == [True]  # the app was suspended around the editor
        await until(
            pilot, lambda: "from the editor" in str(store.drafts.load_draft(f"reply:{case_id}"))
        )


async def test_ctrl_e_edits_the_new_case_message_and_leaves_inputs_alone(
    make_app: Callable[..., ExpereoApp], fake_editor: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        app.action_new_case(None)
        await until(pilot, lambda: bool(app.screen.query("#message")))
        screen = app.screen
        assert isinstance(screen, NewCaseScreen)
        reference = screen.query_one("#reference", Input)
        reference.focus()
        await pilot.press(*"REF", "home", "ctrl+e", "Z")  # ctrl+e in an Input: end of line
        assert reference.value == "REFZ"
        assert _seen(fake_editor) is None and not SUSPENDED
        message = screen.query_one("#message", TextArea)
        message.focus()
        await pilot.press(*"hello", "ctrl+e")
        await until(pilot, lambda: "from the editor" in message.text)
        assert _seen(fake_editor) == "hello"
        assert message.text == "hello\nfrom the editor"


PORTAL = "https://portal.example/cases/{case_id}"


async def test_o_over_ssh_copies_the_url_and_shows_a_link(
    make_app: Callable[..., ExpereoApp], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSH_TTY", "/dev/pts/3")
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))
    case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
    app = make_app(portal_url_pattern=PORTAL)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.press("o")
        url = PORTAL.format(case_id=case_id)
        await until(pilot, lambda: app.clipboard == url)
        await until(pilot, lambda: bool(app.screen.query(Toast)))
        contents = [toast.render() for toast in app.screen.query(Toast)]
        assert any(url in content.plain for content in contents)
        links = [str(span.style) for content in contents for span in content.spans]
        assert f'link="{url}"' in links  # an OSC 8 link on the terminal
    assert opened == []  # no browser started over SSH


async def test_o_locally_opens_the_browser_off_the_event_loop(
    make_app: Callable[..., ExpereoApp], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    main_thread = threading.get_ident()
    calls: list[tuple[str, int]] = []
    release = threading.Event()

    def slow_browser(url: str, *args: object, **kw: object) -> bool:
        calls.append((url, threading.get_ident()))
        release.wait(30)  # a browser that takes its time: the app must keep answering
        return True

    monkeypatch.setattr(webbrowser, "open", slow_browser)
    case_id = store.cases.query_cases(CaseQuery(), limit=1)[0].id
    app = make_app(portal_url_pattern=PORTAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await app.push_screen(CaseScreen(case_id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.press("o")
        await until(pilot, lambda: bool(calls))
        await pilot.press("question_mark")  # still answering keys while the browser starts
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        release.set()
    assert calls[0][0] == PORTAL.format(case_id=case_id)
    assert calls[0][1] != main_thread


@pytest.mark.parametrize("under_tmux", [True, False])
async def test_under_tmux_say_once_how_to_enable_clipboard_and_passthrough(
    make_app: Callable[..., ExpereoApp], monkeypatch: pytest.MonkeyPatch, under_tmux: bool
) -> None:
    if under_tmux:
        monkeypatch.setenv("TMUX", "/tmp/tmux-1000/default,1234,0")
    else:
        monkeypatch.delenv("TMUX", raising=False)
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.press("y", "y")
        app.alerter.desktop("CS-1: new reply")
        app.alerter.desktop("CS-2: new reply")
        await pilot.pause()
        said = [n.message for n in app._notifications]
    clipboard = [m for m in said if "set-clipboard on" in m]
    passthrough = [m for m in said if "allow-passthrough on" in m]
    if under_tmux:
        assert len(clipboard) == 1 and len(passthrough) == 1, said
    else:
        assert clipboard == passthrough == [], said
    again = make_app()  # the next launch, on the same profile's store: the hints were given
    async with again.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(again.screen, InboxScreen))
        await pilot.press("y")
        again.alerter.desktop("CS-3: new reply")
        await pilot.pause()
        said = [n.message for n in again._notifications]
    assert not [m for m in said if "tmux.conf" in m], said


async def test_inbox_opens_on_open_cases_and_shows_the_rest_one_key_away(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    assert AppOptions().inbox_open_only  # what a new user gets
    counts = store.cases.status_counts()
    open_total = sum(counts.get(s, 0) for s in OPEN_STATUSES)
    assert 0 < open_total < store.cases.case_count()  # the seed has both kinds
    app = make_app(inbox_open_only=True)  # the default of AppOptions
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        assert screen.total == open_total
        text = screen_text(app)
        assert "● " in text and " unread" in text  # the legend of the unread marker
        assert "open cases (a: all)" in text
        await pilot.press("a")
        await until(pilot, lambda: screen.total == store.cases.case_count())
        await pilot.press("a")
        await until(pilot, lambda: screen.total == open_total)


async def test_one_label_per_status_everywhere(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    waiting = store.cases.query_cases(CaseQuery(statuses=frozenset({"Awaiting Customer"})), limit=1)
    assert waiting
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, InboxScreen))
        await pilot.pause()
        inbox = screen_text(app)
        await app.push_screen(CaseScreen(waiting[0].id))
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        await pilot.pause()
        case = screen_text(app)
    for text in (inbox, case):
        assert "Awaiting Customer" in text and "Awaiting you" not in text


async def test_the_status_tick_while_closing_is_harmless(
    make_app: Callable[..., ExpereoApp],
) -> None:
    """The 1 s status refresh can fire while the app closes, when no screen is left: it must
    not raise (it failed a CI run with ScreenStackError)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert not app.screen_stack
    app.refresh_status()
