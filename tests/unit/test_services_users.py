"""Web interface users, sessions and the dashboard's read model, on the in-memory fakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import AuditFilter, Page
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.sessions import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    SIGN_IN_REFUSED,
    csrf_token_for,
)
from tests.fakes import MemoryWorld

PASSWORD = "correct horse battery"
OPERATOR = Actor("user:op", Role.OPERATOR)
AUDITOR = Actor("user:audit", Role.AUDITOR)


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


def audit(world: MemoryWorld, action: str) -> list[tuple[str, str, dict[str, object]]]:
    events = world.services.audit_log.list(CLI_ACTOR, AuditFilter(action=action), Page(0, 100))
    return [(e.actor, e.outcome, e.detail) for e in events.events]


# --------------------------------------------------------------------------- users


def test_a_user_is_stored_with_an_argon2id_hash_never_the_password(world: MemoryWorld) -> None:
    user = world.services.users.create(CLI_ACTOR, "alice", PASSWORD, Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert world.services.users.list(CLI_ACTOR) == [user]
    assert audit(world, "user.create") == [
        ("cli", "success", {"username": "alice", "role": "admin"})
    ]


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", PASSWORD, "username must be"),
        ("has space", PASSWORD, "username must be"),
        ("x" * 101, PASSWORD, "username must be"),
        ("bob", "short", "password must be 10-1000"),
    ],
)
def test_bad_usernames_and_passwords_are_refused(
    world: MemoryWorld, username: str, password: str, message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        world.services.users.create(CLI_ACTOR, username, password, Role.AUDITOR)
    assert caught.value.status == 422
    assert caught.value.detail.startswith(message)


def test_usernames_are_unique(world: MemoryWorld) -> None:
    world.services.users.create(CLI_ACTOR, "alice", PASSWORD, Role.ADMIN)
    with pytest.raises(DomainError) as caught:
        world.services.users.create(CLI_ACTOR, "alice", PASSWORD, Role.AUDITOR)
    assert caught.value.kind is ErrorKind.CONFLICT


@pytest.mark.parametrize("actor", [OPERATOR, AUDITOR])
def test_only_admins_manage_users(world: MemoryWorld, actor: Actor) -> None:
    world.services.users.create(CLI_ACTOR, "alice", PASSWORD, Role.ADMIN)
    users = world.services.users
    for call in (
        lambda: users.create(actor, "bob", PASSWORD, Role.ADMIN),
        lambda: users.list(actor),
        lambda: users.disable(actor, "alice"),
        lambda: users.set_password(actor, "alice", PASSWORD + "!"),
    ):
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.status == 403


def test_check_password_says_why_for_the_audit_trail(world: MemoryWorld) -> None:
    users = world.services.users
    users.create(CLI_ACTOR, "alice", PASSWORD, Role.ADMIN)
    assert users.check_password("alice", PASSWORD)[0] is not None
    assert users.check_password("alice", "wrong password") == (None, "bad password")
    assert users.check_password("nobody", PASSWORD) == (None, "unknown user")
    users.disable(CLI_ACTOR, "alice")
    assert users.check_password("alice", PASSWORD) == (None, "disabled")
    assert users.check_password("alice", "wrong password") == (None, "bad password")


# --------------------------------------------------------------------------- sessions


def signed_in(world: MemoryWorld, role: Role = Role.OPERATOR) -> str:
    world.services.users.create(CLI_ACTOR, "alice", PASSWORD, role)
    secret, who = world.services.sessions.sign_in("alice", PASSWORD, source="127.0.0.1")
    assert who.actor == Actor("user:alice", role)
    return secret


def test_a_session_stores_only_the_hash_of_its_256_bit_secret(world: MemoryWorld) -> None:
    secret = signed_in(world)
    stored = list(world.uow.committed.web_sessions.values())
    assert len(stored) == 1
    assert len(secret) >= 43  # 32 random bytes, base64url
    assert secret not in stored[0].id_hash
    assert stored[0].expires_at == world.clock.now() + ABSOLUTE_TIMEOUT
    who = world.services.sessions.resolve(secret)
    assert who is not None
    assert who.user.username == "alice"
    assert who.user.last_sign_in_at == world.clock.now()
    assert who.csrf_token == csrf_token_for(secret) != secret
    assert audit(world, "user.signIn") == [("user:alice", "success", {"source": "127.0.0.1"})]


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [("alice", "wrong password", "bad password"), ("mallory", PASSWORD, "unknown user")],
)
def test_failed_sign_ins_get_one_message_and_are_audited_with_the_reason(
    world: MemoryWorld, username: str, password: str, reason: str
) -> None:
    world.services.users.create(CLI_ACTOR, "alice", PASSWORD, Role.ADMIN)
    with pytest.raises(DomainError) as caught:
        world.services.sessions.sign_in(username, password, source="10.0.0.1")
    assert (caught.value.status, caught.value.detail) == (401, SIGN_IN_REFUSED)
    assert audit(world, "user.signIn") == [
        (f"user:{username}", "failure", {"reason": reason, "source": "10.0.0.1"})
    ]
    assert not world.uow.committed.web_sessions


def test_a_disabled_user_cannot_sign_in_and_loses_their_sessions(world: MemoryWorld) -> None:
    secret = signed_in(world)
    world.services.users.disable(CLI_ACTOR, "alice")
    assert world.services.sessions.resolve(secret) is None
    assert not world.uow.committed.web_sessions
    with pytest.raises(DomainError) as caught:
        world.services.sessions.sign_in("alice", PASSWORD)
    assert caught.value.detail == SIGN_IN_REFUSED


def test_a_new_password_ends_the_sessions(world: MemoryWorld) -> None:
    secret = signed_in(world)
    world.services.users.set_password(CLI_ACTOR, "alice", "another good password")
    assert world.services.sessions.resolve(secret) is None
    assert world.services.sessions.sign_in("alice", "another good password")[0]


def test_a_session_ends_after_idling(world: MemoryWorld) -> None:
    secret = signed_in(world)
    world.clock.advance(IDLE_TIMEOUT - timedelta(minutes=1))
    assert world.services.sessions.resolve(secret) is not None  # and it counts as activity
    world.clock.advance(IDLE_TIMEOUT - timedelta(minutes=1))
    assert world.services.sessions.resolve(secret) is not None
    world.clock.advance(IDLE_TIMEOUT)
    assert world.services.sessions.resolve(secret) is None
    assert not world.uow.committed.web_sessions


def test_a_session_ends_at_its_absolute_limit_however_active(world: MemoryWorld) -> None:
    secret = signed_in(world)
    for _ in range(int(ABSOLUTE_TIMEOUT / timedelta(hours=2)) - 1):
        world.clock.advance(hours=2)
        assert world.services.sessions.resolve(secret) is not None
    world.clock.advance(hours=2)
    assert world.services.sessions.resolve(secret) is None


def test_sign_out_ends_the_session(world: MemoryWorld) -> None:
    secret = signed_in(world)
    world.services.sessions.sign_out(secret)
    assert world.services.sessions.resolve(secret) is None
    assert [a for a, _, _ in audit(world, "user.signOut")] == ["user:alice"]
    world.services.sessions.sign_out(secret)  # twice: nothing happens


@pytest.mark.parametrize("secret", ["", "x", "y" * 500])
def test_unknown_secrets_resolve_to_no_one(world: MemoryWorld, secret: str) -> None:
    signed_in(world)
    assert world.services.sessions.resolve(secret) is None


def test_signing_in_purges_expired_sessions(world: MemoryWorld) -> None:
    signed_in(world)
    world.clock.advance(ABSOLUTE_TIMEOUT)
    world.services.sessions.sign_in("alice", PASSWORD)
    assert len(world.uow.committed.web_sessions) == 1


# --------------------------------------------------------------------------- dashboard


def test_the_dashboard_counts_what_the_platform_did(world: MemoryWorld) -> None:
    world.profiles()
    ctx = world.context()
    account, key = world.new_account(ctx)
    world.issue(ctx, account, key, "a.example.com")
    world.clock.advance(days=2)
    world.issue(ctx, account, key, "b.example.com")
    failed = world.new_order(ctx, account, "c.example.com")
    world.answer(ctx, account, failed.authorization_ids[0], ok=False)

    board = world.services.dashboard.overview(AUDITOR)
    assert len(board.issued_per_day) == 30
    assert board.issued_per_day[-1] == (world.clock.now().date(), 1)
    assert board.issued_per_day[-3][1] == 1
    assert board.issued_total == 2
    assert dict(board.orders_by_status) == {
        "pending": 0,
        "ready": 0,
        "processing": 0,
        "valid": 2,
        "invalid": 1,
    }
    assert [(f.challenge_type, f.problem_type, f.count) for f in board.failed_validations] == [
        ("dns-01", "dns", 1)
    ]
    assert board.expiring_count == 0  # 90-day certificates
    [profile] = board.accounts_by_profile
    assert (profile.acme_profile_name, profile.by_status["valid"], profile.total) == (
        "default",
        1,
        1,
    )
    assert world.services.dashboard.overview(AUDITOR, days=100).expiring_count == 2
