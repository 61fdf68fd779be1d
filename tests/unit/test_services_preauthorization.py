"""Pre-authorization (RFC 8555 §7.4.1), subdomain authorizations (RFC 9444) and authorization
reuse, on the in-memory fakes with the injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, ChallengeType, OrderStatus
from acmehub.domain.preauthorization import ancestors, br_reuse_limit
from acmehub.services.context import AcmeContext
from tests.fakes import MemoryWorld

DAY = timedelta(days=1)
NAME = "www.example.com"


def build(tmp_path: Path, **acme: Any) -> tuple[MemoryWorld, AcmeContext, Account]:
    world = MemoryWorld.build(tmp_path)
    world.profiles(validity=3600, **acme)
    ctx = world.context()
    account, _ = world.new_account(ctx)
    return world, ctx, account


def new_authz(world: MemoryWorld, ctx: AcmeContext, account: Account, name: str, **extra: Any):
    payload = {"identifier": {"type": "dns", "value": name}, **extra}
    return world.services.preauthorizations.new_authz(ctx, account.id, payload)


def test_br_limit_follows_the_sc081_schedule() -> None:
    assert br_reuse_limit(datetime(2026, 3, 14, tzinfo=UTC)) == timedelta(days=398)
    assert br_reuse_limit(datetime(2026, 3, 15, tzinfo=UTC)) == timedelta(days=200)
    assert br_reuse_limit(datetime(2027, 3, 15, tzinfo=UTC)) == timedelta(days=100)
    assert br_reuse_limit(datetime(2029, 3, 15, tzinfo=UTC)) == timedelta(days=10)


def test_ancestors_nearest_first() -> None:
    assert ancestors("a.b.example.com") == ["b.example.com", "example.com", "com"]


def test_without_reuse_each_order_gets_fresh_authorizations(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path)
    first = world.ready_order(ctx, account, NAME)
    second = world.new_order(ctx, account, NAME)
    assert second.authorization_ids != first.authorization_ids
    assert second.status is OrderStatus.PENDING


def test_reuse_within_the_window_makes_the_order_ready(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, authorization_reuse=30 * 86400)
    first = world.ready_order(ctx, account, NAME)
    (authz_id,) = first.authorization_ids
    # Kept valid for the window (the order lifetime is one hour).
    authz = world.services.authorizations.get(ctx, account.id, authz_id).authorization
    assert authz.expires == world.clock.now() + 30 * DAY
    world.clock.advance(20 * DAY)
    second = world.new_order(ctx, account, NAME, "other.example.com")
    assert authz_id in second.authorization_ids
    assert len(second.authorization_ids) == 2
    assert second.status is OrderStatus.PENDING  # other.example.com still needs proof
    third = world.new_order(ctx, account, NAME)
    assert third.authorization_ids == (authz_id,)
    assert third.status is OrderStatus.READY
    assert third.expires <= authz.expires


def test_reuse_ends_with_the_window(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, authorization_reuse=1800)
    first = world.ready_order(ctx, account, NAME)
    world.clock.advance(timedelta(minutes=29))
    assert world.new_order(ctx, account, NAME).authorization_ids == first.authorization_ids
    world.clock.advance(timedelta(minutes=2))
    assert world.new_order(ctx, account, NAME).authorization_ids != first.authorization_ids


def test_another_account_does_not_reuse(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, authorization_reuse=86400)
    first = world.ready_order(ctx, account, NAME)
    other, _ = world.new_account(ctx)
    assert world.new_order(ctx, other, NAME).authorization_ids != first.authorization_ids


def test_reuse_never_beyond_the_baseline_requirements(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, authorization_reuse=398 * 86400)
    first = world.ready_order(ctx, account, NAME)
    world.clock.advance(199 * DAY)  # DEFAULT_NOW is 2026-05-01: 200 days allowed
    assert world.new_order(ctx, account, NAME).authorization_ids == first.authorization_ids
    world.clock.advance(2 * DAY)
    assert world.new_order(ctx, account, NAME).authorization_ids != first.authorization_ids


def test_reuse_longer_than_398_days_is_refused(tmp_path: Path) -> None:
    world, ctx, _ = build(tmp_path)
    with pytest.raises(DomainError) as caught:
        world.services.platform.update_acme_profile(
            ctx.acme_profile.uuid, authorization_reuse=399 * 86400
        )
    assert "authorizationReuse" in caught.value.detail


def test_new_authz_is_off_by_default(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path)
    with pytest.raises(DomainError) as caught:
        new_authz(world, ctx, account, NAME)
    assert caught.value.status == 404
    assert "does not offer pre-authorization" in caught.value.detail


def test_a_pre_authorization_serves_a_later_order(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, new_authz_enabled=True)
    authz = new_authz(world, ctx, account, NAME)
    assert authz.pre_authorization
    # The profile offers the three RFC types (the newer DNS ones are off by default).
    assert {c.type for c in authz.challenges} == {
        ChallengeType.HTTP_01,
        ChallengeType.DNS_01,
        ChallengeType.TLS_ALPN_01,
    }
    world.answer(ctx, account, authz.id)
    order = world.new_order(ctx, account, NAME)
    assert order.authorization_ids == (authz.id,)
    assert order.status is OrderStatus.READY


def test_new_authz_refuses_a_wildcard_and_what_the_policy_denies(tmp_path: Path) -> None:
    world, ctx, account = build(
        tmp_path,
        new_authz_enabled=True,
        ra_fields={"policy": {"denied_identifiers": [".denied.com"]}},
    )
    with pytest.raises(DomainError) as caught:
        new_authz(world, ctx, account, "*.example.com")
    assert caught.value.kind is ErrorKind.MALFORMED
    assert "wildcard" in caught.value.detail
    with pytest.raises(DomainError) as caught:
        new_authz(world, ctx, account, "a.denied.com")
    assert caught.value.kind is ErrorKind.REJECTED_IDENTIFIER


def test_subdomain_authorization_covers_the_names_below(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, new_authz_enabled=True, subdomain_auth_allowed=True)
    authz = new_authz(world, ctx, account, "example.com", subdomainAuthAllowed=True)
    assert authz.subdomain_auth_allowed
    assert [c.type for c in authz.challenges] == [ChallengeType.DNS_01]
    world.answer(ctx, account, authz.id)
    order = world.new_order(ctx, account, "a.example.com", "b.c.example.com", "example.com")
    assert order.authorization_ids == (authz.id,)
    assert order.status is OrderStatus.READY
    # A wildcard and a name elsewhere still need their own proof.
    other = world.new_order(ctx, account, "*.example.com", "example.org")
    assert authz.id not in other.authorization_ids


def test_subdomain_authorization_where_the_profile_does_not_offer_it(tmp_path: Path) -> None:
    world, ctx, account = build(tmp_path, new_authz_enabled=True)
    with pytest.raises(DomainError) as caught:
        new_authz(world, ctx, account, "example.com", subdomainAuthAllowed=True)
    assert "does not offer subdomain authorizations" in caught.value.detail
    with pytest.raises(DomainError) as caught:
        world.services.platform.update_acme_profile(
            ctx.acme_profile.uuid, new_authz_enabled=False, subdomain_auth_allowed=True
        )
    assert "subdomainAuthAllowed needs newAuthzEnabled" in caught.value.detail
