"""Files on a shared host (issue #33 item 4): the one place that makes the app's folders, decides
whether a file or folder may be trusted, and writes a whole file.

- Every folder the app makes is 0700, whatever the umask (each missing parent too).
- The config, the store and the log are refused, with one line that names the fix, when they
  (or their folder) belong to another user, or their folder can be written by others: whoever
  can write there can swap the config's ``token_url`` (and the secret goes there) or plant a
  store whose queued replies are sent with our credentials.
- No write follows a symbolic link: a whole file is written to a temporary file beside the
  target and renamed over it (a planted link is refused, never truncated through), and an
  append (the log) opens with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


class UnsafePath(OSError):
    """A file or folder the app will not use, said in one line that names the fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def _me() -> int:
    return os.geteuid()


def check_folder(folder: Path, what: str) -> None:
    """Refuse ``folder`` if another user owns it or others may write in it."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return
    if info.st_uid != _me():
        raise UnsafePath(
            f"refusing the {what} folder {folder}: it belongs to uid {info.st_uid}, not you "
            f"(uid {_me()}); use a folder of your own (or chown it to yourself)"
        )
    if stat.S_IMODE(info.st_mode) & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafePath(
            f"refusing the {what} folder {folder}: others can write in it "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod go-w {folder}"
        )


def check_file(path: Path, what: str) -> None:
    """Refuse ``path`` (if it exists) when it is a symbolic link or another user's file, or
    its folder fails :func:`check_folder`."""
    check_folder(path.parent, what)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(
            f"refusing the {what} {path}: it is a symbolic link; remove it (rm {path})"
        )
    if info.st_uid != _me():
        raise UnsafePath(
            f"refusing the {what} {path}: it belongs to uid {info.st_uid}, not you "
            f"(uid {_me()}); move it away (mv {path} {path}.foreign)"
        )


def private_dir(folder: Path, what: str = "data") -> None:
    """Make ``folder`` and each missing parent 0700 whatever the umask; an existing one must be
    ours and not writable by others (:func:`check_folder`), and loses its group/other bits."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for made in reversed(missing):  # each one 0700 (mkdir's parents=True makes them 0777 & ~umask)
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:  # made by another instance meanwhile: checked below
            pass
    check_folder(folder, what)
    try:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode & 0o077:
            folder.chmod(mode & 0o700)
    except OSError:
        pass  # a read-only file system: nothing we may do about it


def write_file(path: Path, data: str | bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` in one step: a temporary file beside it, renamed over it
    (a crash leaves the old file or the new, never half).  A symbolic link at ``path`` is
    refused, never written through; the rename replaces a file, never what a link names."""
    try:
        if stat.S_ISLNK(path.lstat().st_mode):
            raise UnsafePath(f"refusing to write {path}: it is a symbolic link; remove it first")
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_append(path: Path, mode: int = 0o600) -> int:
    """A descriptor appending to ``path`` (created ``mode``), never through a symbolic link,
    and only to a file of ours (mode tightened through the descriptor, not the name)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, mode)
    except OSError as exc:
        if path.is_symlink():
            raise UnsafePath(
                f"refusing the log {path}: it is a symbolic link; remove it (rm {path})"
            ) from None
        raise exc
    info = os.fstat(fd)
    if info.st_uid != _me() or not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePath(
            f"refusing the log {path}: it belongs to uid {info.st_uid}, not you; "
            f"move it away (mv {path} {path}.foreign)"
        )
    if stat.S_IMODE(info.st_mode) & ~mode:
        os.fchmod(fd, stat.S_IMODE(info.st_mode) & mode)
    return fd
