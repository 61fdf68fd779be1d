"""CAA checked again at finalize (Baseline Requirements 3.2.2.8) for names validated longer ago
than ``caa_recheck_after``: the services on the in-memory ports with the injected clock, the
real VA as their CAA port, pebble-challtestsrv serving the records."""

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


def make_world(tmp_path: Path, challtestsrv, recheck_after: timedelta, **acme) -> MemoryWorld:
    world = MemoryWorld.build(
        tmp_path,
        caa=ValidationAuthority(VaSettings(timeout=2.0)),
        caa_recheck_after=recheck_after,
    )
    world.profiles(
        caa_identities=(US,),
        dns_resolver_ip="127.0.0.1",
        dns_resolver_port=challtestsrv.dns_port,
        **acme,
    )
    return world


def finalize(
    world: MemoryWorld, name: str, *, after: timedelta, order_ids: list[str] | None = None
):
    """An order for ``name`` validated now, finalized ``after`` later (by the clock)."""
    ctx = world.context()
    account, key = world.new_account(ctx)
    order = world.ready_order(ctx, account, name)
    if order_ids is not None:
        order_ids.append(order.id)
    world.clock.advance(after)
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), [name])
    return world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)


def test_names_validated_longer_ago_are_checked_again(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv, timedelta(hours=7))
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))  # since the validation
    order_ids: list[str] = []
    with pytest.raises(DomainError) as caught:
        finalize(world, name, after=timedelta(hours=7, seconds=1), order_ids=order_ids)
    refusal = caught.value
    assert refusal.kind is ErrorKind.CAA
    assert refusal.detail.startswith("CAA recheck at finalize: ")
    assert f'CAA record for {name} prevents issuance: 0 issue "other-ca.example"' in refusal.detail
    assert refusal.identifier == ("dns", name)
    # The order failed with the same problem, as a client polling it would read.
    with world.uow() as tx:
        order = tx.orders.get(order_ids[0])
    assert order is not None
    assert order.status is OrderStatus.INVALID
    assert order.error == refusal.problem


def test_a_recent_check_is_relied_on(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv, timedelta(hours=7))
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    view = finalize(world, name, after=timedelta(hours=6, minutes=59))
    assert view.order.status is OrderStatus.VALID


def test_the_recheck_age_is_a_setting(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv, timedelta(hours=1))
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    with pytest.raises(DomainError) as caught:
        finalize(world, name, after=timedelta(hours=1, seconds=1))
    assert caught.value.kind is ErrorKind.CAA


def test_a_recheck_that_permits_issues(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv, timedelta(hours=7))
    challtestsrv.add_caa(name, ("issue", US))
    view = finalize(world, name, after=timedelta(hours=8))
    assert view.order.status is OrderStatus.VALID


def test_no_recheck_when_caa_checking_is_off(tmp_path, challtestsrv, name):
    world = make_world(tmp_path, challtestsrv, timedelta(hours=7), caa_checking=False)
    challtestsrv.add_caa(name, ("issue", "other-ca.example"))
    view = finalize(world, name, after=timedelta(hours=8))
    assert view.order.status is OrderStatus.VALID
