"""Themes reach every colour: no hex colour in the UI's Python, each domain colour readable
(WCAG 4.5:1) on every theme, a theme variable recolours what is drawn, the palette's choice is
remembered; sync events reach screens through a Signal; checkboxes read without colour."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from rich.color import ColorType
from rich.style import Style
from textual.color import Color
from textual.theme import BUILTIN_THEMES
from textual.widgets import Checkbox, SelectionList

from expereo_tui.cli.main import main
from expereo_tui.locations import config_path
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.sync.events import CasesChanged, SyncEvent
from expereo_tui.ui import themes
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.format import priority_text
from expereo_tui.ui.inbox.case_table import CaseTable
from expereo_tui.ui.inbox.filter import FilterScreen
from expereo_tui.ui.screens.base import AppScreen

from .conftest import until

UI = Path(themes.__file__).parent
HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")


def test_no_hex_colour_in_the_ui_outside_the_theme_definitions() -> None:
    """Every colour comes from the theme, so high-contrast and 16-colour can recolour it."""
    found = [
        f"{path.relative_to(UI)}:{n}: {line.strip()}"
        for path in sorted(UI.rglob("*"))
        if path.suffix in (".py", ".tcss") and path.name != "themes.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HEX.search(line.split("  # ")[0])
    ]
    assert found == []


def _luminance(rgb: tuple[int, int, int]) -> float:
    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _app_theme_styles(app: ExpereoApp, name: str) -> tuple[dict[str, Style], dict[str, str]]:
    app.theme = name
    variables = app.get_css_variables()
    return {role: themes.style(role) for role in themes.ROLES}, variables


ANSI_THEMES = {"expereo-16", "ansi-dark", "ansi-light"}
TRUECOLOUR_THEMES = [n for n in themes.theme_names() if n not in ANSI_THEMES]


def test_every_domain_colour_reads_at_4_5_to_1_on_every_theme(
    make_app: Callable[..., ExpereoApp],
) -> None:
    """Priority, status and send-state text on the theme's backgrounds (textual-light included)."""
    app = make_app()
    failures = []
    for name in TRUECOLOUR_THEMES:
        styles, variables = _app_theme_styles(app, name)
        base = Color.parse(variables["background"])
        backgrounds = {"background": base.rgb}
        for key in ("surface", "panel"):
            color = Color.parse(variables[key])
            backgrounds[key] = base.blend(color.with_alpha(1), color.a).rgb
        for role, style in styles.items():
            assert style.color is not None, f"{name}: {role} has no colour"
            fg = style.color.get_truecolor()
            for where, bg in backgrounds.items():
                ratio = _contrast((fg.red, fg.green, fg.blue), bg)
                if ratio < 4.5:
                    failures.append(f"{name}: {role} on {where} is {ratio:.2f}:1")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", sorted(ANSI_THEMES))
def test_16_colour_themes_use_only_the_terminals_colours(
    make_app: Callable[..., ExpereoApp], name: str
) -> None:
    """Under an ANSI theme every domain colour is one of the 16 (or dim): none is truecolour."""
    styles, _ = _app_theme_styles(make_app(), name)
    for role, style in styles.items():
        assert style.color is None or style.color.type in (
            ColorType.STANDARD,
            ColorType.DEFAULT,
        ), f"{role}: {style}"
    assert styles["priority-p1"] != styles["priority-p4"]


def _p1_cell_style(app: ExpereoApp) -> Style:
    table = app.screen.query_one(CaseTable)
    for y in range(1, table.size.height):
        if y - 1 == table.cursor_row:
            continue  # the cursor draws its own text colour
        for segment in table.render_line(y):
            if segment.text.strip() == "P1" and segment.style is not None:
                return segment.style
    raise AssertionError("no P1 on screen")


