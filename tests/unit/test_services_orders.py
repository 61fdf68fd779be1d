"""Order use cases on the in-memory fakes (RFC 8555 §7.1.2.1, §7.1.3, §7.4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import (
    Account,
    AuthzStatus,
    ChallengeType,
    Identifier,
    OrderStatus,
)
from acmehub.services.context import AcmeContext
from acmehub.services.orders import ORDERS_PAGE_SIZE
from tests.fakes import MemoryWorld

DAY = 86400
TOS = "https://example.com/tos"
TOS_V2 = "https://example.com/tos-v2"


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles(
        terms_of_service_url=TOS,
        validity=3600,
        ra_fields={"validity_default": 30 * DAY, "validity_max": 90 * DAY},
    )
    return world.context()


@pytest.fixture
def account(world: MemoryWorld, ctx: AcmeContext) -> Account:
    return world.new_account(ctx)[0]


def refusal(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def rfc3339(seconds_from_now: float, world: MemoryWorld) -> str:
    when = world.clock.now() + timedelta(seconds=seconds_from_now)
    return when.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- new-order


def test_a_new_order_is_pending_with_one_authorization_per_identifier(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "www.example.com", "example.com")
    assert order.status is OrderStatus.PENDING
    assert order.account_id == account.id
    assert order.identifiers == (
        Identifier("dns", "example.com"),
        Identifier("dns", "www.example.com"),
    )
    assert order.expires == world.clock.now() + timedelta(seconds=3600)
    assert (order.not_before, order.not_after, order.certificate_id) == (None, None, None)
    assert len(set(order.authorization_ids)) == 2

    view = world.services.orders.get(ctx, account.id, order.id)
    assert (view.order, view.status) == (order, OrderStatus.PENDING)
    for authz_id, ident in zip(order.authorization_ids, order.identifiers, strict=True):
        authz = world.services.authorizations.get(ctx, account.id, authz_id)
        assert authz.status is AuthzStatus.PENDING
        assert authz.authorization.identifier == ident
        assert authz.authorization.wildcard is False
        assert authz.authorization.expires == order.expires
        # The newer DNS types only where the profile offers them (tests/unit/test_dns_challenges).
        assert {c.type for c in authz.authorization.challenges} == {
            ChallengeType.HTTP_01,
            ChallengeType.DNS_01,
            ChallengeType.TLS_ALPN_01,
        }


def test_challenge_tokens_are_unique_and_long(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "a.example.com", "b.example.com")
    tokens = [
        c.token
        for authz_id in order.authorization_ids
        for c in world.services.authorizations.get(
            ctx, account.id, authz_id
        ).authorization.challenges
    ]
    assert len(set(tokens)) == len(tokens) == 6
    assert all(len(t) >= 43 for t in tokens)  # RFC 8555 §8.1: at least 128 bits


def test_a_wildcard_is_authorized_for_its_base_name_through_dns_01_only(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "*.example.com", "example.com")
    assert order.identifiers == (
        Identifier("dns", "*.example.com"),
        Identifier("dns", "example.com"),
    )
    wildcard, plain = (
        world.services.authorizations.get(ctx, account.id, a).authorization
        for a in order.authorization_ids
    )
    assert wildcard.identifier == Identifier("dns", "example.com")
    assert wildcard.wildcard is True
    assert [c.type for c in wildcard.challenges] == [ChallengeType.DNS_01]
    assert plain.identifier == Identifier("dns", "example.com")
    assert plain.wildcard is False
    assert len(plain.challenges) == 3


def test_duplicate_names_collapse(world: MemoryWorld, ctx: AcmeContext, account: Account) -> None:
    order = world.new_order(ctx, account, "Example.COM", "example.com", "EXAMPLE.com")
    assert order.identifiers == (Identifier("dns", "example.com"),)
    assert len(order.authorization_ids) == 1


@pytest.mark.parametrize(
    ("identifiers", "kind"),
    [
        ([{"type": "dns", "value": "localhost"}], ErrorKind.REJECTED_IDENTIFIER),
        ([{"type": "dns", "value": "a.*.example.com"}], ErrorKind.REJECTED_IDENTIFIER),
        ([{"type": "email", "value": "a@example.com"}], ErrorKind.UNSUPPORTED_IDENTIFIER),
        # The default policy allows no IP identifiers (issuancePolicy.allowedIpNetworks).
        ([{"type": "ip", "value": "192.0.2.1"}], ErrorKind.REJECTED_IDENTIFIER),
        ([{"type": "ip", "value": "192.0.2.01"}], ErrorKind.MALFORMED),
        ([], ErrorKind.MALFORMED),
        (None, ErrorKind.MALFORMED),
    ],
)
def test_bad_identifiers_refuse_the_order(
    world: MemoryWorld, ctx: AcmeContext, account: Account, identifiers: Any, kind: ErrorKind
) -> None:
    error = refusal(world.services.orders.new_order, ctx, account.id, {"identifiers": identifiers})
    assert error.kind is kind
    ids, more = world.services.orders.list_for_account(ctx, account.id, account.id, 0)
    assert (ids, more) == ([], False)


# --------------------------------------------------------------------------- validity window


def test_a_requested_window_within_the_ra_profile_maximum_is_kept(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(
        ctx,
        account,
        "example.com",
        notBefore=rfc3339(3600, world),
        notAfter=rfc3339(3600 + 90 * DAY, world),
    )
    assert order.not_before == world.clock.now() + timedelta(hours=1)
    assert order.not_after == world.clock.now() + timedelta(seconds=3600 + 90 * DAY)


def test_not_after_alone_counts_from_now(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com", notAfter=rfc3339(90 * DAY, world))
    assert order.not_before is None
    assert order.not_after == world.clock.now() + timedelta(days=90)
    error = refusal(
        world.new_order, ctx, account, "example.com", notAfter=rfc3339(90 * DAY + 1, world)
    )
    assert error.kind is ErrorKind.MALFORMED
    assert "maximum" in error.detail


@pytest.mark.parametrize(
    ("not_before", "not_after", "detail"),
    [
        (0, 90 * DAY + 1, "maximum"),
        (3600, 3600, "later than notBefore"),
        (3600, 60, "later than notBefore"),
        (-3601, None, "more than 1 hour in the past"),
        (90 * DAY + 1, None, "too far in the future"),
    ],
)
def test_a_window_outside_the_limits_is_malformed(
    world: MemoryWorld,
    ctx: AcmeContext,
    account: Account,
    not_before: int,
    not_after: int | None,
    detail: str,
) -> None:
    payload = {"notBefore": rfc3339(not_before, world)}
    if not_after is not None:
        payload["notAfter"] = rfc3339(not_after, world)
    error = refusal(world.new_order, ctx, account, "example.com", **payload)
    assert error.kind is ErrorKind.MALFORMED
    assert detail in error.detail


@pytest.mark.parametrize("value", ["tomorrow", "2026-05-02T12:00:00", 1777000000, ""])
def test_a_window_that_is_not_an_rfc3339_time_is_malformed(
    world: MemoryWorld, ctx: AcmeContext, account: Account, value: object
) -> None:
    error = refusal(world.new_order, ctx, account, "example.com", notAfter=value)
    assert error.kind is ErrorKind.MALFORMED
    assert "notAfter" in error.detail


def test_a_time_with_an_offset_is_understood(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    local = (world.clock.now() + timedelta(days=10)).astimezone(timezone(timedelta(hours=2)))
    order = world.new_order(ctx, account, "example.com", notAfter=local.isoformat())
    assert order.not_after == world.clock.now() + timedelta(days=10)


# --------------------------------------------------------------------------- who may order


def test_a_disabled_account_may_not_order(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    with world.uow(write=True) as tx:
        tx.accounts.update(replace(account, enabled=False))
    error = refusal(world.new_order, ctx, account, "example.com")
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)
    assert "disabled" in error.detail


def test_an_unknown_account_may_not_order(world: MemoryWorld, ctx: AcmeContext) -> None:
    error = refusal(
        world.services.orders.new_order,
        ctx,
        "nobody",
        {"identifiers": [{"type": "dns", "value": "example.com"}]},
    )
    assert error.kind is ErrorKind.ACCOUNT_DOES_NOT_EXIST


def test_changed_terms_block_new_orders_until_the_account_agrees_again(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    world.new_order(ctx, account, "before.example.com")
    world.clock.advance(hours=1)
    world.services.platform.update_acme_profile(
        ctx.acme_profile.uuid,
        terms_of_service_change_disable=True,
        terms_of_service_change_url=TOS_V2,
    )
    ctx = world.context()
    error = refusal(world.new_order, ctx, account, "example.com")
    assert error.kind is ErrorKind.USER_ACTION_REQUIRED
    assert error.status == 403
    assert error.detail == "Terms of service have changed"
    assert error.instance == TOS_V2
    assert error.headers["Link"] == f'<{TOS_V2}>;rel="terms-of-service"'

    world.clock.advance(minutes=1)
    world.services.accounts.update(ctx, account.id, {"termsOfServiceAgreed": True})
    assert world.new_order(ctx, account, "example.com").status is OrderStatus.PENDING

    # Accounts that agree after the change are not blocked.
    newcomer, _ = world.new_account(ctx)
    assert world.new_order(ctx, newcomer, "example.com").status is OrderStatus.PENDING


def test_changed_terms_without_a_change_url_point_at_the_terms(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    world.clock.advance(hours=1)
    world.services.platform.update_acme_profile(
        ctx.acme_profile.uuid, terms_of_service_change_disable=True
    )
    error = refusal(world.new_order, world.context(), account, "example.com")
    assert error.instance == TOS
    assert error.headers["Link"] == f'<{TOS}>;rel="terms-of-service"'


def test_a_profile_created_with_changed_terms_lets_accounts_that_agree_order(
    world: MemoryWorld,
) -> None:
    world.profiles("fresh", "ra-fresh", terms_of_service_change_disable=True)
    ctx = world.context("fresh")
    world.clock.advance(seconds=1)
    account, _ = world.new_account(ctx, termsOfServiceAgreed=True)
    assert world.new_order(ctx, account, "example.com").status is OrderStatus.PENDING
    silent, _ = world.new_account(ctx, termsOfServiceAgreed=False)
    error = refusal(world.new_order, ctx, silent, "example.com")
    assert error.kind is ErrorKind.USER_ACTION_REQUIRED


def test_switching_the_flag_off_lifts_the_block(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    world.clock.advance(hours=1)
    platform = world.services.platform
    platform.update_acme_profile(ctx.acme_profile.uuid, terms_of_service_change_disable=True)
    assert refusal(world.new_order, world.context(), account, "example.com").status == 403
    platform.update_acme_profile(ctx.acme_profile.uuid, terms_of_service_change_disable=False)
    assert world.new_order(world.context(), account, "example.com").status is OrderStatus.PENDING


# --------------------------------------------------------------------------- reading orders


def test_an_order_belongs_to_its_account(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "example.com")
    other, _ = world.new_account(ctx)
    error = refusal(world.services.orders.get, ctx, other.id, order.id)
    assert error.kind is ErrorKind.UNAUTHORIZED
    error = refusal(world.services.orders.get, ctx, account.id, "no-such-order")
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)


def test_the_order_status_follows_its_authorizations(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.new_order(ctx, account, "a.example.com", "b.example.com")
    first, second = order.authorization_ids
    world.answer(ctx, account, first)
    assert world.services.orders.get(ctx, account.id, order.id).status is OrderStatus.PENDING
    world.answer(ctx, account, second)
    view = world.services.orders.get(ctx, account.id, order.id)
    assert view.status is OrderStatus.READY
    assert view.order.status is OrderStatus.READY


def test_an_order_left_unfinalized_past_its_expiry_is_invalid(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    order = world.ready_order(ctx, account, "example.com")
    world.clock.set(order.expires)
    writes = world.uow.write_units
    view = world.services.orders.get(ctx, account.id, order.id)
    assert view.status is OrderStatus.INVALID
    assert view.order.error is not None
    assert "expired" in view.order.error.detail
    # Derived from the time on every read, and reading never writes.
    world.clock.advance(days=1)
    assert world.services.orders.get(ctx, account.id, order.id).order.status is OrderStatus.INVALID
    assert world.uow.write_units == writes


def test_the_orders_list_pages_in_creation_order(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    created = []
    for n in range(ORDERS_PAGE_SIZE + 1):
        world.clock.advance(seconds=1)
        created.append(world.new_order(ctx, account, f"n{n}.example.com").id)
    other, _ = world.new_account(ctx)
    world.new_order(ctx, other, "other.example.com")

    orders = world.services.orders
    first, more = orders.list_for_account(ctx, account.id, account.id, 0)
    assert (first, more) == (created[:ORDERS_PAGE_SIZE], True)
    second, more = orders.list_for_account(ctx, account.id, account.id, 1)
    assert (second, more) == (created[ORDERS_PAGE_SIZE:], False)
    assert orders.list_for_account(ctx, account.id, account.id, 2) == ([], False)


def test_the_orders_list_of_another_account_is_refused(
    world: MemoryWorld, ctx: AcmeContext, account: Account
) -> None:
    other, _ = world.new_account(ctx)
    error = refusal(world.services.orders.list_for_account, ctx, account.id, other.id, 0)
    assert error.kind is ErrorKind.UNAUTHORIZED
