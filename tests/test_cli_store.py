"""The command line and the local store: a newer database stops with one line and stays put;
--reset-store sets it aside on purpose; a read-only store makes the app read-only."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from expereo_tui.cli import launch
from expereo_tui.cli import main as cli
from expereo_tui.locations import config_path, data_dir, log_path


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configured profile "lab" and the path of its database."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[profiles.lab]\nbase_url = "http://127.0.0.1:9"\n'
        'token_url = "http://127.0.0.1:9/oauth2/token"\nclient_id = "c"\n'
        'scopes = ["customerapi/support.read-write"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("EXPEREO_CLIENT_SECRET", "s")
    db = data_dir() / "lab.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    return db


def _future(path: Path) -> bytes:
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 42")
    db.close()
    return path.read_bytes()


def test_newer_database_stops_with_one_line_and_stays(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _future(lab)
    assert cli.main(["--profile", "lab"]) == 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(lab) in err
    assert "newer expereo-tui" in err and "--reset-store" in err
    assert lab.read_bytes() == before
    assert {p.name for p in lab.parent.iterdir()} == {"lab.sqlite3"}


def test_reset_store_sets_it_aside_on_purpose(
    lab: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _future(lab)
    ran: list[Any] = []
    monkeypatch.setattr(launch, "run_app", lambda store, factory, options, switched=None: ran.append(store) or 0)
    assert cli.main(["--profile", "lab", "--reset-store"]) == 0
    moved = list(lab.parent.glob("lab.sqlite3.reset-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == before
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"set aside as {moved[0]}" in err
    assert ran and ran[0].notice.code == "reset"
    ran[0].close()


def test_log_is_private() -> None:
    cli._setup_logging()
    assert stat.S_IMODE(log_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(log_path().parent.stat().st_mode) == 0o700
