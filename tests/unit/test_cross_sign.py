"""Alternate chains of the embedded CA (RFC 8555 §7.4.2): a new root cross-signs the issuing
CA, and the backend serves the twin's chain beside the default one for the leaves it issues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from acmehub.ca.embedded.backend import EmbeddedCa
from acmehub.ca.embedded.cross_sign import MAX_ALTERNATES, cross_sign_stored
from acmehub.ca.embedded.sealing import new_kek_text, parse_kek
from acmehub.ca.embedded.stored import create_stored_authority
from acmehub.domain.errors import DomainError
from acmehub.domain.ports import AlternateChainsCapability, IssueRequest

NOW = datetime(2026, 12, 1, tzinfo=UTC)
UUID = "3f1c2b9e-0000-4000-8000-000000000001"


@pytest.fixture
def kek():  # type: ignore[no-untyped-def]
    return parse_kek(new_kek_text(), "test")


def csr() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )


def certificates(pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem.encode())


def test_a_cross_sign_is_the_issuing_cas_twin_under_a_new_root(kek) -> None:  # type: ignore[no-untyped-def]
    made = create_stored_authority(UUID, name="Example", key_type="ec-p256", kek=kek, now=NOW)
    crossed = cross_sign_stored(UUID, made.config, made.key_material, kek=kek, now=NOW)

    (issuing,) = certificates(crossed.config["issuer_cert_pem"])
    (chain,) = crossed.config["alternate_chains_pem"]
    twin, new_root = certificates(chain)
    assert twin.subject == issuing.subject
    assert twin.public_key() == issuing.public_key()
    assert twin.issuer == new_root.subject != issuing.issuer
    assert new_root.subject.rfc4514_string() == "CN=Example Alternate Root CA 1,O=Example"
    twin.verify_directly_issued_by(new_root)
    assert "alternate-root-1" in crossed.key_material
    # What was there stays: the default chain and its keys.
    assert crossed.config["chain_pem"] == made.config["chain_pem"]
    assert crossed.key_material["issuer"] == made.key_material["issuer"]


def test_a_leaf_verifies_under_both_chains(kek) -> None:  # type: ignore[no-untyped-def]
    made = create_stored_authority(UUID, name="Example", key_type="ec-p256", kek=kek, now=NOW)
    crossed = cross_sign_stored(UUID, made.config, made.key_material, kek=kek, now=NOW)
    ca = EmbeddedCa(crossed.config, authority_uuid=UUID, key_material=crossed.key_material, kek=kek)
    assert isinstance(ca, AlternateChainsCapability)
    issued = ca.issue(
        IssueRequest(
            csr_der=csr(),
            dns_names=("www.example.com",),
            not_before=NOW,
            not_after=NOW + timedelta(days=7),
        )
    )
    leaf = x509.load_pem_x509_certificate(issued.cert_pem.encode())
    (alternate,) = ca.alternate_chains_pem(issued.chain_pem)
    (default_issuer,) = certificates(issued.chain_pem)
    (twin,) = certificates(alternate)  # the new root is not served, like the default root
    leaf.verify_directly_issued_by(default_issuer)
    leaf.verify_directly_issued_by(twin)
    assert twin.issuer != default_issuer.issuer
    # A certificate from another issuing CA gets no alternate of this one.
    assert ca.alternate_chains_pem("") == ()
    assert (
        ca.alternate_chains_pem(
            certificates(made.config["chain_pem"])[0]
            .public_bytes(serialization.Encoding.PEM)
            .decode()
        )
        == ()
    )


def test_an_authority_keeps_a_bounded_number_of_alternates(kek) -> None:  # type: ignore[no-untyped-def]
    made = create_stored_authority(UUID, name="Example", key_type="ec-p256", kek=kek, now=NOW)
    config, keys = made.config, made.key_material
    for _ in range(MAX_ALTERNATES):
        crossed = cross_sign_stored(UUID, config, keys, kek=kek, now=NOW)
        config, keys = crossed.config, crossed.key_material
    assert len(config["alternate_chains_pem"]) == MAX_ALTERNATES
    with pytest.raises(DomainError, match="at most"):
        cross_sign_stored(UUID, config, keys, kek=kek, now=NOW)
