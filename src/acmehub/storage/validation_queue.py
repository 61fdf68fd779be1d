"""Challenges in ``processing`` are the validation queue; workers claim them with a lease.

A lease that runs out (a worker died) makes the challenge claimable again, so validation is
retried; a live lease keeps two workers from running one challenge at the same time.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from acmehub.domain.model import ChallengeStatus
from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate


class SqlValidationQueue:
    def __init__(self, gate: WriteGate) -> None:
        self._gate = gate
        self._event = threading.Event()
        self._skip_locked = gate.engine.dialect.name == "postgresql"

    def claim(self, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[str]:
        c = t.challenges.c
        with self._gate.transaction() as conn:
            query = (
                select(c.id)
                .where(c.status == ChallengeStatus.PROCESSING.value)
                .where(or_(c.lease_until.is_(None), c.lease_until < now))
                .limit(limit)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            ids = [r[0] for r in conn.execute(query)]
            if ids:
                conn.execute(
                    update(t.challenges)
                    .where(c.id.in_(ids))
                    .values(lease_owner=worker, lease_until=now + timedelta(seconds=lease_seconds))
                )
        return ids

    def wake(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Block until woken or ``timeout`` seconds pass (in-process workers)."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken
