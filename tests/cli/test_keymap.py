"""Key rebinding: the action ids are the app's binding ids, documented, validated with the
nearest valid name, and the help screen shows the keys as rebound."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from textual.binding import Binding

import expereo_tui.ui
from expereo_tui.config import ConfigError, get_profile
from expereo_tui.keymap import ACTIONS, help_text, key_label, markdown_table, nearest
from expereo_tui.locations import config_path


def ui_binding_ids() -> dict[str, str]:
    """Every ``Binding(..., id=...)`` in the UI, id → default key."""
    found: dict[str, str] = {}
    for info in pkgutil.walk_packages(expereo_tui.ui.__path__, "expereo_tui.ui."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == module.__name__:
                for b in vars(obj).get("BINDINGS", []):
                    if isinstance(b, Binding) and b.id:
                        found[b.id] = b.key
    return found


def test_the_table_is_the_apps_bindings() -> None:
    """A binding id added to the UI must be added to expereo_tui/keymap.py ACTIONS too."""
    assert {a.id: a.key for a in ACTIONS} == ui_binding_ids()


def test_docs_carry_the_generated_table() -> None:
    """docs/usage.md holds `python -m expereo_tui.keymap` verbatim."""
    docs = (Path(__file__).parents[2] / "docs" / "usage.md").read_text(encoding="utf-8")
    assert markdown_table() in docs


def write_keys(keys: str) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[profiles.lab]\nclient_id = "x"\n\n[profiles.lab.keys]\n{keys}\n')


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ('"inbox.next_unred" = "N"', "'inbox.next_unread'"),
        ('"next_unread" = "N"', "'inbox.next_unread'"),
        ('"case.replly" = "R"', "'case.reply'"),
        ('"inbox.search" = "ctrl f"', "not a key name"),
        ('"inbox.search" = ""', "not a key name"),
    ],
)
def test_a_misspelt_action_is_one_line_naming_the_nearest(line: str, names: str) -> None:
    write_keys(line)
    with pytest.raises(ConfigError) as info:
        get_profile("lab")
    message = str(info.value)
    assert names in message and "profiles.lab.keys" in message
    assert len(message.splitlines()) == 1


def test_valid_keys_load() -> None:
    write_keys('"inbox.next_unread" = "N"\n"compose.send" = "ctrl+s,f5"')
    assert get_profile("lab")[1].keys == {"inbox.next_unread": "N", "compose.send": "ctrl+s,f5"}
    assert nearest("wall.nxt") == "wall.next"


def test_help_text_shows_the_rebound_keys_in_place() -> None:
    text = help_text({"inbox.next_unread": "N", "inbox.down": "J", "app.help": "f1"})
    lines = text.splitlines()
    assert lines[0] == "Rebound in this profile"
    assert "  N             open the next unread case (instead of u)" in lines[:4]
    inbox = lines[lines.index("Inbox") : lines.index("Case")]
    assert "  N             open the next unread case" in inbox
    assert not any(line.split()[:2] == ["u", "open"] for line in inbox)  # the default is gone
    assert "  J             move down" in inbox and "  k             move up" in inbox
    assert help_text({}).splitlines()[0] == "Everywhere"


def test_help_lists_every_action_once_under_its_section() -> None:
    """The help is drawn from ACTIONS: a new action shows without writing its line twice."""
    text = help_text()
    for action in ACTIONS:
        line = f"  {key_label(action.key):<13} {action.does}"
        assert text.count(line + "\n") >= 1, line
    sections = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert sections[:7] == [
        "Everywhere",
        "Inbox",
        "Case",
        "New case form",
        "Update case form",
        "Inventory",
        "NOC wall",
    ]


def test_question_mark_shows_the_keys_as_rebound(tmp_path: Path) -> None:
    """In the app: the rebound help key opens help, which lists the rebound keys."""
    import asyncio

    from textual.widgets import Static

    from expereo_tui.store.store import Store
    from expereo_tui.ui.app import ExpereoApp
    from expereo_tui.ui.options import AppOptions
    from expereo_tui.ui.screens.dialogs import HelpScreen

    store = Store(tmp_path / "s.sqlite3")
    keymap = {"app.help": "f1", "inbox.next_unread": "N"}
    app = ExpereoApp(store=store, engine_factory=None, options=AppOptions(keymap=keymap))

    async def run() -> str:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f1")
            for _ in range(50):
                if isinstance(app.screen, HelpScreen):
                    break
                await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            return str(app.screen.query_one(Static).content)

    try:
        shown = asyncio.run(run())
    finally:
        store.close()
    assert "f1            the help screen" in shown
    assert "N             open the next unread case" in shown
