"""Engine construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from acmehub.concurrency import in_event_loop
from acmehub.storage.group_commit import GroupCommitter
from acmehub.storage.write_lock import WriteLock


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """An engine with the settings acmehub relies on for durability and concurrency."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping (a round trip on every checkout, a tenth of a request's time): a connection
    # found dead fails its statement, and SQLAlchemy then recycles every pooled connection.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives power loss too, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE) so two writers never deadlock
        # upgrading shared locks; readers use a plain deferred BEGIN.
        # Straight on the DBAPI connection: this runs for every transaction, and
        # exec_driver_sql's statement machinery cost ten times the BEGIN itself.
        write = conn.get_execution_options().get("acmehub_write")
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


class WriteGate:
    """Where every transaction begins, in a thread or in the event loop.

    In the event loop (inside :func:`acmehub.concurrency.run_sync`): on SQLite a write unit
    joins the process's group commit (group_commit.py); on PostgreSQL every connection comes
    from the asyncpg engine, driven through SQLAlchemy's asyncio layer, so waiting for the
    database suspends the request, not the loop. In threads (administration, CLI) as before:
    SQLite writers queue on the :class:`WriteLock` (a thread lock, then a ``flock`` beside the
    database, which the kernel hands from process to process without sleeping), PostgreSQL
    writers run in parallel on psycopg.
    """

    def __init__(self, engine: Engine, *, loop_pool_size: int = 10) -> None:
        self.engine = engine
        self.dialect_name = engine.dialect.name
        self._lock: WriteLock | None = None
        self._group: GroupCommitter | None = None
        if self.dialect_name == "sqlite":
            database = engine.url.database
            memory = not database or database == ":memory:"
            self._lock = WriteLock(None if memory else f"{database}-writer.lock")
            self._group = GroupCommitter(engine, self._lock)
        self._loop_pool_size = loop_pool_size
        # SQLite: each event loop thread's reader connection (sqlite_read).
        self._readers = threading.local()
        self._loop_engines: dict[asyncio.AbstractEventLoop, AsyncEngine] = {}

    def current(self) -> Engine:
        """The engine for the caller: asyncpg's in the event loop on PostgreSQL."""
        if self._group is None and self.dialect_name == "postgresql" and in_event_loop():
            return self._loop_engine()
        return self.engine

    def _loop_engine(self) -> Engine:
        # asyncpg connections belong to the loop that made them: one pool per loop (a server
        # has one; tests start several).
        loop = asyncio.get_running_loop()
        found = self._loop_engines.get(loop)
        if found is None:
            url = self.engine.url.set(drivername="postgresql+asyncpg")
            found = create_async_engine(
                url,
                pool_size=self._loop_pool_size,
                max_overflow=self._loop_pool_size,
                pool_recycle=1800,
            )
            for old in [old for old in self._loop_engines if old.is_closed()]:
                del self._loop_engines[old]
            self._loop_engines[loop] = found
        return found.sync_engine

    async def aclose(self) -> None:
        """Close the running loop's asyncpg connections (when a server's loop, or a test's,
        ends: they cannot be closed from another loop)."""
        engine = self._loop_engines.pop(asyncio.get_running_loop(), None)
        if engine is not None:
            await engine.dispose()

    def connect(self) -> Connection:
        return self.current().connect()

    def raw_connection(self) -> Any:
        return self.current().raw_connection()

    def autocommit(self) -> Connection:
        """A connection on which each statement is its own transaction (for PostgreSQL reads
        and single-statement writes: one round trip, no BEGIN before nor COMMIT after)."""
        return self.current().connect().execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self._group is not None and in_event_loop():
            with self._group.unit() as conn:
                yield conn
            return
        lock = self._lock
        if lock is not None:
            running = asyncio._get_running_loop()
            if running is not None and self._group is not None and self._group.serves(running):
                # The thread of the loop that commits the group, outside run_sync: waiting here
                # for the group's lock would stop that loop for good. A bug, not a wait.
                raise RuntimeError("a blocking SQLite write in the event loop; use run_sync")
            lock.acquire()
        try:
            with (
                self.current().connect().execution_options(acmehub_write=True) as conn,
                conn.begin(),
            ):
                yield conn
        finally:
            if lock is not None:
                lock.release()

    @contextmanager
    def sqlite_read(self) -> Iterator[Connection]:
        """A SQLite read transaction (a WAL snapshot). In the event loop it runs on the loop
        thread's own reader connection, kept open (no pool checkout per unit), unless a unit of
        that thread holds it already (then on a pooled connection)."""
        reader = self._loop_reader()
        if reader is None:
            with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        self._readers.busy = True
        try:
            with reader.begin():
                yield reader
        finally:
            self._readers.busy = False

    @contextmanager
    def sqlite_dbapi(self) -> Iterator[Any]:
        """A bare SQLite DBAPI connection, outside any transaction, for one statement."""
        reader = self._loop_reader()
        if reader is not None:
            self._readers.busy = True
            try:
                yield reader.connection.dbapi_connection
            finally:
                self._readers.busy = False
            return
        raw = self.engine.raw_connection()
        try:
            yield raw
        finally:
            raw.close()

    def _loop_reader(self) -> Connection | None:
        if self._group is None or not in_event_loop() or getattr(self._readers, "busy", False):
            return None
        reader: Connection | None = getattr(self._readers, "conn", None)
        if reader is None:
            reader = self._readers.conn = self.engine.connect()
        return reader

    @property
    def group(self) -> GroupCommitter | None:
        """SQLite's group committer (None on PostgreSQL)."""
        return self._group

    def close(self) -> None:
        if self._group is not None:
            self._group.close()
