"""Waking validation workers: in-process at once; on PostgreSQL across processes by NOTIFY."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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


def test_a_wake_in_one_process_reaches_a_worker_of_another(pg_engine: Engine) -> None:
    """Two queues on one database stand for a server process and an `acmehub worker`."""
    server, worker = (
        SqlValidationQueue(WriteGate(pg_engine)),
        SqlValidationQueue(WriteGate(pg_engine)),
    )
    try:
        assert worker.wait(0.2) is False  # nothing happened: the wait times out (and listens)
        server.wake()
        assert worker.wait(30) is True  # woken by the notification, long before 30 s
        assert worker.wait(0.2) is False  # one wake, one wake-up
    finally:
        server.close()
        worker.close()


def test_a_wake_in_the_same_process_needs_no_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/q.db", pool_size=1)
    try:
        queue = SqlValidationQueue(WriteGate(engine))
        assert queue.wait(0.05) is False
        queue.wake()
        assert queue.wait(30) is True
    finally:
        engine.dispose()


@dataclass
class IdleThreads:
    name: str = "worker-here"
    lease_seconds: int = 45
    idle: int = 1

    def idle_threads(self) -> int:
        return self.idle


def test_a_challenge_goes_straight_to_an_idle_thread_of_this_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/q.db", pool_size=1)
    try:
        queue = SqlValidationQueue(WriteGate(engine))
        now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
        assert queue.local_lease(now) is None  # no worker in this process
        worker = IdleThreads()
        queue.attach(worker)
        assert queue.local_lease(now) == ("worker-here", now + timedelta(seconds=45))
        queue.hand_over("chall-1")
        assert queue.wait(30) is True  # the worker wakes at once
        assert queue.local_lease(now) is None  # its one idle thread is spoken for
        assert queue.take_handed() == ["chall-1"]
        assert queue.take_handed() == []
        worker.idle = 0
        assert queue.local_lease(now) is None  # every thread busy: the queue's claim it is
    finally:
        engine.dispose()
