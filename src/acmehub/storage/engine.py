"""Engine construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
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
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800
    )


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
    """Where every write transaction of this process begins.

    SQLite allows one writer at a time; a writer that finds the database locked sleeps in
    SQLite's busy handler (1-100 ms steps), which makes the slowest requests slow. Queueing
    this process's writers on a lock first hands the write lock over without sleeping; other
    processes still meet the busy handler. On PostgreSQL writers run in parallel: no lock.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with (
            self._lock or nullcontext(),
            self.engine.connect().execution_options(acmehub_write=True) as conn,
            conn.begin(),
        ):
            yield conn
