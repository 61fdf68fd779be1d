"""The repositories of orders and of their authorizations and challenges over one SQLAlchemy
connection (inside a unit of work's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.sql import Select

from acmehub.domain.model import (
    Order,
    OrderStatus,
)
from acmehub.domain.storage_ports import OrderFilter, Page
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import Prepared, insert_of, select_by, update_by_id

# Prepared statements (hot paths): built once, compiled once per dialect, run on the DBAPI
# cursor: see statements.py. INSERT/UPDATE binds are named after the columns, so a converter's
# *_to_row dict is the parameters as it is.

_ORDER_COLUMNS = [c.name for c in t.orders.c]  # order_to_row + updated_at
_ORDER_BY_ID = select_by(t.orders, "id")
_ORDER_BY_ID_FOR_UPDATE = select_by(t.orders, "id", lock=True)
_ORDER_INSERT = Prepared(insert_of(t.orders, _ORDER_COLUMNS))
_ORDER_UPDATE = update_by_id(t.orders, _ORDER_COLUMNS)
_ORDER_IDS_FOR_AUTHORIZATION = Prepared(
    select(t.authorizations.c.order_id).where(t.authorizations.c.id == bindparam("id"))
)
_ORDER_CLAIM_ISSUANCE = Prepared(
    update(t.orders)
    .where(t.orders.c.id == bindparam("id"))
    .where(t.orders.c.status == OrderStatus.PROCESSING.value)
    .where(t.orders.c.updated_at <= bindparam("touched_by"))
    .values(updated_at=bindparam("now", type_=t.orders.c.updated_at.type))
)


class SqlOrders:
    def __init__(self, conn: Connection, now: datetime, *, lock: bool = False) -> None:
        self._c = conn
        self._now = now
        # In a write transaction an order is read to be changed: lock its row (PostgreSQL's
        # FOR UPDATE; SQLite's BEGIN IMMEDIATE already serializes writers) so that two
        # processes cannot both move it on from the same state.
        self._lock = lock

    def get(self, order_id: str) -> Order | None:
        query = _ORDER_BY_ID_FOR_UPDATE if self._lock else _ORDER_BY_ID
        row = query.first(self._c, {"id": order_id})
        return cv.order_from_row(row) if row else None

    def add(self, order: Order) -> None:
        _ORDER_INSERT.run(self._c, {**cv.order_to_row(order), "updated_at": self._now})

    def update(self, order: Order) -> None:
        _ORDER_UPDATE.run(self._c, {**cv.order_to_row(order), "updated_at": self._now})

    def ids_for_account(self, account_id: str, offset: int, limit: int) -> list[str]:
        c = t.orders.c
        rows = self._c.execute(
            select(c.id)
            .where(c.account_id == account_id)
            # RFC 8555 §7.1.2.1: invalid orders (expired ones included) are not listed.
            .where(c.status != OrderStatus.INVALID.value)
            .where(
                or_(
                    c.status.in_([OrderStatus.VALID.value, OrderStatus.PROCESSING.value]),
                    c.expires > self._now,
                )
            )
            .order_by(c.created_at, c.id)
            .offset(offset)
            .limit(limit)
        )
        return [r[0] for r in rows]

    def ids_for_authorization(self, authorization_id: str) -> list[str]:
        rows = _ORDER_IDS_FOR_AUTHORIZATION.all(self._c, {"id": authorization_id})
        # A pre-authorization (RFC 8555 §7.4.1) belongs to no order.
        return [r["order_id"] for r in rows if r["order_id"] is not None]

    def _purge_pre_authorizations(self, expired_before: datetime, limit: int) -> None:
        """Pre-authorizations (no order, RFC 8555 §7.4.1) that expired before ``expired_before``."""
        a = t.authorizations.c
        ids = [
            r[0]
            for r in self._c.execute(
                select(a.id)
                .where(a.order_id.is_(None))
                .where(a.expires < expired_before)
                .limit(limit)
            )
        ]
        if ids:
            self._c.execute(delete(t.challenges).where(t.challenges.c.authorization_id.in_(ids)))
            self._c.execute(delete(t.authorizations).where(a.id.in_(ids)))

    def purge_expired(self, expired_before: datetime, limit: int) -> int:
        c = t.orders.c
        a = t.authorizations.c
        ids = [
            r[0]
            for r in self._c.execute(
                select(c.id)
                .where(c.expires < expired_before)
                .where(c.certificate_id.is_(None))
                .where(c.status != OrderStatus.PROCESSING.value)
                # An authorization still valid may serve other orders (reuse): its order stays.
                .where(
                    ~select(a.id)
                    .where(a.order_id == c.id)
                    .where(a.expires >= expired_before)
                    .exists()
                )
                .limit(limit)
            )
        ]
        self._purge_pre_authorizations(expired_before, limit)
        if not ids:
            return 0
        authz_ids = select(t.authorizations.c.id).where(t.authorizations.c.order_id.in_(ids))
        self._c.execute(delete(t.challenges).where(t.challenges.c.authorization_id.in_(authz_ids)))
        self._c.execute(delete(t.authorizations).where(t.authorizations.c.order_id.in_(ids)))
        self._c.execute(delete(t.orders).where(c.id.in_(ids)))
        return len(ids)

    @staticmethod
    def _where(query: Select[Any], where: OrderFilter) -> Select[Any]:
        c = t.orders.c
        if where.account_id is not None:
            query = query.where(c.account_id == where.account_id)
        if where.status is not None:
            query = query.where(c.status == where.status)
        if where.acme_profile_uuid is not None:
            query = query.where(c.acme_profile_uuid == where.acme_profile_uuid)
        if where.name:
            # Identifiers are a JSON list of {type, value}: matching its text finds a name or
            # part of one (the keys "type"/"value"/"dns" could match too: callers search names).
            query = query.where(
                func.lower(func.cast(c.identifiers, Text)).contains(where.name.lower())
            )
        return query

    def search(self, where: OrderFilter, page: Page) -> list[Order]:
        query = self._where(select(t.orders), where).order_by(
            t.orders.c.created_at.desc(), t.orders.c.id
        )
        rows = self._c.execute(query.offset(page.offset).limit(page.limit))
        return [cv.order_from_row(r._mapping) for r in rows]

    def count(self, where: OrderFilter) -> int:
        query = self._where(select(func.count()).select_from(t.orders), where)
        return int(self._c.execute(query).scalar_one())

    def replacing(self, cert_id: str) -> list[Order]:
        c = t.orders.c
        rows = self._c.execute(
            select(t.orders).where(c.replaces == cert_id).order_by(c.created_at, c.id)
        )
        return [cv.order_from_row(r._mapping) for r in rows]

    def stuck_processing(self, older_than: datetime, limit: int) -> list[Order]:
        rows = self._c.execute(
            select(t.orders)
            .where(t.orders.c.status == OrderStatus.PROCESSING.value)
            .where(t.orders.c.updated_at < older_than)
            .limit(limit)
        )
        return [cv.order_from_row(r._mapping) for r in rows]

    def claim_issuance(self, order_id: str, touched_by: datetime) -> bool:
        params = {"id": order_id, "touched_by": touched_by, "now": self._now}
        return _ORDER_CLAIM_ISSUANCE.run(self._c, params) == 1
