"""The command line and the configuration: clear one-line errors, secrets, config check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from expereo_tui import __version__
from expereo_tui.cli import main
from expereo_tui.config import ConfigError, config_path, get_profile, resolve_secret
from expereo_tui.sim import Simulator


def write_config(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def profile_toml(url: str, **extra: str) -> str:
    lines = [
        f'[profiles.lab]\nbase_url = "{url}"\ntoken_url = "{url}/oauth2/token"',
        'client_id = "test-client"',
    ] + [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_profile_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "config init" in err and "demo" in err


def test_bad_toml_names_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config("[profiles.lab\nbase_url = 1")
    assert main(["--profile", "lab"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "TOML" in err and "Traceback" not in err


def test_invalid_value_names_the_key() -> None:
    write_config(profile_toml("ftp://nope", poll_interval="1"))
    with pytest.raises(ConfigError) as info:
        get_profile("lab")
    assert "profiles.lab.base_url" in str(info.value)
    assert "http" in str(info.value)


def test_unknown_profile_lists_the_known_ones() -> None:
    write_config(profile_toml("http://x"))
    with pytest.raises(ConfigError, match="known: lab"):
        get_profile("prod")


def test_secret_order_env_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    secret.chmod(0o644)
    write_config(profile_toml("http://x", secret_file=f'"{secret}"'))
    name, profile = get_profile("lab")
    with pytest.raises(ConfigError, match="chmod 600"):
        resolve_secret(name, profile)
    secret.chmod(0o600)
    assert resolve_secret(name, profile).secret == "from-file"
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "from-env")
    found = resolve_secret(name, profile)
    assert found.secret == "from-env" and "from-env" not in repr(found)


def test_no_secret_explains_the_three_ways() -> None:
    write_config(profile_toml("http://x"))
    name, profile = get_profile("lab")
    with pytest.raises(ConfigError, match="EXPEREO_CLIENT_SECRET.*keyring.*secret_file"):
        resolve_secret(name, profile)


def test_config_init_writes_a_commented_starter(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "config",
                "init",
                "--profile",
                "prod",
                "--client-id",
                "abc",
                "--base-url",
                "https://api.example",
                "--token-url",
                "https://auth.example/oauth2/token",
            ]
        )
        == 0
    )
    name, profile = get_profile(None)
    assert name == "prod" and profile.client_id == "abc"
    assert "secret" in config_path().read_text().lower()
    assert main(["config", "init", "--client-id", "x"]) == 1  # no silent overwrite


def test_config_check_passes_against_the_simulator(
    live_sim_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(profile_toml(live_sim_url))
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "test-secret-do-not-log")
    assert main(["config", "check", "--profile", "lab"]) == 0
    out = capsys.readouterr().out
    assert "token obtained" in out and "read cases" in out and "all checks passed" in out
    assert "test-secret-do-not-log" not in out


def test_config_check_fails_clearly_on_a_wrong_secret(
    live_sim_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(profile_toml(live_sim_url))
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "wrong")
    assert main(["config", "check", "--profile", "lab"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "refused the client id/secret" in out


def test_config_check_reports_missing_scopes(
    sim: Simulator,
    live_sim_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim.add_client("reader", "s3", ("customerapi/basic.read", "customerapi/support.read"))
    write_config(
        profile_toml(live_sim_url).replace("test-client", "reader")
        + 'scopes = ["customerapi/basic.read", "customerapi/support.read"]\n'
    )
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "s3")
    assert main(["config", "check", "--profile", "lab"]) == 0
    out = capsys.readouterr().out
    assert "missing scope customerapi/financial.read" in out
    assert "read-only" in out


def test_log_file_never_holds_the_secret(
    sim: Simulator, live_sim_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a process of its own (pytest's log capture would keep the file from being set up),
    a check that meets 429s and 500s logs its retries to the log file, and never the secret."""
    import subprocess
    import sys

    from expereo_tui.config import log_path

    write_config(profile_toml(live_sim_url))
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "test-secret-do-not-log")
    sim.faults.storm_429 = 2
    sim.faults.storm_retry_after = 0
    done = subprocess.run(
        [sys.executable, "-m", "expereo_tui", "config", "check", "--profile", "lab"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test-secret-do-not-log" not in done.stdout + done.stderr
    log = log_path().read_text()  # it must exist: an absent log proves nothing
    assert "retrying" in log  # and hold what happened
    assert "test-secret-do-not-log" not in log
    assert os.environ["EXPEREO_CLIENT_SECRET"]  # untouched
