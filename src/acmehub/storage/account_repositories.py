"""The repository of ACME accounts over one SQLAlchemy connection (inside a unit of work's
transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Text, bindparam, func, select, update
from sqlalchemy.sql import Select

from acmehub.domain.model import Account, OrderStatus
from acmehub.domain.storage_ports import AccountFilter, Page
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import Prepared, insert_of, select_by, update_by_id

# Prepared statements (hot paths): built once, compiled once per dialect, run on the DBAPI
# cursor: see statements.py. INSERT/UPDATE binds are named after the columns, so a converter's
# *_to_row dict is the parameters as it is.

_ACCOUNT_COLUMNS = [c.name for c in t.accounts.c]  # account_to_row gives every column
_ACCOUNT_BY_ID = select_by(t.accounts, "id")
_ACCOUNT_BY_THUMBPRINT = select_by(t.accounts, "key_thumbprint")
_ACCOUNT_INSERT = Prepared(insert_of(t.accounts, _ACCOUNT_COLUMNS))
_ACCOUNT_UPDATE = update_by_id(t.accounts, _ACCOUNT_COLUMNS)

#: One statement for psycopg and asyncpg alike (their placeholders differ).
_LOCK_KEY = Prepared(
    select(func.pg_advisory_xact_lock(func.hashtext(bindparam("key", type_=Text))).label("locked"))
)


class SqlAccounts:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, account_id: str) -> Account | None:
        row = _ACCOUNT_BY_ID.first(self._c, {"id": account_id})
        return cv.account_from_row(row) if row else None

    def by_uuid(self, uuid: str) -> Account | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.uuid == uuid)).first()
        return cv.account_from_row(row._mapping) if row else None

    def lock_key(self, thumbprint: str) -> None:
        # SQLite writers are serialized already (BEGIN IMMEDIATE); on PostgreSQL two
        # new-account requests with one key would both find no account and both insert.
        if self._c.dialect.name == "postgresql":
            _LOCK_KEY.first(self._c, {"key": "account:" + thumbprint})

    def by_thumbprint(self, thumbprint: str) -> Account | None:
        row = _ACCOUNT_BY_THUMBPRINT.first(self._c, {"key_thumbprint": thumbprint})
        return cv.account_from_row(row) if row else None

    def add(self, account: Account) -> None:
        _ACCOUNT_INSERT.run(self._c, cv.account_to_row(account))

    def update(self, account: Account) -> None:
        _ACCOUNT_UPDATE.run(self._c, cv.account_to_row(account))

    @staticmethod
    def _where(query: Select[Any], where: AccountFilter) -> Select[Any]:
        c = t.accounts.c
        if where.acme_profile_uuid is not None:
            query = query.where(c.acme_profile_uuid == where.acme_profile_uuid)
        if where.ra_profile_uuid is not None:
            query = query.where(c.ra_profile_uuid == where.ra_profile_uuid)
        if where.status is not None:
            query = query.where(c.status == where.status.value)
        if where.enabled is not None:
            query = query.where(c.enabled == where.enabled)
        return query

    def list(self, where: AccountFilter, page: Page) -> list[Account]:
        query = self._where(select(t.accounts), where).order_by(
            t.accounts.c.created_at, t.accounts.c.id
        )
        rows = self._c.execute(query.offset(page.offset).limit(page.limit))
        return [cv.account_from_row(r._mapping) for r in rows]

    def count(self, where: AccountFilter) -> int:
        query = self._where(select(func.count()).select_from(t.accounts), where)
        return int(self._c.execute(query).scalar_one())

    def order_counts(self, account_id: str) -> dict[str, int]:
        rows = self._c.execute(
            select(t.orders.c.status, func.count())
            .where(t.orders.c.account_id == account_id)
            .group_by(t.orders.c.status)
        )
        counts = {s.value: 0 for s in OrderStatus}
        for status, n in rows:
            counts[status] = int(n)
        counts["total"] = sum(counts.values())
        return counts

    def rebind_default(self, acme_profile_uuid: str, ra_profile_uuid: str) -> int:
        result = self._c.execute(
            update(t.accounts)
            .where(t.accounts.c.acme_profile_uuid == acme_profile_uuid)
            .where(t.accounts.c.via_default_ra_profile.is_(True))
            .values(ra_profile_uuid=ra_profile_uuid)
        )
        return int(result.rowcount)
