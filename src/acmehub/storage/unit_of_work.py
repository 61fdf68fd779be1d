"""The unit of work: one transaction, the repositories bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from acmehub.domain.ports import Clock
from acmehub.storage.admin_repositories import SqlAudit, SqlEabKeys, SqlTokens
from acmehub.storage.repositories import (
    SqlAccounts,
    SqlAuthorizations,
    SqlCertificates,
    SqlOrders,
    SqlProfiles,
)


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
    ) -> None:
        self.profiles = profiles
        self.accounts = accounts
        self.orders = orders
        self.authorizations = authorizations
        self.certificates = certificates
        self.eab_keys = eab_keys
        self.tokens = tokens
        self.audit = audit

    def __enter__(self) -> SqlUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class SqlUnitOfWorkFactory:
    """Callable that opens a transaction: ``with uow(write=True) as tx: ...``."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    @contextmanager
    def __call__(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        conn = self._engine.connect().execution_options(acmehub_write=write)
        try:
            with conn.begin():
                yield SqlUnitOfWork(
                    SqlProfiles(conn),
                    SqlAccounts(conn),
                    SqlOrders(conn, self._clock.now()),
                    SqlAuthorizations(conn),
                    SqlCertificates(conn),
                    SqlEabKeys(conn),
                    SqlTokens(conn),
                    SqlAudit(conn),
                )
        finally:
            conn.close()
