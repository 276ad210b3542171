"""The log file: rotating and private, more with --debug, and never a secret or a token."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from expereo_tui import logs


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for h in root.handlers:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def test_log_rotates_and_every_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    os.umask(0o022)  # what most shells have: a plain open() would make 0644 files
    path = logs.setup(path=tmp_path / "log" / "expereo-tui.log")
    for i in range(200):
        logging.getLogger("expereo_tui.test").warning("line %d %s", i, "x" * 60)
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == [
        "expereo-tui.log",
        "expereo-tui.log.1",
        "expereo-tui.log.2",
        "expereo-tui.log.3",
    ]  # rotated, and no more than BACKUPS old ones
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert all(f.stat().st_size <= 2_000 + 200 for f in files)


def test_debug_adds_detail_only_when_asked(tmp_path: Path, restore_logging: None) -> None:
    path = logs.setup(path=tmp_path / "a.log")
    logging.getLogger("expereo_tui.sync").debug("poll decided: nothing due")
    logging.getLogger("httpx").info("HTTP Request: GET https://api.example/v2/cases")
    assert "poll decided" not in path.read_text() and "HTTP Request" not in path.read_text()
    path = logs.setup(debug=True, path=tmp_path / "b.log")
    logging.getLogger("expereo_tui.sync").debug("poll decided: nothing due")
    logging.getLogger("httpx").info("HTTP Request: GET https://api.example/v2/cases")
    text = path.read_text()
    assert "poll decided" in text and "HTTP Request" in text


def test_secrets_and_tokens_never_reach_the_file(tmp_path: Path, restore_logging: None) -> None:
    path = logs.setup(debug=True, path=tmp_path / "c.log")
    secret = "cl1ent-s3cret-value"
    logs.redact_value(secret)
    log = logging.getLogger("expereo_tui.api")
    log.debug("token request client_id=abc&client_secret=%s&grant_type=client_credentials", secret)
    log.debug("headers {'Authorization': 'Bearer eyJhbGciOi.J9payload.sig-nature'}")
    log.debug('token answer {"access_token": "tok-123456789", "expires_in": 3600}')
    log.debug("refresh with access_token=tok-abcdefghij&x=1")
    try:
        raise RuntimeError(f"could not send {secret}")
    except RuntimeError:
        log.exception("request failed")
    text = path.read_text()
    for leaked in (secret, "eyJhbGciOi", "J9payload", "tok-123456789", "tok-abcdefghij"):
        assert leaked not in text
    assert text.count(logs.MASK) >= 5  # each one was there and blanked
    assert "client_id=abc" in text and "Traceback" in text  # the rest is kept
