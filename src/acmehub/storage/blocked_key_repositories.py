"""The key blocklist over one SQLAlchemy connection: keys of certificates revoked for
keyCompromise, refused as account keys and in CSRs (domain.key_policy)."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from acmehub.domain.model import BlockedKey
from acmehub.storage import tables as t
from acmehub.storage.statements import select_by

# Read at every finalize: prepared once (statements.py).
_BLOCKED_KEY = select_by(t.blocked_keys, "spki_sha256")


class SqlBlockedKeys:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, key: BlockedKey) -> bool:
        row = {
            "spki_sha256": key.spki_sha256,
            "blocked_at": key.blocked_at,
            "blocked_by": key.blocked_by,
            "certificate_id": key.certificate_id,
        }
        # Insert unless present, in one statement: two revocations of certificates with one
        # key may race on PostgreSQL, and the first entry says who blocked it first.
        dialect = postgresql if self._c.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(t.blocked_keys)
            .values(row)
            .on_conflict_do_nothing()
            .returning(t.blocked_keys.c.spki_sha256)
        )
        # RETURNING, not rowcount: psycopg's rowcount is -1 here.
        return self._c.execute(statement).first() is not None

    def get(self, spki_sha256: str) -> BlockedKey | None:
        row = _BLOCKED_KEY.first(self._c, {"spki_sha256": spki_sha256})
        if row is None:
            return None
        return BlockedKey(
            spki_sha256=row["spki_sha256"],
            blocked_at=row["blocked_at"],
            blocked_by=row["blocked_by"],
            certificate_id=row["certificate_id"],
        )
