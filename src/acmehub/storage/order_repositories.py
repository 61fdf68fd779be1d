"""The repositories of orders and of their authorizations and challenges over one SQLAlchemy
connection (inside a unit of work's transaction)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Text,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from acmehub.domain.model import (
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    Order,
    OrderStatus,
)
from acmehub.domain.storage_ports import OrderFilter, Page
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import Prepared, insert_of, select_by, update_by_id, update_of

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

_AUTHZ_BY_ID = select_by(t.authorizations, "id")
_AUTHZ_INSERT = Prepared(insert_of(t.authorizations))  # authorization_to_row: every column
_AUTHZ_SET_STATUS = Prepared(
    update(t.authorizations)
    .where(t.authorizations.c.id == bindparam("id"))
    .values(status=bindparam("status", type_=t.authorizations.c.status.type))
)

# Compare and set (RFC 8555 §7.1.6): a pending authorization is decided, or a pending or valid
# one deactivated, only while its stored status is still an expected one and it has not expired,
# so a change committed since it was read (a deactivation, an expiry, another result) wins.
_AUTHZ_CHANGE_STATUS = Prepared(
    update(t.authorizations)
    .where(t.authorizations.c.id == bindparam("id"))
    .where(
        t.authorizations.c.status.in_(
            [bindparam(f"expected_{i}", type_=t.authorizations.c.status.type) for i in range(2)]
        )
    )
    .where(t.authorizations.c.expires > bindparam("now", type_=t.authorizations.c.expires.type))
    .values(status=bindparam("status", type_=t.authorizations.c.status.type))
)

_AUTHZ_CAP_EXPIRY = Prepared(
    update(t.authorizations)
    .where(t.authorizations.c.id == bindparam("id"))
    .where(t.authorizations.c.expires > bindparam("cap", type_=t.authorizations.c.expires.type))
    .values(expires=bindparam("cap", type_=t.authorizations.c.expires.type))
)

_CHALLENGE_ROW = ["id", "authorization_id", "type", "token", "status", "validated", "error"]
_CHALLENGES_OF = Prepared(
    select(t.challenges)
    .where(t.challenges.c.authorization_id == bindparam("authorization_id"))
    .order_by(t.challenges.c.type)
)
_CHALLENGE_BY_ID = select_by(t.challenges, "id")
_CHALLENGE_BY_ID_FOR_UPDATE = select_by(t.challenges, "id", lock=True)
_CHALLENGE_INSERT = Prepared(insert_of(t.challenges, _CHALLENGE_ROW))  # no lease yet
_CHALLENGE_UPDATE = update_by_id(t.challenges, _CHALLENGE_ROW)
_CHALLENGE_UPDATE_SET_LEASE = update_by_id(
    t.challenges, [*_CHALLENGE_ROW, "lease_owner", "lease_until"]
)
# A validation's outcome is written only over a challenge still processing (compare and set).
_CHALLENGE_SETTLE = Prepared(
    update_of(
        t.challenges,
        [*_CHALLENGE_ROW, "lease_owner", "lease_until"],
        and_(
            t.challenges.c.id == bindparam("id"),
            t.challenges.c.status == ChallengeStatus.PROCESSING.value,
        ),
    )
)


# An IN list is a fixed number of binds in a prepared statement: one statement per length.
def _in_binds(column: Column[Any], n: int) -> list[BindParameter[Any]]:
    return [bindparam(f"{column.name}_{i}", type_=column.type) for i in range(n)]


def _in_params(column: Column[Any], values: Sequence[Any]) -> dict[str, Any]:
    return {f"{column.name}_{i}": v for i, v in enumerate(values)}


@lru_cache(maxsize=64)
def _authorizations_in(n: int) -> tuple[Prepared, Prepared]:
    """The authorizations of n ids and their challenges (bound as id_0, id_1...)."""
    ids = _in_binds(t.authorizations.c.id, n)
    return (
        Prepared(select(t.authorizations).where(t.authorizations.c.id.in_(ids))),
        Prepared(
            select(t.challenges)
            .where(t.challenges.c.authorization_id.in_(ids))
            .order_by(t.challenges.c.type)
        ),
    )


@lru_cache(maxsize=64)
def _valid_names_in(n: int) -> Prepared:
    c = t.authorizations.c
    return Prepared(
        select(c.identifier_value)
        .where(c.account_id == bindparam("account_id"))
        .where(c.identifier_value.in_(_in_binds(c.identifier_value, n)))
        .where(c.status == AuthzStatus.VALID.value)
        .where(c.expires > bindparam("now"))
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
        return [r["order_id"] for r in rows]

    def purge_expired(self, expired_before: datetime, limit: int) -> int:
        c = t.orders.c
        ids = [
            r[0]
            for r in self._c.execute(
                select(c.id)
                .where(c.expires < expired_before)
                .where(c.certificate_id.is_(None))
                .where(c.status != OrderStatus.PROCESSING.value)
                .limit(limit)
            )
        ]
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


class SqlAuthorizations:
    def __init__(self, conn: Connection, *, lock: bool = False) -> None:
        self._c = conn
        # Like SqlOrders: a challenge read in a write transaction is locked until it commits.
        self._lock = lock

    def get(self, authorization_id: str) -> Authorization | None:
        row = _AUTHZ_BY_ID.first(self._c, {"id": authorization_id})
        if row is None:
            return None
        challenges = _CHALLENGES_OF.all(self._c, {"authorization_id": authorization_id})
        return cv.authorization_from_row(row, challenges)

    def get_many(self, ids: Sequence[str]) -> list[Authorization]:
        if not ids:
            return []
        if len(ids) == 1:
            found = self.get(ids[0])
            return [found] if found else []
        authorizations, challenges = _authorizations_in(len(ids))
        params = _in_params(t.authorizations.c.id, ids)
        rows = {r["id"]: r for r in authorizations.all(self._c, params)}
        grouped: dict[str, list[dict[str, Any]]] = {i: [] for i in rows}
        for r in challenges.all(self._c, params):
            if r["authorization_id"] in grouped:
                grouped[r["authorization_id"]].append(r)
        return [cv.authorization_from_row(rows[i], grouped[i]) for i in ids if i in rows]

    def add(self, authorization: Authorization, order_id: str) -> None:
        _AUTHZ_INSERT.run(self._c, cv.authorization_to_row(authorization, order_id))
        if authorization.challenges:
            _CHALLENGE_INSERT.run_many(
                self._c, [cv.challenge_to_row(c) for c in authorization.challenges]
            )

    def set_status(self, authorization_id: str, status: str) -> None:
        _AUTHZ_SET_STATUS.run(self._c, {"id": authorization_id, "status": status})

    def change_status(
        self,
        authorization_id: str,
        expected: Collection[AuthzStatus],
        status: AuthzStatus,
        now: datetime,
    ) -> bool:
        if not 1 <= len(expected) <= 2:
            raise ValueError("expect one or two statuses")
        first, *rest = (s.value for s in expected)
        params = {
            "id": authorization_id,
            "expected_0": first,
            "expected_1": rest[0] if rest else first,
            "now": now,
            "status": status.value,
        }
        return _AUTHZ_CHANGE_STATUS.run(self._c, params) == 1

    def cap_expiry(self, authorization_id: str, expires: datetime) -> None:
        _AUTHZ_CAP_EXPIRY.run(self._c, {"id": authorization_id, "cap": expires})

    def settle_challenge(self, challenge: Challenge) -> bool:
        if challenge.status is ChallengeStatus.PROCESSING:
            raise ValueError("a settled challenge is valid or invalid")
        values = {**cv.challenge_to_row(challenge), "lease_owner": None, "lease_until": None}
        return _CHALLENGE_SETTLE.run(self._c, values) == 1

    def challenge(self, challenge_id: str) -> Challenge | None:
        query = _CHALLENGE_BY_ID_FOR_UPDATE if self._lock else _CHALLENGE_BY_ID
        row = query.first(self._c, {"id": challenge_id})
        return cv.challenge_from_row(row) if row else None

    def update_challenge(
        self, challenge: Challenge, lease: tuple[str, datetime] | None = None
    ) -> None:
        values = cv.challenge_to_row(challenge)
        if challenge.status.value != "processing" or lease is not None:
            # Settled: no lease any more. Handed to a validation thread: its lease.
            owner, until = lease if lease is not None else (None, None)
            values.update(lease_owner=owner, lease_until=until)
            _CHALLENGE_UPDATE_SET_LEASE.run(self._c, values)
        else:
            _CHALLENGE_UPDATE.run(self._c, values)

    def valid_for_account(self, account_id: str, names: Sequence[str], now: datetime) -> set[str]:
        if not names:
            return set()
        params = _in_params(t.authorizations.c.identifier_value, names)
        rows = _valid_names_in(len(names)).all(
            self._c, {**params, "account_id": account_id, "now": now}
        )
        return {r["identifier_value"] for r in rows}
