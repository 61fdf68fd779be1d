"""The lock every SQLite writer takes before BEGIN IMMEDIATE, in every thread and process."""

from __future__ import annotations

import fcntl
import os
import threading


class WriteLock:
    """A thread lock within the process, then an exclusive ``flock`` on a file beside the
    database, which the kernel hands from process to process without sleeping (SQLite's own
    busy handler sleeps in 1-100 ms steps). ``path`` None: one process only (``:memory:``).

    Acquired and released as a pair; the release may come from another thread than the
    acquire (the group committer commits, and releases, in its commit thread)."""

    def __init__(self, path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = path
        self._fd: int | None = None

    def _file(self) -> int | None:
        if self._path is None:
            return None
        if self._fd is None:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._fd

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        fd = self._file()
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._thread_lock.release()
                return False
        return True

    def acquire(self) -> None:
        self._thread_lock.acquire()
        fd = self._file()
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread_lock.release()
                raise

    def release(self) -> None:
        fd = self._file()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._thread_lock.release()
