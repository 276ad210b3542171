"""Packaging: shell completion, the optional extras (web, keyring) and the package metadata."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from expereo_tui.cli.completion import script
from expereo_tui.cli.main import main

ROOT = Path(__file__).parents[2]


def bash_complete(completion: str, words: list[str]) -> list[str]:
    """What bash offers after ``words`` (the last one is the word being completed)."""
    line = " ".join(words)
    program = (
        f"{completion}\n"
        f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}'; "
        "COMP_POINT=${#COMP_LINE}; "
        f"_shtab_expereo_tui expereo-tui '{words[-1]}' '{words[-2]}'; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return sorted(done.stdout.split())


def test_bash_completes_commands_actions_and_forwarded_options() -> None:
    bash = script("bash")
    assert bash_complete(bash, ["expereo-tui", "ca"]) == ["cases"]
    assert bash_complete(bash, ["expereo-tui", "cases", "re"]) == ["reference", "reply"]
    assert bash_complete(bash, ["expereo-tui", "config", "secret", ""]) == ["set"]
    assert bash_complete(bash, ["expereo-tui", "demo", "--s"]) == ["--scale", "--seed"]
    assert bash_complete(bash, ["expereo-tui", "serve", "--al"]) == ["--allow-remote-writes"]
    assert bash_complete(bash, ["expereo-tui", "completion", ""]) == ["bash", "fish", "zsh"]
    assert "--debug" in bash_complete(bash, ["expereo-tui", "inventory", "--"])


CONFIG = """\
default_profile = "prod"
[profiles.prod]
client_id = "x"
[profiles.lab-2]
client_id = "y"
[profiles.lab-2.keys]
"inbox.next_unread" = "N"
"""


def test_profile_names_complete_from_the_config_file(tmp_path: Path) -> None:
    """--profile completes from the [profiles.NAME] headers, read by the shell (no Python)."""
    from expereo_tui.locations import config_path

    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text(CONFIG)
    bash = script("bash")
    assert bash_complete(bash, ["expereo-tui", "--profile", ""]) == ["lab-2", "prod"]
    assert bash_complete(bash, ["expereo-tui", "cases", "list", "--profile", "l"]) == ["lab-2"]
    other = tmp_path / "other.toml"
    other.write_text("[profiles.elsewhere]\n")
    os.environ["EXPEREO_CONFIG"] = str(other)  # the shell reads the file the app would read
    try:
        assert bash_complete(bash, ["expereo-tui", "demo", "--profile", ""]) == []  # demo has none
        assert bash_complete(bash, ["expereo-tui", "inventory", "--profile", ""]) == ["elsewhere"]
    finally:
        del os.environ["EXPEREO_CONFIG"]
    if shutil.which("fish"):
        fish = tmp_path / "c.fish"
        fish.write_text(script("fish"))
        asked = f"source {fish}; complete -C 'expereo-tui inventory --profile '"
        done = subprocess.run(["fish", "-c", asked], capture_output=True, text=True, timeout=30)
        assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["prod", "lab-2"]
    if shutil.which("zsh"):
        zsh = tmp_path / "c.zsh"
        zsh.write_text(script("zsh"))
        asked = (
            f"compdef() {{ :; }}; source {zsh} 2>/dev/null; "
            "compadd() { print -l -- ${(P)2}; }; _expereo_tui_profiles"
        )
        done = subprocess.run(["zsh", "-c", asked], capture_output=True, text=True, timeout=30)
        assert done.stdout.split() == ["prod", "lab-2"], done.stderr


@pytest.mark.parametrize(
    ("shell", "check"),
    [("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])],
)
def test_zsh_and_fish_scripts_parse_and_name_every_command(
    shell: str, check: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    text = capsys.readouterr().out
    for word in ("cases", "inventory", "reference", "secret", "wall", "seed", "openapi"):
        assert word in text
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed: content checked, syntax not")
    path = tmp_path / f"expereo-tui.{shell}"
    path.write_text(text)
    done = subprocess.run([*check, str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    if shell == "fish":  # fish can be asked what it would offer
        asked = f"source {path}; complete -C 'expereo-tui cases re'; complete -C 'expereo-tui demo --sc'"
        done = subprocess.run(["fish", "-c", asked], capture_output=True, text=True, timeout=30)
        offered = [line.split("\t")[0] for line in done.stdout.splitlines()]
        assert offered == ["reference", "reply", "--scale"], done.stdout + done.stderr


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["completion", "powershell"])
    assert info.value.code == 2


def test_serve_without_the_web_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "textual_serve" else real(name, *a),
    )
    assert main(["serve", "--demo"]) == 2
    err = capsys.readouterr().err
    assert "pipx inject expereo-tui textual-serve" in err and len(err.strip().splitlines()) == 1


def test_metadata_extras_and_pins() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(meta["dependencies"])
    extras = meta["optional-dependencies"]
    assert "textual-serve" not in core and any("textual-serve" in d for d in extras["web"])
    assert any(d.startswith("keyring") for d in extras["keyring"])
    assert "uvicorn" in core and "starlette" in core  # the simulator (the demo) stays core
    assert "<0.29" not in core  # pins no narrower than needed
    assert meta["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "Typing :: Typed" in meta["classifiers"] and meta["urls"]
    assert (ROOT / "expereo_tui" / "py.typed").exists()


def test_dev_tools_are_a_dependency_group_not_a_published_extra() -> None:
    """PEP 735: the dev tools are not in the wheel's metadata (an extra would be), and the
    Makefile installs the group with a pip new enough to know ``--group``."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(pyproject["project"]["optional-dependencies"]) == {"web", "keyring", "team"}
    dev = " ".join(pyproject["dependency-groups"]["dev"])
    for tool in ("pytest", "ruff", "mypy", "hypothesis", "pytest-xdist", "schemathesis"):
        assert tool in dev
    assert "expereo-tui" not in dev  # the Makefile installs the project itself, with its extras
    makefile = (ROOT / "Makefile").read_text()
    assert "--group dev" in makefile and "'pip>=25.1'" in makefile
    assert "[dev]" not in makefile


def test_no_doc_or_hint_installs_the_app_from_an_index() -> None:
    """The name is not published: ``pipx install expereo-tui`` (or ``'expereo-tui[web]'``) would
    fail or, worse, install someone else's package.  Docs and hints install from a clone or a
    wheel, and add an extra's package (published) to the install there is."""
    from expereo_tui.cli.main import WEB_EXTRA
    from expereo_tui.config import KEYRING_EXTRA

    from_index = re.compile(r"\bpip[x]? install (--\S+ )*['\"]?expereo-tui\b")
    texts = {p.name: p.read_text() for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]}
    texts |= {"WEB_EXTRA": WEB_EXTRA, "KEYRING_EXTRA": KEYRING_EXTRA}
    found = {name: from_index.findall(text) for name, text in texts.items()}
    assert not {name: hits for name, hits in found.items() if hits}
    assert "pipx install ." in texts["README.md"] and "pipx install ." in texts["usage.md"]
