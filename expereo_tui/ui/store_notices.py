"""The sentences people read about the local store, from the codes and paths it returns.

Used by the app (status bar, banner, notifications) and by the command line (one line on
stderr before the app starts, or instead of it)."""

from __future__ import annotations

from expereo_tui.store.errors import (
    NewerSchemaError,
    StoreBusyError,
    StoreError,
    StoreNotice,
)

_READ_ONLY_REASONS = {
    "file": "{path} is not writable",
    "folder": "its folder {folder} is not writable",
    "sqlite": "SQLite cannot write {path}",
}


def read_only_reason(notice: StoreNotice) -> str:
    template = _READ_ONLY_REASONS.get(notice.reason or "", "{path} cannot be written")
    return template.format(path=notice.path, folder=notice.path.parent)


def problem_line(notice: StoreNotice) -> str:
    """The store's condition now, for the status bar."""
    if notice.code == "disk_full":
        return f"disk full: {notice.path} · sync paused, drafts kept in memory"
    if notice.code == "read_only":
        return f"store is read-only: {read_only_reason(notice)}"
    return f"store: {notice.code} ({notice.path})"


def _rescued(notice: StoreNotice) -> str:
    return f"{notice.drafts} draft(s) and {notice.writes} queued write(s) copied into the new one"


def opened_line(notice: StoreNotice) -> str:
    """What happened when the store was opened (a file set aside), in one line."""
    if notice.code == "recovered":
        return (
            f"The local database was corrupt and was set aside as {notice.path}; "
            f"{_rescued(notice)}; the rest is fetched again."
        )
    if notice.code == "reset":
        return f"The local database was set aside as {notice.path} (--reset-store); {_rescued(notice)}."
    return problem_line(notice)


def error_line(exc: StoreError) -> str:
    """Why the store could not be opened at all, and what to do, in one line."""
    if isinstance(exc, NewerSchemaError):
        return (
            f"{exc.path} was written by a newer expereo-tui (store schema {exc.version}); "
            "upgrade expereo-tui, or start with --reset-store to set that file aside and begin "
            "a fresh one"
        )
    if isinstance(exc, StoreBusyError):
        return f"{exc.path} is locked by another process; try again in a moment"
    if exc.code == "disk_full":
        return f"disk full: {exc.path}"
    if exc.code == "read_only":
        return f"store is read-only: {exc.path}"
    return f"the local database {exc.path} cannot be used ({exc.code})"
