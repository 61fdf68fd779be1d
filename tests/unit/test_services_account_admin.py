"""ACME account administration on the in-memory fakes, and what the protocol services then
refuse (platform-reference.md "ACME Account fields"; RFC 8555 §7.3.6)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.domain.admin_model import Role
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, AccountStatus, OrderStatus
from acmehub.domain.ports import AccountFilter, AuditFilter, Page
from acmehub.services.account_admin import AccountAdminService
from acmehub.services.admin import CLI_ACTOR, Actor
from acmehub.services.certificates import RevocationSigner
from acmehub.services.context import AcmeContext
from tests.fakes import MemoryWorld, make_csr

OPERATOR = Actor("token:op", Role.OPERATOR)
AUDITOR = Actor("token:audit", Role.AUDITOR)


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    world = MemoryWorld.build(tmp_path)
    world.profiles()
    world.profiles("second", "ra-second")
    return world


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    return world.context()


@pytest.fixture
def admin(world: MemoryWorld) -> AccountAdminService:
    return world.services.account_admin


@pytest.fixture
def account(world: MemoryWorld, ctx: AcmeContext) -> Account:
    return world.new_account(ctx, contact=["mailto:ops@example.com"])[0]


def stored(world: MemoryWorld, account: Account) -> Account:
    with world.uow() as tx:
        found = tx.accounts.get(account.id)
    assert found is not None
    return found


def refusal(call: Callable[..., Any], *args: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)
    return caught.value


def actions(world: MemoryWorld, object_id: str) -> list[tuple[str, str]]:
    with world.uow() as tx:
        events = tx.audit.list(AuditFilter(object_id=object_id), Page())
    return [(e.actor, e.action) for e in reversed(events)]


# --------------------------------------------------------------------------- reads


def test_detail_has_profiles_and_order_counts(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService
) -> None:
    account, key = world.new_account(ctx, contact=["mailto:ops@example.com"])
    world.issue(ctx, account, key, "valid.example.com")
    world.new_order(ctx, account, "pending.example.com")
    world.ready_order(ctx, account, "ready.example.com")
    failed = world.new_order(ctx, account, "failed.example.com")
    world.answer(ctx, account, failed.authorization_ids[0], ok=False)

    view = admin.get(AUDITOR, ctx.acme_profile.uuid, account.uuid)

    assert view.account == account
    assert (view.acme_profile.uuid, view.acme_profile.name) == (ctx.acme_profile.uuid, "default")
    assert (view.ra_profile.uuid, view.ra_profile.name) == (ctx.ra_profile.uuid, "ra-default")
    counts = view.order_counts
    assert counts["total"] == 4
    assert counts[OrderStatus.VALID.value] == 1
    assert counts[OrderStatus.INVALID.value] == 1
    assert counts[OrderStatus.PENDING.value] + counts[OrderStatus.READY.value] == 2
    assert counts[OrderStatus.PROCESSING.value] == 0


def test_detail_under_another_profile_or_unknown_is_404(
    world: MemoryWorld, admin: AccountAdminService, account: Account
) -> None:
    second = world.context("second").acme_profile.uuid
    assert refusal(admin.get, AUDITOR, second, account.uuid).detail == "ACME Account not found"
    error = refusal(admin.get, AUDITOR, "no-profile", account.uuid)
    assert (error.status, error.detail) == (404, "ACME Profile not found")
    assert refusal(admin.get, AUDITOR, account.acme_profile_uuid, "nobody").status == 404


def test_search_filters_and_pages(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService
) -> None:
    second = world.context("second")
    made = []
    for _ in range(3):
        made.append(world.new_account(ctx)[0])
        world.clock.advance(seconds=1)
    other = world.new_account(second)[0]
    admin.disable(CLI_ACTOR, ctx.acme_profile.uuid, made[1].uuid)
    admin.revoke(CLI_ACTOR, ctx.acme_profile.uuid, made[2].uuid)

    def uuids(where: AccountFilter, page: Page | None = None) -> tuple[list[str], int]:
        views, total = admin.search(AUDITOR, where, page or Page())
        return [v.account.uuid for v in views], total

    assert uuids(AccountFilter()) == ([a.uuid for a in [*made, other]], 4)
    assert uuids(AccountFilter(acme_profile_uuid=second.acme_profile.uuid)) == ([other.uuid], 1)
    assert uuids(AccountFilter(ra_profile_uuid=ctx.ra_profile.uuid))[1] == 3
    assert uuids(AccountFilter(enabled=False)) == ([made[1].uuid], 1)
    assert uuids(AccountFilter(status=AccountStatus.REVOKED)) == ([made[2].uuid], 1)
    assert uuids(AccountFilter(status=AccountStatus.VALID, enabled=True))[1] == 2
    assert uuids(AccountFilter(), Page(1, 2)) == ([made[1].uuid, made[2].uuid], 4)


def test_an_account_bound_through_the_default_follows_it(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService, account: Account
) -> None:
    moved = world.services.platform.create_ra_profile(ctx.ra_profile.authority_uuid, "ra-moved")
    world.services.platform.update_acme_profile(
        ctx.acme_profile.uuid, default_ra_profile_uuid=moved.uuid
    )
    view = admin.get(AUDITOR, ctx.acme_profile.uuid, account.uuid)
    assert (view.ra_profile.uuid, view.ra_profile.name) == (moved.uuid, "ra-moved")


# --------------------------------------------------------------------------- changes


def test_disable_then_enable(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService, account: Account
) -> None:
    profile = ctx.acme_profile.uuid
    assert admin.disable(OPERATOR, profile, account.uuid).enabled is False
    assert stored(world, account).enabled is False
    error = refusal(admin.disable, OPERATOR, profile, account.uuid)
    assert (error.status, error.detail) == (422, "ACME Account is already disabled")
    assert admin.enable(OPERATOR, profile, account.uuid).enabled is True
    error = refusal(admin.enable, OPERATOR, profile, account.uuid)
    assert (error.status, error.detail) == (422, "ACME Account is already enabled")
    assert actions(world, account.uuid)[1:] == [
        ("token:op", "account.disable"),
        ("token:op", "account.enable"),
    ]


def test_revoke_is_final(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService, account: Account
) -> None:
    profile = ctx.acme_profile.uuid
    assert admin.revoke(OPERATOR, profile, account.uuid).status is AccountStatus.REVOKED
    assert stored(world, account).status is AccountStatus.REVOKED
    for call in (admin.revoke, admin.enable, admin.disable):
        error = refusal(call, OPERATOR, profile, account.uuid)
        assert error.status == 422
    assert refusal(admin.revoke, OPERATOR, profile, account.uuid).detail == (
        "ACME Account is already revoked"
    )
    assert refusal(admin.disable, OPERATOR, profile, account.uuid).detail == (
        "ACME Account is revoked, not valid"
    )
    assert actions(world, account.uuid)[-1] == ("token:op", "account.revoke")


def test_a_deactivated_account_cannot_be_switched(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService, account: Account
) -> None:
    world.services.accounts.update(ctx, account.id, {"status": "deactivated"})
    for call in (admin.enable, admin.disable, admin.revoke):
        error = refusal(call, OPERATOR, ctx.acme_profile.uuid, account.uuid)
        assert (error.status, error.detail) == (422, "ACME Account is deactivated, not valid")
    assert stored(world, account).status is AccountStatus.DEACTIVATED


def test_an_account_is_changed_only_under_its_profile(
    world: MemoryWorld, admin: AccountAdminService, account: Account
) -> None:
    second = world.context("second").acme_profile.uuid
    assert refusal(admin.disable, OPERATOR, second, account.uuid).status == 404
    assert stored(world, account) == account


def test_roles(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService, account: Account
) -> None:
    profile = ctx.acme_profile.uuid
    for call in (admin.enable, admin.disable, admin.revoke):
        assert refusal(call, AUDITOR, profile, account.uuid).status == 403
    for bulk in (admin.bulk_enable, admin.bulk_disable, admin.bulk_revoke):
        assert refusal(bulk, AUDITOR, [account.uuid]).status == 403
    assert stored(world, account) == account
    assert admin.search(AUDITOR, AccountFilter(), Page())[1] == 1


def test_bulk_reports_each_failure_and_keeps_the_rest(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService
) -> None:
    a, b, c = (world.new_account(ctx)[0] for _ in range(3))
    admin.disable(CLI_ACTOR, ctx.acme_profile.uuid, b.uuid)

    failures = admin.bulk_disable(OPERATOR, [a.uuid, b.uuid, "nobody", a.uuid, c.uuid])

    assert [(f.uuid, f.name, f.message) for f in failures] == [
        (b.uuid, b.id, "ACME Account is already disabled"),
        ("nobody", "", "ACME Account not found"),
    ]
    assert [stored(world, x).enabled for x in (a, b, c)] == [False, False, False]
    assert admin.bulk_enable(OPERATOR, [a.uuid, b.uuid]) == []
    failures = admin.bulk_revoke(OPERATOR, [a.uuid, c.uuid, c.uuid])
    assert failures == []
    assert [stored(world, x).status for x in (a, b, c)] == [
        AccountStatus.REVOKED,
        AccountStatus.VALID,
        AccountStatus.REVOKED,
    ]
    assert [f.message for f in admin.bulk_revoke(OPERATOR, [a.uuid])] == [
        "ACME Account is already revoked"
    ]


# --------------------------------------------------------------------------- protocol effect


def test_a_disabled_account_may_not_order_finalize_answer_or_revoke(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService
) -> None:
    account, key = world.new_account(ctx)
    cert, _ = world.issue(ctx, account, key, "issued.example.com")
    ready = world.ready_order(ctx, account, "ready.example.com")
    pending = world.new_order(ctx, account, "pending.example.com")
    admin.disable(OPERATOR, ctx.acme_profile.uuid, account.uuid)

    def unauthorized(call: Callable[..., Any], *args: Any) -> None:
        error = refusal(call, *args)
        assert error.kind is ErrorKind.UNAUTHORIZED
        assert error.detail == "Account is disabled by the administrator"

    services = world.services
    unauthorized(world.new_order, ctx, account, "new.example.com")
    unauthorized(world.answer, ctx, account, pending.authorization_ids[0])
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), ["ready.example.com"])
    unauthorized(services.finalize.finalize, ctx, account.id, ready.id, csr, key.spki_sha256)
    der = x509.load_pem_x509_certificate(cert.pem.encode()).public_bytes(serialization.Encoding.DER)
    unauthorized(services.certificates.revoke, ctx, RevocationSigner(account.id), der, 0)
    # Reading is still allowed: the account may look at what it has.
    assert services.orders.get(ctx, account.id, ready.id).order.id == ready.id


def test_a_revoked_account_is_refused_everything(
    world: MemoryWorld, ctx: AcmeContext, admin: AccountAdminService
) -> None:
    account, key = world.new_account(ctx)
    order = world.new_order(ctx, account, "x.example.com")
    admin.revoke(OPERATOR, ctx.acme_profile.uuid, account.uuid)
    for call, args in (
        (world.new_order, (ctx, account, "y.example.com")),
        (world.services.orders.get, (ctx, account.id, order.id)),
        (world.services.accounts.update, (ctx, account.id, {})),
    ):
        error = refusal(call, *args)
        assert error.kind is ErrorKind.UNAUTHORIZED
        assert error.detail == "Account is revoked"
    # new-account with the same key finds the account and refuses it (RFC 8555 §7.3.1).
    error = refusal(world.new_account, ctx, key)
    assert error.detail == "Account is revoked"
    assert replace(stored(world, account), status=AccountStatus.VALID) == account
