"""The embedded CA as relying parties and operators see it: files, certificates, chains, CRLs."""

from __future__ import annotations

import ipaddress
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509 import DNSName, IPAddress
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from acmehub.ca import BackendContext, CaRegistry
from acmehub.ca.embedded import (
    EmbeddedCa,
    create_embedded_authority,
    environ_passphrases,
    import_embedded_authority,
    issue_tls_server_certificate,
)
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Authority
from acmehub.domain.ports import (
    CaBackend,
    IssuedCertificate,
    IssueRequest,
    RevokedEntry,
    RevokeRequest,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
CRL_URL = "http://acme.example.test/crl/ca-1"
PASSPHRASE = b"correct horse battery staple"
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


# --------------------------------------------------------------------------- helpers


def make_csr(key: CertificateIssuerPrivateKeyTypes, names: list[str]) -> bytes:
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(DER)


def issue(
    ca: EmbeddedCa,
    names: list[str],
    key: CertificateIssuerPrivateKeyTypes | None = None,
    days: int = 90,
) -> tuple[IssuedCertificate, x509.Certificate]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    request = IssueRequest(
        csr_der=make_csr(key, names),
        dns_names=tuple(names),
        not_before=NOW,
        not_after=NOW + timedelta(days=days),
    )
    issued = ca.issue(request)
    return issued, x509.load_pem_x509_certificate(issued.cert_pem.encode())


def chain_of(issued_chain_pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(issued_chain_pem.encode())


def verify_for(
    leaf: x509.Certificate, chain: list[x509.Certificate], subject: DNSName | IPAddress
) -> list[x509.Certificate]:
    """Web PKI path validation (cryptography's verifier) with the chain's last cert as root."""
    verifier = (
        PolicyBuilder()
        .store(Store([chain[-1]]))
        .time(NOW + timedelta(days=1))
        .build_server_verifier(subject)
    )
    return verifier.verify(leaf, chain[:-1])


def ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.Extension[Any]:
    return cert.extensions.get_extension_for_class(kind)


def cert_file(config: dict[str, Any], key: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(config[key]).read_bytes())


def ec_key_of(cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_embedded_authority(
        tmp_path_factory.mktemp("ca"),
        name="Acme Test",
        key_type="ec-p256",
        passphrase=None,
        now=NOW,
    )


@pytest.fixture(scope="module")
def ca(config: dict[str, Any]) -> EmbeddedCa:
    return EmbeddedCa(config, crl_url=CRL_URL)


@pytest.fixture(scope="module")
def encrypted_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return create_embedded_authority(
        tmp_path_factory.mktemp("ca-enc"),
        name="Acme Sealed",
        key_type="ec-p256",
        passphrase=PASSPHRASE,
        now=NOW,
    )


# --------------------------------------------------------------------------- creation


def test_create_writes_certificates_and_private_keys(config: dict[str, Any]) -> None:
    directory = Path(config["issuer_cert"]).parent
    assert sorted(p.name for p in directory.iterdir()) == [
        "intermediate.key",
        "intermediate.pem",
        "root.key",
        "root.pem",
    ]
    for key_file in ("root.key", "intermediate.key"):
        assert stat.S_IMODE((directory / key_file).stat().st_mode) == 0o600
    assert config["key_type"] == "ec-p256"
    assert "passphrase_env" not in config
    assert all(Path(config[k]).is_absolute() for k in ("issuer_cert", "issuer_key", "chain"))


def test_created_root_and_intermediate_are_a_proper_hierarchy(config: dict[str, Any]) -> None:
    root = cert_file(config, "root_cert")
    intermediate = cert_file(config, "issuer_cert")
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    intermediate.verify_directly_issued_by(root)
    assert ext(root, x509.BasicConstraints).value.ca
    constraints = ext(intermediate, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    usage = ext(intermediate, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert (root.not_valid_after_utc - root.not_valid_before_utc).days >= 3650
    intermediate_years = intermediate.not_valid_after_utc - intermediate.not_valid_before_utc
    assert 1825 <= intermediate_years.days < 1830
    assert root.not_valid_before_utc <= NOW
    aki = ext(intermediate, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(root, x509.SubjectKeyIdentifier).value.digest
    cn = intermediate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "Acme Test Intermediate CA"


def test_create_refuses_to_overwrite_an_existing_authority(config: dict[str, Any]) -> None:
    directory = Path(config["issuer_cert"]).parent
    before = Path(config["issuer_key"]).read_bytes()
    with pytest.raises(DomainError) as excinfo:
        create_embedded_authority(directory, name="Again", passphrase=None, now=NOW)
    assert excinfo.value.kind is ErrorKind.CONFLICT
    assert Path(config["issuer_key"]).read_bytes() == before


def test_a_long_name_of_many_byte_characters_fits_the_certificates(tmp_path: Path) -> None:
    """ub-common-name is 64 (RFC 5280); an Authority named in emoji still gets its CA."""
    name = "\N{GRINNING FACE}" * 40
    made = create_embedded_authority(tmp_path / "ca", name=name, now=NOW)
    root = x509.load_pem_x509_certificate(Path(made["chain"]).read_bytes())
    (common_name,) = root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert isinstance(common_name.value, str)
    assert len(common_name.value.encode()) <= 64
    assert common_name.value.startswith("\N{GRINNING FACE}")


def test_create_refuses_unknown_key_types(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as excinfo:
        create_embedded_authority(
            tmp_path,
            name="X",
            key_type="dsa-1024",  # type: ignore[arg-type]
            passphrase=None,
            now=NOW,
        )
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT


# --------------------------------------------------------------------------- encrypted keys


def test_encrypted_keys_cannot_be_loaded_without_the_passphrase(
    encrypted_config: dict[str, Any],
) -> None:
    data = Path(encrypted_config["issuer_key"]).read_bytes()
    assert b"ENCRYPTED" in data
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(data, password=None)
    # A wrong passphrase is refused: "bad decrypt" mostly, but about one time in 256 the
    # garbage it decrypts to has valid padding and fails as DER instead (both ValueError).
    with pytest.raises(ValueError, match=r"Bad decrypt|Incorrect password|Could not deserialize"):
        serialization.load_pem_private_key(data, password=b"wrong")
    serialization.load_pem_private_key(data, password=PASSPHRASE)
    root_key = Path(encrypted_config["root_key"]).read_bytes()
    assert b"ENCRYPTED" in root_key


def test_config_names_the_passphrase_variable_not_the_passphrase(
    encrypted_config: dict[str, Any],
) -> None:
    assert encrypted_config["passphrase_env"] == "ACMEHUB_CA_PASSPHRASE"
    assert PASSPHRASE.decode() not in repr(encrypted_config)


def test_encrypted_ca_without_passphrase_fails_clearly(encrypted_config: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as excinfo:
        EmbeddedCa(encrypted_config)
    assert excinfo.value.kind is ErrorKind.SERVER_INTERNAL
    assert "set ACMEHUB_CA_PASSPHRASE" in excinfo.value.detail


def test_encrypted_ca_with_wrong_passphrase_fails_clearly(encrypted_config: dict[str, Any]) -> None:
    lookup = environ_passphrases({"ACMEHUB_CA_PASSPHRASE": "nope"})
    with pytest.raises(DomainError) as excinfo:
        EmbeddedCa(encrypted_config, passphrase_lookup=lookup)
    assert excinfo.value.kind is ErrorKind.SERVER_INTERNAL
    assert "wrong passphrase" in excinfo.value.detail


def test_encrypted_ca_issues_with_the_passphrase(encrypted_config: dict[str, Any]) -> None:
    lookup = environ_passphrases({"ACMEHUB_CA_PASSPHRASE": PASSPHRASE.decode()})
    ca = EmbeddedCa(encrypted_config, passphrase_lookup=lookup)
    _issued, leaf = issue(ca, ["sealed.example.com"])
    verify_for(leaf, chain_of(ca.chain_pem()), DNSName("sealed.example.com"))


# --------------------------------------------------------------------------- issuance


def test_issued_certificate_has_the_server_profile(ca: EmbeddedCa, config: dict[str, Any]) -> None:
    names = ["www.example.com", "example.com", "*.api.example.com"]
    key = ec.generate_private_key(ec.SECP256R1())
    issued, leaf = issue(ca, names, key)
    intermediate = cert_file(config, "issuer_cert")

    san = ext(leaf, x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == names
    assert not san.critical  # the subject carries a CN
    assert leaf.subject.rfc4514_string() == "CN=www.example.com"
    assert leaf.issuer == intermediate.subject

    constraints = ext(leaf, x509.BasicConstraints)
    assert constraints.critical
    assert not constraints.value.ca
    usage = ext(leaf, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_encipherment  # EC key
    assert not usage.value.key_cert_sign
    assert list(ext(leaf, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]

    ski = ext(leaf, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = ext(leaf, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(intermediate, x509.SubjectKeyIdentifier).value.digest

    points = ext(leaf, x509.CRLDistributionPoints).value
    assert [p.full_name for p in points] == [[x509.UniformResourceIdentifier(CRL_URL)]]

    assert leaf.not_valid_before_utc == NOW
    assert leaf.not_valid_after_utc == NOW + timedelta(days=90)
    assert (issued.not_before, issued.not_after) == (NOW, NOW + timedelta(days=90))
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)
    assert issued.serial_hex == format(leaf.serial_number, "x")
    assert leaf.public_key().public_bytes(
        DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_issued_chain_verifies_for_every_name(ca: EmbeddedCa, config: dict[str, Any]) -> None:
    names = ["a.example.com", "b.example.com"]
    issued, leaf = issue(ca, names)
    # Clients get the intermediate after their leaf, not the root they must already trust.
    assert chain_of(issued.chain_pem) == [cert_file(config, "issuer_cert")]
    chain = chain_of(ca.chain_pem())
    assert chain == [cert_file(config, "issuer_cert"), cert_file(config, "root_cert")]
    for name in names:
        path = verify_for(leaf, chain, DNSName(name))
        assert path == [leaf, *chain]


def test_wildcard_certificate_verifies_for_a_subdomain(ca: EmbeddedCa) -> None:
    _issued, leaf = issue(ca, ["*.example.org"])
    verify_for(leaf, chain_of(ca.chain_pem()), DNSName("host.example.org"))


def test_long_first_name_gives_empty_subject_and_critical_san(ca: EmbeddedCa) -> None:
    long_name = "l" * 60 + ".example.com"  # 72 characters: over ub-common-name (64)
    _issued, leaf = issue(ca, [long_name, "short.example.com"])
    assert len(leaf.subject) == 0
    san = ext(leaf, x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.DNSName) == [long_name, "short.example.com"]
    verify_for(leaf, chain_of(ca.chain_pem()), DNSName(long_name))


def test_first_name_of_exactly_64_characters_is_the_common_name(ca: EmbeddedCa) -> None:
    name = "n" * 52 + ".example.com"
    assert len(name) == 64
    _, leaf = issue(ca, [name])
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
    assert not ext(leaf, x509.SubjectAlternativeName).critical


def test_rsa_certificate_key_adds_key_encipherment(ca: EmbeddedCa) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _issued, leaf = issue(ca, ["rsa.example.com"], key)
    usage = ext(leaf, x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.key_encipherment
    verify_for(leaf, chain_of(ca.chain_pem()), DNSName("rsa.example.com"))


def test_issue_refuses_weak_csr_keys_too(ca: EmbeddedCa) -> None:
    with pytest.raises(DomainError) as excinfo:
        issue(ca, ["weak.example.com"], ec.generate_private_key(ec.SECP521R1()))
    assert excinfo.value.kind is ErrorKind.BAD_CSR


def test_issue_refuses_an_invalid_csr(ca: EmbeddedCa) -> None:
    request = IssueRequest(b"junk", ("a.example.com",), NOW, NOW + timedelta(days=1))
    with pytest.raises(DomainError) as excinfo:
        ca.issue(request)
    assert excinfo.value.kind is ErrorKind.BAD_CSR


def test_validity_never_outlives_the_intermediate(ca: EmbeddedCa, config: dict[str, Any]) -> None:
    issued, leaf = issue(ca, ["long.example.com"], days=3650)
    intermediate_end = cert_file(config, "issuer_cert").not_valid_after_utc
    assert leaf.not_valid_after_utc == intermediate_end
    assert issued.not_after == intermediate_end


def test_serials_are_distinct_positive_and_large(ca: EmbeddedCa) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = make_csr(key, ["s.example.com"])
    request = IssueRequest(csr, ("s.example.com",), NOW, NOW + timedelta(days=1))
    serials = [int(ca.issue(request).serial_hex, 16) for _ in range(200)]
    assert len(set(serials)) == len(serials)
    # RFC 5280 §4.1.2.2: positive, <= 20 octets; CA/B BR: >= 64 bits of entropy (we draw 159).
    assert all(64 < s.bit_length() <= 159 for s in serials)


@pytest.mark.parametrize(
    ("key_type", "hash_type"),
    [("ec-p384", hashes.SHA384), ("rsa-3072", hashes.SHA256)],
)
def test_signature_hash_follows_the_ca_key(
    tmp_path: Path, key_type: Any, hash_type: type[hashes.HashAlgorithm]
) -> None:
    config = create_embedded_authority(
        tmp_path, name="Typed", key_type=key_type, passphrase=None, now=NOW
    )
    ca = EmbeddedCa(config)
    _issued, leaf = issue(ca, ["typed.example.com"])
    assert isinstance(leaf.signature_hash_algorithm, hash_type)
    assert isinstance(cert_file(config, "issuer_cert").signature_hash_algorithm, hash_type)
    with pytest.raises(x509.ExtensionNotFound):
        ext(leaf, x509.CRLDistributionPoints)  # no crl_url given
    verify_for(leaf, chain_of(ca.chain_pem()), DNSName("typed.example.com"))


# --------------------------------------------------------------------------- revocation and CRL


def test_revoke_validates_serial_and_reason(ca: EmbeddedCa) -> None:
    issued, _ = issue(ca, ["gone.example.com"])
    ca.revoke(RevokeRequest(issued.serial_hex, 1, NOW))
    with pytest.raises(DomainError) as excinfo:
        ca.revoke(RevokeRequest("00" + issued.serial_hex.upper(), 1, NOW))
    assert excinfo.value.kind is ErrorKind.MALFORMED
    with pytest.raises(DomainError) as excinfo:
        ca.revoke(RevokeRequest(issued.serial_hex, 7, NOW))
    assert excinfo.value.kind is ErrorKind.BAD_REVOCATION_REASON


def test_crl_lists_revoked_serials_with_reasons(ca: EmbeddedCa, config: dict[str, Any]) -> None:
    serials = [issue(ca, [f"r{i}.example.com"])[0].serial_hex for i in range(3)]
    entries = [
        RevokedEntry(serials[0], NOW + timedelta(hours=1), 0),
        RevokedEntry(serials[1], NOW + timedelta(hours=2), 1),
        RevokedEntry(serials[2], NOW + timedelta(hours=3), 4),
    ]
    der = ca.sign_crl(entries, NOW + timedelta(hours=4), NOW + timedelta(days=1), 42)
    crl = x509.load_der_x509_crl(der)
    intermediate = cert_file(config, "issuer_cert")

    assert crl.is_signature_valid(ec_key_of(intermediate))
    assert crl.issuer == intermediate.subject
    assert crl.last_update_utc == NOW + timedelta(hours=4)
    assert crl.next_update_utc == NOW + timedelta(days=1)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 42
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ext(intermediate, x509.SubjectKeyIdentifier).value.digest
    idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert idp.critical
    assert idp.value.full_name == [x509.UniformResourceIdentifier(CRL_URL)]

    assert len(crl) == 3
    reasons: dict[str, x509.ReasonFlags | None] = {}
    for entry in entries:
        revoked = crl.get_revoked_certificate_by_serial_number(int(entry.serial_hex, 16))
        assert revoked is not None
        assert revoked.revocation_date_utc == entry.revoked_at
        try:
            reasons[entry.serial_hex] = revoked.extensions.get_extension_for_class(
                x509.CRLReason
            ).value.reason
        except x509.ExtensionNotFound:
            reasons[entry.serial_hex] = None
    assert reasons == {
        serials[0]: None,  # unspecified is expressed by omission (RFC 5280 §5.3.1)
        serials[1]: x509.ReasonFlags.key_compromise,
        serials[2]: x509.ReasonFlags.superseded,
    }


def test_empty_crl_is_valid(ca: EmbeddedCa, config: dict[str, Any]) -> None:
    crl = x509.load_der_x509_crl(ca.sign_crl([], NOW, NOW + timedelta(days=1), 1))
    assert len(crl) == 0
    assert crl.is_signature_valid(ec_key_of(cert_file(config, "issuer_cert")))


@pytest.mark.parametrize(
    ("entry", "kind"),
    [
        (RevokedEntry("abc", NOW, 7), ErrorKind.BAD_REVOCATION_REASON),
        (RevokedEntry("abc", NOW, 11), ErrorKind.BAD_REVOCATION_REASON),
        (RevokedEntry("0abc", NOW, 1), ErrorKind.MALFORMED),
    ],
)
def test_crl_refuses_bad_entries(ca: EmbeddedCa, entry: RevokedEntry, kind: ErrorKind) -> None:
    with pytest.raises(DomainError) as excinfo:
        ca.sign_crl([entry], NOW, NOW + timedelta(days=1), 1)
    assert excinfo.value.kind is kind


def test_crl_refuses_naive_times(ca: EmbeddedCa) -> None:
    naive = datetime(2026, 5, 1)  # timezone-naive on purpose
    with pytest.raises(DomainError) as excinfo:
        ca.sign_crl([], naive, naive + timedelta(days=1), 1)
    assert excinfo.value.kind is ErrorKind.SERVER_INTERNAL


# --------------------------------------------------------------------------- import


def test_import_existing_intermediate_issues_verifiable_certificates(
    config: dict[str, Any], tmp_path: Path
) -> None:
    imported = import_embedded_authority(
        tmp_path / "imported",
        Path(config["issuer_cert"]).read_text(),
        Path(config["issuer_key"]).read_bytes(),
        Path(config["root_cert"]).read_bytes(),
        PASSPHRASE,
        now=NOW,
    )
    assert imported["passphrase_env"] == "ACMEHUB_CA_PASSPHRASE"
    assert stat.S_IMODE(Path(imported["issuer_key"]).stat().st_mode) == 0o600
    assert b"ENCRYPTED" in Path(imported["issuer_key"]).read_bytes()
    assert cert_file(imported, "root_cert") == cert_file(config, "root_cert")
    lookup = environ_passphrases({"ACMEHUB_CA_PASSPHRASE": PASSPHRASE.decode()})
    ca = EmbeddedCa(imported, passphrase_lookup=lookup)
    _issued, leaf = issue(ca, ["imported.example.com"])
    verify_for(leaf, chain_of(ca.chain_pem()), DNSName("imported.example.com"))


def test_import_encrypted_key_needs_its_passphrase(
    encrypted_config: dict[str, Any], tmp_path: Path
) -> None:
    args = (
        Path(encrypted_config["issuer_cert"]).read_bytes(),
        Path(encrypted_config["issuer_key"]).read_bytes(),
        Path(encrypted_config["root_cert"]).read_bytes(),
    )
    with pytest.raises(DomainError) as excinfo:
        import_embedded_authority(tmp_path / "a", *args, None)
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT
    assert "no passphrase" in excinfo.value.detail
    imported = import_embedded_authority(tmp_path / "b", *args, PASSPHRASE)
    assert imported["issuer_key"].endswith("issuer.key")


def test_import_a_root_alone(config: dict[str, Any], tmp_path: Path) -> None:
    imported = import_embedded_authority(
        tmp_path,
        Path(config["root_cert"]).read_bytes(),
        Path(config["root_key"]).read_bytes(),
        b"",
        None,
    )
    assert "chain" not in imported
    assert imported["root_cert"] == imported["issuer_cert"]
    ca = EmbeddedCa(imported)
    _, leaf = issue(ca, ["direct.example.com"])
    verify_for(leaf, [cert_file(config, "root_cert")], DNSName("direct.example.com"))


def test_import_refuses_a_non_ca_certificate(ca: EmbeddedCa, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    issued, _ = issue(ca, ["leaf.example.com"], key)
    key_pem = key.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(DomainError) as excinfo:
        import_embedded_authority(tmp_path, issued.cert_pem, key_pem, issued.chain_pem, None)
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT
    assert "not a CA certificate" in excinfo.value.detail
    assert not any(tmp_path.iterdir())


def test_import_refuses_a_key_that_does_not_match(config: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(DomainError) as excinfo:
        import_embedded_authority(
            tmp_path,
            Path(config["issuer_cert"]).read_bytes(),
            Path(config["root_key"]).read_bytes(),  # the root's key, not the intermediate's
            Path(config["root_cert"]).read_bytes(),
            None,
        )
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT
    assert "does not match" in excinfo.value.detail


def test_import_refuses_a_chain_that_did_not_issue_the_certificate(
    config: dict[str, Any], encrypted_config: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(DomainError) as excinfo:
        import_embedded_authority(
            tmp_path,
            Path(config["issuer_cert"]).read_bytes(),
            Path(config["issuer_key"]).read_bytes(),
            Path(encrypted_config["root_cert"]).read_bytes(),  # another hierarchy's root
            None,
        )
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT
    assert "did not issue" in excinfo.value.detail


def test_import_refuses_an_expired_certificate(config: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(DomainError) as excinfo:
        import_embedded_authority(
            tmp_path,
            Path(config["issuer_cert"]).read_bytes(),
            Path(config["issuer_key"]).read_bytes(),
            Path(config["root_cert"]).read_bytes(),
            None,
            now=NOW + timedelta(days=3000),
        )
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT
    assert "not valid now" in excinfo.value.detail


# --------------------------------------------------------------------------- own TLS certificate


def test_tls_server_certificate_for_names_and_ip_addresses(ca: EmbeddedCa) -> None:
    hosts = ["acme.internal", "127.0.0.1", "::1"]
    cert_pem, key_pem = issue_tls_server_certificate(ca, hosts, NOW, 30)
    certs = x509.load_pem_x509_certificates(cert_pem.encode())
    leaf, chain = certs[0], certs[1:]
    assert chain == chain_of(ca.chain_pem())
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, ec.SECP256R1)
    assert leaf.public_key() == key.public_key()
    san = ext(leaf, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["acme.internal"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert leaf.not_valid_after_utc == NOW + timedelta(days=30)
    verify_for(leaf, chain, DNSName("acme.internal"))
    verify_for(leaf, chain, IPAddress(ipaddress.ip_address("127.0.0.1")))
    verify_for(leaf, chain, IPAddress(ipaddress.ip_address("::1")))


def test_tls_server_certificate_needs_a_host(ca: EmbeddedCa) -> None:
    with pytest.raises(DomainError) as excinfo:
        issue_tls_server_certificate(ca, [], NOW, 30)
    assert excinfo.value.kind is ErrorKind.INVALID_INPUT


# --------------------------------------------------------------------------- registry


def authority(config: dict[str, Any], kind: str = "embedded", uuid: str = "ca-1") -> Authority:
    return Authority(uuid=uuid, name="Test CA", kind=kind, enabled=True, config=config)


def test_registry_builds_embedded_backends_once(config: dict[str, Any]) -> None:
    registry = CaRegistry(crl_url_for=lambda a: f"http://acme.example.test/crl/{a.uuid}")
    backend = registry.for_authority(authority(config))
    assert isinstance(backend, EmbeddedCa)
    assert backend.crl_url == CRL_URL
    assert registry.for_authority(authority(dict(config))) is backend
    assert registry.for_authority(authority(config, uuid="ca-2")) is not backend


def test_registry_rebuilds_when_the_config_changes(
    config: dict[str, Any], encrypted_config: dict[str, Any]
) -> None:
    lookup = environ_passphrases({"ACMEHUB_CA_PASSPHRASE": PASSPHRASE.decode()})
    registry = CaRegistry(passphrase_lookup=lookup)
    first = registry.for_authority(authority(config))
    second = registry.for_authority(authority(encrypted_config))
    assert second is not first
    assert isinstance(second, EmbeddedCa)
    assert second.issuer_certificate == cert_file(encrypted_config, "issuer_cert")


def test_registry_refuses_unknown_types(config: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as excinfo:
        CaRegistry().for_authority(authority(config, kind="vault"))
    assert excinfo.value.kind is ErrorKind.SERVER_INTERNAL
    assert "'vault'" in excinfo.value.detail
    assert "embedded" in excinfo.value.detail


def test_registry_accepts_other_backend_types(ca: EmbeddedCa, config: dict[str, Any]) -> None:
    seen: list[BackendContext] = []

    def factory(_: Authority, context: BackendContext) -> CaBackend:
        seen.append(context)
        return ca

    registry = CaRegistry()
    registry.register("remote", factory)
    assert registry.kinds == ("embedded", "remote")
    assert registry.for_authority(authority({"url": "x"}, kind="remote")) is ca
    assert seen[0].crl_url is None
    with pytest.raises(DomainError) as excinfo:
        registry.register("remote", factory)
    assert excinfo.value.kind is ErrorKind.CONFLICT


def test_registry_reports_a_broken_config(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as excinfo:
        CaRegistry().for_authority(authority({"issuer_cert": str(tmp_path / "missing.pem")}))
    assert excinfo.value.kind is ErrorKind.SERVER_INTERNAL
    assert "issuer_key" in excinfo.value.detail


@pytest.mark.parametrize(
    ("usages", "oids"),
    [
        (("clientAuth",), [ExtendedKeyUsageOID.CLIENT_AUTH]),
        (
            ("serverAuth", "clientAuth"),
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        ),
    ],
)
def test_issued_certificate_carries_the_requested_extended_key_usages(
    ca: EmbeddedCa, usages: tuple[str, ...], oids: list[x509.ObjectIdentifier]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    request = IssueRequest(
        csr_der=make_csr(key, ["eku.example.com"]),
        dns_names=("eku.example.com",),
        not_before=NOW,
        not_after=NOW + timedelta(days=1),
        extended_key_usages=usages,
    )
    leaf = x509.load_pem_x509_certificate(ca.issue(request).cert_pem.encode())
    assert list(ext(leaf, x509.ExtendedKeyUsage).value) == oids


@pytest.mark.parametrize("usages", [(), ("codeSigning",)])
def test_unknown_or_no_extended_key_usages_are_refused(
    ca: EmbeddedCa, usages: tuple[str, ...]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    request = IssueRequest(
        csr_der=make_csr(key, ["eku.example.com"]),
        dns_names=("eku.example.com",),
        not_before=NOW,
        not_after=NOW + timedelta(days=1),
        extended_key_usages=usages,
    )
    with pytest.raises(DomainError) as excinfo:
        ca.issue(request)
    assert excinfo.value.kind is ErrorKind.SERVER_INTERNAL


def test_a_certificate_for_ip_addresses_alone_has_no_common_name(ca: EmbeddedCa) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    now = datetime.now(UTC)
    issued = ca.issue(
        IssueRequest(
            csr_der=csr,
            dns_names=(),
            ip_addresses=("192.0.2.1", "2001:db8::1"),
            not_before=now,
            not_after=now + timedelta(days=7),
        )
    )
    leaf = x509.load_pem_x509_certificate(issued.cert_pem.encode())
    # RFC 5280 §4.2.1.6: an empty subject, so the subjectAltName is critical.
    assert leaf.subject == x509.Name([])
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.0.2.1"),
        ipaddress.ip_address("2001:db8::1"),
    ]
