"""Repositories of the management objects: EAB keys, API tokens, audit events."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, select, update

from acmehub.domain.admin_model import ApiToken, AuditEvent
from acmehub.domain.model import EabKey
from acmehub.domain.ports import AuditFilter, Page
from acmehub.storage import admin_converters as acv
from acmehub.storage import converters as cv
from acmehub.storage import tables as t
from acmehub.storage.statements import Prepared, insert_of

#: Every column but the autoincrement id: what admin_converters.audit_to_row gives.
_AUDIT_INSERT = Prepared(
    insert_of(t.audit_events, [c.name for c in t.audit_events.c if c.name != "id"])
)


class SqlEabKeys:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, key_id: str) -> EabKey | None:
        row = self._c.execute(select(t.eab_keys).where(t.eab_keys.c.key_id == key_id)).first()
        return cv.eab_key_from_row(row._mapping) if row else None

    def add(self, key: EabKey) -> None:
        self._c.execute(t.eab_keys.insert().values(cv.eab_key_to_row(key)))

    def update(self, key: EabKey) -> None:
        self._c.execute(
            update(t.eab_keys)
            .where(t.eab_keys.c.key_id == key.key_id)
            .values(cv.eab_key_to_row(key))
        )

    def list(self, acme_profile_uuid: str | None, page: Page) -> list[EabKey]:
        query = select(t.eab_keys).order_by(t.eab_keys.c.created_at, t.eab_keys.c.key_id)
        if acme_profile_uuid is not None:
            query = query.where(t.eab_keys.c.acme_profile_uuid == acme_profile_uuid)
        rows = self._c.execute(query.offset(page.offset).limit(page.limit))
        return [cv.eab_key_from_row(r._mapping) for r in rows]

    def count(self, acme_profile_uuid: str | None) -> int:
        query = select(func.count()).select_from(t.eab_keys)
        if acme_profile_uuid is not None:
            query = query.where(t.eab_keys.c.acme_profile_uuid == acme_profile_uuid)
        return int(self._c.execute(query).scalar_one())

    def record_use(self, key_id: str, *, single_use: bool) -> bool:
        c = t.eab_keys.c
        query = (
            update(t.eab_keys)
            .where(c.key_id == key_id)
            .where(c.revoked_at.is_(None))
            .values(used_count=c.used_count + 1)
        )
        if single_use:
            # Conditional: of two concurrent uses only one matches (PostgreSQL re-checks the
            # row after the first commits; SQLite writers are serialized).
            query = query.where(c.used_count == 0)
        return self._c.execute(query).rowcount == 1

    def delete_for_profile(self, acme_profile_uuid: str) -> int:
        result = self._c.execute(
            delete(t.eab_keys).where(t.eab_keys.c.acme_profile_uuid == acme_profile_uuid)
        )
        return int(result.rowcount)


class SqlTokens:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._c.execute(
            select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)
        ).first()
        return acv.token_from_row(row._mapping) if row else None

    def by_name(self, name: str) -> ApiToken | None:
        row = self._c.execute(select(t.api_tokens).where(t.api_tokens.c.name == name)).first()
        return acv.token_from_row(row._mapping) if row else None

    def add(self, token: ApiToken) -> None:
        self._c.execute(t.api_tokens.insert().values(acv.token_to_row(token)))

    def update(self, token: ApiToken) -> None:
        self._c.execute(
            update(t.api_tokens)
            .where(t.api_tokens.c.uuid == token.uuid)
            .values(acv.token_to_row(token))
        )

    def list(self) -> list[ApiToken]:
        rows = self._c.execute(select(t.api_tokens).order_by(t.api_tokens.c.name))
        return [acv.token_from_row(r._mapping) for r in rows]


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, event: AuditEvent) -> None:
        # Every issuance and account change is audited: a prepared statement (statements.py).
        _AUDIT_INSERT.run(self._c, acv.audit_to_row(event))

    def list(self, where: AuditFilter, page: Page) -> list[AuditEvent]:
        c = t.audit_events.c
        query = select(t.audit_events)
        for column, value in (
            (c.actor, where.actor),
            (c.action, where.action),
            (c.object_type, where.object_type),
            (c.object_id, where.object_id),
            (c.outcome, where.outcome),
        ):
            if value is not None:
                query = query.where(column == value)
        if where.since is not None:
            query = query.where(c.at >= where.since)
        if where.until is not None:
            query = query.where(c.at < where.until)
        query = query.order_by(c.id.desc()).offset(page.offset).limit(page.limit)
        return [acv.audit_from_row(r._mapping) for r in self._c.execute(query)]
