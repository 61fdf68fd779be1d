"""Operator tools on the database: table sizes; online backup and restore (embedded default)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from acmehub.storage.tables import metadata


@dataclass(frozen=True)
class TableSize:
    name: str
    rows: int
    bytes: int | None  # on-disk size where the engine reports it


def table_sizes(engine: Engine) -> list[TableSize]:
    sizes: list[TableSize] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            size: int | None = None
            if engine.dialect.name == "postgresql":
                size = int(
                    conn.exec_driver_sql(
                        "SELECT pg_total_relation_size(%(t)s)", {"t": table.name}
                    ).scalar_one()
                )
            elif engine.dialect.name == "sqlite":
                try:
                    size = int(
                        conn.exec_driver_sql(
                            "SELECT SUM(pgsize) FROM dbstat WHERE name = ?", (table.name,)
                        ).scalar_one()
                        or 0
                    )
                except Exception:  # dbstat is an optional SQLite build feature
                    size = None
            sizes.append(TableSize(table.name, rows, size))
    return sizes


def backup_sqlite(database: Path, ca_dir: Path, archive: Path) -> None:
    """A consistent copy while the server runs (SQLite online backup API) plus the CA keys."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "acmehub.db"
        source = sqlite3.connect(database)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        archive.parent.mkdir(parents=True, exist_ok=True)
        # The archive holds the CA keys and the key-encryption key: owner-only from creation.
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(copy, arcname="acmehub.db")
            tar.add(ca_dir, arcname="ca")


def restore_sqlite(archive: Path, state_dir: Path) -> None:
    """Unpack a backup into an empty (or absent) state directory; never over live state."""
    if (state_dir / "acmehub.db").exists():
        raise FileExistsError(f"{state_dir} already holds a database; restore into a new directory")
    state_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(state_dir, filter="data")
    for key in (state_dir / "ca").rglob("*.key"):
        key.chmod(0o600)
    if (state_dir / "ca" / "kek").exists():
        (state_dir / "ca" / "kek").chmod(0o600)
    shutil.rmtree(state_dir / "tls", ignore_errors=True)  # re-issued at the next start
