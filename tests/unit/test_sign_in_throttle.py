"""The sign-in throttle on the in-memory fakes and the injected clock: back-off per user name
and per client address, lock-out and unlock, and the bounded argon2 work."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.sessions import SIGN_IN_REFUSED, SessionService
from acmehub.services.users import UserService
from tests.fakes import MemoryWorld

PASSWORD = "correct horse battery"
WRONG = "not the password"
HERE = "192.0.2.10"


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    world = MemoryWorld.build(tmp_path)
    world.services.users.create(CLI_ACTOR, "alice", PASSWORD, Role.ADMIN)
    return world


def sign_in(world: MemoryWorld, username: str, password: str, source: str = HERE) -> int:
    """The HTTP status the attempt is answered with (200: signed in)."""
    try:
        world.services.sessions.sign_in(username, password, source=source)
    except DomainError as exc:
        return exc.status or 0
    return 200


def refusal(world: MemoryWorld, username: str, password: str, source: str = HERE) -> DomainError:
    with pytest.raises(DomainError) as caught:
        world.services.sessions.sign_in(username, password, source=source)
    return caught.value


def audit(world: MemoryWorld, action: str) -> list[Any]:
    events = world.services.audit_log.list(CLI_ACTOR, AuditFilter(action=action), Page(0, 100))
    return list(events.events)


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_after_three_failures_the_next_attempt_waits_a_second_then_twice_as_long(
    world: MemoryWorld, username: str
) -> None:
    for _ in range(3):
        assert sign_in(world, username, WRONG) == 401
    early = refusal(world, username, PASSWORD)  # even the right password, for a real user
    assert early.status == 429
    assert early.detail == "Too many failed sign-ins: wait 1 seconds before trying again."
    assert early.headers["Retry-After"] == "1"
    world.clock.advance(seconds=1)
    assert sign_in(world, username, WRONG) == 401  # the 4th failure: now 2 s
    assert refusal(world, username, WRONG).headers["Retry-After"] == "2"
    world.clock.advance(seconds=1)
    assert sign_in(world, username, WRONG) == 429
    world.clock.advance(seconds=1)
    # An unknown name is held back the same way: the answers tell no names apart.
    assert sign_in(world, username, PASSWORD) == (200 if username == "alice" else 401)
    # Throttled attempts are not audited one by one; failures are, with their address.
    failures = [e for e in audit(world, "user.signIn") if e.outcome == "failure"]
    assert len(failures) == 4 + (0 if username == "alice" else 1)
    assert {e.detail["source"] for e in failures} == {HERE}


def test_a_success_forgets_the_names_failures(world: MemoryWorld) -> None:
    for _ in range(3):
        assert sign_in(world, "alice", WRONG) == 401
    world.clock.advance(seconds=1)
    assert sign_in(world, "alice", PASSWORD) == 200
    for _ in range(3):
        assert sign_in(world, "alice", WRONG, source="192.0.2.11") == 401


def test_failures_a_day_old_no_longer_count(world: MemoryWorld) -> None:
    for _ in range(3):
        assert sign_in(world, "alice", WRONG) == 401
    world.clock.advance(hours=24, seconds=1)
    for _ in range(3):
        assert sign_in(world, "alice", WRONG) == 401
    assert sign_in(world, "alice", WRONG) == 429


def test_an_address_is_held_back_after_ten_failures_whatever_the_names(
    world: MemoryWorld,
) -> None:
    for n in range(10):
        assert sign_in(world, f"guess-{n}", WRONG) == 401
    refused = refusal(world, "alice", PASSWORD)
    assert (refused.status, refused.headers["Retry-After"]) == (429, "1")
    assert sign_in(world, "alice", PASSWORD, source="198.51.100.7") == 200  # others are not


def test_ten_failures_lock_the_user_out_until_an_admin_unlocks(world: MemoryWorld) -> None:
    for _ in range(10):
        assert sign_in(world, "alice", WRONG) == 401
        world.clock.advance(minutes=15)  # past every back-off
    locked = refusal(world, "alice", PASSWORD)
    assert locked.status == 429
    assert "this user is locked" in locked.detail
    world.clock.advance(days=30)
    assert sign_in(world, "alice", PASSWORD, source="198.51.100.7") == 429  # still locked
    [event] = audit(world, "user.lockOut")
    assert (event.actor, event.object_id, event.detail) == (
        "system",
        "alice",
        {"failures": 10, "source": HERE},
    )

    with pytest.raises(DomainError) as forbidden:
        world.services.users.unlock(Actor("user:op", Role.OPERATOR), "alice")
    assert forbidden.value.status == 403
    with pytest.raises(DomainError) as unknown:
        world.services.users.unlock(CLI_ACTOR, "nobody")
    assert unknown.value.status == 404

    assert world.services.users.unlock(CLI_ACTOR, "alice") is True
    [unlock] = audit(world, "user.unlock")
    assert (unlock.actor, unlock.detail["wasLocked"], unlock.detail["failures"]) == (
        "cli",
        True,
        10,
    )
    assert sign_in(world, "alice", PASSWORD) == 200
    assert world.services.users.unlock(CLI_ACTOR, "alice") is False


def test_a_lock_out_threshold_of_zero_never_locks(world: MemoryWorld) -> None:
    sessions = world.services.sessions
    policy = replace(sessions.throttle.policy, lockout_after=0)
    world.services = replace(
        world.services, sessions=SessionService(world.services.deps, world.services.users,
                                                throttle=policy)
    )  # fmt: skip
    for _ in range(12):
        assert sign_in(world, "alice", WRONG) == 401
        world.clock.advance(minutes=15)
    assert sign_in(world, "alice", PASSWORD) == 200
    assert audit(world, "user.lockOut") == []


def test_a_hash_made_with_other_parameters_still_verifies_and_is_renewed(
    world: MemoryWorld,
) -> None:
    users = UserService(world.services.deps)  # the production parameters
    old = PasswordHasher(time_cost=3, memory_cost=8 * 1024, parallelism=4)  # another cost
    with world.uow(write=True) as tx:
        alice = tx.users.by_username("alice")
        assert alice is not None
        tx.users.update(replace(alice, password_hash=old.hash(PASSWORD)))
    sessions = SessionService(world.services.deps, users)
    _, who = sessions.sign_in("alice", PASSWORD)
    assert who.user.username == "alice"
    with world.uow() as tx:
        stored = tx.users.by_username("alice")
    assert stored is not None
    # OWASP's argon2id minimum: 19 MiB, two passes, one lane.
    assert stored.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with pytest.raises(DomainError) as wrong:
        sessions.sign_in("alice", WRONG)
    assert wrong.value.detail == SIGN_IN_REFUSED


class GatedHasher(PasswordHasher):
    """argon2 with a gate: ``verify`` says when it starts and waits to be let through, and the
    most verifications seen at once is kept."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.started = threading.Semaphore(0)
        self.gate = threading.Event()
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.started.release()
        self.gate.wait(30)
        try:
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


def test_parallel_sign_ins_run_at_most_the_allowed_argon2_work_at_once(
    world: MemoryWorld,
) -> None:
    hasher = GatedHasher()
    users = UserService(world.services.deps, hasher, concurrent_hashes=2, hash_wait=0.05)
    sessions = SessionService(world.services.deps, users)
    results: list[int] = []

    def attempt(n: int) -> None:
        try:
            sessions.sign_in(f"user-{n}", WRONG, source=f"192.0.2.{n}")
            results.append(200)
        except DomainError as exc:
            results.append(exc.status or 0)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert hasher.started.acquire(timeout=30)  # both slots are taken, held at the gate
    busy = refusal_of(sessions, "user-9")  # a third finds no slot in time
    assert (busy.status, busy.headers["Retry-After"]) == (503, "5")
    hasher.gate.set()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [401, 401]
    assert hasher.most == 2


def refusal_of(sessions: SessionService, username: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        sessions.sign_in(username, WRONG, source="192.0.2.99")
    return caught.value
