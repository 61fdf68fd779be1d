"""Certificate download, revocation (RFC 8555 §7.6) and CRLs on the in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.domain.csr import spki_sha256_hex
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Account, Certificate
from acmehub.domain.revocation import SUBSCRIBER_REASONS
from acmehub.services.certificates import RevocationSigner
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld

DER = serialization.Encoding.DER


@dataclass(frozen=True)
class Issued:
    account: Account
    key: AccountKey
    cert: Certificate
    cert_key: ec.EllipticCurvePrivateKey

    @property
    def der(self) -> bytes:
        return x509.load_pem_x509_certificate(self.cert.pem.encode()).public_bytes(DER)

    @property
    def by_owner(self) -> RevocationSigner:
        return RevocationSigner(account_id=self.account.id)

    @property
    def by_cert_key(self) -> RevocationSigner:
        return RevocationSigner(key_spki_sha256=spki_sha256_hex(self.cert_key.public_key()))


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles()
    return world.context()


@pytest.fixture
def issued(world: MemoryWorld, ctx: AcmeContext) -> Issued:
    account, key = world.new_account(ctx)
    cert, cert_key = world.issue(ctx, account, key, "www.example.com", "*.example.org")
    return Issued(account, key, cert, cert_key)


def refusal(call: Any, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def current(world: MemoryWorld, ctx: AcmeContext, issued: Issued) -> Certificate:
    return world.services.certificates.download(ctx, issued.account.id, issued.cert.id)


def crl(world: MemoryWorld, issued: Issued) -> x509.CertificateRevocationList:
    return x509.load_der_x509_crl(world.services.certificates.crl(issued.cert.authority_uuid))


# --------------------------------------------------------------------------- download


def test_the_owner_downloads_the_certificate_with_its_chain(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    cert = current(world, ctx, issued)
    assert cert == issued.cert
    chain = x509.load_pem_x509_certificates(cert.full_chain_pem.encode())
    assert len(chain) >= 2
    chain[0].verify_directly_issued_by(chain[1])


def test_another_account_cannot_download(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    other, _ = world.new_account(ctx)
    download = world.services.certificates.download
    assert refusal(download, ctx, other.id, issued.cert.id).kind is ErrorKind.UNAUTHORIZED
    error = refusal(download, ctx, issued.account.id, "no-such-cert")
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)


# --------------------------------------------------------------------------- who may revoke


def test_the_owner_revokes(world: MemoryWorld, ctx: AcmeContext, issued: Issued) -> None:
    revoked = world.services.certificates.revoke(ctx, issued.by_owner, issued.der, 4)
    assert revoked.id == issued.cert.id
    after = current(world, ctx, issued)
    assert after.revoked_at == world.clock.now()
    assert after.revocation_reason == 4
    (request,) = world.ca.revoke_requests
    assert (request.serial_hex, request.reason) == (issued.cert.serial_hex, 4)


def test_the_certificate_key_revokes(world: MemoryWorld, ctx: AcmeContext, issued: Issued) -> None:
    world.services.certificates.revoke(ctx, issued.by_cert_key, issued.der, 1)
    assert current(world, ctx, issued).revoked_at is not None


def test_another_key_cannot_revoke(world: MemoryWorld, ctx: AcmeContext, issued: Issued) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    signer = RevocationSigner(key_spki_sha256=spki_sha256_hex(stranger.public_key()))
    error = refusal(world.services.certificates.revoke, ctx, signer, issued.der, 0)
    assert error.kind is ErrorKind.UNAUTHORIZED
    assert current(world, ctx, issued).revoked_at is None


def test_an_account_authorized_for_every_name_revokes(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    other, _ = world.new_account(ctx)
    # A wildcard name needs an authorization for its base name.
    world.ready_order(ctx, other, "www.example.com", "example.org")
    world.services.certificates.revoke(ctx, RevocationSigner(account_id=other.id), issued.der, 4)
    assert current(world, ctx, issued).revocation_reason == 4


def test_an_account_authorized_for_some_names_only_cannot_revoke(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    other, _ = world.new_account(ctx)
    world.ready_order(ctx, other, "www.example.com")
    error = refusal(
        world.services.certificates.revoke,
        ctx,
        RevocationSigner(account_id=other.id),
        issued.der,
        0,
    )
    assert error.kind is ErrorKind.UNAUTHORIZED
    assert current(world, ctx, issued).revoked_at is None


def test_an_unrelated_account_cannot_revoke(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    other, _ = world.new_account(ctx)
    world.new_order(ctx, other, "www.example.com", "example.org")  # pending: proves nothing
    error = refusal(
        world.services.certificates.revoke,
        ctx,
        RevocationSigner(account_id=other.id),
        issued.der,
        0,
    )
    assert error.kind is ErrorKind.UNAUTHORIZED
    assert world.ca.revoke_requests == []


def test_expired_authorizations_do_not_authorize_revocation(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    other, _ = world.new_account(ctx)
    order = world.ready_order(ctx, other, "www.example.com", "example.org")
    world.clock.set(order.expires)
    error = refusal(
        world.services.certificates.revoke,
        ctx,
        RevocationSigner(account_id=other.id),
        issued.der,
        0,
    )
    assert error.kind is ErrorKind.UNAUTHORIZED


# --------------------------------------------------------------------------- reasons


@pytest.mark.parametrize("reason", [7, 11, -1, "1", 1.0, True, [1], 2, 6, 8, 9, 10])
def test_reasons_a_subscriber_may_not_give_are_refused(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued, reason: object
) -> None:
    error = refusal(world.services.certificates.revoke, ctx, issued.by_owner, issued.der, reason)
    assert error.kind is ErrorKind.BAD_REVOCATION_REASON
    assert "0 (unspecified), 1 (keyCompromise), 3 (affiliationChanged)" in error.detail
    assert current(world, ctx, issued).revoked_at is None


@pytest.mark.parametrize("reason", SUBSCRIBER_REASONS)
def test_every_subscriber_reason_is_accepted_from_the_certificate_key(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued, reason: int
) -> None:
    world.services.certificates.revoke(ctx, issued.by_cert_key, issued.der, reason)
    assert current(world, ctx, issued).revocation_reason == reason


def test_key_compromise_from_the_owner_needs_proof_of_the_key(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    error = refusal(world.services.certificates.revoke, ctx, issued.by_owner, issued.der, 1)
    assert error.kind is ErrorKind.BAD_REVOCATION_REASON
    assert "sign the revocation request with the certificate's key" in error.detail
    assert current(world, ctx, issued).revoked_at is None
    with world.uow() as tx:
        assert tx.blocked_keys.get(issued.cert.key_thumbprint) is None


def test_proof_after_an_unproven_key_compromise_blocks_the_key(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    """A keyCompromise recorded before proof was required (an older release took the owner's
    word): a request signed with the certificate's key then blocks the key, nothing else."""
    with world.uow(write=True) as tx:
        assert tx.certificates.mark_revoked(issued.cert.id, world.clock.now(), 1)
    before = current(world, ctx, issued)
    revoke = world.services.certificates.revoke
    revoke(ctx, issued.by_cert_key, issued.der, 1)
    assert current(world, ctx, issued) == before
    with world.uow() as tx:
        assert tx.blocked_keys.get(issued.cert.key_thumbprint) is not None
    assert refusal(revoke, ctx, issued.by_cert_key, issued.der, 1).kind is ErrorKind.ALREADY_REVOKED


