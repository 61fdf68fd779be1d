"""Waking validation workers: in-process at once; on PostgreSQL across processes by NOTIFY."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from acmehub.storage import tables as t
from acmehub.storage.engine import WriteGate, make_engine
from acmehub.storage.validation_queue import SqlValidationQueue
from tests.support.postgres import PostgresCluster


@pytest.fixture(scope="module")
def pg_engine(postgres: PostgresCluster) -> Iterator[Engine]:
    engine = make_engine(postgres.new_database("wakeup"), pool_size=2)
    t.metadata.create_all(engine)
    yield engine
    engine.dispose()


@dataclass
class LocalWorker:
    """Stands for this process's ValidationWorker: records what the queue asks of it."""

    name: str = "worker-here"
    lease_seconds: int = 10
    room: bool = True
    handed: list[str] = field(default_factory=list)
    wakes: int = 0
    expected: float | None = 0.25

    def has_room(self) -> bool:
        return self.room

    def start_handed(self, challenge_id: str) -> None:
        self.handed.append(challenge_id)

    def wake(self) -> None:
        self.wakes += 1

    def expected_seconds(self) -> float | None:
        return self.expected


def test_a_wake_in_one_process_reaches_a_worker_of_another(pg_engine: Engine) -> None:
    """Two queues on one database stand for a server process and an `acmehub worker`; the
    worker's listener runs in a thread of the queue's and calls back (it would set an event in
    the worker's loop)."""
    server, worker = (
        SqlValidationQueue(WriteGate(pg_engine)),
        SqlValidationQueue(WriteGate(pg_engine)),
    )
    woken = threading.Event()
    try:
        worker.listen(woken.set)
        # The listener starts LISTENing in its thread: wake until it hears one (bounded).
        for _ in range(300):
            server.wake()
            if woken.wait(0.1):
                break
        assert woken.is_set()
        woken.clear()
        assert not woken.wait(0.3)  # nothing more happened
        server.wake()
        assert woken.wait(30)  # one wake, one call, long before 30 s
    finally:
        server.close()
        worker.close()


def test_a_wake_in_the_same_process_needs_no_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/q.db", pool_size=1)
    try:
        queue = SqlValidationQueue(WriteGate(engine))
        queue.wake()  # nobody attached: harmless
        local = LocalWorker()
        queue.attach(local)
        queue.listen(lambda: None)  # SQLite: nothing to listen to
        queue.wake()
        assert local.wakes == 1
        queue.close()
    finally:
        engine.dispose()


def test_a_challenge_goes_straight_to_the_worker_of_this_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/q.db", pool_size=1)
    try:
        queue = SqlValidationQueue(WriteGate(engine))
        now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        assert queue.local_lease(now) is None  # no worker in this process
        assert queue.expected_validation_seconds() is None
        worker = LocalWorker()
        queue.attach(worker)
        assert queue.local_lease(now) == ("worker-here", now + timedelta(seconds=10))
        queue.hand_over("chall-1")
        assert worker.handed == ["chall-1"]  # started at once, no wake-up or poll between
        assert queue.expected_validation_seconds() == 0.25
        worker.room = False
        assert queue.local_lease(now) is None  # every slot busy: the queue's claim it is
        queue.attach(None)
        queue.hand_over("chall-2")  # the worker stopped in between: its lease runs out
        assert worker.handed == ["chall-1"]
    finally:
        engine.dispose()
