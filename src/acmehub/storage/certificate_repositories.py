"""The repository of issued certificates over one SQLAlchemy connection (inside a unit of
work's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, func, select, update
from sqlalchemy.sql import Select

from acmehub.domain.model import Certificate
from acmehub.domain.renewal_info import RenewalScope
from acmehub.domain.storage_ports import CertificateFilter, Page
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import Prepared, insert_of, select_by

# Prepared statements (hot paths): built once, compiled once per dialect, run on the DBAPI
# cursor: see statements.py. INSERT/UPDATE binds are named after the columns, so a converter's
# *_to_row dict is the parameters as it is.

_CERTIFICATE_BY_ID = select_by(t.certificates, "id")
_CERTIFICATE_BY_SERIAL = select_by(t.certificates, "serial_hex")
_CERTIFICATE_INSERT = Prepared(insert_of(t.certificates))  # certificate_to_row: every column


class SqlCertificates:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, certificate_id: str) -> Certificate | None:
        row = _CERTIFICATE_BY_ID.first(self._c, {"id": certificate_id})
        return cv.certificate_from_row(row) if row else None

    def by_serial(self, serial_hex: str) -> Certificate | None:
        row = _CERTIFICATE_BY_SERIAL.first(self._c, {"serial_hex": serial_hex})
        return cv.certificate_from_row(row) if row else None

    def add(self, certificate: Certificate) -> None:
        _CERTIFICATE_INSERT.run(self._c, cv.certificate_to_row(certificate))

    def mark_revoked(self, certificate_id: str, revoked_at: datetime, reason: int) -> bool:
        result = self._c.execute(
            update(t.certificates)
            .where(t.certificates.c.id == certificate_id)
            .where(t.certificates.c.revoked_at.is_(None))
            .values(revoked_at=revoked_at, revocation_reason=reason)
        )
        return result.rowcount == 1

    def change_revocation_reason(self, certificate_id: str, reason: int) -> bool:
        result = self._c.execute(
            update(t.certificates)
            .where(t.certificates.c.id == certificate_id)
            .where(t.certificates.c.revoked_at.is_not(None))
            .where(t.certificates.c.revocation_reason.is_distinct_from(reason))
            .values(revocation_reason=reason)
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

    def move_renewal(
        self, scope: RenewalScope, moved_at: datetime, explanation_url: str | None
    ) -> int:
        c = t.certificates.c
        query = (
            update(t.certificates)
            .where(c.revoked_at.is_(None))
            .where(c.not_after > moved_at)
            .values(renewal_moved_at=moved_at, renewal_explanation_url=explanation_url)
        )
        for column, value in (
            (c.id, scope.certificate_id),
            (c.account_id, scope.account_id),
            (c.ra_profile_uuid, scope.ra_profile_uuid),
            (c.authority_uuid, scope.authority_uuid),
        ):
            if value is not None:
                query = query.where(column == value)
        return int(self._c.execute(query).rowcount)
