"""The log file: rotating, private (0600 in a 0700 folder), and never holding a secret.

``expereo-tui paths`` prints where it is (platformdirs' log dir).  ``--debug`` logs more: our own
debug lines and httpx's request lines.  Every line passes :class:`RedactingFormatter`, which blanks
the secrets this process knows (the client secret, bearer tokens it was handed) and anything that
looks like a credential (``Bearer …``, ``client_secret=…``, ``"access_token": "…"``), tracebacks
included.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import re
import threading
from pathlib import Path

from expereo_tui.files import check_file, open_append, private_dir
from expereo_tui.locations import log_path

MAX_BYTES = 1_000_000  # per file; with BACKUPS, at most ~4 MB of log
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "[redacted]"

_known: set[str] = set()
_lock = threading.Lock()
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:client_secret|access_token|refresh_token|password)=)[^&\s\"']+"),
    re.compile(r"(?i)(\"(?:client_secret|access_token|refresh_token|password)\"\s*:\s*\")[^\"]*"),
    re.compile(r"(?i)((?:authorization)\s*[:=]\s*(?:basic\s+)?)[A-Za-z0-9._~+/=-]{8,}"),
)


def redact_value(secret: str) -> None:
    """Never log ``secret`` from now on in this process (a client secret, a token)."""
    if secret and len(secret) >= 4:  # a shorter "secret" would blank ordinary words
        with _lock:
            _known.add(secret)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFormatter(logging.Formatter):
    """The whole formatted record (message, arguments, traceback) with secrets blanked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file whose every generation is created 0600 (not with the umask's 0644)."""

    def _open(self) -> io.TextIOWrapper:
        # never through a planted symbolic link, only to a file of ours; a file made by an
        # older version may be looser: 0600 through the descriptor
        fd = open_append(Path(self.baseFilename), 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: SIM115


def setup(*, debug: bool = False, path: Path | None = None) -> Path:
    """Send the root logger to the rotating file; returns its path."""
    path = path or log_path()
    private_dir(path.parent, "log")  # 0700: the log names cases and sites
    check_file(path, "log")
    handler = PrivateRotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=False
    )
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, PrivateRotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    # httpx logs every request at INFO: only with --debug.  httpcore's wire-level debug is
    # noise even then.
    logging.getLogger("httpx").setLevel(logging.INFO if debug else logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    for noisy in ("asyncio", "markdown_it", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.INFO if debug else logging.WARNING)
    if debug:
        logging.getLogger("expereo_tui").debug("debug logging on (%s)", path)
    return path
