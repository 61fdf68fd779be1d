"""Crash and concurrency tests: dedicated acmehub processes on SQLite and on PostgreSQL.

Every test here starts its own servers (they get killed, or several share one database), so
nothing touches the session's ``acmehub``. PostgreSQL databases come from
:mod:`tests.support.postgres` (fresh per run, dropped at the end; a missing PostgreSQL fails).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.postgres import postgres, postgres_url

__all__ = ["postgres", "postgres_url"]

DATABASES = ("sqlite", "postgresql")


def database_url(request: pytest.FixtureRequest, database: str, label: str) -> str:
    """``""`` (SQLite in the state directory) or a fresh PostgreSQL database's URL."""
    if database == "sqlite":
        return ""
    return str(request.getfixturevalue("postgres").new_database(label))


def server_overrides(url: str, **extra: str) -> dict[str, str]:
    overrides = dict(extra)
    if url:
        overrides["ACMEHUB_DATABASE_URL"] = url
    return overrides


def print_log_tail(path: Path, lines: int = 40) -> None:
    if path.exists():
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- last {len(tail)} lines of {path}")
        print("\n".join(tail))
