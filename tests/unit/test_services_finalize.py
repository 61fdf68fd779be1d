"""Finalize (RFC 8555 §7.4) on the in-memory fakes, with the real embedded CA signing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.domain.csr import spki_sha256_hex
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, OrderStatus
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld, SimulatedCrash, make_csr

DAY = 86400


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles(ra_fields={"validity_default": 30 * DAY, "validity_max": 90 * DAY})
    return world.context()


@pytest.fixture
def owner(world: MemoryWorld, ctx: AcmeContext) -> tuple[Account, AccountKey]:
    return world.new_account(ctx)


@pytest.fixture
def cert_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def refusal(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def leaf_of(
    world: MemoryWorld, ctx: AcmeContext, account: Account, cert_id: str
) -> x509.Certificate:
    cert = world.services.certificates.download(ctx, account.id, cert_id)
    return x509.load_pem_x509_certificate(cert.pem.encode())


def san(cert: x509.Certificate) -> list[str]:
    return cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value.get_values_for_type(x509.DNSName)


def test_a_ready_order_is_finalized_into_one_certificate(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com", "*.example.com")
    csr = make_csr(cert_key, ["example.com", "*.example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert view.status is OrderStatus.VALID
    assert view.order.certificate_id is not None
    assert view.order.error is None

    seen = world.services.orders.get(ctx, account.id, order.id)
    assert seen.status is OrderStatus.VALID
    assert seen.order.certificate_id == view.order.certificate_id

    cert = world.services.certificates.download(ctx, account.id, view.order.certificate_id)
    assert cert.order_id == order.id
    assert cert.account_id == account.id
    assert cert.names == ("*.example.com", "example.com")
    assert cert.key_thumbprint == spki_sha256_hex(cert_key.public_key())
    assert cert.chain_pem
    assert cert.revoked_at is None
    leaf = x509.load_pem_x509_certificate(cert.pem.encode())
    assert sorted(san(leaf)) == ["*.example.com", "example.com"]
    assert format(leaf.serial_number, "x") == cert.serial_hex
    assert len(world.ca.issue_requests) == 1


def test_a_second_finalize_is_refused_and_issues_nothing(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    csr = make_csr(cert_key, ["example.com"])
    first = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert (error.kind, error.status) == (ErrorKind.ORDER_NOT_READY, 403)
    assert "valid" in error.detail
    assert len(world.ca.issue_requests) == 1
    again = world.services.orders.get(ctx, account.id, order.id)
    assert again.order.certificate_id == first.order.certificate_id


def test_a_pending_order_is_not_ready(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.new_order(ctx, account, "a.example.com", "b.example.com")
    world.answer(ctx, account, order.authorization_ids[0])
    csr = make_csr(cert_key, ["a.example.com", "b.example.com"])
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert (error.kind, error.status) == (ErrorKind.ORDER_NOT_READY, 403)
    assert "pending" in error.detail
    assert world.ca.issue_requests == []


def test_an_expired_ready_order_is_not_ready(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    world.clock.set(order.expires)
    csr = make_csr(cert_key, ["example.com"])
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert error.kind is ErrorKind.ORDER_NOT_READY
    assert world.services.orders.get(ctx, account.id, order.id).status is OrderStatus.INVALID


@pytest.mark.parametrize(
    ("csr_names", "difference"),
    [
        (["a.example.com"], "missing b.example.com"),
        (["a.example.com", "b.example.com", "c.example.com"], "extra c.example.com"),
        (["a.example.com", "c.example.com"], "missing b.example.com; extra c.example.com"),
    ],
)
def test_a_csr_must_name_exactly_the_orders_identifiers(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
    csr_names: list[str],
    difference: str,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "a.example.com", "b.example.com")
    csr = make_csr(cert_key, csr_names)
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert error.kind is ErrorKind.BAD_CSR
    assert difference in error.detail
    # A refused CSR leaves the order ready for a better one.
    assert world.services.orders.get(ctx, account.id, order.id).status is OrderStatus.READY
    good = make_csr(cert_key, ["B.example.com", "a.example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, good, key.spki_sha256)
    assert view.status is OrderStatus.VALID


def test_the_account_key_cannot_be_the_certificate_key(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    csr = make_csr(key.private_key, ["example.com"])
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert error.kind is ErrorKind.BAD_CSR
    assert "account key" in error.detail
    assert world.ca.issue_requests == []


def test_garbage_is_a_bad_csr(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, b"\x30\x03abc", key.spki_sha256
    )
    assert error.kind is ErrorKind.BAD_CSR


def test_finalize_needs_the_orders_own_enabled_account(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    csr = make_csr(cert_key, ["example.com"])
    other, other_key = world.new_account(ctx)
    finalize = world.services.finalize.finalize
    error = refusal(finalize, ctx, other.id, order.id, csr, other_key.spki_sha256)
    assert error.kind is ErrorKind.UNAUTHORIZED
    with world.uow(write=True) as tx:
        tx.accounts.update(replace(account, enabled=False))
    error = refusal(finalize, ctx, account.id, order.id, csr, key.spki_sha256)
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)
    assert world.ca.issue_requests == []


def test_the_certificate_lasts_the_ra_profiles_default_validity(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    account, key = owner
    cert, _ = world.issue(ctx, account, key, "example.com")
    assert cert.not_after - cert.not_before == timedelta(days=30)
    assert cert.not_before <= world.clock.now()  # backdated for clock skew


def test_the_certificate_honours_the_orders_window(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    start = world.clock.now() + timedelta(days=1)
    end = start + timedelta(days=7)
    order = world.new_order(
        ctx, account, "example.com", notBefore=start.isoformat(), notAfter=end.isoformat()
    )
    world.answer(ctx, account, order.authorization_ids[0])
    csr = make_csr(cert_key, ["example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert view.order.certificate_id is not None
    leaf = leaf_of(world, ctx, account, view.order.certificate_id)
    assert (leaf.not_valid_before_utc, leaf.not_valid_after_utc) == (start, end)


def test_a_ca_failure_makes_the_order_invalid(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    world.ca.fail_issuance = DomainError(ErrorKind.SERVER_INTERNAL, "HSM unreachable")
    csr = make_csr(cert_key, ["example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert view.status is OrderStatus.INVALID
    assert view.order.error is not None
    assert view.order.error.kind is ErrorKind.SERVER_INTERNAL
    # The CA's text goes to the log, under the reference the client reads.
    assert "HSM unreachable" not in view.order.error.detail
    reference = view.order.error.detail.removeprefix("internal error, reference ")
    assert reference != view.order.error.detail
    assert any(
        reference in r.getMessage() and "HSM unreachable" in r.getMessage() for r in caplog.records
    )
    seen = world.services.orders.get(ctx, account.id, order.id)
    assert (seen.status, seen.order.certificate_id) == (OrderStatus.INVALID, None)


def test_an_unexpected_ca_error_is_hidden_from_the_client(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    world.ca.fail_issuance = OSError("disk /secret/path is full")
    csr = make_csr(cert_key, ["example.com"])
    view = world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert view.status is OrderStatus.INVALID
    assert view.order.error is not None
    assert view.order.error.kind is ErrorKind.SERVER_INTERNAL
    assert "/secret/path" not in view.order.error.detail


def test_resume_stuck_issues_for_an_order_a_crash_left_processing(
    world: MemoryWorld,
    ctx: AcmeContext,
    owner: tuple[Account, AccountKey],
    cert_key: ec.EllipticCurvePrivateKey,
) -> None:
    account, key = owner
    order = world.ready_order(ctx, account, "example.com")
    world.ca.fail_issuance = SimulatedCrash()
    csr = make_csr(cert_key, ["example.com"])
    with pytest.raises(SimulatedCrash):
        world.services.finalize.finalize(ctx, account.id, order.id, csr, key.spki_sha256)
    assert world.services.orders.get(ctx, account.id, order.id).status is OrderStatus.PROCESSING
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert error.kind is ErrorKind.ORDER_NOT_READY

    resume = world.services.finalize.resume_stuck
    assert resume(older_than=timedelta(minutes=5)) == 0  # too recent: maybe still signing
    world.clock.advance(minutes=6)
    assert resume(older_than=timedelta(minutes=5)) == 1
    view = world.services.orders.get(ctx, account.id, order.id)
    assert view.status is OrderStatus.VALID
    assert view.order.certificate_id is not None
    leaf = leaf_of(world, ctx, account, view.order.certificate_id)
    assert san(leaf) == ["example.com"]
    assert leaf.public_key() == cert_key.public_key()  # the CSR accepted before the crash
    assert resume(older_than=timedelta(minutes=5)) == 0


def test_a_pending_order_is_not_ready_whatever_its_csr(
    world: MemoryWorld, ctx: AcmeContext, owner: tuple[Account, AccountKey]
) -> None:
    """The CSR is decoded before the order is read, but the order's state is still judged
    first: a broken CSR on an order that is not ready gets orderNotReady, not badCSR."""
    account, key = owner
    pending = world.new_order(ctx, account, "a.example.com")
    ready = world.ready_order(ctx, account, "b.example.com")

    def finalize_junk(order_id: str) -> DomainError:
        junk = b"\x30\x03junk"
        return refusal(
            world.services.finalize.finalize, ctx, account.id, order_id, junk, key.spki_sha256
        )

    error = finalize_junk(pending.id)
    assert (error.kind, error.status) == (ErrorKind.ORDER_NOT_READY, 403)
    assert finalize_junk(ready.id).kind is ErrorKind.BAD_CSR
    assert world.ca.issue_requests == []
    assert world.services.orders.get(ctx, account.id, ready.id).status is OrderStatus.READY
