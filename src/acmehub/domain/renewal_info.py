"""ACME Renewal Information (RFC 9773): certificate identifiers and suggested renewal windows.

Pure functions: the protocol edge parses a certID with :func:`parse_cert_id`, the services
compute a certificate's window with :func:`suggested_window` and the identifier of a stored
certificate with :func:`cert_id_of`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

from acmehub.domain.errors import DomainError, ErrorKind
from acmehub.domain.model import Certificate

#: base64url without padding (RFC 9773 §4.1: trailing "=" MUST be stripped).
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
#: A window moved by an administrator, or a revoked certificate's, ends when that happened and
#: starts this much earlier (Boulder answers "renew now" with a window an hour in the past).
PAST_WINDOW = timedelta(hours=1)
#: RFC 9773 §4.3.1: Boulder (Let's Encrypt) asks clients to come back after six hours.
DEFAULT_RETRY_AFTER = 6 * 3600


@dataclass(frozen=True)
class CertId:
    """A parsed certID (RFC 9773 §4.1): the AKI keyIdentifier and the serial number."""

    key_identifier: bytes
    serial: int

    @property
    def serial_hex(self) -> str:
        """The serial as storage keys it: lower-case hex without leading zeros."""
        return format(self.serial, "x")

    def encode(self) -> str:
        return _b64(self.key_identifier) + "." + _b64(_serial_bytes(self.serial))


@dataclass(frozen=True)
class RenewalWindow:
    """A RenewalInfo object (RFC 9773 §4.2): ``end`` is always later than ``start``."""

    start: datetime
    end: datetime
    explanation_url: str | None = None
    #: Why: "default" (the last third of the lifetime), "moved" (an administrator), "revoked".
    reason: str = "default"


@dataclass(frozen=True)
class RenewalScope:
    """Which certificates a mass-renewal moves: exactly one of the fields is set."""

    certificate_id: str | None = None
    account_id: str | None = None
    ra_profile_uuid: str | None = None
    authority_uuid: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _serial_bytes(serial: int) -> bytes:
    """The content octets of the DER INTEGER (X.690 §8.3): minimal, with a leading zero octet
    when the top bit is set so that the number stays positive."""
    return serial.to_bytes(serial.bit_length() // 8 + 1, "big")


def _unb64(part: str, what: str) -> bytes:
    if not _B64URL.fullmatch(part):
        raise _malformed(f"the certID's {what} is not base64url without padding")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _malformed(f"the certID's {what} is not valid base64url") from None


def _malformed(detail: str) -> DomainError:
    return DomainError(ErrorKind.MALFORMED, f"{detail} (RFC 9773 §4.1)")


def parse_cert_id(text: str) -> CertId:
    """``base64url(AKI keyIdentifier) "." base64url(serial DER content)``; malformed otherwise."""
    if len(text) > 512:
        raise _malformed("the certID is too long")
    parts = text.split(".")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise _malformed("a certID is two base64url parts joined by one '.'")
    key_id = _unb64(parts[0], "key identifier")
    raw = _unb64(parts[1], "serial number")
    if raw[0] & 0x80:
        raise _malformed("the certID's serial number is negative")
    if len(raw) > 1 and raw[0] == 0 and not raw[1] & 0x80:
        raise _malformed("the certID's serial number is not in minimal DER form")
    serial = int.from_bytes(raw, "big")
    if serial == 0 or len(raw) > 21:  # RFC 5280 §4.1.2.2: positive, at most 20 octets
        raise _malformed("the certID's serial number is not a certificate serial")
    return CertId(key_id, serial)


def cert_id_of(cert: Certificate) -> str:
    """The certID of a stored certificate (its AKI keyIdentifier and serial)."""
    leaf = x509.load_pem_x509_certificate(cert.pem.encode())
    try:
        aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        aki = None
    key_id = aki.key_identifier if aki is not None and aki.key_identifier else b""
    return CertId(key_id, leaf.serial_number).encode()


def spread(serial_hex: str) -> float:
    """A number in [0, 1) fixed per certificate: where its window sits, so that a fleet issued
    in one minute does not renew in one minute."""
    digest = hashlib.sha256(serial_hex.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def default_window(cert: Certificate) -> RenewalWindow:
    """The last third of the lifetime: a window a twelfth of the lifetime wide (7.5 days of a
    90-day certificate) starting between 2/3 and 3/4 of it, at a point fixed per certificate
    (Let's Encrypt suggests renewing at about 2/3 of the lifetime)."""
    life = cert.not_after - cert.not_before
    width = max(life / 12, timedelta(seconds=2))
    start = cert.not_before + life * 2 / 3 + (life / 12) * spread(cert.serial_hex)
    start = start.replace(microsecond=0)
    return RenewalWindow(start, start + _seconds(width))


def _seconds(span: timedelta) -> timedelta:
    return timedelta(seconds=max(1, int(span.total_seconds())))


def suggested_window(cert: Certificate) -> RenewalWindow:
    """RFC 9773 §4.2: a revoked certificate's window and one an administrator moved lie in the
    past (a client renews at once); every other certificate gets :func:`default_window`."""
    if cert.revoked_at is not None:
        end = cert.revoked_at.replace(microsecond=0)
        return RenewalWindow(end - PAST_WINDOW, end, cert.renewal_explanation_url, "revoked")
    if cert.renewal_moved_at is not None:
        end = cert.renewal_moved_at.replace(microsecond=0)
        return RenewalWindow(end - PAST_WINDOW, end, cert.renewal_explanation_url, "moved")
    return default_window(cert)
