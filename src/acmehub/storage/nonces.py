"""Anti-replay nonces in the database, so every server process shares them (RFC 8555 §6.5)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete

from acmehub.domain.ports import Clock
from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate


class SqlNonceStore:
    def __init__(self, gate: WriteGate, clock: Clock, lifetime: timedelta) -> None:
        self._gate = gate
        self._clock = clock
        self._lifetime = lifetime

    def issue(self) -> str:
        # 128 bits of randomness, base64url (RFC 8555 §6.5.1 "Replay-Nonce" syntax).
        value = secrets.token_urlsafe(16)
        with self._gate.transaction() as conn:
            conn.execute(
                t.nonces.insert().values(value=value, expires=self._clock.now() + self._lifetime)
            )
        return value

    def consume(self, nonce: str) -> bool:
        if len(nonce) > 64:
            return False
        with self._gate.transaction() as conn:
            result = conn.execute(
                delete(t.nonces)
                .where(t.nonces.c.value == nonce)
                .where(t.nonces.c.expires > self._clock.now())
            )
        return result.rowcount == 1

    def purge_expired(self, limit: int = 10000) -> int:
        with self._gate.transaction() as conn:
            expired = (
                t.nonces.select()
                .with_only_columns(t.nonces.c.value)
                .where(t.nonces.c.expires <= self._clock.now())
                .limit(limit)
                .scalar_subquery()
            )
            result = conn.execute(delete(t.nonces).where(t.nonces.c.value.in_(expired)))
        return result.rowcount
