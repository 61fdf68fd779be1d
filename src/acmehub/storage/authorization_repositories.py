"""The repository of authorizations and their challenges over one SQLAlchemy connection
(inside a unit of work's transaction); the orders' is in order_repositories.py."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    and_,
    bindparam,
    select,
    update,
)
from sqlalchemy.sql.elements import BindParameter

from acmehub.domain.model import (
    Authorization,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
)
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import Prepared, insert_of, select_by, update_by_id, update_of

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

    def add(self, authorization: Authorization, order_id: str | None) -> None:
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

    def valid_of_account(
        self, account_id: str, names: Sequence[str], now: datetime
    ) -> list[Authorization]:
        if not names:
            return []
        c = t.authorizations.c
        ids = [
            r[0]
            for r in self._c.execute(
                select(c.id)
                .where(c.account_id == account_id)
                .where(c.identifier_value.in_(list(names)))
                .where(c.status == AuthzStatus.VALID.value)
                .where(c.expires > now)
            )
        ]
        return self.get_many(ids)

    def set_expires(self, authorization_id: str, expires: datetime) -> None:
        c = t.authorizations.c
        self._c.execute(
            update(t.authorizations).where(c.id == authorization_id).values(expires=expires)
        )

    def valid_for_account(self, account_id: str, names: Sequence[str], now: datetime) -> set[str]:
        if not names:
            return set()
        params = _in_params(t.authorizations.c.identifier_value, names)
        rows = _valid_names_in(len(names)).all(
            self._c, {**params, "account_id": account_id, "now": now}
        )
        return {r["identifier_value"] for r in rows}
