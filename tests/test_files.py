"""Files on a shared host (issue #33 item 4), one test a threat: a hostile umask, a planted
symbolic link, a foreign owner, a folder others can write.  Tests run as root in CI: a
"foreign" file is chowned to uid 65534 (nobody)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from expereo_tui import logs
from expereo_tui.cli.main import main
from expereo_tui.config import ConfigError, Profile, load_config, resolve_secret
from expereo_tui.files import UnsafePath, open_append, private_dir, write_file
from expereo_tui.locations import config_path
from expereo_tui.store.store import Store

NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def hostile_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """Another user's file that a planted link points at."""
    path = tmp_path / "victim" / ".bashrc"
    path.parent.mkdir()
    path.write_text("# theirs\n", encoding="utf-8")
    path.chmod(0o644)
    return path


def _untouched(victim: Path) -> bool:
    return victim.read_text(encoding="utf-8") == "# theirs\n" and _mode(victim) == 0o644


# -- a hostile umask -------------------------------------------------------------------------------
def test_every_folder_the_app_makes_is_0700_under_umask_000(
    tmp_path: Path, hostile_umask: None
) -> None:
    root = tmp_path / "home"
    root.mkdir(mode=0o700)
    private_dir(root / "a" / "b" / "c")
    store = Store(root / "data" / "deep" / "p.sqlite3")
    store.drafts.save_draft("x", {"text": "y"})
    log = logs.setup(path=root / "state" / "log" / "expereo-tui.log")
    logs.logging.getLogger("expereo_tui").warning("a line")
    write_file(root / "a" / "report.md", "text")
    made = [p for p in root.rglob("*") if p.is_dir()]
    assert len(made) >= 7 and {str(p): _mode(p) for p in made} == {str(p): 0o700 for p in made}
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.endswith("open-lock")]
    assert {str(p): _mode(p) for p in files} == {str(p): 0o600 for p in files}
    assert log.exists()
    store.close()


def test_config_init_makes_its_folder_0700_under_umask_000(hostile_umask: None) -> None:
    assert main(["config", "init", "--profile", "lab", "--client-id", "c"]) == 0
    assert _mode(config_path().parent) == 0o700 and _mode(config_path()) == 0o600


# -- a planted symbolic link -----------------------------------------------------------------------
def test_no_whole_file_write_follows_a_planted_link(tmp_path: Path, victim: Path) -> None:
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        write_file(link, "overwritten")
    assert _untouched(victim) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "victim"]  # no temp file


def test_the_handover_command_refuses_a_planted_link(tmp_path: Path, victim: Path) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.lab]\nclient_id = "cid"\n', encoding="utf-8")
    link = tmp_path / "handover.md"
    link.symlink_to(victim)
    assert main(["handover", "--profile", "lab", "--out", str(link)]) == 1
    assert _untouched(victim)


def test_the_log_never_follows_a_planted_link(tmp_path: Path, victim: Path) -> None:
    folder = tmp_path / "log"
    folder.mkdir(mode=0o700)
    (folder / "expereo-tui.log").symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        logs.setup(path=folder / "expereo-tui.log")
    assert _untouched(victim)


def test_a_log_reopened_after_a_rollover_never_follows_a_link(tmp_path: Path, victim: Path) -> None:
    """The handler reopens its file at each rollover: a link planted meanwhile is refused."""
    (tmp_path / "expereo-tui.log").symlink_to(victim)
    with pytest.raises(UnsafePath, match="symbolic link"):
        open_append(tmp_path / "expereo-tui.log")
    assert _untouched(victim)


def test_the_store_is_not_opened_through_a_planted_link(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    elsewhere = tmp_path / "theirs.sqlite3"
    Store(elsewhere).close()
    (folder / "p.sqlite3").symlink_to(elsewhere)
    with pytest.raises(UnsafePath, match="symbolic link"):
        Store(folder / "p.sqlite3")


# -- a foreign owner -------------------------------------------------------------------------------
@needs_root
def test_another_users_config_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text('[profiles.lab]\nclient_id = "c"\ntoken_url = "https://evil.example/t"\n')
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(ConfigError, match=f"belongs to uid {NOBODY}"):
        load_config()
    assert main(["cases", "list", "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mv " in err


@needs_root
def test_another_users_store_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    Store(folder / "p.sqlite3").close()
    os.chown(folder / "p.sqlite3", NOBODY, NOBODY)
    with pytest.raises(UnsafePath, match=f"store .* belongs to uid {NOBODY}"):
        Store(folder / "p.sqlite3")
    os.chown(folder / "p.sqlite3", 0, 0)
    os.chown(folder, NOBODY, NOBODY)  # their folder, our file: still theirs to swap
    with pytest.raises(UnsafePath, match="folder .* belongs to uid"):
        Store(folder / "p.sqlite3")


@needs_root
def test_another_users_log_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    folder.mkdir(mode=0o700)
    path = folder / "expereo-tui.log"
    path.write_text("theirs\n")
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(UnsafePath, match=f"belongs to uid {NOBODY}"):
        logs.setup(path=path)
    assert path.read_text() == "theirs\n"


@needs_root
def test_a_log_reopened_is_refused_when_another_user_owns_it(tmp_path: Path) -> None:
    path = tmp_path / "expereo-tui.log"
    path.write_text("theirs\n")
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(UnsafePath, match=f"belongs to uid {NOBODY}"):
        open_append(path)


@needs_root
def test_another_users_secret_file_is_refused_whatever_its_mode(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n")
    secret.chmod(0o600)
    profile = Profile(client_id="c", secret_file=secret)
    assert resolve_secret("lab", profile).secret == "s3cret-value"
    os.chown(secret, NOBODY, NOBODY)
    with pytest.raises(ConfigError, match=f"belongs to uid {NOBODY}"):
        resolve_secret("lab", profile)


# -- a folder others can write ---------------------------------------------------------------------
@pytest.mark.parametrize("bits", [0o770, 0o777, 0o1777])
def test_a_config_in_a_folder_others_can_write_is_refused(bits: int) -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.lab]\nclient_id = "c"\n')
    path.parent.chmod(bits)
    with pytest.raises(ConfigError, match="chmod go-w"):
        load_config()


def test_a_store_or_log_in_a_group_writable_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o775)
    with pytest.raises(UnsafePath, match="others can write"):
        Store(folder / "p.sqlite3")
    with pytest.raises(UnsafePath, match="others can write"):
        logs.setup(path=folder / "expereo-tui.log")
    assert list(folder.iterdir()) == []
