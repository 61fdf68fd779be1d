"""Revocation for keyCompromise blocks the key: refused afterwards as an account key
(new-account, key-change) and in a CSR at finalize; the key policy on the same paths.
On the in-memory fakes (the SQL storage passes the same contract: tests/contract)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto.jwk import JWK

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.key_policy import spki_sha256_hex
from acmehub.domain.model import Account, Certificate
from acmehub.domain.revocation import KEY_COMPROMISE
from acmehub.services.accounts import NewAccountRequest
from acmehub.services.admin import CLI_ACTOR
from acmehub.services.certificates import RevocationSigner
from acmehub.services.context import AcmeContext
from tests.fakes import AccountKey, MemoryWorld, make_csr


@pytest.fixture
def world(tmp_path: Path) -> MemoryWorld:
    return MemoryWorld.build(tmp_path)


@pytest.fixture
def ctx(world: MemoryWorld) -> AcmeContext:
    world.profiles()
    return world.context()


def account_key(private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> AccountKey:
    """The values the protocol layer hands the services for this key."""
    public = JWK.from_pyca(private_key.public_key())
    jwk = {k: v for k, v in public.export_public(as_dict=True).items() if k != "kid"}
    spki = spki_sha256_hex(private_key.public_key())
    return AccountKey(private_key, jwk, public.thumbprint(), spki)  # type: ignore[arg-type]


def refusal(call: object, *args: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def compromised(
    world: MemoryWorld, ctx: AcmeContext
) -> tuple[Account, AccountKey, Certificate, ec.EllipticCurvePrivateKey]:
    """An account with a certificate revoked for keyCompromise by its key."""
    account, key = world.new_account(ctx)
    cert, cert_key = world.issue(ctx, account, key, "www.example.com")
    der = x509.load_pem_x509_certificate(cert.pem.encode()).public_bytes(serialization.Encoding.DER)
    signer = RevocationSigner(key_spki_sha256=spki_sha256_hex(cert_key.public_key()))
    world.services.certificates.revoke(ctx, signer, der, KEY_COMPROMISE)
    return account, key, cert, cert_key


def test_key_compromise_blocks_the_key_with_who_and_which_certificate(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    _, _, cert, cert_key = compromised(world, ctx)
    with world.uow() as tx:
        blocked = tx.blocked_keys.get(spki_sha256_hex(cert_key.public_key()))
    assert blocked is not None
    assert blocked.certificate_id == cert.id
    assert blocked.blocked_at == world.clock.now()
    assert blocked.blocked_by == f"acme:certkey:{cert.key_thumbprint}"


def test_a_blocked_key_is_refused_as_a_new_account_key(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    *_, cert_key = compromised(world, ctx)
    key = account_key(cert_key)
    request = NewAccountRequest(key.jwk, key.thumbprint, {"termsOfServiceAgreed": True})
    error = refusal(world.services.accounts.new_account, ctx, request)
    assert error.kind is ErrorKind.BAD_PUBLIC_KEY
    assert "revoked for keyCompromise" in error.detail
    assert world.services.accounts.find_by_key(ctx, key.thumbprint) is None


def test_a_blocked_key_is_refused_as_the_new_key_of_a_key_change(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    account, old, _, cert_key = compromised(world, ctx)
    new = account_key(cert_key)
    error = refusal(
        world.services.accounts.change_key, ctx, account.id, old.thumbprint, new.jwk, new.thumbprint
    )
    assert error.kind is ErrorKind.BAD_PUBLIC_KEY
    assert "revoked for keyCompromise" in error.detail


def test_a_blocked_key_is_refused_in_a_csr(world: MemoryWorld, ctx: AcmeContext) -> None:
    account, key, _, cert_key = compromised(world, ctx)
    order = world.ready_order(ctx, account, "again.example.com")
    csr = make_csr(cert_key, ["again.example.com"])
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert error.kind is ErrorKind.BAD_CSR
    assert error.detail.startswith("CSR public key refused: the key (SHA-256")


def test_an_administrator_key_compromise_blocks_the_key_too(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    account, key = world.new_account(ctx)
    cert, cert_key = world.issue(ctx, account, key, "admin.example.com")
    admin = world.services.certificate_admin
    admin.revoke(CLI_ACTOR, cert.id, "superseded")
    assert admin.revoke(CLI_ACTOR, cert.id, "keyCompromise").certificate.revocation_reason == 1
    with world.uow() as tx:
        blocked = tx.blocked_keys.get(cert.key_thumbprint)
    assert blocked is not None
    assert blocked.blocked_by == CLI_ACTOR.name
    error = refusal(admin.revoke, CLI_ACTOR, cert.id, "keyCompromise")
    assert (error.kind, error.status) == (ErrorKind.INVALID_INPUT, 422)
    order = world.ready_order(ctx, account, "admin2.example.com")
    csr = make_csr(cert_key, ["admin2.example.com"])
    error = refusal(
        world.services.finalize.finalize, ctx, account.id, order.id, csr, key.spki_sha256
    )
    assert error.kind is ErrorKind.BAD_CSR


def test_the_key_policy_applies_to_new_accounts_and_key_changes(
    world: MemoryWorld, ctx: AcmeContext
) -> None:
    weak = account_key(rsa.generate_private_key(3, 2048))
    request = NewAccountRequest(weak.jwk, weak.thumbprint, {"termsOfServiceAgreed": True})
    error = refusal(world.services.accounts.new_account, ctx, request)
    assert (error.kind, error.detail) == (
        ErrorKind.BAD_PUBLIC_KEY,
        "account key refused: the RSA public exponent must be 65537, not 3",
    )
    account, old = world.new_account(ctx)
    error = refusal(
        world.services.accounts.change_key,
        ctx,
        account.id,
        old.thumbprint,
        weak.jwk,
        weak.thumbprint,
    )
    assert error.kind is ErrorKind.BAD_PUBLIC_KEY
    assert world.services.accounts.find_by_key(ctx, old.thumbprint) == account
