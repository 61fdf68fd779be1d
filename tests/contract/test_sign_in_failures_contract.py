"""The sign-in throttle's storage, the same on the in-memory fakes, SQLite and PostgreSQL (the
tables made by the migrations, 0008 among them)."""

from __future__ import annotations

from datetime import timedelta

from tests.contract.test_repository_contract import NOW, Store, postgres_engine, store

__all__ = ["postgres_engine", "store"]

DAY = timedelta(days=1)


def test_failures_count_up_and_start_over_once_forgotten(store: Store) -> None:
    with store.uow(write=True) as tx:
        first = tx.sign_in_failures.add_failure("user:alice", NOW, NOW - DAY)
        second = tx.sign_in_failures.add_failure("user:alice", NOW, NOW - DAY)
        tx.sign_in_failures.add_failure("address:192.0.2.1", NOW, NOW - DAY)
    assert (first.failures, second.failures) == (1, 2)
    later = NOW + DAY + timedelta(seconds=1)
    with store.uow(write=True) as tx:
        again = tx.sign_in_failures.add_failure("user:alice", later, later - DAY)
    assert (again.failures, again.last_failure_at, again.locked_at) == (1, later, None)
    with store.uow() as tx:
        found = tx.sign_in_failures.get_many(["user:alice", "address:192.0.2.1", "user:bob"])
    assert sorted(found) == ["address:192.0.2.1", "user:alice"]
    assert found["address:192.0.2.1"].failures == 1


def test_a_lock_out_stays_until_cleared_and_is_never_purged(store: Store) -> None:
    with store.uow(write=True) as tx:
        tx.sign_in_failures.add_failure("user:alice", NOW, NOW - DAY)
        tx.sign_in_failures.lock("user:alice", NOW)
        tx.sign_in_failures.add_failure("user:bob", NOW, NOW - DAY)
    much_later = NOW + 10 * DAY
    with store.uow(write=True) as tx:
        # Failures of a locked name keep counting; old rows go, the lock-out does not.
        assert tx.sign_in_failures.purge(much_later - DAY, 100) == 1
        kept = tx.sign_in_failures.add_failure("user:alice", much_later, much_later - DAY)
    assert (kept.failures, kept.locked_at) == (2, NOW)
    with store.uow(write=True) as tx:
        cleared = tx.sign_in_failures.clear("user:alice")
        assert tx.sign_in_failures.clear("user:alice") is None
    assert cleared is not None
    assert cleared.locked_at == NOW
    with store.uow() as tx:
        assert tx.sign_in_failures.get_many(["user:alice", "user:bob"]) == {}
