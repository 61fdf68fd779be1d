"""Crash and concurrency tests: dedicated acmehub processes on SQLite and on PostgreSQL.

Every test here starts its own servers (they get killed, or several share one database), so
nothing touches the session's ``acmehub``. PostgreSQL databases come from
:mod:`tests.support.postgres` (fresh per run, dropped at the end; a missing PostgreSQL fails).
"""

from __future__ import annotations

from collections.abc import Generator
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


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def print_log_tail(path: Path, lines: int = 40) -> None:
    print(f"--- last lines of {path}")
    print(log_tail(path, lines))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report carries the tails of its acmehub processes' logs."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            log_paths = getattr(value, "log_paths", None)
            if callable(log_paths):
                for path in log_paths():
                    report.sections.append((f"acmehub log {path.name}", log_tail(path, 60)))
    return report
