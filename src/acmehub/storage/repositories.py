"""Repositories over one SQLAlchemy connection (inside a unit of work's transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, delete, func, or_, select, update
from sqlalchemy.sql import Select

from acmehub.domain.model import (
    Account,
    AcmeProfile,
    Authority,
    Authorization,
    AuthzStatus,
    Certificate,
    Challenge,
    Order,
    OrderStatus,
    RaProfile,
)
from acmehub.domain.ports import AccountFilter, CertificateFilter, OrderFilter, Page
from acmehub.storage import converters as cv
from acmehub.storage import tables as t


class SqlProfiles:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def acme_profile_by_name(self, name: str) -> AcmeProfile | None:
        row = self._c.execute(select(t.acme_profiles).where(t.acme_profiles.c.name == name)).first()
        return cv.acme_profile_from_row(row._mapping) if row else None

    def acme_profile(self, uuid: str) -> AcmeProfile | None:
        row = self._c.execute(select(t.acme_profiles).where(t.acme_profiles.c.uuid == uuid)).first()
        return cv.acme_profile_from_row(row._mapping) if row else None

    def ra_profile_by_name(self, name: str) -> RaProfile | None:
        row = self._c.execute(select(t.ra_profiles).where(t.ra_profiles.c.name == name)).first()
        return cv.ra_profile_from_row(row._mapping) if row else None

    def ra_profile(self, uuid: str) -> RaProfile | None:
        row = self._c.execute(select(t.ra_profiles).where(t.ra_profiles.c.uuid == uuid)).first()
        return cv.ra_profile_from_row(row._mapping) if row else None

    def authority(self, uuid: str) -> Authority | None:
        row = self._c.execute(select(t.authorities).where(t.authorities.c.uuid == uuid)).first()
        return cv.authority_from_row(row._mapping) if row else None

    def add_authority(self, authority: Authority) -> None:
        self._c.execute(t.authorities.insert().values(cv.authority_to_row(authority)))

    def add_ra_profile(self, profile: RaProfile) -> None:
        self._c.execute(t.ra_profiles.insert().values(cv.ra_profile_to_row(profile)))

    def update_ra_profile(self, profile: RaProfile) -> None:
        self._c.execute(
            update(t.ra_profiles)
            .where(t.ra_profiles.c.uuid == profile.uuid)
            .values(cv.ra_profile_to_row(profile))
        )

    def add_acme_profile(self, profile: AcmeProfile) -> None:
        self._c.execute(t.acme_profiles.insert().values(cv.acme_profile_to_row(profile)))

    def update_acme_profile(self, profile: AcmeProfile) -> None:
        self._c.execute(
            update(t.acme_profiles)
            .where(t.acme_profiles.c.uuid == profile.uuid)
            .values(cv.acme_profile_to_row(profile))
        )

    def list_authorities(self) -> list[Authority]:
        rows = self._c.execute(select(t.authorities).order_by(t.authorities.c.name))
        return [cv.authority_from_row(r._mapping) for r in rows]

    def update_authority(self, authority: Authority) -> None:
        self._c.execute(
            update(t.authorities)
            .where(t.authorities.c.uuid == authority.uuid)
            .values(cv.authority_to_row(authority))
        )

    def delete_authority(self, uuid: str) -> None:
        self._c.execute(delete(t.authorities).where(t.authorities.c.uuid == uuid))

    def list_ra_profiles(self, authority_uuid: str | None = None) -> list[RaProfile]:
        query = select(t.ra_profiles).order_by(t.ra_profiles.c.name)
        if authority_uuid is not None:
            query = query.where(t.ra_profiles.c.authority_uuid == authority_uuid)
        return [cv.ra_profile_from_row(r._mapping) for r in self._c.execute(query)]

    def delete_ra_profile(self, uuid: str) -> None:
        self._c.execute(delete(t.ra_profiles).where(t.ra_profiles.c.uuid == uuid))

    def list_acme_profiles(self) -> list[AcmeProfile]:
        rows = self._c.execute(select(t.acme_profiles).order_by(t.acme_profiles.c.name))
        return [cv.acme_profile_from_row(r._mapping) for r in rows]

    def delete_acme_profile(self, uuid: str) -> None:
        self._c.execute(delete(t.acme_profiles).where(t.acme_profiles.c.uuid == uuid))


class SqlAccounts:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, account_id: str) -> Account | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.id == account_id)).first()
        return cv.account_from_row(row._mapping) if row else None

    def by_uuid(self, uuid: str) -> Account | None:
        row = self._c.execute(select(t.accounts).where(t.accounts.c.uuid == uuid)).first()
        return cv.account_from_row(row._mapping) if row else None

    def lock_key(self, thumbprint: str) -> None:
        # SQLite writers are serialized already (BEGIN IMMEDIATE); on PostgreSQL two
        # new-account requests with one key would both find no account and both insert.
        if self._c.dialect.name == "postgresql":
            self._c.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(hashtext(%(key)s))", {"key": "account:" + thumbprint}
            )

    def by_thumbprint(self, thumbprint: str) -> Account | None:
        row = self._c.execute(
            select(t.accounts).where(t.accounts.c.key_thumbprint == thumbprint)
        ).first()
        return cv.account_from_row(row._mapping) if row else None

    def add(self, account: Account) -> None:
        self._c.execute(t.accounts.insert().values(cv.account_to_row(account)))

    def update(self, account: Account) -> None:
        self._c.execute(
            update(t.accounts)
            .where(t.accounts.c.id == account.id)
            .values(cv.account_to_row(account))
        )

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


class SqlOrders:
    def __init__(self, conn: Connection, now: datetime, *, lock: bool = False) -> None:
        self._c = conn
        self._now = now
        # In a write transaction an order is read to be changed: lock its row (PostgreSQL's
        # FOR UPDATE; SQLite's BEGIN IMMEDIATE already serializes writers) so that two
        # processes cannot both move it on from the same state.
        self._lock = lock

    def get(self, order_id: str) -> Order | None:
        query = select(t.orders).where(t.orders.c.id == order_id)
        row = self._c.execute(query.with_for_update() if self._lock else query).first()
        return cv.order_from_row(row._mapping) if row else None

    def add(self, order: Order) -> None:
        self._c.execute(
            t.orders.insert().values({**cv.order_to_row(order), "updated_at": self._now})
        )

    def update(self, order: Order) -> None:
        self._c.execute(
            update(t.orders)
            .where(t.orders.c.id == order.id)
            .values({**cv.order_to_row(order), "updated_at": self._now})
        )

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
        rows = self._c.execute(
            select(t.authorizations.c.order_id).where(t.authorizations.c.id == authorization_id)
        )
        return [r[0] for r in rows]

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
        c = t.orders.c
        result = self._c.execute(
            update(t.orders)
            .where(c.id == order_id)
            .where(c.status == OrderStatus.PROCESSING.value)
            .where(c.updated_at <= touched_by)
            .values(updated_at=self._now)
        )
        return result.rowcount == 1


class SqlAuthorizations:
    def __init__(self, conn: Connection, *, lock: bool = False) -> None:
        self._c = conn
        # Like SqlOrders: a challenge read in a write transaction is locked until it commits.
        self._lock = lock

    def _challenges(self, ids: Sequence[str]) -> dict[str, list[dict[str, object]]]:
        grouped: dict[str, list[dict[str, object]]] = {i: [] for i in ids}
        rows = self._c.execute(
            select(t.challenges)
            .where(t.challenges.c.authorization_id.in_(list(ids)))
            .order_by(t.challenges.c.type)
        )
        for r in rows:
            grouped[r.authorization_id].append(dict(r._mapping))
        return grouped

    def get(self, authorization_id: str) -> Authorization | None:
        found = self.get_many([authorization_id])
        return found[0] if found else None

    def get_many(self, ids: Sequence[str]) -> list[Authorization]:
        if not ids:
            return []
        rows = {
            r.id: r._mapping
            for r in self._c.execute(
                select(t.authorizations).where(t.authorizations.c.id.in_(list(ids)))
            )
        }
        chall = self._challenges([i for i in ids if i in rows])
        return [cv.authorization_from_row(rows[i], chall[i]) for i in ids if i in rows]

    def add(self, authorization: Authorization, order_id: str) -> None:
        self._c.execute(
            t.authorizations.insert().values(cv.authorization_to_row(authorization, order_id))
        )
        if authorization.challenges:
            self._c.execute(
                t.challenges.insert(), [cv.challenge_to_row(c) for c in authorization.challenges]
            )

    def set_status(self, authorization_id: str, status: str) -> None:
        self._c.execute(
            update(t.authorizations)
            .where(t.authorizations.c.id == authorization_id)
            .values(status=status)
        )

    def challenge(self, challenge_id: str) -> Challenge | None:
        query = select(t.challenges).where(t.challenges.c.id == challenge_id)
        row = self._c.execute(query.with_for_update() if self._lock else query).first()
        return cv.challenge_from_row(row._mapping) if row else None

    def update_challenge(self, challenge: Challenge) -> None:
        values = cv.challenge_to_row(challenge)
        if challenge.status.value not in ("processing",):
            values.update(lease_owner=None, lease_until=None)
        self._c.execute(
            update(t.challenges).where(t.challenges.c.id == challenge.id).values(values)
        )

    def valid_for_account(self, account_id: str, names: Sequence[str], now: datetime) -> set[str]:
        rows = self._c.execute(
            select(t.authorizations.c.identifier_value)
            .where(t.authorizations.c.account_id == account_id)
            .where(t.authorizations.c.identifier_value.in_(list(names)))
            .where(t.authorizations.c.status == AuthzStatus.VALID.value)
            .where(t.authorizations.c.expires > now)
        )
        return {r[0] for r in rows}


class SqlCertificates:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, certificate_id: str) -> Certificate | None:
        row = self._c.execute(
            select(t.certificates).where(t.certificates.c.id == certificate_id)
        ).first()
        return cv.certificate_from_row(row._mapping) if row else None

    def by_serial(self, serial_hex: str) -> Certificate | None:
        row = self._c.execute(
            select(t.certificates).where(t.certificates.c.serial_hex == serial_hex)
        ).first()
        return cv.certificate_from_row(row._mapping) if row else None

    def add(self, certificate: Certificate) -> None:
        self._c.execute(t.certificates.insert().values(cv.certificate_to_row(certificate)))

    def mark_revoked(self, certificate_id: str, revoked_at: datetime, reason: int) -> bool:
        result = self._c.execute(
            update(t.certificates)
            .where(t.certificates.c.id == certificate_id)
            .where(t.certificates.c.revoked_at.is_(None))
            .values(revoked_at=revoked_at, revocation_reason=reason)
        )
        return result.rowcount == 1

    def revoked_for_authority(self, authority_uuid: str) -> list[Certificate]:
        rows = self._c.execute(
            select(t.certificates)
            .where(t.certificates.c.authority_uuid == authority_uuid)
            .where(t.certificates.c.revoked_at.is_not(None))
        )
        return [cv.certificate_from_row(r._mapping) for r in rows]

    @staticmethod
    def _where(query: Select[Any], where: CertificateFilter) -> Select[Any]:
        c = t.certificates.c
        if where.acme_profile_uuid is not None:
            query = query.where(c.acme_profile_uuid == where.acme_profile_uuid)
        if where.ra_profile_uuid is not None:
            query = query.where(c.ra_profile_uuid == where.ra_profile_uuid)
        if where.account_id is not None:
            query = query.where(c.account_id == where.account_id)
        if where.status == "revoked":
            query = query.where(c.revoked_at.is_not(None))
        elif where.status in ("valid", "expired"):
            if where.now is None:
                raise ValueError("a certificate status filter needs now")
            query = query.where(c.revoked_at.is_(None))
            query = query.where(
                c.not_after > where.now if where.status == "valid" else c.not_after <= where.now
            )
        if where.name:
            # Names are a JSON list; matching its text finds a name or part of one.
            query = query.where(func.lower(func.cast(c.names, Text)).contains(where.name.lower()))
        if where.expires_after is not None:
            query = query.where(c.not_after >= where.expires_after)
        if where.expires_before is not None:
            query = query.where(c.not_after < where.expires_before)
        return query

    def list(self, where: CertificateFilter, page: Page) -> list[Certificate]:
        query = self._where(select(t.certificates), where).order_by(
            t.certificates.c.issued_at.desc(), t.certificates.c.id
        )
        rows = self._c.execute(query.offset(page.offset).limit(page.limit))
        return [cv.certificate_from_row(r._mapping) for r in rows]

    def count(self, where: CertificateFilter) -> int:
        query = self._where(select(func.count()).select_from(t.certificates), where)
        return int(self._c.execute(query).scalar_one())
