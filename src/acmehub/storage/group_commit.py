"""SQLite's writer in the event loop: the writes of many requests, one durable commit.

Every write unit that runs in the event loop (a request's transaction, a validation result)
runs on this process's one writer connection, inside the open *group* transaction, as a
SAVEPOINT of its own: it sees what the units before it wrote, and an error rolls back its own
statements only. When the unit's block ends, its request waits (its greenlet is suspended;
the loop goes on) until the group is committed. The commit runs in a thread of its own, with
the fsync, while the loop serves other requests; the units that come meanwhile wait for it to
end and then form the next group together. So a durable commit costs one fsync per group, not
one per request, and no response reports a change before that change is on disk.

Durability: WAL with ``synchronous=FULL`` (engine.py), so a COMMIT returns only after the WAL
is fsynced; a crash before it loses only units whose requests have not been answered yet.
``synchronous=NORMAL`` would skip that fsync and could lose answered work on power loss.

Reads outside a write unit do not wait for the writer: each is a WAL snapshot of what is
committed (durable) on a pooled connection of its own. Threads (the administration, the CLI)
write as before, each in its own transaction; they and other processes take turns with the
group through the same :class:`WriteLock` (a thread lock and a ``flock``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, RootTransaction

from acmehub.concurrency import wait_for
from acmehub.storage.write_lock import WriteLock

log = logging.getLogger("acmehub.storage")


class GroupCommitter:
    """One writer connection per process and event loop; see the module's docstring."""

    def __init__(self, engine: Engine, lock: WriteLock) -> None:
        self._engine = engine
        self._lock = lock
        self._conn: Connection | None = None
        self._group: RootTransaction | None = None
        self._durable: asyncio.Future[None] | None = None
        self._units: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._commit_scheduled = False
        # The fsync happens here, out of the event loop's way.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="acmehub-commit")
        self.groups = 0  # committed groups (for tests and the benchmark's notes)
        self.units = 0  # committed units

    def _bind(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # First use, or a new loop (tests run several): nothing may be open from before.
            if self._group is not None:
                raise RuntimeError("a group transaction is open in another event loop")
            self._loop = loop
            self._units = asyncio.Lock()
        assert self._units is not None
        return self._units

    def serves(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether this committer's groups are committed by ``loop``."""
        return self._loop is loop

    @contextmanager
    def unit(self) -> Iterator[Connection]:
        """One write unit; call only inside :func:`acmehub.concurrency.run_sync`."""
        units = self._bind()
        wait_for(units.acquire())
        try:
            conn = self._open_group()
            durable = self._durable
            assert durable is not None
            # The unit's SAVEPOINT, straight on the DBAPI connection: SQLAlchemy's nested
            # transaction machinery cost more than the statements (nothing in a unit nests).
            raw = conn.connection.dbapi_connection
            assert raw is not None
            raw.execute("SAVEPOINT unit")
            try:
                yield conn
            except BaseException:
                raw.execute("ROLLBACK TO unit")
                raw.execute("RELEASE unit")
                raise
            raw.execute("RELEASE unit")
            self.units += 1
        finally:
            # Even after a failed unit: the group is open and holds the write lock.
            if self._group is not None and not self._commit_scheduled:
                self._commit_scheduled = True
                # After the requests that are ready now: they join this group.
                asyncio.get_running_loop().call_soon(self._start_commit)
            units.release()
        wait_for(asyncio.shield(durable))

    def _open_group(self) -> Connection:
        if self._group is not None:
            assert self._conn is not None
            return self._conn
        if not self._lock.try_acquire():
            # Another writer (a thread of this process, another process) has it: wait for it
            # in a thread, not in the loop.
            loop = asyncio.get_running_loop()
            wait_for(loop.run_in_executor(self._thread, self._lock.acquire))
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(acmehub_write=True)
            self._group = self._conn.begin()
        except BaseException:
            self._lock.release()
            self._discard_connection()
            raise
        self._durable = asyncio.get_running_loop().create_future()
        return self._conn

    def _start_commit(self) -> None:
        asyncio.get_running_loop().create_task(self._commit())

    async def _commit(self) -> None:
        units = self._units
        assert units is not None
        async with units:  # no unit runs while its group commits
            group, durable = self._group, self._durable
            self._group, self._durable = None, None
            self._commit_scheduled = False
            if group is None or durable is None:
                return
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(self._thread, self._commit_group, group)
            except BaseException as exc:
                log.exception("group commit failed: every request of the group fails")
                self._discard_connection()
                durable.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                self.groups += 1
                durable.set_result(None)

    def _commit_group(self, group: RootTransaction) -> None:
        try:
            group.commit()
        finally:
            self._lock.release()

    def _discard_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: S110 - already failing; the pool replaces it
                pass

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        self._thread.shutdown(wait=True)
