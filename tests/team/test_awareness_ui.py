"""Team awareness on screen: another instance's claim shows in the inbox row ("taken by bob"),
this one's as "mine", and a colleague typing in a case shows on its screen.  The app is the
real one (the seeded simulator, a real engine) with a team over a real team store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from expereo_tui.store.store import Store
from expereo_tui.team.awareness import Awareness
from expereo_tui.team.link import Team
from expereo_tui.team.runtime import TeamRuntime
from expereo_tui.team.settings import TeamSettings, client_key
from expereo_tui.ui.app import ExpereoApp
from expereo_tui.ui.case.screen import CaseScreen
from expereo_tui.ui.inbox.case_table import CaseTable
from tests.pgcluster import Team as TeamDb
from tests.ui.conftest import make_app, screen_text, store, until  # noqa: F401 (fixtures)

CLIENT = client_key("http://sim", "client")


def runtime(team: TeamDb, user: str) -> TeamRuntime:
    settings = TeamSettings(
        url=team.url(), client=CLIENT, password=team.password(), username=user, host=user
    )
    return TeamRuntime(settings, heartbeat=0.5)


def with_team(app: ExpereoApp, rt: TeamRuntime) -> None:
    """The app's engine gets a team (what launch does for a profile with team_url)."""
    original = app.engine_factory
    assert original is not None

    def factory(on_event: Callable[..., None]) -> Any:
        engine = original(on_event)
        engine.team = Team(rt)
        return engine

    app.engine_factory = factory


async def test_a_claim_by_another_instance_shows_taken_in_the_inbox(
    make_app: Callable[..., ExpereoApp],  # noqa: F811
    store: Store,  # noqa: F811
    team_db: TeamDb,
) -> None:
    alice_rt, bob = runtime(team_db, "alice"), Awareness(runtime(team_db, "bob"))
    app = make_app(online=True)
    with_team(app, alice_rt)
    await alice_rt.start()
    await bob.runtime.start()
    await bob.start()
    async with app.run_test(size=(140, 30)) as pilot:
        await until(pilot, lambda: app.awareness is not None and app.awareness.read)
        table = app.screen.query_one(CaseTable)
        first = table.cursor_key
        assert first is not None
        assert "⚑" not in screen_text(app)
        await until(pilot, lambda: bob.read and not bob.away)
        assert await bob.claim(first) == "bob"
        await until(pilot, lambda: "⚑ bob · " in screen_text(app))  # short in a row
        # T on the next row takes it for alice: "mine" here, "taken by alice" for bob
        await pilot.press("down")
        second = table.cursor_key
        assert second is not None and second != first
        await pilot.press("T")
        await until(pilot, lambda: "⚑ mine" in screen_text(app))
        await until(pilot, lambda: bob.claim_label(second) == "taken by alice")
        # bob types in the case alice has open: she sees it on the case screen
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CaseScreen))
        bob.typing(second)
        await until(pilot, lambda: "bob is replying" in screen_text(app))
        await until(pilot, lambda: bob.presence_line(second) == "alice is viewing")
    await bob.stop()
    await bob.runtime.stop()
    await alice_rt.stop()
