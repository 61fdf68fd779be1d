"""CAA at finalize for authorizations an order did not validate itself: a reused one is checked
again once its validation is older than ``caa_recheck_after``, and the names an RFC 9444
subdomain authorization covers are always looked up on their own. The services on the
in-memory ports with the injected clock, the real VA, pebble-challtestsrv serving CAA."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import OrderStatus
from acmehub.validation import ValidationAuthority, VaSettings
from tests.fakes import MemoryWorld, make_csr

pytestmark = pytest.mark.timeout(30)

US = "ca.acmehub.example"


def make_world(tmp_path: Path, challtestsrv, **acme) -> MemoryWorld:
    world = MemoryWorld.build(
        tmp_path,
        caa=ValidationAuthority(VaSettings(timeout=2.0)),
        caa_recheck_after=timedelta(hours=7),
    )
    world.profiles(
        caa_identities=(US,),
        dns_resolver_ip="127.0.0.1",
        dns_resolver_port=challtestsrv.dns_port,
        authorization_reuse=30 * 86400,
        **acme,
    )
    return world


def finalize(world, ctx, account, key, order, names):
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), names)
    return world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)


def test_a_reused_authorization_validated_long_ago_is_checked_again(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv)
    ctx = world.context()
    account, key = world.new_account(ctx)
    first = world.ready_order(ctx, account, name)
    world.clock.advance(timedelta(days=2))
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))  # since the validation
    second = world.new_order(ctx, account, name)
    assert second.authorization_ids == first.authorization_ids
    assert second.status is OrderStatus.READY
    with pytest.raises(DomainError) as caught:
        finalize(world, ctx, account, key, second, [name])
    assert caught.value.kind is ErrorKind.CAA
    assert f"CAA record for {name} prevents issuance" in caught.value.detail


def test_a_recently_reused_authorization_is_relied_on(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv)
    ctx = world.context()
    account, key = world.new_account(ctx)
    world.ready_order(ctx, account, name)
    world.clock.advance(timedelta(hours=1))
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    second = world.new_order(ctx, account, name)
    view = finalize(world, ctx, account, key, second, [name])
    assert view.order.status is OrderStatus.VALID


def test_names_below_a_subdomain_authorization_get_their_own_caa_check(
    tmp_path, challtestsrv, name
):
    world = make_world(tmp_path, challtestsrv, new_authz_enabled=True, subdomain_auth_allowed=True)
    ctx = world.context()
    account, key = world.new_account(ctx)
    authz = world.services.preauthorizations.new_authz(
        ctx,
        account.id,
        {"identifier": {"type": "dns", "value": name}, "subdomainAuthAllowed": True},
    )
    world.answer(ctx, account, authz.id)
    allowed, refused = f"ok.{name}", f"no.{name}"
    challtestsrv.add_caa(refused, ("issue", "other-ca.example"))
    order = world.new_order(ctx, account, allowed)
    assert order.status is OrderStatus.READY
    assert finalize(world, ctx, account, key, order, [allowed]).order.status is OrderStatus.VALID
    order = world.new_order(ctx, account, refused)
    with pytest.raises(DomainError) as caught:
        finalize(world, ctx, account, key, order, [refused])
    assert caught.value.kind is ErrorKind.CAA
    assert caught.value.identifier == ("dns", refused)
