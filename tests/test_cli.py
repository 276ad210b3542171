"""The command line and the configuration: clear one-line errors, secrets, config check."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from expereo_tui import __version__
from expereo_tui.cli.main import main
from expereo_tui.cli.parsers import app_parser
from expereo_tui.config import ConfigError, get_profile, resolve_secret
from expereo_tui.locations import config_path
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
    write_config(profile_toml("https://x"))
    with pytest.raises(ConfigError, match="known: lab"):
        get_profile("prod")


def test_secret_order_env_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    secret.chmod(0o644)
    write_config(profile_toml("https://x", secret_file=f'"{secret}"'))
    name, profile = get_profile("lab")
    with pytest.raises(ConfigError, match="chmod 600"):
        resolve_secret(name, profile)
    secret.chmod(0o600)
    assert resolve_secret(name, profile).secret == "from-file"
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "from-env")
    found = resolve_secret(name, profile)
    assert found.secret == "from-env" and "from-env" not in repr(found)


def test_no_secret_explains_the_three_ways() -> None:
    write_config(profile_toml("https://x"))
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
    assert main(["config", "init", "--profile", "prod", "--client-id", "x"]) == 1  # no overwrite
    assert "@" in profile.sent_by  # default user@host, written into the starter


def test_config_init_sets_sent_by(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["config", "init", "--client-id", "abc", "--sent-by", "anna@noc-jump-1"]
    assert main([*args, "--base-url", "https://api.example"]) == 0
    assert get_profile(None)[1].sent_by == "anna@noc-jump-1"


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
    a check that meets 429s and 500s logs its retries to the log file, and never the secret;
    with --debug every request is logged, and still no secret and no bearer token."""
    import subprocess
    import sys

    from expereo_tui.locations import log_path

    write_config(profile_toml(live_sim_url))
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "test-secret-do-not-log")
    sim.faults.storm_429 = 2
    sim.faults.storm_retry_after = 0
    done = subprocess.run(
        [sys.executable, "-m", "expereo_tui", "config", "check", "--profile", "lab", "--debug"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test-secret-do-not-log" not in done.stdout + done.stderr
    log = log_path().read_text()  # it must exist: an absent log proves nothing
    assert "retrying" in log  # and hold what happened
    assert "test-secret-do-not-log" not in log
    assert "HTTP Request: POST" in log and "/oauth2/token" in log  # --debug: each request
    tokens = list(sim.world.issuer._tokens)
    assert tokens  # tokens were issued: their absence from the log means something
    assert not any(t in log for t in tokens)
    assert os.environ["EXPEREO_CLIENT_SECRET"]  # untouched


# -- security: plain http, host-less URLs -------------------------------------------------------


@pytest.mark.parametrize("key", ["base_url", "token_url"])
def test_plain_http_to_a_remote_host_is_refused_naming_profile_and_key(key: str) -> None:
    urls = {"base_url": "https://api.example", "token_url": "https://auth.example/oauth2/token"}
    urls[key] = "http://example.com" + ("/oauth2/token" if key == "token_url" else "")
    write_config(
        f'[profiles.lab]\nbase_url = "{urls["base_url"]}"\ntoken_url = "{urls["token_url"]}"\n'
        'client_id = "c"\n'
    )
    with pytest.raises(ConfigError) as info:
        get_profile("lab")
    message = str(info.value)
    assert "profiles.lab" in message and key in message and "allow_insecure_http" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8704", "http://localhost:1", "http://[::1]:8080", "http://127.3.2.1"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    write_config(profile_toml(url))
    assert get_profile("lab")[1].base_url == url


def test_allow_insecure_http_loads_and_warns_at_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(profile_toml("http://example.com", allow_insecure_http="true"))
    assert get_profile("lab")[1].insecure_urls() == ["base_url", "token_url"]
    # the run stops at the missing secret, after the warning
    assert main(["--profile", "lab"]) == 2
    err = capsys.readouterr().err
    assert "warning" in err and "'lab'" in err and "base_url" in err and "in clear" in err
    # and the app's banner says it for as long as it runs
    import argparse

    from expereo_tui.cli.launch import options_for

    name, profile = get_profile("lab")
    options = options_for(name, profile, argparse.Namespace(read_only=False, wall=False))
    assert "PLAIN HTTP" in (options.profile_label or "") and options.profile_color == "red"


@pytest.mark.parametrize("url", ["https://", "http:///v2", "https://:443/x"])
def test_url_without_a_host_is_refused_naming_the_key(url: str) -> None:
    write_config(profile_toml(url))
    with pytest.raises(ConfigError) as info:
        get_profile("lab")
    assert "profiles.lab.base_url" in str(info.value) and "no host" in str(info.value)


# -- serve on another address -------------------------------------------------------------------


def test_serve_on_a_non_loopback_address_needs_read_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual_serve.server import Server

    def never(self: Server) -> None:
        raise AssertionError("served writes on a non-loopback address")

    monkeypatch.setattr(Server, "serve", never)
    assert main(["serve", "--demo", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "warning" in err and "0.0.0.0" in err and "--read-only" in err
    assert "--allow-remote-writes" in err


@pytest.mark.parametrize(
    ("argv", "warns", "refused"),
    [
        (["--host", "127.0.0.1"], False, False),
        (["--host", "localhost"], False, False),
        (["--host", "::1"], False, False),
        (["--host", "0.0.0.0", "--read-only"], True, False),
        (["--host", "192.168.1.5", "--wall"], True, False),
        (["--host", "0.0.0.0", "--allow-remote-writes"], True, False),
        (["--host", "10.0.0.1"], True, True),
    ],
)
def test_serve_remote_rules(argv: list[str], warns: bool, refused: bool) -> None:
    import argparse

    from expereo_tui.cli.serve import remote_check

    args = argparse.Namespace(read_only=False, wall=False, allow_remote_writes=False)
    for flag in argv[2:]:
        setattr(args, flag.lstrip("-").replace("-", "_"), True)
    args.host = argv[1]
    warnings, refusal = remote_check(args)
    assert bool(warnings) is warns and (refusal is not None) is refused


# -- scopes --------------------------------------------------------------------------------------


def test_config_init_asks_only_for_documented_scopes() -> None:
    assert main(["config", "init", "--client-id", "abc"]) == 0
    scopes = get_profile(None)[1].scopes
    assert scopes == [
        "customerapi/basic.read",
        "customerapi/support.read",
        "customerapi/support.read-write",
    ]
    assert "customerapi/financial.read" in config_path().read_text()  # mentioned, commented out
    args = ["config", "init", "--client-id", "abc", "--force", "--yes", "--with-invoices"]
    assert main(args) == 0
    assert "customerapi/financial.read" in get_profile(None)[1].scopes


def test_a_profile_without_scopes_asks_for_the_documented_ones() -> None:
    write_config(profile_toml("https://x"))
    assert "customerapi/financial.read" not in get_profile("lab")[1].scopes


def test_config_check_names_the_scope_to_remove_on_invalid_scope(
    sim: Simulator,
    live_sim_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim.add_client(
        "noinv",
        "s4",
        ("customerapi/basic.read", "customerapi/support.read", "customerapi/support.read-write"),
    )
    write_config(
        profile_toml(live_sim_url).replace("test-client", "noinv")
        + 'scopes = ["customerapi/basic.read", "customerapi/support.read-write", '
        '"customerapi/financial.read"]\n'
    )
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "s4")
    assert main(["config", "check", "--profile", "lab"]) == 1
    out = capsys.readouterr().out
    fail = next(line for line in out.splitlines() if "FAIL" in line)
    assert "invalid_scope" in fail and "remove" in fail
    assert "customerapi/financial.read" in fail
    assert "basic.read" not in fail and "support.read-write" not in fail


def test_sim_can_issue_a_key_with_limited_scopes(capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    from expereo_tui.sim.cli import main as sim_main

    stop = threading.Event()
    stop.set()  # print the banner, then stop at once
    assert sim_main(["--scale", "tiny", "--scopes", "basic.read,support.read"], stop=stop) == 0
    out = capsys.readouterr().out
    assert "scopes:        customerapi/basic.read customerapi/support.read\n" in out


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o620, 0o602, 0o610, 0o601, 0o740])
def test_a_secret_file_others_can_reach_is_refused(tmp_path: Path, mode: int) -> None:
    """docs/usage.md: a file only you can read (chmod 600); the app refuses one others can read
    and says how to fix it. Group bits count as others (0640: the whole group reads it)."""
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    secret.chmod(mode)
    write_config(profile_toml("https://x", secret_file=f'"{secret}"'))
    name, profile = get_profile("lab")
    with pytest.raises(ConfigError, match=f"mode {mode:04o}.*chmod 600"):
        resolve_secret(name, profile)


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_a_secret_file_only_you_can_read_is_used(tmp_path: Path, mode: int) -> None:
    secret = tmp_path / "secret"
    secret.write_text("  from-file \n")
    secret.chmod(mode)
    write_config(profile_toml("https://x", secret_file=f'"{secret}"'))
    name, profile = get_profile("lab")
    found = resolve_secret(name, profile)
    assert found.secret == "from-file" and str(secret) in found.source


def test_the_simulators_banner_is_a_profile_that_works(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user pastes what `expereo-tui sim` prints and scripts against it (#32: the banner
    once gave `…/v2` as the URL to paste, and `base_url = …/v2` asked for `/v2/v2/…`)."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "expereo_tui", "sim", "--scale", "tiny", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
        start = next(i for i, ln in enumerate(lines) if ln.startswith("A profile for scripting"))
        assert "`expereo-tui paths` names it" in lines[start]  # a command that exists
        profile = [ln[2:] for ln in lines[start + 1 :] if ln.startswith("  [") or " = " in ln]
        then = next(ln for ln in lines if ln.strip().startswith("then:"))
        var, _, rest = then.split("then:", 1)[1].strip().partition("=")
        monkeypatch.setenv(var, rest.split()[0])
        write_config("\n".join(profile) + "\n")
        code = main(["--profile", "sim", "cases", "list", "--open"])
        out = capsys.readouterr().out
        assert code == 0 and out.count("\n") > 0
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_demo_writes_a_profile_for_its_simulator(tmp_path: Path) -> None:
    from expereo_tui.api.settings import ClientSettings
    from expereo_tui.cli.demo import demo_store_path, write_profile_snippet
    from expereo_tui.config import load_config

    target = tmp_path / "demo-profile.toml"
    settings = ClientSettings(
        base_url="http://127.0.0.1:4321",
        token_url="http://127.0.0.1:4321/oauth2/token",
        client_id="sim-x",
        client_secret="s3cr3t",
    )
    write_profile_snippet(target, settings, "http://127.0.0.1:4321")
    assert target.stat().st_mode & 0o077 == 0  # it names the simulator's secret
    profile = load_config(target).profiles["demo-sim"]
    assert (profile.base_url, profile.client_id) == ("http://127.0.0.1:4321", "sim-x")
    # the command it says to run, word for word: the file as it is, the secret from the line
    said = next(ln for ln in target.read_text().splitlines() if "cases list" in ln)
    env, *argv = shlex.split(said.lstrip("# "))
    assert env == "EXPEREO_CLIENT_SECRET_DEMO_SIM=s3cr3t" and argv[0] == "expereo-tui"
    args = app_parser(commands=True).parse_args(argv[1:])
    assert (args.config, args.profile, args.command) == (str(target), "demo-sim", "cases")
    assert "`expereo-tui paths` names it" in target.read_text()
    assert demo_store_path("v1") != demo_store_path("v2")  # V1 never rewrites V2's store


def test_a_profile_switched_to_runs_next_in_the_same_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The palette's "Switch to profile" (#33): the app exits with the choice, the launch runs
    that profile next; a plain exit ends it."""
    import argparse

    from expereo_tui.cli import launch

    ran: list[str] = []

    def fake(args: argparse.Namespace, switched: list[str]) -> int:
        ran.append(args.profile)
        if len(ran) == 1:
            switched.append("prod")
        return 0

    monkeypatch.setattr(launch, "_run_profile", fake)
    args = argparse.Namespace(profile="lab", reset_store=True)
    assert launch.run(args) == 0
    assert ran == ["lab", "prod"] and args.reset_store is False  # never resets the next one