async def test_a_theme_variable_recolours_the_inbox(
    make_app: Callable[..., ExpereoApp], store: Store
) -> None:
    """A theme that sets ``priority-p1`` changes how P1 is drawn, at once, without a restart."""
    assert store.cases.query_cases(CaseQuery(priorities=frozenset({"P1"})), limit=1)
    app = make_app(theme="textual-dark")
    custom = replace(
        BUILTIN_THEMES["textual-dark"], name="mine", variables={"priority-p1": "#ff88ff"}
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: bool(app.screen.query(CaseTable)))
        await pilot.pause()
        before = _p1_cell_style(app)
        assert before.color is not None and before.color.get_truecolor().hex != "#ff88ff"
        app.register_theme(custom)
        app.theme = "mine"
        await until(pilot, lambda: _p1_cell_style(app).color != before.color)
        after = _p1_cell_style(app)
        assert after.color is not None and after.color.get_truecolor().hex == "#ff88ff"
        assert after.reverse  # P1 is still a block: the colour moved, the shape did not
        assert priority_text("P1").style == themes.style("priority-p1")


async def test_the_chosen_theme_comes_back_next_launch(
    make_app: Callable[..., ExpereoApp],
) -> None:
    """What the palette picks is saved in the store and restored; a changed config wins."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "expereo-16"  # what the palette's theme picker does
        await until(pilot, lambda: app.store.meta.get_meta(ExpereoApp.THEME_META_KEY) is not None)
    assert make_app().theme == "expereo-16"
    # the profile's theme changed since the choice: the config speaks again
    assert make_app(theme="textual-light").theme == "textual-light"
    # a saved theme that no longer exists is forgotten, not an error
    app.store.meta.set_meta(ExpereoApp.THEME_META_KEY, '{"theme": "gone", "config": null}')
    assert make_app().theme == "textual-dark"


def test_unknown_theme_in_config_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[profiles.lab]\nbase_url = "https://x"\ntoken_url = "https://x/oauth2/token"\n'
        'client_id = "c"\ntheme = "solarised-typo"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "s")
    assert main(["--profile", "lab"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "'solarised-typo' is not a theme" in err and "textual-light" in err


class Recorder(AppScreen[None]):
    """A screen that notes what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[SyncEvent] = []
        self.flushes = 0

    def sync_event(self, event: SyncEvent) -> None:
        self.events.append(event)

    def flush(self) -> None:
        self.flushes += 1


async def test_sync_events_reach_screens_below_the_top_and_not_unmounted_ones(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    lower, top = Recorder(), Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(lower)
        await app.push_screen(top)
        first = CasesChanged(())
        app.deliver_sync_event(first)
        await until(pilot, lambda: lower.events == [first] and top.events == [first])
        await app.pop_screen()
        await until(pilot, lambda: not top.is_running)
        second = CasesChanged(())
        app.deliver_sync_event(second)
        await until(pilot, lambda: lower.events == [first, second])
        assert top.events == [first]


async def test_quitting_flushes_every_screen_in_the_stack(
    make_app: Callable[..., ExpereoApp],
) -> None:
    app = make_app()
    lower, top = Recorder(), Recorder()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(lower)
        await app.push_screen(top)
        await pilot.press("q")
        assert (lower.flushes, top.flushes) == (1, 1)


def _drawn(app: ExpereoApp) -> list[str]:
    """The lines the filter's boxes draw, as text."""
    lines = [str(app.screen.query_one("#unread", Checkbox).render()).rstrip()]
    for selection in app.screen.query(SelectionList):
        for y in range(selection.option_count):
            lines.append("".join(seg.text for seg in selection.render_line(y)).rstrip())
    return lines


async def test_filter_checkboxes_show_their_state_by_glyph(
    make_app: Callable[..., ExpereoApp],
) -> None:
    """On and off differ in the characters drawn, not only in colour."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(FilterScreen(CaseQuery(statuses=frozenset({"New"}), unread_only=True)))
        await until(pilot, lambda: isinstance(app.screen, FilterScreen))
        await pilot.pause()
        drawn = _drawn(app)
        assert "▐X▌ Unread only" in drawn
        assert "▐X▌ New" in drawn and "▐ ▌ Closed" in drawn and "▐ ▌ P1" in drawn
        await pilot.click("#clear")
        await pilot.pause()
        drawn = _drawn(app)
        assert "▐ ▌ Unread only" in drawn and "▐ ▌ New" in drawn
