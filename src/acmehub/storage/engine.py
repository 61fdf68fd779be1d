"""Engine construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url


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
    """Where every write transaction begins.

    SQLite allows one writer at a time; a writer that finds the database locked sleeps in
    SQLite's busy handler (1-100 ms steps), which made the slowest requests slow. Writers
    therefore queue first on a lock that hands over without sleeping: a thread lock within the
    process, then an exclusive ``flock`` on a file beside the database, which the kernel hands
    from process to process (``serve --processes N``, ``acmehub worker``, the CLI). The busy
    handler stays as the last resort. On PostgreSQL writers run in parallel: no lock.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        sqlite = engine.dialect.name == "sqlite"
        self._lock = threading.Lock() if sqlite else None
        database = engine.url.database if sqlite else None
        self._lock_path = database + "-writer.lock" if database and database != ":memory:" else None
        self._lock_fd: int | None = None

    def _file_lock(self) -> int | None:
        if self._lock_path is None:
            return None
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._lock_fd

    @contextmanager
    def _writer(self) -> Iterator[None]:
        if self._lock is None:
            yield
            return
        with self._lock:
            fd = self._file_lock()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def autocommit(self) -> Connection:
        """A connection on which each statement is its own transaction (for PostgreSQL reads
        and single-statement writes: one round trip, no BEGIN before nor COMMIT after)."""
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with (
            self._writer(),
            self.engine.connect().execution_options(acmehub_write=True) as conn,
            conn.begin(),
        ):
            yield conn
