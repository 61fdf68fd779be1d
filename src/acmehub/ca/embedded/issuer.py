"""The issuing CA's signing core: the end-entity certificate template and the CRL template.

Everything the embedded CA signs for relying parties goes through :class:`Issuer`.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from acmehub.ca.embedded.keys import CaPrivateKey, key_matches_certificate, signature_hash
from acmehub.domain.csr import parse_serial_hex
from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.ports import RevokedEntry

#: RFC 5280 Appendix A: ub-common-name.
MAX_COMMON_NAME_LENGTH = 64

#: RFC 5280 §5.3.1 CRLReason codes (7 is not used).
REASON_FLAGS: dict[int, x509.ReasonFlags] = {
    0: x509.ReasonFlags.unspecified,
    1: x509.ReasonFlags.key_compromise,
    2: x509.ReasonFlags.ca_compromise,
    3: x509.ReasonFlags.affiliation_changed,
    4: x509.ReasonFlags.superseded,
    5: x509.ReasonFlags.cessation_of_operation,
    6: x509.ReasonFlags.certificate_hold,
    8: x509.ReasonFlags.remove_from_crl,
    9: x509.ReasonFlags.privilege_withdrawn,
    10: x509.ReasonFlags.aa_compromise,
}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def reason_flag(reason: int) -> x509.ReasonFlags:
    """The RFC 5280 §5.3.1 reason for a code; badRevocationReason for unknown codes."""
    try:
        return REASON_FLAGS[reason]
    except KeyError:
        raise DomainError(
            ErrorKind.BAD_REVOCATION_REASON,
            f"revocation reason {reason} is not an RFC 5280 §5.3.1 reason code",
        ) from None


def require_aware(*moments: datetime) -> None:
    """Times crossing into the CA must be timezone-aware (UTC by convention)."""
    if any(moment.tzinfo is None or moment.utcoffset() is None for moment in moments):
        raise DomainError(ErrorKind.SERVER_INTERNAL, "CA times must be timezone-aware")


@dataclass(frozen=True)
class Issuer:
    """An issuing CA certificate with its private key (loaded once) and its own chain."""

    certificate: x509.Certificate
    key: CaPrivateKey
    #: Issuers of ``certificate``, nearest first, possibly ending with the root.
    chain: tuple[x509.Certificate, ...]

    def __post_init__(self) -> None:
        if not key_matches_certificate(self.key, self.certificate):
            raise DomainError(
                ErrorKind.SERVER_INTERNAL,
                "the CA private key does not match the issuing CA certificate",
            )

    # What every signature needs from the CA certificate is read from it once (cryptography
    # decodes a certificate's fields anew on each access).

    @functools.cached_property
    def hash_algorithm(self) -> hashes.SHA256 | hashes.SHA384:
        return signature_hash(self.key)

    @functools.cached_property
    def subject(self) -> x509.Name:
        return self.certificate.subject

    @functools.cached_property
    def not_valid_after(self) -> datetime:
        return self.certificate.not_valid_after_utc

    @functools.cached_property
    def authority_key_identifier(self) -> x509.AuthorityKeyIdentifier:
        """AKI for what this CA signs (RFC 5280 §4.2.1.1): its SKI when it has one."""
        try:
            ski = self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        except x509.ExtensionNotFound:
            return x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)

    def chain_pem(self) -> str:
        """The issuing CA certificate then its issuers, PEM (RFC 8555 §7.4.2 order)."""
        return "".join(
            cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
            for cert in (self.certificate, *self.chain)
        )

    def sign_leaf(
        self,
        *,
        public_key: CertificatePublicKeyTypes,
        dns_names: Sequence[str],
        ip_addresses: Sequence[IpAddress] = (),
        not_before: datetime,
        not_after: datetime,
        crl_url: str | None,
        extended_key_usages: Sequence[str] = ("serverAuth",),
        common_name: bool = True,
    ) -> x509.Certificate:
        """A TLS certificate for exactly these names, with these extended key usages.

        Validity ends no later than the issuing CA certificate does (a leaf never outlives its
        issuer); callers read the effective validity from the returned certificate.
        """
        require_aware(not_before, not_after)
        not_after = min(not_after, self.not_valid_after)
        if not_before >= not_after:
            raise DomainError(
                ErrorKind.SERVER_INTERNAL,
                "cannot issue: the requested validity is empty or the issuing CA certificate "
                f"expires before it (CA valid until {self.not_valid_after})",
            )
        names = list(dict.fromkeys(dns_names))
        ips = list(dict.fromkeys(ip_addresses))
        if not names and not ips:
            raise DomainError(ErrorKind.SERVER_INTERNAL, "cannot issue a certificate without names")
        san: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
        san += [x509.IPAddress(ip) for ip in ips]
        # RFC 5280 §4.1.2.6 / §4.2.1.6: the CN is the first DNS name when it fits
        # (ub-common-name = 64) and the certificate profile wants one; otherwise the subject
        # is empty and the SAN must be critical. A certificate for IP addresses alone has no
        # CN, as Let's Encrypt issues them (a CN holding an address reads as a DNS name to
        # clients such as certbot).
        first = names[0] if names else ""
        if common_name and first and len(first) <= MAX_COMMON_NAME_LENGTH:
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)])
        else:
            subject = x509.Name([])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.subject)
            .public_key(public_key)
            # RFC 5280 §4.1.2.2 and CA/B BR §7.1: positive, unpredictable, >= 64 bits of
            # entropy; random_serial_number() draws 159 random bits.
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(san), critical=not subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_leaf_key_usage(public_key), critical=True)
            .add_extension(_extended_key_usage(extended_key_usages), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(self.authority_key_identifier, critical=False)
        )
        if crl_url is not None:
            # RFC 5280 §4.2.1.13.
            builder = builder.add_extension(_distribution_points(crl_url), critical=False)
        return builder.sign(self.key, self.hash_algorithm)

    def sign_crl(
        self,
        revoked: Sequence[RevokedEntry],
        *,
        this_update: datetime,
        next_update: datetime,
        number: int,
        crl_url: str | None,
    ) -> x509.CertificateRevocationList:
        """A complete CRL (RFC 5280 §5) of the certificates this CA issued and revoked."""
        require_aware(this_update, next_update)
        if next_update <= this_update:
            raise DomainError(ErrorKind.SERVER_INTERNAL, "CRL nextUpdate must follow thisUpdate")
        # RFC 5280 §5.2.3: a non-negative integer of at most 20 octets.
        if not 0 <= number < 2**159:
            raise DomainError(ErrorKind.SERVER_INTERNAL, f"CRL number {number} is out of range")
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.subject)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(number), critical=False)  # RFC 5280 §5.2.3
            .add_extension(self.authority_key_identifier, critical=False)  # RFC 5280 §5.2.1
        )
        if crl_url is not None:
            # RFC 5280 §5.2.5: this CRL covers the end-entity certificates whose CRL
            # distribution point names this URL; the extension is critical.
            builder = builder.add_extension(
                x509.IssuingDistributionPoint(
                    full_name=[x509.UniformResourceIdentifier(crl_url)],
                    relative_name=None,
                    only_contains_user_certs=True,
                    only_contains_ca_certs=False,
                    only_some_reasons=None,
                    indirect_crl=False,
                    only_contains_attribute_certs=False,
                ),
                critical=True,
            )
        for entry in revoked:
            require_aware(entry.revoked_at)
            reason = reason_flag(entry.reason)
            item = (
                x509.RevokedCertificateBuilder()
                .serial_number(parse_serial_hex(entry.serial_hex))
                .revocation_date(entry.revoked_at)
            )
            # RFC 5280 §5.3.1: reasonCode is non-critical, and "unspecified" (0) SHOULD be
            # expressed by omitting the extension.
            if reason is not x509.ReasonFlags.unspecified:
                item = item.add_extension(x509.CRLReason(reason), critical=False)
            builder = builder.add_revoked_certificate(item.build())
        return builder.sign(self.key, self.hash_algorithm)


#: Extended key usage names (as RA profile policies spell them) -> OIDs, RFC 5280 §4.2.1.12.
EXTENDED_KEY_USAGE_OIDS: dict[str, x509.ObjectIdentifier] = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
}


def _extended_key_usage(names: Sequence[str]) -> x509.ExtendedKeyUsage:
    unknown = [name for name in names if name not in EXTENDED_KEY_USAGE_OIDS]
    if unknown or not names:
        raise DomainError(
            ErrorKind.SERVER_INTERNAL,
            f"cannot issue with extended key usages {list(names)!r}: the embedded CA knows "
            f"{', '.join(EXTENDED_KEY_USAGE_OIDS)}",
        )
    return x509.ExtendedKeyUsage([EXTENDED_KEY_USAGE_OIDS[name] for name in dict.fromkeys(names)])


def _leaf_key_usage(public_key: CertificatePublicKeyTypes) -> x509.KeyUsage:
    # RFC 5280 §4.2.1.3: digitalSignature for (EC)DHE handshakes; keyEncipherment only makes
    # sense for RSA keys (RSA key transport).
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _distribution_points(crl_url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(crl_url)],
                relative_name=None,
                reasons=None,
                crl_issuer=None,
            )
        ]
    )
