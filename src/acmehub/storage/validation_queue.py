"""Challenges in ``processing`` are the validation queue; workers claim them with a lease.

A lease that runs out (a worker died) makes the challenge claimable again, so validation is
retried; a live lease keeps two workers from running one challenge at the same time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Integer, bindparam, or_, select, update

from acmehub.domain.model import ChallengeStatus
from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate
from acmehub.storage.statements import Prepared
from acmehub.storage.types import UtcDateTime

log = logging.getLogger("acmehub.validation")

_c = t.challenges.c
_CLAIMABLE = (
    select(_c.id)
    .where(_c.status == ChallengeStatus.PROCESSING.value)
    .where(or_(_c.lease_until.is_(None), _c.lease_until < bindparam("now", type_=UtcDateTime)))
    .limit(bindparam("limit", type_=Integer))
)
# Polled by every worker: prepared statements (statements.py). On PostgreSQL, rows another
# worker is claiming are skipped rather than waited for.
_SELECT = Prepared(_CLAIMABLE)
_SELECT_SKIP_LOCKED = Prepared(_CLAIMABLE.with_for_update(skip_locked=True))
_LEASE = Prepared(
    update(t.challenges)
    .where(_c.id == bindparam("id"))
    .values(
        lease_owner=bindparam("owner", type_=_c.lease_owner.type),
        lease_until=bindparam("until", type_=UtcDateTime),
    )
)


#: PostgreSQL channel on which answered challenges wake workers in other processes.
_CHANNEL = "acmehub_validation"


class LocalWorker(Protocol):
    """The validation worker of this process, as the queue sees it."""

    @property
    def name(self) -> str: ...
    @property
    def lease_seconds(self) -> int: ...
    def idle_threads(self) -> int: ...


class SqlValidationQueue:
    def __init__(self, gate: WriteGate) -> None:
        self._gate = gate
        self._event = threading.Event()
        self._postgres = gate.engine.dialect.name == "postgresql"
        self._select = _SELECT_SKIP_LOCKED if self._postgres else _SELECT
        self._listener: Any = None  # a psycopg connection that LISTENs (PostgreSQL workers)
        self._local: LocalWorker | None = None
        self._handed: deque[str] = deque()

    # Challenges answered in this process go straight to one of its idle validation threads:
    # the answering transaction records the lease, so no claim transaction is needed. One that
    # is lost with the process (handed over, not yet recorded) is claimed again by any worker
    # once its lease runs out, like a challenge whose worker died while validating it.

    def attach(self, worker: LocalWorker | None) -> None:
        """The validation worker of this process (None: it stopped)."""
        self._local = worker

    def local_lease(self, now: datetime) -> tuple[str, datetime] | None:
        local = self._local
        if local is None or local.idle_threads() <= len(self._handed):
            return None
        return local.name, now + timedelta(seconds=local.lease_seconds)

    def hand_over(self, challenge_id: str) -> None:
        self._handed.append(challenge_id)
        self._event.set()

    def take_handed(self) -> list[str]:
        """Challenges handed over to this process's worker since it last looked."""
        taken: list[str] = []
        with contextlib.suppress(IndexError):
            while True:
                taken.append(self._handed.popleft())
        return taken

    def claim(self, worker: str, now: datetime, lease_seconds: int, limit: int) -> list[str]:
        until = now + timedelta(seconds=lease_seconds)
        with self._gate.transaction() as conn:
            ids = [r["id"] for r in self._select.all(conn, {"now": now, "limit": limit})]
            for challenge_id in ids:
                _LEASE.run(conn, {"id": challenge_id, "owner": worker, "until": until})
        return ids

    def wake(self) -> None:
        self._event.set()
        if self._postgres:
            # Workers of other processes (`acmehub worker`) LISTEN on the channel: they start
            # at once instead of at their next poll.
            with self._gate.engine.connect() as conn:
                conn.exec_driver_sql(f"NOTIFY {_CHANNEL}")
                conn.commit()

    def wait(self, timeout: float) -> bool:
        """Block until woken (in this process, or by a NOTIFY on PostgreSQL) or ``timeout``."""
        if self._postgres and not self._event.is_set():
            try:
                woken = self._wait_for_notification(timeout)
            except Exception:  # a lost connection: poll this time, listen anew next time
                log.warning("validation queue: LISTEN connection lost", exc_info=True)
                self._close_listener()
                woken = self._event.wait(timeout)
        else:
            woken = self._event.wait(timeout)
        self._event.clear()
        return woken

    def _wait_for_notification(self, timeout: float) -> bool:
        if self._listener is None:
            raw = self._gate.engine.raw_connection()
            raw.detach()  # ours for good: it stays out of the pool
            listener: Any = raw.dbapi_connection
            listener.autocommit = True
            listener.execute(f"LISTEN {_CHANNEL}")
            self._listener = listener
        return any(True for _ in self._listener.notifies(timeout=timeout, stop_after=1))

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                listener.close()

    def close(self) -> None:
        self._close_listener()
