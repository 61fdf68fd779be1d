"""CSR and certificate-key policy (RFC 8555 §7.4 finalize), as pure functions.

The finalize use case runs, in this order::

    info = parse_csr(der)                     # badCSR: undecodable, bad signature, odd SANs
    check_csr_key(info.public_key)            # badCSR: weak or unsupported key
    check_csr_names(info, order_names)        # badCSR: names differ from the order's
    check_not_account_key(info, account_spki) # badCSR: certificate key == account key

or all four at once through :func:`check_finalize_csr`. Only pyca/cryptography is used.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.key_policy import check_certificate_key
from acmehub.domain.key_policy import spki_sha256_hex as spki_sha256_hex  # re-exported

#: Signature hashes we refuse on CSRs (collision-prone).
_WEAK_HASHES: frozenset[str] = frozenset({"md5", "sha1"})
#: RFC 5280 §4.1.2.2: a serial number is a positive integer of at most 20 octets.
_MAX_SERIAL_HEX_DIGITS = 40


@dataclass(frozen=True)
class CsrInfo:
    """What acmehub needs from a CSR once it has been decoded and its signature checked."""

    #: Lower-cased DNS names from the SAN dNSName entries and the subject commonName(s).
    dns_names: frozenset[str]
    #: IP addresses (SAN iPAddress entries, or an IP literal as commonName), compressed text form.
    ip_addresses: frozenset[str]
    public_key: CertificatePublicKeyTypes
    #: SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex (see :func:`spki_sha256_hex`).
    spki_sha256_hex: str


def serial_to_hex(serial: int) -> str:
    """The canonical text form of a certificate serial number: lower-case hex, no leading zeros.

    Used for ``Certificate.serial_hex`` and ``RevokeRequest.serial_hex`` so that lookups by
    serial agree across the CA, storage and revocation (RFC 8555 §7.6 sends the certificate).
    """
    if serial <= 0:
        raise DomainError(ErrorKind.MALFORMED, "certificate serial numbers are positive")
    return format(serial, "x")


def parse_serial_hex(serial_hex: str) -> int:
    """The serial number written by :func:`serial_to_hex`; refuses any other spelling.

    RFC 5280 §4.1.2.2: positive, at most 20 octets.
    """
    valid = (
        0 < len(serial_hex) <= _MAX_SERIAL_HEX_DIGITS
        and all(c in "0123456789abcdef" for c in serial_hex)
        and not serial_hex.startswith("0")
    )
    if not valid:
        raise DomainError(
            ErrorKind.MALFORMED,
            f"{serial_hex!r} is not a certificate serial number "
            "(expected lower-case hex without leading zeros, at most 20 octets)",
        )
    return int(serial_hex, 16)


@functools.lru_cache(maxsize=256)
def parse_csr(der: bytes) -> CsrInfo:
    """Decode a PKCS#10 CSR (RFC 2986) and check its self-signature.

    Raises ``badCSR`` when the DER does not decode, the key cannot be loaded (e.g. an EC point
    that is not on its curve), the signature does not verify or uses a weak hash, or the
    subjectAltName holds anything but dNSName and iPAddress entries.

    The result depends on the bytes alone and is immutable, so the last few are remembered:
    finalize decodes a CSR before its write transaction, and the RA's checks and the CA
    backend's then reuse that work instead of verifying the same signature twice more.
    (A refused CSR is not remembered: its error is raised again each time.)
    """
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError as exc:
        raise DomainError(
            ErrorKind.BAD_CSR, "CSR is not a valid DER-encoded PKCS#10 request"
        ) from exc
    except x509.InvalidVersion as exc:  # not a ValueError; found by fuzz/csr.py
        raise DomainError(
            ErrorKind.BAD_CSR, f"CSR version {exc.parsed_version} is not 0 (v1, RFC 2986 §4.1)"
        ) from exc
    try:
        public_key = csr.public_key()
    except UnsupportedAlgorithm as exc:
        raise DomainError(ErrorKind.BAD_CSR, "CSR public key algorithm is not supported") from exc
    except ValueError as exc:
        raise DomainError(ErrorKind.BAD_CSR, "CSR public key is invalid") from exc
    _check_signature(csr)
    dns_names, ips = _names(csr)
    return CsrInfo(
        dns_names=frozenset(dns_names),
        ip_addresses=frozenset(ips),
        public_key=public_key,
        spki_sha256_hex=spki_sha256_hex(public_key),
    )


def _check_signature(csr: x509.CertificateSigningRequest) -> None:
    try:
        algorithm = csr.signature_hash_algorithm
        valid = csr.is_signature_valid
    except (UnsupportedAlgorithm, ValueError) as exc:
        raise DomainError(ErrorKind.BAD_CSR, "CSR signature algorithm is not supported") from exc
    if algorithm is not None and algorithm.name in _WEAK_HASHES:
        raise DomainError(
            ErrorKind.BAD_CSR, f"CSR signature hash {algorithm.name.upper()} is not accepted"
        )
    if not valid:
        raise DomainError(ErrorKind.BAD_CSR, "CSR signature is invalid")


def _names(csr: x509.CertificateSigningRequest) -> tuple[set[str], set[str]]:
    dns_names: set[str] = set()
    ips: set[str] = set()
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    except (ValueError, x509.DuplicateExtension, UnsupportedAlgorithm) as exc:
        raise DomainError(ErrorKind.BAD_CSR, "CSR extensions cannot be decoded") from exc
    for general_name in san or ():
        if isinstance(general_name, x509.DNSName):
            dns_names.add(general_name.value.lower())
        elif isinstance(general_name, x509.IPAddress) and not isinstance(
            general_name.value, ipaddress.IPv4Network | ipaddress.IPv6Network
        ):
            ips.add(general_name.value.compressed)
        else:
            raise DomainError(
                ErrorKind.BAD_CSR,
                f"CSR subjectAltName holds an unsupported name type "
                f"({type(general_name).__name__}); only DNS names and IP addresses are accepted",
            )
    # A commonName, when present, names one of the identifiers too (RFC 8555 §7.4 lets
    # clients put a name there; it must then be one of the order's names).
    try:
        common_names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError as exc:
        raise DomainError(ErrorKind.BAD_CSR, "CSR subject cannot be decoded") from exc
    for attribute in common_names:
        value = attribute.value
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        try:
            ips.add(ipaddress.ip_address(text).compressed)
        except ValueError:
            dns_names.add(text.lower())
    return dns_names, ips


def check_csr_key(public_key: CertificatePublicKeyTypes) -> None:
    """Refuse a key unfit for a certificate with ``badCSR`` (RFC 8555 §7.4), by the one key
    policy of :mod:`acmehub.domain.key_policy` (RSA 2048-4096 bits with exponent 65537 and no
    known weakness, ECDSA P-256 or P-384)."""
    check_certificate_key(public_key)


def check_csr_names(
    csr: CsrInfo, order_names: Iterable[str], order_ips: Iterable[str] = ()
) -> None:
    """The CSR must request exactly the order's identifiers (RFC 8555 §7.4), case-insensitively.

    ``order_names`` are the order's DNS identifier values (wildcards keep their "*.");
    ``order_ips`` its IP identifiers, if any. Raises ``badCSR`` naming the difference.
    """
    wanted_dns = {name.lower() for name in order_names}
    wanted_ips = {_canonical_ip(ip) for ip in order_ips}
    missing = sorted(wanted_dns - csr.dns_names) + sorted(wanted_ips - csr.ip_addresses)
    extra = sorted(csr.dns_names - wanted_dns) + sorted(csr.ip_addresses - wanted_ips)
    if not missing and not extra:
        return
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("extra " + ", ".join(extra))
    raise DomainError(ErrorKind.BAD_CSR, "CSR names do not match the order: " + "; ".join(parts))


def _canonical_ip(text: str) -> str:
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text.lower()


def check_not_account_key(csr: CsrInfo, account_spki_sha256_hex: str) -> None:
    """The certificate key must differ from the ACME account key (RFC 8555 §11.1).

    ``account_spki_sha256_hex`` is :func:`spki_sha256_hex` of the account's public key.
    """
    if csr.spki_sha256_hex == account_spki_sha256_hex.lower():
        raise DomainError(
            ErrorKind.BAD_CSR, "certificate public key must be different than account key"
        )


def check_finalize_csr(
    der: bytes,
    *,
    order_names: Iterable[str],
    account_spki_sha256_hex: str,
    order_ips: Iterable[str] = (),
) -> CsrInfo:
    """Every finalize check (RFC 8555 §7.4) in order; returns the decoded CSR."""
    info = parse_csr(der)
    check_csr_key(info.public_key)
    check_csr_names(info, order_names, order_ips)
    check_not_account_key(info, account_spki_sha256_hex)
    return info
