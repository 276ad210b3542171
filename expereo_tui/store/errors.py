"""What can go wrong with the store, as codes and paths (the sentences are written in ``ui``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .schema import SCHEMA_VERSION

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF)
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 5, 6, 8
SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_NOTADB = 11, 14, 13, 26


def error_code(exc: BaseException) -> int | None:
    """The primary SQLite result code of an exception, if it is one of SQLite's."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_corrupt(exc: BaseException) -> bool:
    return error_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB)


def is_full(exc: BaseException) -> bool:
    return error_code(exc) == SQLITE_FULL or (
        isinstance(exc, OSError) and exc.errno == 28  # ENOSPC
    )


@dataclass(frozen=True)
class StoreNotice:
    """Something about the store the user must be told; ``ui``/``cli`` write the sentence.

    code: ``recovered`` (a corrupt file set aside: ``path`` is where it went), ``reset`` (set
    aside on request), ``read_only`` (``reason``: ``file``, ``folder`` or ``sqlite``),
    ``disk_full`` (``path`` is the database)."""

    code: str
    path: Path
    reason: str | None = None
    drafts: int = 0  # drafts copied out of a set-aside file
    writes: int = 0  # queued writes copied out of a set-aside file


class StoreError(Exception):
    """A store problem with a code and a path; the sentence is written by the UI or CLI."""

    code = "error"

    def __init__(self, path: Path, detail: str = "") -> None:
        super().__init__(f"{self.code}: {path}{': ' + detail if detail else ''}")
        self.path = path
        self.detail = detail


class NewerSchemaError(StoreError):
    """The database was written by a newer version of the app; it is left where it is."""

    code = "newer_version"

    def __init__(self, path: Path, version: int) -> None:
        super().__init__(path, f"schema {version}, this version knows {SCHEMA_VERSION}")
        self.version = version


class StoreBusyError(StoreError):
    """Another process held the database longer than the busy timeout."""

    code = "busy"


class StoreFullError(StoreError):
    """A write failed because the disk (or the database's size limit) is full."""

    code = "disk_full"


class StoreReadOnlyError(StoreError):
    """A write was asked of a store opened read-only."""

    code = "read_only"
