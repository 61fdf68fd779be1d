"""The unit of work: one transaction, the repositories bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property

from sqlalchemy import Connection, select

from acmehub.domain.ports import Clock
from acmehub.storage import tables as t
from acmehub.storage.account_repositories import SqlAccounts
from acmehub.storage.admin_repositories import SqlAudit, SqlEabKeys, SqlTokens
from acmehub.storage.authorization_repositories import SqlAuthorizations
from acmehub.storage.blocked_key_repositories import SqlBlockedKeys
from acmehub.storage.certificate_profile_repositories import SqlCertificateProfiles
from acmehub.storage.certificate_repositories import SqlCertificates
from acmehub.storage.engine import WriteGate
from acmehub.storage.order_repositories import SqlOrders
from acmehub.storage.profile_repositories import SqlProfiles
from acmehub.storage.reports import SqlReports
from acmehub.storage.statements import Prepared
from acmehub.storage.web_repositories import SqlSessions, SqlSignInFailures, SqlUsers


class SqlUnitOfWork:
    """The repositories of one transaction, each made when first used (a request uses two or
    three of the twelve)."""

    def __init__(self, conn: Connection, now: datetime, write: bool) -> None:
        self._conn = conn
        self._now = now
        self._write = write

    @cached_property
    def profiles(self) -> SqlProfiles:
        return SqlProfiles(self._conn)

    @cached_property
    def certificate_profiles(self) -> SqlCertificateProfiles:
        return SqlCertificateProfiles(self._conn)

    @cached_property
    def accounts(self) -> SqlAccounts:
        return SqlAccounts(self._conn)

    @cached_property
    def orders(self) -> SqlOrders:
        return SqlOrders(self._conn, self._now, lock=self._write)

    @cached_property
    def authorizations(self) -> SqlAuthorizations:
        return SqlAuthorizations(self._conn, lock=self._write)

    @cached_property
    def certificates(self) -> SqlCertificates:
        return SqlCertificates(self._conn)

    @cached_property
    def eab_keys(self) -> SqlEabKeys:
        return SqlEabKeys(self._conn)

    @cached_property
    def blocked_keys(self) -> SqlBlockedKeys:
        return SqlBlockedKeys(self._conn)

    @cached_property
    def tokens(self) -> SqlTokens:
        return SqlTokens(self._conn)

    @cached_property
    def audit(self) -> SqlAudit:
        return SqlAudit(self._conn)

    @cached_property
    def users(self) -> SqlUsers:
        return SqlUsers(self._conn)

    @cached_property
    def web_sessions(self) -> SqlSessions:
        return SqlSessions(self._conn)

    @cached_property
    def sign_in_failures(self) -> SqlSignInFailures:
        return SqlSignInFailures(self._conn)

    @cached_property
    def reports(self) -> SqlReports:
        return SqlReports(self._conn)

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
        statement is its own snapshot) and runs on a bare DBAPI connection."""
        if self._sqlite:
            with self._gate.sqlite_dbapi() as raw:
                cursor = raw.cursor()
                compiled = _PROFILES_COUNTER.compiled(self._gate.engine.dialect)
                cursor.execute(compiled.sql, compiled.parameters({}))
                found = cursor.fetchone()
                cursor.close()
            return int(found[0]) if found else 0
        with self._gate.autocommit() as conn:
            row = _PROFILES_COUNTER.first(conn, {})
        return int(row["value"]) if row else 0

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        if write:
            with self._gate.transaction() as conn:
                yield SqlUnitOfWork(conn, self._clock.now(), write)
        elif self._sqlite:
            # One snapshot for every statement of the unit (WAL read transaction).
            with self._gate.sqlite_read() as conn:
                yield SqlUnitOfWork(conn, self._clock.now(), write)
        else:
            # PostgreSQL reads at READ COMMITTED, where every statement takes its own snapshot
            # inside a transaction too: BEGIN and COMMIT would add two round trips and no
            # consistency, so read units run in autocommit.
            with self._gate.autocommit() as conn:
                yield SqlUnitOfWork(conn, self._clock.now(), write)
