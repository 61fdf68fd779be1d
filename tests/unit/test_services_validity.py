"""A certificate's validity window (RFC 8555 §7.4 notBefore/notAfter) and backdating, on the
in-memory fakes with the injected clock and the real embedded CA signing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.config import ConfigError, load_settings
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, OrderStatus
from acmehub.services.container import Services
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld, make_csr

DAY = 86400
HOUR = timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


def with_backdate(world: MemoryWorld, backdate: timedelta) -> MemoryWorld:
    """The same world, its services built with another ``backdate_seconds``."""
    world.services = Services.build(replace(world.services.deps, backdate=backdate))
    return world


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles(ra_fields={"validity_default": 30 * DAY, "validity_max": 90 * DAY})
    return world.context()


@pytest.fixture
def owner(world: MemoryWorld, ctx: AcmeContext) -> tuple[Account, AccountKey]:
    return world.new_account(ctx)


def finalize_leaf(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey], order_id: str
) -> x509.Certificate:
    account, key = owner
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), ["example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order_id, csr, key.spki_sha256)
    assert view.order.certificate_id is not None, view.order.error
    cert = world.services.certificates.download(ctx, account.id, view.order.certificate_id)
    return x509.load_pem_x509_certificate(cert.pem.encode())


def order_from(world: MemoryWorld, ctx: AcmeContext, account: Account, not_before: datetime) -> str:
    order = world.new_order(ctx, account, "example.com", notBefore=not_before.isoformat())
    world.answer(ctx, account, order.authorization_ids[0])
    return order.id


def refused_order(
    world: MemoryWorld, ctx: AcmeContext, account: Account, **window: datetime
) -> DomainError:
    payload = {k: v.isoformat() for k, v in window.items()}
    with pytest.raises(DomainError) as caught:
        world.new_order(ctx, account, "example.com", **payload)
    return caught.value


def test_not_before_is_backdated_one_hour_by_default(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    order = world.ready_order(ctx, owner[0], "example.com")
    world.clock.advance(minutes=5)
    leaf = finalize_leaf(world, ctx, owner, order.id)
    assert leaf.not_valid_before_utc == world.clock.now() - HOUR
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(days=30)


def test_backdating_follows_the_setting(
    world: MemoryWorld, owner: tuple[Account, AccountKey]
) -> None:
    with_backdate(world, timedelta(minutes=10))
    ctx = world.context()
    order = world.ready_order(ctx, owner[0], "example.com")
    leaf = finalize_leaf(world, ctx, owner, order.id)
    assert leaf.not_valid_before_utc == world.clock.now() - timedelta(minutes=10)


def test_a_requested_not_before_may_lie_at_most_the_backdate_in_the_past(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    account = owner[0]
    now = world.clock.now()
    error = refused_order(world, ctx, account, notBefore=now - HOUR - timedelta(seconds=1))
    assert error.kind is ErrorKind.MALFORMED
    assert error.detail == "notBefore must not be more than 1 hour in the past"
    # Exactly the backdate is accepted and issued as asked.
    leaf = finalize_leaf(world, ctx, owner, order_from(world, ctx, account, now - HOUR))
    assert leaf.not_valid_before_utc == now - HOUR

    with_backdate(world, timedelta(minutes=10))
    error = refused_order(world, world.context(), account, notBefore=now - timedelta(minutes=11))
    assert error.detail == "notBefore must not be more than 10 minutes in the past"


def test_a_late_finalize_does_not_backdate_further(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    # The order asked for a notBefore 50 minutes back; finalize comes 30 minutes later: the
    # certificate starts an hour before its issuance, not 80 minutes.
    requested = world.clock.now() - timedelta(minutes=50)
    order_id = order_from(world, ctx, owner[0], requested)
    world.clock.advance(minutes=30)
    leaf = finalize_leaf(world, ctx, owner, order_id)
    assert leaf.not_valid_before_utc == world.clock.now() - HOUR
    assert leaf.not_valid_before_utc > requested


def test_a_not_after_in_the_past_is_malformed(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    now = world.clock.now()
    error = refused_order(
        world, ctx, owner[0], notBefore=now - HOUR, notAfter=now - timedelta(minutes=1)
    )
    assert (error.kind, error.detail) == (ErrorKind.MALFORMED, "notAfter must be in the future")


def test_a_ca_refusing_the_csr_answers_its_type(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    world.ca.fail_issuance = DomainError(ErrorKind.BAD_CSR, "the CA wants a CN")
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), ["example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert view.status is OrderStatus.INVALID
    assert view.order.error is not None
    assert view.order.error.kind is ErrorKind.BAD_CSR
    assert "the CA wants a CN" in view.order.error.detail


def test_a_ca_error_of_another_kind_is_hidden_behind_a_reference(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    caplog: pytest.LogCaptureFixture,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    world.ca.fail_issuance = DomainError(ErrorKind.INVALID_INPUT, "profile /etc/ca/x.json broken")
    csr = make_csr(ec.generate_private_key(ec.SECP256R1()), ["example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert view.order.error is not None
    assert view.order.error.kind is ErrorKind.SERVER_INTERNAL
    assert "/etc/ca" not in view.order.error.detail
    reference = view.order.error.detail.removeprefix("internal error, reference ")
    assert reference != view.order.error.detail
    assert any(
        reference in r.getMessage() and "/etc/ca/x.json" in r.getMessage() for r in caplog.records
    )


def test_the_backdate_setting_defaults_to_an_hour_and_is_bounded() -> None:
    assert load_settings(None, {}).backdate_seconds == 3600
    assert load_settings(None, {"ACMEHUB_BACKDATE_SECONDS": "600"}).backdate_seconds == 600
    for refused in ("-1", "86401"):
        with pytest.raises(ConfigError, match="backdate_seconds"):
            load_settings(None, {"ACMEHUB_BACKDATE_SECONDS": refused})
