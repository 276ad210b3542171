"""Profiles choose the API: `api = "v1"`, `config check` on V1, `config init --api`, and the
engine the app builds for a V1 profile."""

from __future__ import annotations

import pytest

from expereo_tui.api.v1 import V1Client
from expereo_tui.api.v2 import ClientSettings
from expereo_tui.cli.launch import engine_factory_for
from expereo_tui.cli.main import main
from expereo_tui.cli.parsers import demo_parser
from expereo_tui.config import ConfigError, get_profile
from expereo_tui.locations import config_path
from expereo_tui.store.store import Store
from tests.test_cli import profile_toml, write_config


def test_profile_api_defaults_to_v2_and_accepts_v1(live_sim_url: str) -> None:
    write_config(profile_toml(live_sim_url))
    assert get_profile("lab")[1].api == "v2"
    write_config(profile_toml(live_sim_url, api='"v1"'))
    assert get_profile("lab")[1].api == "v1"


def test_unknown_api_is_one_line_naming_the_key(live_sim_url: str) -> None:
    write_config(profile_toml(live_sim_url, api='"v3"'))
    with pytest.raises(ConfigError) as exc:
        get_profile("lab")
    assert "profiles.lab.api" in str(exc.value) and "\n" not in str(exc.value)


def test_config_check_on_a_v1_profile_says_which_api_answers(
    live_sim_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(profile_toml(live_sim_url, api='"v1"'))
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "test-secret-do-not-log")
    assert main(["config", "check", "--profile", "lab"]) == 0
    out = capsys.readouterr().out
    assert "api = 'v1'" in out
    assert "ok    API V1 (GraphQL) answers these credentials" in out
    assert "ok    API V2 (REST) answers these credentials" in out
    assert "read cases" in out and "all checks passed" in out
    assert "test-secret-do-not-log" not in out


def test_config_check_names_the_api_that_does_not_answer(
    live_sim_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(profile_toml(live_sim_url, api='"v1"'))
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "wrong")
    assert main(["config", "check", "--profile", "lab"]) == 1
    out = capsys.readouterr().out
    assert "no    API V1 (GraphQL) does not answer" in out and "FAIL" in out


def test_config_init_writes_the_chosen_api() -> None:
    assert main(["config", "init", "--client-id", "abc", "--api", "v1"]) == 0
    assert 'api = "v1"' in config_path().read_text()
    assert get_profile(None)[1].api == "v1"


async def test_a_v1_profile_gets_an_engine_on_the_v1_backend(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = ClientSettings(
        base_url="http://sim", token_url="http://sim/oauth2/token", client_id="c", client_secret="s"
    )
    store = Store(tmp_path / "s.sqlite3")
    engine = engine_factory_for(settings, store, read_only=False, lock_path=None, api="v1")(
        lambda e: None
    )
    assert isinstance(engine.client, V1Client)
    await engine.client.aclose()
    assert demo_parser().parse_args(["--api", "v1"]).api == "v1"
    assert demo_parser().parse_args([]).api == "v2"


async def test_the_engine_factory_builds_lazy_settings_only_with_the_engine(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``launch.run`` hands the factory what builds the client settings: they (and the rate-limit
    module) are built with the engine, after the first frame, not at launch."""
    built: list[ClientSettings] = []

    def settings() -> ClientSettings:
        built.append(
            ClientSettings(
                base_url="http://sim", token_url="http://sim/t", client_id="c", client_secret="s"
            )
        )
        return built[-1]

    store = Store(tmp_path / "s.sqlite3")
    factory = engine_factory_for(settings, store, read_only=True, lock_path=None)
    assert built == []
    engine = factory(lambda e: None)
    assert built and engine.client.settings is built[0]
    await engine.client.aclose()
    store.close()
