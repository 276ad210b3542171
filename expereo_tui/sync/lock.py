"""One poller per profile per host: an advisory lock on a file in the data dir.

The rate budget belongs to the API client (the credentials), not to the process, so several app
instances with one profile must not each poll.  The holder keeps the lock file open; when it dies
the operating system releases the lock and another instance takes it over on its next try.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no shared lock, every instance polls
    fcntl = None  # type: ignore[assignment]


class PollLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process holds it (now or already)."""
        if self._file is not None:
            return True
        if fcntl is None:
            return True
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        old = os.umask(0o077)  # 0600, like the database beside it
        try:
            handle = open(self.path, "a+")  # noqa: SIM115 - kept open while the lock is held
        except OSError:  # a read-only folder: no lock, so this instance does not poll
            return False
        finally:
            os.umask(old)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        try:  # the pid is for people looking; a full disk must not cost the lock
            os.ftruncate(handle.fileno(), 0)
            os.pwrite(handle.fileno(), f"{os.getpid()}\n".encode(), 0)
        except OSError:
            pass
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is None:
            return
        if fcntl is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self._file.close()
        self._file = None
