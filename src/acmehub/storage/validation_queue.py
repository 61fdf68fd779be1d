"""Challenges in ``processing`` are the validation queue; workers claim them with a lease.

A lease is short (``validation_lease_seconds``, 10 s by default) and renewed by its worker while
the validation runs (:meth:`SqlValidationQueue.renew`). A lease that runs out (its worker died,
or could not reach the database) makes the challenge claimable again, so validation is retried;
a live lease keeps two workers from running one challenge at the same time. A worker restarted
under the same name takes back its own leases at once (``claim(..., resume=True)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Integer, bindparam, or_, select, update

from acmehub.concurrency import in_event_loop, wait_for
from acmehub.domain.model import ChallengeStatus
from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate
from acmehub.storage.statements import Prepared
from acmehub.storage.types import UtcDateTime

log = logging.getLogger("acmehub.validation")

_c = t.challenges.c
_PROCESSING = _c.status == ChallengeStatus.PROCESSING.value
_CLAIMABLE = (
    select(_c.id)
    .where(_PROCESSING)
    .where(or_(_c.lease_until.is_(None), _c.lease_until < bindparam("now", type_=UtcDateTime)))
    .limit(bindparam("limit", type_=Integer))
)
#: A worker's own leases, whatever their end: what it held before it was restarted.
_OWN = (
    select(_c.id)
    .where(_PROCESSING)
    .where(_c.lease_owner == bindparam("owner", type_=_c.lease_owner.type))
    .limit(bindparam("limit", type_=Integer))
)
# Polled by every worker: prepared statements (statements.py). On PostgreSQL, rows another
# worker is claiming are skipped rather than waited for.
_SELECT = Prepared(_CLAIMABLE)
_SELECT_SKIP_LOCKED = Prepared(_CLAIMABLE.with_for_update(skip_locked=True))
_SELECT_OWN = Prepared(_OWN)
_SELECT_OWN_SKIP_LOCKED = Prepared(_OWN.with_for_update(skip_locked=True))
_LEASE = Prepared(
    update(t.challenges)
    .where(_c.id == bindparam("id"))
    .values(
        lease_owner=bindparam("owner", type_=_c.lease_owner.type),
        lease_until=bindparam("until", type_=UtcDateTime),
    )
)
#: Renewal keeps the owner: a lease another worker took after it ran out stays theirs.
_RENEW = (
    update(t.challenges)
    .where(_c.id.in_(bindparam("ids", expanding=True)))
    .where(_c.lease_owner == bindparam("owner", type_=_c.lease_owner.type))
    .where(_PROCESSING)
    .values(lease_until=bindparam("until", type_=UtcDateTime))
    .returning(_c.id)
)


#: PostgreSQL channel on which answered challenges wake workers in other processes.
_CHANNEL = "acmehub_validation"


class LocalWorker(Protocol):
    """The validation worker of this process, as the queue sees it. Its methods may be called
    from any thread."""

    @property
    def name(self) -> str: ...
    @property
    def lease_seconds(self) -> int: ...
    def has_room(self) -> bool: ...
    def start_handed(self, challenge_id: str) -> None: ...
    def wake(self) -> None: ...
    def expected_seconds(self) -> float | None: ...
    def settled(self, challenge_id: str) -> asyncio.Future[None] | None: ...


class SqlValidationQueue:
    def __init__(self, gate: WriteGate) -> None:
        self._gate = gate
        self._postgres = gate.engine.dialect.name == "postgresql"
        self._select = _SELECT_SKIP_LOCKED if self._postgres else _SELECT
        self._select_own = _SELECT_OWN_SKIP_LOCKED if self._postgres else _SELECT_OWN
        self._local: LocalWorker | None = None
        self._listener: _Listener | None = None

    # Challenges answered in this process go straight to its validation worker: the answering
    # transaction records the lease (local_lease), then hand_over starts the validation in the
    # worker's event loop, with no claim of its own. One lost with the process (handed over,
    # not yet recorded) is resumed by the restarted process, or claimed by any worker once its
    # lease runs out, like a challenge whose worker died while validating it.

    def attach(self, worker: LocalWorker | None) -> None:
        """The validation worker of this process (None: it stopped)."""
        self._local = worker

    def local_lease(self, now: datetime) -> tuple[str, datetime] | None:
        local = self._local
        if local is None or not local.has_room():
            return None
        return local.name, now + timedelta(seconds=local.lease_seconds)

    def hand_over(self, challenge_id: str) -> None:
        """Start validating a challenge leased with :meth:`local_lease` (any thread)."""
        local = self._local
        if local is not None:
            local.start_handed(challenge_id)
        # else the worker stopped in between: the lease runs out and a claim takes it

    def expected_validation_seconds(self) -> float | None:
        """About how long a validation started now takes in this process (a moving average of
        the recent ones), or None when this process validates nothing or has no figure yet.
        What a Retry-After header on a processing challenge or authorization can say."""
        local = self._local
        return None if local is None else local.expected_seconds()

    def wait_settled(self, challenge_ids: Sequence[str], timeout: float) -> bool:
        """Inside the event loop's request path: wait, at most ``timeout`` seconds, until this
        process's worker has ended its validations of ``challenge_ids``; True when it held any
        and they ended. Elsewhere (threads, another process validating): False at once."""
        local = self._local
        if local is None or not in_event_loop():
            return False
        pending = [f for f in (local.settled(c) for c in challenge_ids) if f is not None]
        if not pending:
            return False
        done = wait_for(asyncio.wait(pending, timeout=timeout))[0]
        return len(done) == len(pending)

    def claim(
        self, worker: str, now: datetime, lease_seconds: int, limit: int, *, resume: bool = False
    ) -> list[str]:
        """Challenges this worker now owns until ``now + lease_seconds``. With ``resume``, only
        those leased to ``worker`` already, whatever their lease's end (a restarted worker
        takes back what it held)."""
        until = now + timedelta(seconds=lease_seconds)
        with self._gate.transaction() as conn:
            if resume:
                rows = self._select_own.all(conn, {"owner": worker, "limit": limit})
            else:
                rows = self._select.all(conn, {"now": now, "limit": limit})
            ids = [r["id"] for r in rows]
            for challenge_id in ids:
                _LEASE.run(conn, {"id": challenge_id, "owner": worker, "until": until})
        return ids

    def renew(self, worker: str, ids: Sequence[str], until: datetime) -> set[str]:
        """Extend ``worker``'s leases on ``ids`` to ``until``; returns those still its own (a
        challenge missing from the answer was settled, or claimed by another worker after the
        lease ran out)."""
        if not ids:
            return set()
        with self._gate.transaction() as conn:
            result = conn.execute(_RENEW, {"ids": list(ids), "owner": worker, "until": until})
            return {row[0] for row in result}

    def wake(self) -> None:
        """Work was queued: this process's worker looks at once; on PostgreSQL the workers of
        other processes too (NOTIFY)."""
        local = self._local
        if local is not None:
            local.wake()
        if self._postgres:
            with self._gate.connect() as conn:
                conn.exec_driver_sql(f"NOTIFY {_CHANNEL}")
                conn.commit()

    def listen(self, woken: Callable[[], None]) -> None:
        """On PostgreSQL, call ``woken`` (from a thread of the queue's) whenever any process
        queues work; elsewhere nothing (all the workers of SQLite share one machine and poll)."""
        if self._postgres and self._listener is None:
            self._listener = _Listener(self._gate, woken)
            self._listener.start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()


class _Listener:
    """A daemon thread that LISTENs on its own psycopg connection (it never blocks an event
    loop); a lost connection is opened again after a pause."""

    _TICK = 1.0  # seconds between looks at the stop flag

    def __init__(self, gate: WriteGate, woken: Callable[[], None]) -> None:
        self._gate = gate
        self._woken = woken
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="acmehub-validation-listen", daemon=True
        )
        self._conn: Any = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(self._TICK * 3)

    def _connect(self) -> Any:
        raw = self._gate.engine.raw_connection()
        raw.detach()  # ours for good: it stays out of the pool
        conn: Any = raw.dbapi_connection
        conn.autocommit = True
        conn.execute(f"LISTEN {_CHANNEL}")
        return conn

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    if self._conn is None:
                        self._conn = self._connect()
                    for _ in self._conn.notifies(timeout=self._TICK):
                        self._woken()
                except Exception:  # a lost connection: listen anew after a pause
                    if self._stopping.is_set():
                        break
                    log.warning("validation queue: LISTEN connection lost", exc_info=True)
                    self._close()
                    self._stopping.wait(self._TICK)
        finally:
            self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
