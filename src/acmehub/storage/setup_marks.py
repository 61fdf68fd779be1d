"""What set-up leaves in the database besides rows of its own kind: server secrets created
once (insert if missing; a second machine's insert loses to the first and reads its value),
marks of finished set-up steps (rows of ``server_secrets`` named ``setup:<step>``), and the
guard that makes two set-ups run one after the other (a PostgreSQL advisory lock; on SQLite,
whose database one machine holds, a ``flock`` beside the database file)."""

from __future__ import annotations

import fcntl
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError

from acmehub.storage import tables as t

#: pg_advisory_lock key of set-up: "acmehub-setup" folded into a signed 64-bit integer.
SETUP_LOCK_KEY = int.from_bytes(b"acmehub\x00", "big", signed=True)


@contextmanager
def setup_guard(engine: Engine) -> Iterator[None]:
    """Held while one set-up runs; others on this database wait for it. On PostgreSQL a
    session advisory lock, released with the connection if the process dies."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SETUP_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETUP_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}-setup.lock", "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes or the process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _insert_if_missing(engine: Engine, name: str, value: bytes) -> bool:
    table = t.server_secrets
    with engine.connect() as conn:
        found = conn.execute(select(table.c.name).where(table.c.name == name)).first()
    if found is not None:
        return False
    try:
        with engine.begin() as conn:
            conn.execute(table.insert().values(name=name, value=value))
    except IntegrityError:
        return False  # another machine created it first
    return True


def ensure_secret(engine: Engine, name: str, size: int = 32) -> bool:
    """Create the random server secret ``name`` unless it exists; True when created here."""
    return _insert_if_missing(engine, name, secrets.token_bytes(size))


def is_marked(engine: Engine, step: str) -> bool:
    table = t.server_secrets
    with engine.connect() as conn:
        row = conn.execute(select(table.c.name).where(table.c.name == f"setup:{step}")).first()
    return row is not None


def mark(engine: Engine, step: str) -> None:
    _insert_if_missing(engine, f"setup:{step}", b"done")


def sealed_key_count(engine: Engine) -> int:
    """Authorities whose keys the database holds (sealed)."""
    with engine.connect() as conn:
        values: list[Any] = list(conn.execute(select(t.authorities.c.key_material)).scalars())
    return sum(1 for value in values if value)
