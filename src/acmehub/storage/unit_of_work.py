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


class SqlUnitOfWorkFactory:
    """Callable that opens a transaction: ``with uow(write=True) as tx: ...``."""

    def __init__(self, gate: WriteGate, clock: Clock) -> None:
        self._gate = gate
        self._clock = clock
        dialect = gate.engine.dialect
        query = select(t.change_counters.c.value).where(t.change_counters.c.name == "profiles")
        self._counter_sql = str(
            query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        )

    def profiles_generation(self) -> int:
        """The committed "profiles" change counter (tables.change_counters). It is read on
        every ACME request, so on a pooled DBAPI connection with a ready SQL string: no
        SQLAlchemy statement machinery, no transaction of its own."""
        raw = self._gate.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(self._counter_sql)
            row = cursor.fetchone()
            cursor.close()
        finally:
            raw.close()
        return int(row[0]) if row else 0

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        if write:
            with self._gate.transaction() as conn:
                yield self._unit(conn, write)
        else:
            with self._gate.engine.connect() as conn, conn.begin():
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
