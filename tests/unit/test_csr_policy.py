"""CSR and key policy for finalize (RFC 8555 §7.4): what a client sees for each CSR it sends."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from acmehub.domain.csr import (
    check_csr_key,
    check_csr_names,
    check_finalize_csr,
    check_not_account_key,
    parse_csr,
    parse_serial_hex,
    serial_to_hex,
    spki_sha256_hex,
)
from acmehub.domain.errors import DomainError, ErrorKind

DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def rsa2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_csr(
    key: CertificateIssuerPrivateKeyTypes,
    names: list[str],
    *,
    cn: str | None = None,
    extra_san: list[x509.GeneralName] | None = None,
) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    general_names: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    general_names += extra_san or []
    if general_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(DER)


def error_of(excinfo: pytest.ExceptionInfo[DomainError]) -> tuple[ErrorKind, str]:
    return excinfo.value.kind, excinfo.value.detail


# --------------------------------------------------------------------------- parse_csr


def test_parse_collects_san_and_common_name_lower_cased(p256: ec.EllipticCurvePrivateKey) -> None:
    der = make_csr(
        p256,
        ["A.Example.com", "*.b.example.com"],
        cn="C.EXAMPLE.COM",
        extra_san=[x509.IPAddress(ipaddress.ip_address("2001:db8:0::1"))],
    )
    info = parse_csr(der)
    assert info.dns_names == {"a.example.com", "*.b.example.com", "c.example.com"}
    assert info.ip_addresses == {"2001:db8::1"}


def test_parse_spki_hash_is_sha256_of_the_subject_public_key_info(
    p256: ec.EllipticCurvePrivateKey,
) -> None:
    info = parse_csr(make_csr(p256, ["a.example.com"]))
    spki = p256.public_key().public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert info.spki_sha256_hex == hashlib.sha256(spki).hexdigest()
    assert spki_sha256_hex(p256.public_key()) == info.spki_sha256_hex


@pytest.mark.parametrize("der", [b"", b"garbage", b"\x30\x03\x02\x01\x00"])
def test_undecodable_der_is_bad_csr(der: bytes) -> None:
    with pytest.raises(DomainError) as excinfo:
        parse_csr(der)
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "not a valid DER-encoded PKCS#10" in excinfo.value.detail


def test_truncated_csr_is_bad_csr(p256: ec.EllipticCurvePrivateKey) -> None:
    der = make_csr(p256, ["a.example.com"])
    with pytest.raises(DomainError) as excinfo:
        parse_csr(der[:-10])
    assert excinfo.value.kind is ErrorKind.BAD_CSR


def test_tampered_signature_is_bad_csr(rsa2048: rsa.RSAPrivateKey) -> None:
    der = bytearray(make_csr(rsa2048, ["a.example.com"]))
    der[-1] ^= 0x01  # last byte of the RSA signature
    with pytest.raises(DomainError) as excinfo:
        parse_csr(bytes(der))
    assert error_of(excinfo) == (ErrorKind.BAD_CSR, "CSR signature is invalid")


def test_csr_signed_by_another_key_is_bad_csr(rsa2048: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mine = x509.load_der_x509_csr(make_csr(rsa2048, ["a.example.com"]))
    theirs = x509.load_der_x509_csr(make_csr(other, ["a.example.com"]))
    # The request body names rsa2048's key; the signature (same length) is the other key's.
    forged = mine.public_bytes(DER).replace(mine.signature, theirs.signature)
    with pytest.raises(DomainError) as excinfo:
        parse_csr(forged)
    assert error_of(excinfo) == (ErrorKind.BAD_CSR, "CSR signature is invalid")


def test_sha1_signature_is_bad_csr(rsa2048: rsa.RSAPrivateKey) -> None:
    der = make_csr(rsa2048, ["a.example.com"])
    sha256_rsa = bytes.fromhex("06092a864886f70d01010b")  # sha256WithRSAEncryption
    sha1_rsa = bytes.fromhex("06092a864886f70d010105")  # sha1WithRSAEncryption
    assert der.count(sha256_rsa) == 1
    with pytest.raises(DomainError) as excinfo:
        parse_csr(der.replace(sha256_rsa, sha1_rsa))
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "SHA1" in excinfo.value.detail


def test_invalid_ec_point_is_bad_csr_not_a_crash(p256: ec.EllipticCurvePrivateKey) -> None:
    der = make_csr(p256, ["a.example.com"])
    point = p256.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    off_curve = point[:-1] + bytes([point[-1] ^ 0x01])
    with pytest.raises(DomainError) as excinfo:
        parse_csr(der.replace(point, off_curve))
    assert excinfo.value.kind is ErrorKind.BAD_CSR


@pytest.mark.parametrize(
    "general_name",
    [
        x509.RFC822Name("admin@example.com"),
        x509.UniformResourceIdentifier("https://example.com/"),
    ],
)
def test_unsupported_san_types_are_bad_csr(
    p256: ec.EllipticCurvePrivateKey, general_name: x509.GeneralName
) -> None:
    der = make_csr(p256, ["a.example.com"], extra_san=[general_name])
    with pytest.raises(DomainError) as excinfo:
        parse_csr(der)
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "unsupported name type" in excinfo.value.detail


# --------------------------------------------------------------------------- check_csr_key


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()])
def test_p256_and_p384_keys_are_accepted(curve: ec.EllipticCurve) -> None:
    check_csr_key(ec.generate_private_key(curve).public_key())


def test_rsa_2048_is_accepted(rsa2048: rsa.RSAPrivateKey) -> None:
    check_csr_key(rsa2048.public_key())


def test_rsa_1024_is_bad_csr() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    info = parse_csr(make_csr(key, ["a.example.com"]))
    with pytest.raises(DomainError) as excinfo:
        check_csr_key(info.public_key)
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "1024 bits" in excinfo.value.detail


def test_rsa_above_4096_bits_is_bad_csr() -> None:
    modulus = (1 << 4104) | 0xFFFF  # only the size matters here
    key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    with pytest.raises(DomainError) as excinfo:
        check_csr_key(key)
    assert excinfo.value.kind is ErrorKind.BAD_CSR


def test_rsa_exponent_above_range_is_bad_csr(rsa2048: rsa.RSAPrivateKey) -> None:
    n = rsa2048.public_key().public_numbers().n
    key = rsa.RSAPublicNumbers(2**256 + 1, n).public_key()
    with pytest.raises(DomainError) as excinfo:
        check_csr_key(key)
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "exponent" in excinfo.value.detail


@pytest.mark.parametrize("factor", [2, 3, 751])
def test_rsa_modulus_with_small_factor_is_bad_csr(rsa2048: rsa.RSAPrivateKey, factor: int) -> None:
    n = rsa2048.public_key().public_numbers().n
    key = rsa.RSAPublicNumbers(65537, n * factor).public_key()
    with pytest.raises(DomainError) as excinfo:
        check_csr_key(key)
    assert excinfo.value.kind is ErrorKind.BAD_CSR


@pytest.mark.parametrize("curve", [ec.SECP521R1(), ec.SECP256K1()])
def test_other_curves_are_bad_public_key(curve: ec.EllipticCurve) -> None:
    info = parse_csr(make_csr(ec.generate_private_key(curve), ["a.example.com"]))
    with pytest.raises(DomainError) as excinfo:
        check_csr_key(info.public_key)
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "only P-256 and P-384 are accepted" in excinfo.value.detail


def test_ed25519_is_bad_csr() -> None:
    info = parse_csr(make_csr(ed25519.Ed25519PrivateKey.generate(), ["a.example.com"]))
    with pytest.raises(DomainError) as excinfo:
        check_csr_key(info.public_key)
    assert excinfo.value.kind is ErrorKind.BAD_CSR
    assert "EdDSA" in excinfo.value.detail


# --------------------------------------------------------------------------- check_csr_names


def test_names_match_case_insensitively(p256: ec.EllipticCurvePrivateKey) -> None:
    info = parse_csr(make_csr(p256, ["A.example.com", "*.B.example.com"], cn="a.example.com"))
    check_csr_names(info, ["a.example.COM", "*.b.example.com"])


def test_mismatched_names_are_bad_csr_naming_the_difference(
    p256: ec.EllipticCurvePrivateKey,
) -> None:
    info = parse_csr(make_csr(p256, ["a.example.com", "c.example.com"]))
    with pytest.raises(DomainError) as excinfo:
        check_csr_names(info, ["a.example.com", "b.example.com"])
    assert error_of(excinfo) == (
        ErrorKind.BAD_CSR,
        "CSR names do not match the order: missing b.example.com; extra c.example.com",
    )


def test_common_name_outside_the_order_is_an_extra_name(p256: ec.EllipticCurvePrivateKey) -> None:
    info = parse_csr(make_csr(p256, ["a.example.com"], cn="evil.example.net"))
    with pytest.raises(DomainError) as excinfo:
        check_csr_names(info, ["a.example.com"])
    assert error_of(excinfo) == (
        ErrorKind.BAD_CSR,
        "CSR names do not match the order: extra evil.example.net",
    )


def test_csr_without_names_misses_every_order_name(p256: ec.EllipticCurvePrivateKey) -> None:
    info = parse_csr(make_csr(p256, []))
    with pytest.raises(DomainError) as excinfo:
        check_csr_names(info, ["b.example.com", "a.example.com"])
    assert excinfo.value.detail == (
        "CSR names do not match the order: missing a.example.com, b.example.com"
    )


def test_ip_addresses_must_match_the_order_too(p256: ec.EllipticCurvePrivateKey) -> None:
    ip = x509.IPAddress(ipaddress.ip_address("192.0.2.7"))
    info = parse_csr(make_csr(p256, ["a.example.com"], extra_san=[ip]))
    with pytest.raises(DomainError) as excinfo:
        check_csr_names(info, ["a.example.com"])
    assert excinfo.value.detail == "CSR names do not match the order: extra 192.0.2.7"
    check_csr_names(info, ["a.example.com"], order_ips=["192.0.2.7"])


# --------------------------------------------------------------------------- account key


def test_account_key_as_certificate_key_is_bad_csr(p256: ec.EllipticCurvePrivateKey) -> None:
    info = parse_csr(make_csr(p256, ["a.example.com"]))
    with pytest.raises(DomainError) as excinfo:
        check_not_account_key(info, spki_sha256_hex(p256.public_key()))
    assert error_of(excinfo) == (
        ErrorKind.BAD_CSR,
        "certificate public key must be different than account key",
    )


def test_other_account_key_is_fine(p256: ec.EllipticCurvePrivateKey) -> None:
    info = parse_csr(make_csr(p256, ["a.example.com"]))
    account = ec.generate_private_key(ec.SECP256R1())
    check_not_account_key(info, spki_sha256_hex(account.public_key()))


# --------------------------------------------------------------------------- all together


def test_check_finalize_csr_returns_the_csr_info(p256: ec.EllipticCurvePrivateKey) -> None:
    account = ec.generate_private_key(ec.SECP256R1())
    info = check_finalize_csr(
        make_csr(p256, ["a.example.com"]),
        order_names=["a.example.com"],
        account_spki_sha256_hex=spki_sha256_hex(account.public_key()),
    )
    assert info.dns_names == {"a.example.com"}


def test_check_finalize_csr_reports_a_weak_key_before_names() -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    with pytest.raises(DomainError) as excinfo:
        check_finalize_csr(
            make_csr(key, ["z.example.com"]),
            order_names=["a.example.com"],
            account_spki_sha256_hex="00",
        )
    assert excinfo.value.kind is ErrorKind.BAD_CSR


# --------------------------------------------------------------------------- serial numbers


@pytest.mark.parametrize("serial", [1, 0xABCDEF, x509.random_serial_number(), 2**159 - 1])
def test_serial_hex_round_trips(serial: int) -> None:
    text = serial_to_hex(serial)
    assert text == text.lower()
    assert not text.startswith("0")
    assert parse_serial_hex(text) == serial


@pytest.mark.parametrize("text", ["", "0", "00ab", "ABCD", "ab:cd", "xyz", "1" * 41])
def test_malformed_serial_hex_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        parse_serial_hex(text)
    assert excinfo.value.kind is ErrorKind.MALFORMED
