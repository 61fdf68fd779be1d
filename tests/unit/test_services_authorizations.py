"""Authorizations, challenges and the VA's results on the in-memory fakes (RFC 8555 §7.5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.errors import DomainError, ErrorKind, Problem
from acmehub.domain.model import (
    Account,
    AuthzStatus,
    Challenge,
    ChallengeStatus,
    ChallengeType,
    Identifier,
    Order,
    OrderStatus,
    ValidationResult,
)
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles(retry_interval=7, dns_resolver_ip="192.0.2.53", dns_resolver_port=5353)
    return world.context()


@pytest.fixture
def owner(world: MemoryWorld, ctx: AcmeContext) -> tuple[Account, AccountKey]:
    return world.new_account(ctx)


@pytest.fixture
def account(owner: tuple[Account, AccountKey]) -> Account:
    return owner[0]


def refusal(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def challenge_of(
    world: MemoryWorld, ctx: AcmeContext, account: Account, authz_id: str, kind: ChallengeType
) -> Challenge:
    authz = world.services.authorizations.get(ctx, account.id, authz_id).authorization
    return next(c for c in authz.challenges if c.type is kind)


def claim_all(world: MemoryWorld) -> list[str]:
    return world.queue.claim("worker", world.clock.now(), 60, 100)


def order_view(world: MemoryWorld, ctx: AcmeContext, account: Account, order: Order) -> Any:
    return world.services.orders.get(ctx, account.id, order.id)


# --------------------------------------------------------------------------- reading


def test_an_authorization_belongs_to_its_account(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    other, _ = world.new_account(ctx)
    authz = world.services.authorizations
    assert refusal(authz.get, ctx, other.id, authz_id).kind is ErrorKind.UNAUTHORIZED
    error = refusal(authz.get, ctx, account.id, "no-such-authz")
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)
    challenge = challenge_of(world, ctx, account, authz_id, ChallengeType.HTTP_01)
    assert refusal(authz.get_challenge, ctx, other.id, challenge.id).kind is ErrorKind.UNAUTHORIZED
    assert refusal(authz.respond, ctx, other.id, challenge.id).kind is ErrorKind.UNAUTHORIZED
    error = refusal(authz.respond, ctx, account.id, "no-such-challenge")
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)


def test_an_authorization_reads_as_expired_after_its_expiry(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    world.clock.set(order.expires)
    view = world.services.authorizations.get(ctx, account.id, order.authorization_ids[0])
    assert view.status is AuthzStatus.EXPIRED


# --------------------------------------------------------------------------- respond


def test_responding_starts_validation_and_wakes_the_queue(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    challenge = challenge_of(world, ctx, account, order.authorization_ids[0], ChallengeType.HTTP_01)
    assert challenge.status is ChallengeStatus.PENDING
    wakes = world.queue.wakes

    view = world.services.authorizations.respond(ctx, account.id, challenge.id)
    assert view.challenge.status is ChallengeStatus.PROCESSING
    assert view.authorization_id == order.authorization_ids[0]
    # No validation time known yet: expected soon (1 s), not after the retry interval (7 s).
    assert view.retry_after == 1
    assert world.queue.wakes == wakes + 1
    assert claim_all(world) == [challenge.id]
    seen = world.services.authorizations.get_challenge(ctx, account.id, challenge.id)
    assert seen.challenge.status is ChallengeStatus.PROCESSING


@pytest.mark.parametrize(("expected", "retry_after"), [(None, 1), (0.02, 1), (3.2, 4), (30.0, 7)])
def test_retry_after_says_when_the_validation_is_expected_within_the_retry_interval(
    world: MemoryWorld,
    ctx: AcmeContext,
    account: Account,
    expected: float | None,
    retry_after: int,
) -> None:
    world.queue.expected_seconds = expected
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    assert world.services.authorizations.get(ctx, account.id, authz_id).retry_after is None
    challenge = challenge_of(world, ctx, account, authz_id, ChallengeType.HTTP_01)
    assert world.services.authorizations.respond(ctx, account.id, challenge.id).retry_after == (
        retry_after
    )
    assert world.services.authorizations.get(ctx, account.id, authz_id).retry_after == (retry_after)
    world.services.authorizations.record_result(ValidationResult(challenge.id))
    assert world.services.authorizations.get(ctx, account.id, authz_id).retry_after is None


def test_responding_twice_is_harmless(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    challenge = challenge_of(world, ctx, account, order.authorization_ids[0], ChallengeType.DNS_01)
    first = world.services.authorizations.respond(ctx, account.id, challenge.id)
    second = world.services.authorizations.respond(ctx, account.id, challenge.id)
    assert second == first
    assert claim_all(world) == [challenge.id]

    world.services.authorizations.record_result(ValidationResult(challenge.id))
    third = world.services.authorizations.respond(ctx, account.id, challenge.id)
    assert third.challenge.status is ChallengeStatus.VALID
    assert third.retry_after is None
    assert claim_all(world) == []


def test_only_one_challenge_of_an_authorization_is_validated(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    http = challenge_of(world, ctx, account, authz_id, ChallengeType.HTTP_01)
    dns = challenge_of(world, ctx, account, authz_id, ChallengeType.DNS_01)
    world.services.authorizations.respond(ctx, account.id, http.id)
    error = refusal(world.services.authorizations.respond, ctx, account.id, dns.id)
    assert error.kind is ErrorKind.MALFORMED
    assert claim_all(world) == [http.id]


def test_a_disabled_account_cannot_answer(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    challenge = challenge_of(world, ctx, account, order.authorization_ids[0], ChallengeType.DNS_01)
    with world.uow(write=True) as tx:
        tx.accounts.update(replace(account, enabled=False))
    error = refusal(world.services.authorizations.respond, ctx, account.id, challenge.id)
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)
    assert claim_all(world) == []


def test_an_expired_authorization_cannot_be_answered(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    challenge = challenge_of(world, ctx, account, order.authorization_ids[0], ChallengeType.DNS_01)
    world.clock.set(order.expires)
    error = refusal(world.services.authorizations.respond, ctx, account.id, challenge.id)
    assert error.kind is ErrorKind.MALFORMED
    assert "expired" in error.detail


# --------------------------------------------------------------------------- the VA's side


def test_the_validation_task_carries_the_key_authorization_and_resolver(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    account, key = owner
    order = world.new_order(ctx, account, "*.example.com")
    challenge = challenge_of(world, ctx, account, order.authorization_ids[0], ChallengeType.DNS_01)
    assert world.services.authorizations.validation_task(challenge.id) is None  # not answered
    world.services.authorizations.respond(ctx, account.id, challenge.id)
    task = world.services.authorizations.validation_task(challenge.id)
    assert task is not None
    assert task.challenge_id == challenge.id
    assert task.type is ChallengeType.DNS_01
    assert task.identifier == Identifier("dns", "example.com")
    assert task.token == challenge.token
    # RFC 8555 §8.1: token || '.' || base64url(JWK thumbprint)
    assert task.key_authorization == f"{challenge.token}.{key.thumbprint}"
    assert (task.dns_resolver_ip, task.dns_resolver_port) == ("192.0.2.53", 5353)
    assert world.services.authorizations.validation_task("no-such-challenge") is None


def test_a_valid_result_makes_the_order_ready_only_when_every_authorization_is_valid(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "a.example.com", "b.example.com", "c.example.com")
    for n, authz_id in enumerate(order.authorization_ids):
        assert order_view(world, ctx, account, order).status is OrderStatus.PENDING
        world.clock.advance(seconds=5)
        challenge = world.answer(ctx, account, authz_id)
        assert challenge.status is ChallengeStatus.VALID
        assert challenge.validated == world.clock.now()
        assert challenge.error is None
        authz = world.services.authorizations.get(ctx, account.id, authz_id)
        assert authz.status is AuthzStatus.VALID
        # The other challenges of a valid authorization stay pending (RFC 8555 §7.1.6).
        others = [c for c in authz.authorization.challenges if c.id != challenge.id]
        assert all(c.status is ChallengeStatus.PENDING for c in others), n
    view = order_view(world, ctx, account, order)
    assert view.status is OrderStatus.READY
    assert view.order.error is None


def test_an_invalid_result_fails_the_authorization_and_the_order(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "a.example.com", "b.example.com")
    first, second = order.authorization_ids
    world.answer(ctx, account, first)
    challenge = world.answer(ctx, account, second, ok=False)
    assert challenge.status is ChallengeStatus.INVALID
    assert challenge.error == Problem(ErrorKind.DNS, "no TXT record found")
    assert world.services.authorizations.get(ctx, account.id, second).status is AuthzStatus.INVALID
    assert world.services.authorizations.get(ctx, account.id, first).status is AuthzStatus.VALID

    view = order_view(world, ctx, account, order)
    assert view.status is OrderStatus.INVALID
    assert view.order.error is not None
    assert view.order.error.kind is ErrorKind.DNS
    assert view.order.error.identifier == ("dns", "b.example.com")
    assert "no TXT record found" in view.order.error.detail


def test_a_result_is_recorded_once(world: MemoryWorld, ctx: AcmeContext, account: Account) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    challenge = challenge_of(world, ctx, account, authz_id, ChallengeType.DNS_01)
    world.services.authorizations.respond(ctx, account.id, challenge.id)
    record = world.services.authorizations.record_result
    record(ValidationResult(challenge.id))
    record(ValidationResult(challenge.id, Problem(ErrorKind.DNS, "late, conflicting result")))
    record(ValidationResult("no-such-challenge"))
    assert world.services.authorizations.get(ctx, account.id, authz_id).status is AuthzStatus.VALID
    assert order_view(world, ctx, account, order).status is OrderStatus.READY


def test_a_result_for_an_authorization_that_expired_meanwhile_fails_the_challenge(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    challenge = challenge_of(world, ctx, account, authz_id, ChallengeType.DNS_01)
    world.services.authorizations.respond(ctx, account.id, challenge.id)
    world.clock.set(order.expires + timedelta(seconds=1))
    world.services.authorizations.record_result(ValidationResult(challenge.id))
    seen = world.services.authorizations.get_challenge(ctx, account.id, challenge.id).challenge
    assert seen.status is ChallengeStatus.INVALID
    assert seen.error is not None
    assert "expired" in seen.error.detail
    assert (
        world.services.authorizations.get(ctx, account.id, authz_id).status is AuthzStatus.EXPIRED
    )
    assert order_view(world, ctx, account, order).status is OrderStatus.INVALID


@pytest.mark.parametrize("ok", [True, False])
def test_a_result_never_revives_a_deactivated_authorization(
    world: MemoryWorld, ctx: AcmeContext, account: Account, ok: bool
) -> None:
    # The client gives up while the VA is still validating (RFC 8555 §7.5.2); the result that
    # arrives afterwards closes the challenge and leaves the authorization deactivated.
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    challenge = challenge_of(world, ctx, account, authz_id, ChallengeType.DNS_01)
    world.services.authorizations.respond(ctx, account.id, challenge.id)
    world.services.authorizations.deactivate(ctx, account.id, authz_id, {"status": "deactivated"})
    problem = None if ok else Problem(ErrorKind.DNS, "no TXT record found")
    world.services.authorizations.record_result(ValidationResult(challenge.id, problem))
    authz = world.services.authorizations.get(ctx, account.id, authz_id)
    assert authz.status is AuthzStatus.DEACTIVATED
    seen = world.services.authorizations.get_challenge(ctx, account.id, challenge.id).challenge
    assert seen.status is ChallengeStatus.INVALID
    assert seen.error is not None
    assert "became deactivated before validation finished" in seen.error.detail
    assert order_view(world, ctx, account, order).status is OrderStatus.INVALID


# --------------------------------------------------------------------------- deactivation


def test_deactivating_an_authorization_invalidates_its_order(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "a.example.com", "b.example.com")
    first, second = order.authorization_ids
    world.answer(ctx, account, first)
    view = world.services.authorizations.deactivate(
        ctx, account.id, second, {"status": "deactivated"}
    )
    assert view.status is AuthzStatus.DEACTIVATED
    assert (
        world.services.authorizations.get(ctx, account.id, second).status is AuthzStatus.DEACTIVATED
    )
    order_now = order_view(world, ctx, account, order)
    assert order_now.status is OrderStatus.INVALID
    assert order_now.order.error is not None
    assert order_now.order.error.identifier == ("dns", "b.example.com")


def test_a_valid_authorization_can_be_deactivated_and_its_ready_order_fails(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.ready_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    world.services.authorizations.deactivate(ctx, account.id, authz_id, {"status": "deactivated"})
    assert order_view(world, ctx, account, order).status is OrderStatus.INVALID


def test_deactivation_happens_once(world: MemoryWorld, ctx: AcmeContext, account: Account) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    deactivate = world.services.authorizations.deactivate
    deactivate(ctx, account.id, authz_id, {"status": "deactivated"})
    error = refusal(deactivate, ctx, account.id, authz_id, {"status": "deactivated"})
    assert error.kind is ErrorKind.MALFORMED
    assert "deactivated" in error.detail


@pytest.mark.parametrize("payload", [{}, {"status": "valid"}, {"status": "revoked"}])
def test_an_authorization_can_only_be_set_to_deactivated(
    world: MemoryWorld, ctx: AcmeContext, account: Account, payload: dict[str, Any]
) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    error = refusal(world.services.authorizations.deactivate, ctx, account.id, authz_id, payload)
    assert error.kind is ErrorKind.MALFORMED
    assert (
        world.services.authorizations.get(ctx, account.id, authz_id).status is AuthzStatus.PENDING
    )


def test_a_deactivated_authorization_cannot_be_answered(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    authz_id = order.authorization_ids[0]
    challenge = challenge_of(world, ctx, account, authz_id, ChallengeType.DNS_01)
    world.services.authorizations.deactivate(ctx, account.id, authz_id, {"status": "deactivated"})
    error = refusal(world.services.authorizations.respond, ctx, account.id, challenge.id)
    assert error.kind is ErrorKind.MALFORMED
    assert claim_all(world) == []


def test_deactivating_another_accounts_authorization_is_refused(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    other, _ = world.new_account(ctx)
    error = refusal(
        world.services.authorizations.deactivate,
        ctx,
        other.id,
        order.authorization_ids[0],
        {"status": "deactivated"},
    )
    assert error.kind is ErrorKind.UNAUTHORIZED
    assert order_view(world, ctx, account, order).status is OrderStatus.PENDING
