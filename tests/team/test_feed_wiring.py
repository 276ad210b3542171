"""The launch builds the engine's team from a profile's team_url (cli/team_setup.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from expereo_tui.cli import team_setup
from expereo_tui.cli.launch import engine_factory_for
from expereo_tui.config import ConfigError, Profile
from expereo_tui.store.store import Store


def test_no_team_url_no_team() -> None:
    assert team_setup.team_factory("p", Profile(client_id="c"), read_only=False) is None


def test_without_the_extra_the_launch_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a)
    )
    profile = Profile(client_id="c", team_url="postgresql://noc@127.0.0.1/team")
    with pytest.raises(ConfigError, match=r"pip install 'psycopg\[binary\]'"):
        team_setup.team_factory("p", profile, read_only=False)


def test_the_engine_gets_a_team_with_a_feed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXPEREO_TEAM_PASSWORD", "pw-not-shown")
    profile = Profile(client_id="c", team_url="postgresql://noc@127.0.0.1/team")
    team = team_setup.team_factory("p", profile, read_only=True)
    assert team is not None
    from expereo_tui.api.settings import ClientSettings

    store = Store(tmp_path / "s.sqlite3")
    factory = engine_factory_for(
        ClientSettings(
            base_url="http://x", token_url="http://x/t", client_id="c", client_secret="s"
        ),
        store,
        read_only=True,
        lock_path=None,
        team=team,
    )
    engine = factory(lambda event: None)
    from expereo_tui.team.feed import Feed
    from expereo_tui.team.link import Team

    assert isinstance(engine.team, Team) and isinstance(engine.team.feed, Feed)
    settings = engine.team.runtime.settings
    assert settings.read_only and settings.password == "pw-not-shown"
    assert "pw-not-shown" not in repr(settings)
    store.close()
