"""Fresh PostgreSQL databases for a test run: created with unique names, dropped at the end.

The server is the one CI starts (127.0.0.1:5432, trust authentication, user postgres); set
ACMEHUB_TEST_POSTGRES to an admin URL to use another. When it cannot be reached the fixtures
fail with a message saying so: a suite that should run on PostgreSQL never skips silently.

    def test_x(postgres_url: str) -> None: ...          # one database for the whole session
    def test_y(postgres: PostgresCluster) -> None:       # or as many as a test needs
        url = postgres.new_database("label")
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

ENV_ADMIN_URL = "ACMEHUB_TEST_POSTGRES"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Every database the tests create starts with this (and so is easy to spot and clean up).
PREFIX = "acmehub_test_"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server for the tests cannot be reached."""


class PostgresCluster:
    """Creates databases on one PostgreSQL server and drops every one of them in ``close``."""

    def __init__(self, admin_url: str) -> None:
        self._url = make_url(admin_url)
        self._created: list[str] = []

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        url = self._url
        try:
            return psycopg.connect(
                host=url.host or "127.0.0.1",
                port=url.port or 5432,
                user=url.username or "postgres",
                password=url.password,
                dbname=url.database or "postgres",
                autocommit=True,
                connect_timeout=5,
            )
        except psycopg.OperationalError as exc:
            raise PostgresUnavailable(
                f"PostgreSQL is not reachable at {url.render_as_string(hide_password=True)} "
                f"({str(exc).strip()}). These tests need it: start PostgreSQL on 127.0.0.1:5432 "
                f"with trust authentication for user postgres, or point {ENV_ADMIN_URL} at a "
                f"server where that user may create databases."
            ) from exc

    def check(self) -> None:
        with self._connect() as conn:
            conn.execute("SELECT 1")

    def url_for(self, name: str) -> str:
        return self._url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )

    def new_database(self, label: str = "db", template: str | None = None) -> str:
        """A new database with a unique name (empty, or a copy of ``template``, a database
        name); returns its SQLAlchemy URL."""
        clean = "".join(ch if ch.isalnum() else "_" for ch in label.lower())[:20]
        name = f"{PREFIX}{clean}_{os.getpid()}_{secrets.token_hex(4)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with self._connect() as conn:
            conn.execute(statement)
        self._created.append(name)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Terminate the database's connections (a killed server may leave some), then drop it."""
        with self._connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    def drop_leftovers(self) -> list[str]:
        """Drop the test databases of runs that died before their clean-up (killed by a
        timeout, say): the creator's PID is in the name. Only for a server on this machine."""
        if (self._url.host or "127.0.0.1") not in ("127.0.0.1", "localhost", "::1"):
            return []
        with self._connect() as conn:
            names = [
                str(row[0])
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)
                )
            ]
        dropped = []
        for name in names:
            parts = name.removeprefix(PREFIX).rsplit("_", 2)
            if len(parts) != 3 or not parts[1].isdigit() or _alive(int(parts[1])):
                continue
            self.drop_database(name)
            dropped.append(name)
        return dropped

    def close(self) -> None:
        errors: list[str] = []
        while self._created:
            name = self._created.pop()
            try:
                self.drop_database(name)
            except psycopg.Error as exc:
                errors.append(f"{name}: {exc}")
        if errors:
            raise RuntimeError("could not drop test databases: " + "; ".join(errors))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def admin_url() -> str:
    return os.environ.get(ENV_ADMIN_URL) or DEFAULT_ADMIN_URL


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The tests' PostgreSQL server; every database made through it is dropped at the end."""
    cluster = PostgresCluster(admin_url())
    problem = ""
    try:
        cluster.check()
    except PostgresUnavailable as exc:
        problem = str(exc)
    if problem:
        pytest.fail(problem, pytrace=False)
    cluster.drop_leftovers()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def postgres_url(postgres: PostgresCluster) -> str:
    """One fresh database for the whole test run (dropped at the end)."""
    return postgres.new_database("session")
