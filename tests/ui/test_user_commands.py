"""#33 item 7: your own commands on the selected case.  ``argv`` runs as it is; the case's fields
reach it only as environment variables (never pasted into a shell string); the app's secrets do
not; the help and the palette list them."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from expereo_tui.api.models import Case
from expereo_tui.config import InvalidConfig, Profile, UserCommand
from expereo_tui.store.store import CaseQuery, Store
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.inbox.screen import InboxScreen

from .conftest import screen_text, until

HOSTILE = 'x"; touch pwned; echo "$(id)'


def recorder(out: Path) -> UserCommand:
    """A command that writes what it was given (its argv and EXPEREO_* variables) to ``out``."""
    code = (
        "import json, os, sys; json.dump({'argv': sys.argv[1:], 'env': {k: v for k, v in "
        "os.environ.items() if k.startswith('EXPEREO')}}, open(sys.argv[1], 'w'))"
    )
    return UserCommand(key="ctrl+g", argv=[sys.executable, "-c", code, str(out)], description="log")


@contextlib.contextmanager
def no_suspend() -> Iterator[None]:  # a headless test has no terminal to hand over
    yield


async def test_a_command_gets_the_case_as_variables_and_never_in_a_shell(
    tmp_path: Path,
    store: Store,
    make_app: Callable[..., ExpereoApp],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "got.json"
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "s3cr3t-not-for-commands")
    monkeypatch.chdir(tmp_path)
    row = store.cases.query_cases(CaseQuery(), limit=1)[0]
    case = store.cases.case(row.id)
    assert case is not None
    store.cases.upsert_cases([Case.model_validate({**case.to_wire(), "subject": HOSTILE})])
    app = make_app(user_commands={"log": recorder(out)})
    monkeypatch.setattr(app, "suspend", no_suspend)
    async with app.run_test(size=(120, 30)) as pilot:
        assert isinstance(app.screen, InboxScreen)
        selected = app.selected_case_id()
        assert selected is not None
        await pilot.press("ctrl+g")
        await until(pilot, out.exists)
        got = json.loads(out.read_text())
        assert got["argv"] == [str(out)]  # argv as written: nothing pasted in
        env = got["env"]
        assert env["EXPEREO_CASE_ID"] == selected
        assert env["EXPEREO_PROFILE"] == app.options.profile_name
        if selected == row.id:
            assert env["EXPEREO_CASE_SUBJECT"] == HOSTILE  # data, never run
        assert not (tmp_path / "pwned").exists()
        assert "EXPEREO_CLIENT_SECRET" not in env  # the app's secret stays the app's
        said = f"log on {selected}: python done"
        await until(pilot, lambda: said in [str(n.message) for n in app._notifications])


async def test_the_help_and_the_palette_list_your_commands(
    tmp_path: Path, make_app: Callable[..., ExpereoApp]
) -> None:
    app = make_app(user_commands={"log": recorder(tmp_path / "x.json")})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: "Your commands" in screen_text(app))
        assert "ctrl+g  log: log" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"Run log")
        await until(pilot, lambda: "Run log" in screen_text(app))


def test_a_command_needs_a_program_and_a_key_of_its_own() -> None:
    with pytest.raises(InvalidConfig, match="must name a program"):
        Profile.load({"client_id": "c", "commands": {"x": {"key": "ctrl+g", "argv": []}}})
    with pytest.raises(InvalidConfig, match="already the key of command"):
        Profile.load(
            {
                "client_id": "c",
                "commands": {
                    "a": {"key": "ctrl+g", "argv": ["true"]},
                    "b": {"key": "ctrl+g", "argv": ["false"]},
                },
            }
        )


async def test_the_palette_switches_profile(make_app: Callable[..., ExpereoApp]) -> None:
    """#33 item 7: another profile from the palette, without restarting the program (the
    launch runs the chosen profile next in the same process: tests/test_cli.py)."""
    app = make_app(other_profiles=("lab", "prod"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Switch to profile prod")
        await until(pilot, lambda: "Switch to profile prod" in screen_text(app))
        await pilot.press("enter")
        await until(pilot, lambda: app.switch_to == "prod")
    assert app.return_code in (None, 0)
