"""Ports of the CA: backends that issue, revoke and sign CRLs, and the provisioner of embedded
Authorities' keys, with the requests and results they exchange."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from acmehub.domain.model import Authority


@dataclass(frozen=True)
class IssueRequest:
    csr_der: bytes
    dns_names: tuple[str, ...]  # exactly the order's names, in order; first becomes the CN
    not_before: datetime
    not_after: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    #: Extended key usages for the certificate (RFC 5280 §4.2.1.12), by name: "serverAuth",
    #: "clientAuth" (the RA profile's issuance policy). Backends that cannot choose ignore it.
    extended_key_usages: tuple[str, ...] = ("serverAuth",)
    #: The certificate profile's choices (domain/certificate_profiles.py): a CRL distribution
    #: point (RFC 5280 §4.2.1.13) and a subject CN (the first name) in the certificate, and
    #: the profile's name for backends that map it to a template of their own.
    crl_distribution_point: bool = True
    common_name: bool = True
    profile: str | None = None
    #: The order's IP identifiers (RFC 8738), canonical text: iPAddress SANs (RFC 5280 §4.2.1.6).
    ip_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedCertificate:
    serial_hex: str
    cert_pem: str
    chain_pem: str  # issuers, leaf excluded, nearest first
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class RevokeRequest:
    serial_hex: str
    reason: int
    revoked_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RevokedEntry:
    serial_hex: str
    revoked_at: datetime
    reason: int


class CaBackend(Protocol):
    """The three-method core contract of a CA backend."""

    def issue(self, request: IssueRequest) -> IssuedCertificate: ...

    def revoke(self, request: RevokeRequest) -> None: ...

    def chain_pem(self) -> str:
        """The issuing CA's chain (intermediate first, root last), PEM."""
        ...


@runtime_checkable
class CrlCapability(Protocol):
    """Optional capability: the backend signs CRLs (RFC 5280 §5)."""

    def sign_crl(
        self,
        revoked: Sequence[RevokedEntry],
        this_update: datetime,
        next_update: datetime,
        number: int,
    ) -> bytes:
        """DER-encoded CRL."""
        ...


@runtime_checkable
class AlternateChainsCapability(Protocol):
    """Optional capability: other chains for the backend's certificates (RFC 8555 §7.4.2),
    e.g. through a cross-signed twin of the issuing CA during a root rollover."""

    def alternate_chains_pem(self, chain_pem: str) -> tuple[str, ...]:
        """For a certificate served with ``chain_pem`` (its issuers, leaf excluded), the other
        chains that certify the same leaf, each in the same form; () when there are none."""
        ...


class CaBackends(Protocol):
    """Looks up the backend that serves an Authority (registry by type name)."""

    def for_authority(self, authority: Authority) -> CaBackend: ...


@dataclass(frozen=True)
class ProvisionedCa:
    """A new embedded Authority's configuration and its secrets (sealed keys)."""

    config: dict[str, Any]
    key_material: dict[str, Any] = field(default_factory=dict, repr=False)


class CaProvisioner(Protocol):
    """Creates or imports the keys and certificates of an embedded Authority."""

    def create(self, authority_uuid: str, name: str, key_type: str) -> ProvisionedCa:
        """Generate a root and an intermediate for the Authority ``authority_uuid``."""
        ...

    def cross_sign(
        self, authority_uuid: str, config: dict[str, Any], key_material: dict[str, Any]
    ) -> ProvisionedCa:
        """The Authority with one more alternate chain: its issuing CA cross-signed by a new
        root (RFC 8555 §7.4.2)."""
        ...

    def import_ca(
        self,
        authority_uuid: str,
        name: str,
        cert_pem: str,
        key_pem: str,
        chain_pem: str,
        passphrase: bytes | None,
    ) -> ProvisionedCa:
        """Bring an existing CA certificate and key."""
        ...
