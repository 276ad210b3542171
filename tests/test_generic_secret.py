"""``EXPEREO_CLIENT_SECRET`` (the generic variable) is only the default profile's, or a
profile's that says ``generic_secret = true`` (issue #33 item 5): a production secret exported
in the shell must not reach a lab profile's ``token_url``."""

from __future__ import annotations

from pathlib import Path

import pytest

from expereo_tui.config import ConfigError, load_config, resolve_secret

CONFIG = """
default_profile = "prod"
[profiles.prod]
client_id = "p"
[profiles.lab]
client_id = "l"
token_url = "https://lab.example/token"
[profiles.shared]
client_id = "s"
generic_secret = true
"""


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "prod-secret")
    return dict(load_config(path).profiles)


def test_the_default_profile_and_one_that_opts_in_use_it(profiles: dict) -> None:
    assert resolve_secret("prod", profiles["prod"]).secret == "prod-secret"
    assert resolve_secret("shared", profiles["shared"]).secret == "prod-secret"


def test_another_profile_never_gets_it(profiles: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="generic_secret = true") as caught:
        resolve_secret("lab", profiles["lab"])
    assert "prod-secret" not in str(caught.value)
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET_LAB", "lab-secret")
    assert resolve_secret("lab", profiles["lab"]).secret == "lab-secret"


def test_without_default_profile_the_first_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.a]\nclient_id = "a"\n[profiles.b]\nclient_id = "b"\n')
    loaded = load_config(path).profiles
    assert loaded["a"].is_default and not loaded["b"].is_default


def test_is_default_is_not_a_key_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.a]\nclient_id = "a"\nis_default = true\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(path)
