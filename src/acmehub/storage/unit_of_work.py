"""The unit of work: one transaction, the repositories bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, select

from acmehub.domain.ports import Clock
from acmehub.storage import tables as t
from acmehub.storage.admin_repositories import SqlAudit, SqlEabKeys, SqlTokens
from acmehub.storage.engine import WriteGate
from acmehub.storage.reports import SqlReports
from acmehub.storage.repositories import (
    SqlAccounts,
    SqlAuthorizations,
    SqlCertificates,
    SqlOrders,
    SqlProfiles,
)
from acmehub.storage.statements import Prepared
from acmehub.storage.web_repositories import SqlSessions, SqlUsers


class SqlUnitOfWork:
    def __init__(
        self,
        profiles: SqlProfiles,
        accounts: SqlAccounts,
        orders: SqlOrders,
        authorizations: SqlAuthorizations,
        certificates: SqlCertificates,
        eab_keys: SqlEabKeys,
        tokens: SqlTokens,
        audit: SqlAudit,
        users: SqlUsers,
        web_sessions: SqlSessions,
        reports: SqlReports,
    ) -> None:
        self.profiles = profiles
        self.accounts = accounts
        self.orders = orders
        self.authorizations = authorizations
        self.certificates = certificates
        self.eab_keys = eab_keys
        self.tokens = tokens
        self.audit = audit
        self.users = users
        self.web_sessions = web_sessions
        self.reports = reports

    def __enter__(self) -> SqlUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_PROFILES_COUNTER = Prepared(
    select(t.change_counters.c.value).where(t.change_counters.c.name == "profiles")
)


class SqlUnitOfWorkFactory:
    """Callable that opens a transaction: ``with uow(write=True) as tx: ...``."""

    def __init__(self, gate: WriteGate, clock: Clock) -> None:
        self._gate = gate
        self._clock = clock
        self._sqlite = gate.engine.dialect.name == "sqlite"

    def profiles_generation(self) -> int:
        """The committed "profiles" change counter (tables.change_counters), read on every ACME
        request: one prepared SELECT (statements.py). SQLite's needs no transaction (one
        statement is its own snapshot) and cannot lose its connection: it runs on a bare pooled
        DBAPI connection, a third of the cost."""
        if self._sqlite:
            raw = self._gate.engine.raw_connection()
            try:
                cursor = raw.cursor()
                compiled = _PROFILES_COUNTER.compiled(self._gate.engine.dialect)
                cursor.execute(compiled.sql, compiled.parameters({}))
                found = cursor.fetchone()
                cursor.close()
            finally:
                raw.close()
            return int(found[0]) if found else 0
        with self._gate.autocommit() as conn:
            row = _PROFILES_COUNTER.first(conn, {})
        return int(row["value"]) if row else 0

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        if write:
            with self._gate.transaction() as conn:
                yield self._unit(conn, write)
        elif self._sqlite:
            # One snapshot for every statement of the unit (WAL read transaction).
            with self._gate.engine.connect() as conn, conn.begin():
                yield self._unit(conn, write)
        else:
            # PostgreSQL reads at READ COMMITTED, where every statement takes its own snapshot
            # inside a transaction too: BEGIN and COMMIT would add two round trips and no
            # consistency, so read units run in autocommit.
            with self._gate.autocommit() as conn:
                yield self._unit(conn, write)

    def _unit(self, conn: Connection, write: bool) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            SqlProfiles(conn),
            SqlAccounts(conn),
            SqlOrders(conn, self._clock.now(), lock=write),
            SqlAuthorizations(conn, lock=write),
            SqlCertificates(conn),
            SqlEabKeys(conn),
            SqlTokens(conn),
            SqlAudit(conn),
            SqlUsers(conn),
            SqlSessions(conn),
            SqlReports(conn),
        )
