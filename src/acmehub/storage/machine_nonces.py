"""Anti-replay nonces (RFC 8555 §6.5) shared by the server processes of one machine.

``serve --processes N`` needs a nonce issued by one process to be accepted once by any of them.
The database can do that (``SqlNonceStore``), at the price of a write per request. When the
processes share a machine they can share a small file instead: ``MachineNonceStore`` keeps
the HMAC key, the counter of the last nonce issued and one "used" bit per recent counter in a
file of the state directory, mapped into every process's memory and changed under an
exclusive ``flock``. Issuing or using a nonce is then a few memory accesses and two system
calls, with no fsync.

Why no fsync is safe:

* A process that crashes leaves the file's pages in the kernel's cache: nothing is lost, and
  the counter is raised before a bit is reused, so a crash between the two steps can only make
  one fresh nonce be refused, never let a used one pass.
* The file records the boot it was written in (``/proc/sys/kernel/random/boot_id``). After a
  machine crash or reboot it is rebuilt with a new key, so every earlier nonce is refused
  (the client retries with the nonce of that refusal, RFC 8555 §6.5).

A nonce is older than the window once ``window`` newer nonces were issued (over 17 minutes at
1000 requests per second with the default); it is refused then, as an expired one is.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import secrets
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from acmehub.domain.ports import Clock
from acmehub.storage.nonces import open_counter, seal_counter

_MAGIC = b"ACMEHUBN"
_VERSION = 1
# magic, version, window (bits), boot id (ASCII, NUL-padded), key, last counter issued
_HEADER = struct.Struct("<8sII48s32sQ")
_BITMAP_AT = 128
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def machine_boot_id() -> str | None:
    """This boot's identity (Linux), or None where the system does not tell it."""
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip() or None
    except OSError:
        return None


class MachineNonceStore:
    def __init__(
        self,
        path: Path,
        clock: Clock,
        lifetime: timedelta,
        *,
        window: int = 1 << 20,
        boot_id: Callable[[], str | None] = machine_boot_id,
    ) -> None:
        if window <= 0 or window % 8:
            raise ValueError("the window must be a positive multiple of 8")
        booted = boot_id()
        if booted is None:
            raise ValueError("this system does not tell its boot id: use the database store")
        self._clock = clock
        self._lifetime = lifetime
        self._window = window
        self._thread_lock = threading.Lock()  # flock does not exclude threads of one process
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            size = _BITMAP_AT + window // 8
            with self._locked_fd():
                self._key = self._open_or_rebuild(size, booted.encode("ascii")[:48])
            self._map = mmap.mmap(self._fd, size, mmap.MAP_SHARED)
        except BaseException:
            os.close(self._fd)
            raise

    def _open_or_rebuild(self, size: int, boot: bytes) -> bytes:
        """The key of the file, rebuilt first if it is not this boot's (or not ours)."""
        raw = os.pread(self._fd, _HEADER.size, 0)
        if len(raw) == _HEADER.size and os.fstat(self._fd).st_size == size:
            magic, version, window, seen_boot, key, _ = _HEADER.unpack(raw)
            if (magic, version, window, seen_boot.rstrip(b"\0")) == (
                _MAGIC,
                _VERSION,
                self._window,
                boot,
            ):
                return bytes(key)
        key = secrets.token_bytes(32)
        os.ftruncate(self._fd, 0)  # every bit cleared
        os.ftruncate(self._fd, size)
        os.pwrite(self._fd, _HEADER.pack(_MAGIC, _VERSION, self._window, boot, key, 0), 0)
        return key

    @contextmanager
    def _locked_fd(self) -> Iterator[None]:
        with self._thread_lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _last(self) -> int:
        return int.from_bytes(self._map[_HEADER.size - 8 : _HEADER.size], "little")

    def issue(self) -> str:
        with self._locked_fd():
            counter = self._last() + 1
            # The counter first: the bit cleared next belonged to counter - window, which is
            # out of the window from this moment on.
            self._map[_HEADER.size - 8 : _HEADER.size] = counter.to_bytes(8, "little")
            byte, mask = self._bit(counter)
            self._map[byte] &= ~mask & 0xFF
        return seal_counter(self._key, counter, self._clock.now() + self._lifetime)

    def consume(self, nonce: str) -> bool:
        counter = open_counter(self._key, nonce, self._clock.now())
        if counter is None:
            return False
        with self._locked_fd():
            last = self._last()
            if not last - self._window < counter <= last:
                return False  # older than the window (or never issued under this key)
            byte, mask = self._bit(counter)
            if self._map[byte] & mask:
                return False  # used before, in this process or another
            self._map[byte] |= mask
        return True

    def _bit(self, counter: int) -> tuple[int, int]:
        slot = counter % self._window
        return _BITMAP_AT + slot // 8, 1 << (slot % 8)

    def purge_expired(self, limit: int = 10000) -> int:
        return 0  # nothing accumulates: the file has a fixed size

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)