def test_key_compromise_from_another_account_is_refused(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    other, _ = world.new_account(ctx)
    world.ready_order(ctx, other, "www.example.com", "example.org")
    signer = RevocationSigner(account_id=other.id)
    error = refusal(world.services.certificates.revoke, ctx, signer, issued.der, 1)
    assert error.kind is ErrorKind.BAD_REVOCATION_REASON
    assert "sign the revocation request with the certificate's key" in error.detail
    assert current(world, ctx, issued).revoked_at is None


def test_no_reason_means_unspecified(world: MemoryWorld, ctx: AcmeContext, issued: Issued) -> None:
    world.services.certificates.revoke(ctx, issued.by_owner, issued.der, None)
    assert current(world, ctx, issued).revocation_reason == 0


# --------------------------------------------------------------------------- refusals


def test_a_certificate_is_revoked_once(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    revoke = world.services.certificates.revoke
    revoke(ctx, issued.by_cert_key, issued.der, 1)
    assert refusal(revoke, ctx, issued.by_owner, issued.der, 4).kind is ErrorKind.ALREADY_REVOKED
    assert refusal(revoke, ctx, issued.by_cert_key, issued.der, 1).kind is ErrorKind.ALREADY_REVOKED
    assert current(world, ctx, issued).revocation_reason == 1
    assert len(world.ca.revoke_requests) == 1


def test_a_revoked_certificate_moves_to_key_compromise_once(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    revoke = world.services.certificates.revoke
    revoke(ctx, issued.by_owner, issued.der, 4)
    revoked_at = current(world, ctx, issued).revoked_at
    world.clock.advance(minutes=5)
    assert refusal(revoke, ctx, issued.by_owner, issued.der, 5).kind is ErrorKind.ALREADY_REVOKED
    unproven = refusal(revoke, ctx, issued.by_owner, issued.der, 1)
    assert unproven.kind is ErrorKind.BAD_REVOCATION_REASON
    revoke(ctx, issued.by_cert_key, issued.der, 1)
    after = current(world, ctx, issued)
    # The reason changes; the revocation time stays (BR §4.9.1.1, as Boulder does).
    assert (after.revoked_at, after.revocation_reason) == (revoked_at, 1)
    assert [r.reason for r in world.ca.revoke_requests] == [4, 1]
    assert world.ca.revoke_requests[1].revoked_at == revoked_at
    with world.uow() as tx:
        blocked = tx.blocked_keys.get(issued.cert.key_thumbprint)
    assert blocked is not None
    assert blocked.certificate_id == issued.cert.id
    assert refusal(revoke, ctx, issued.by_cert_key, issued.der, 1).kind is ErrorKind.ALREADY_REVOKED


def forged(serial: int, names: list[str], now: datetime) -> bytes:
    """A self-signed certificate nobody here issued."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "forger")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(DER)


@pytest.mark.parametrize("same_serial", [True, False])
def test_a_certificate_from_elsewhere_is_not_found(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued, same_serial: bool
) -> None:
    serial = int(issued.cert.serial_hex, 16) if same_serial else x509.random_serial_number()
    der = forged(serial, ["www.example.com", "*.example.org"], world.clock.now())
    error = refusal(world.services.certificates.revoke, ctx, issued.by_owner, der, 0)
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)
    assert current(world, ctx, issued).revoked_at is None


def test_a_certificate_that_is_not_der_is_malformed(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    error = refusal(world.services.certificates.revoke, ctx, issued.by_owner, b"not a cert", 0)
    assert error.kind is ErrorKind.MALFORMED


def test_a_disabled_account_cannot_revoke(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    with world.uow(write=True) as tx:
        tx.accounts.update(replace(issued.account, enabled=False))
    error = refusal(world.services.certificates.revoke, ctx, issued.by_owner, issued.der, 0)
    assert (error.kind, error.status) == (ErrorKind.UNAUTHORIZED, 401)


# --------------------------------------------------------------------------- CRL


def test_the_crl_lists_revoked_serials(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    kept, _ = world.issue(ctx, issued.account, issued.key, "kept.example.com")
    assert list(crl(world, issued)) == []

    world.clock.advance(minutes=3)
    world.services.certificates.revoke(ctx, issued.by_cert_key, issued.der, 1)
    listed = crl(world, issued)
    serial = int(issued.cert.serial_hex, 16)
    entry = listed.get_revoked_certificate_by_serial_number(serial)
    assert entry is not None
    assert entry.revocation_date_utc == world.clock.now().replace(microsecond=0)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason is x509.ReasonFlags.key_compromise
    assert listed.get_revoked_certificate_by_serial_number(int(kept.serial_hex, 16)) is None
    assert len(list(listed)) == 1
    assert listed.last_update_utc == world.clock.now().replace(microsecond=0)
    assert listed.next_update_utc is not None
    assert listed.next_update_utc > listed.last_update_utc


def test_the_crl_is_signed_by_the_issuer(
    world: MemoryWorld, ctx: AcmeContext, issued: Issued
) -> None:
    issuer = x509.load_pem_x509_certificates(issued.cert.chain_pem.encode())[0]
    assert crl(world, issued).is_signature_valid(issuer.public_key())  # type: ignore[arg-type]


def test_the_crl_of_an_unknown_authority_is_not_found(world: MemoryWorld) -> None:
    error = refusal(world.services.certificates.crl, "no-such-authority")
    assert (error.kind, error.status) == (ErrorKind.NOT_FOUND, 404)
