"""Entities of the ACME platform as frozen dataclasses.

Identifiers: ``id`` is the opaque token used in ACME URLs; ``uuid`` fields name management
objects (profiles, authorities). Times are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from acmehub.domain.errors import Problem


class AccountStatus(StrEnum):
    VALID = "valid"
    DEACTIVATED = "deactivated"  # by the client, RFC 8555 §7.3.6
    REVOKED = "revoked"  # by an administrator (or the server), final


class OrderStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    PROCESSING = "processing"
    VALID = "valid"
    INVALID = "invalid"


class AuthzStatus(StrEnum):
    PENDING = "pending"
    VALID = "valid"
    INVALID = "invalid"
    DEACTIVATED = "deactivated"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ChallengeStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    VALID = "valid"
    INVALID = "invalid"


class ValidationNetwork(StrEnum):
    """Where an ACME profile's http-01 and tls-alpn-01 validations may connect (issue 15)."""

    #: Private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) allowed: an
    #: enterprise CA validates hosts of its own network.
    INTERNAL = "internal"
    #: Every special-purpose range refused, as Boulder does for Let's Encrypt.
    PUBLIC = "public"


class ChallengeType(StrEnum):
    HTTP_01 = "http-01"
    DNS_01 = "dns-01"
    TLS_ALPN_01 = "tls-alpn-01"
    DNS_ACCOUNT_01 = "dns-account-01"  # draft-ietf-acme-dns-account-label
    DNS_PERSIST_01 = "dns-persist-01"  # draft-ietf-acme-dns-persist


@dataclass(frozen=True, order=True)
class Identifier:
    """An order identifier (RFC 8555 §7.1.4). ``value`` keeps "*." for wildcards."""

    type: str
    value: str

    @property
    def is_wildcard(self) -> bool:
        return self.type == "dns" and self.value.startswith("*.")

    @property
    def base_name(self) -> str:
        """The name an authorization is for: a wildcard without its "*." (RFC 8555 §7.1.3)."""
        return self.value[2:] if self.is_wildcard else self.value

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True)
class Authority:
    uuid: str
    name: str
    kind: str  # CA backend type name, e.g. "embedded"
    enabled: bool
    config: dict[str, Any] = field(default_factory=dict)
    #: Secrets of the backend (the embedded CA's keys, sealed under the deployment's
    #: key-encryption key); kept apart from ``config`` so that they never travel with it.
    key_material: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class IssuancePolicy:
    """What an RA profile lets through (checked at new-order and finalize).

    Patterns: "example.com" (that name), ".example.com" (any name below it), "*.example.com"
    (that wildcard), "10.0.0.0/8" (IP range, for IP identifiers). Empty ``allowed`` = any name.
    """

    allowed_identifiers: tuple[str, ...] = ()
    denied_identifiers: tuple[str, ...] = ()
    allow_wildcards: bool = True
    max_names: int = 100
    #: Labels per DNS name, a wildcard's "*" not counted (Boulder's limit is 10).
    max_labels: int = 10
    #: "rsa" (with ``min_rsa_bits``), "ec-p256", "ec-p384".
    allowed_key_types: tuple[str, ...] = ("rsa", "ec-p256", "ec-p384")
    min_rsa_bits: int = 2048
    #: Extended key usages put in issued certificates (names: serverAuth, clientAuth).
    extended_key_usages: tuple[str, ...] = ("serverAuth",)
    #: Issuer domain names a CAA record must name to let this RA profile issue (RFC 8659
    #: §4.2). Empty: the ACME profile's ``caa_identities`` (what its directory advertises).
    caa_issuer_domains: tuple[str, ...] = ()
    #: IP identifiers (RFC 8738) are allowed in these networks (CIDR); empty: none at all.
    allowed_ip_networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RaProfile:
    uuid: str
    name: str
    authority_uuid: str
    enabled: bool
    description: str = ""
    #: Certificate validity in seconds: what is issued when the order does not ask, and the cap.
    validity_default: int = 90 * 86400
    validity_max: int = 397 * 86400
    #: The ACME profile activated on this RA profile (RA-profile URL family), if any.
    acme_profile_uuid: str | None = None
    acme_issue_attributes: dict[str, Any] = field(default_factory=dict)
    acme_revoke_attributes: dict[str, Any] = field(default_factory=dict)
    policy: IssuancePolicy = field(default_factory=IssuancePolicy)


@dataclass(frozen=True)
class AcmeProfile:
    uuid: str
    name: str
    enabled: bool
    description: str = ""
    terms_of_service_url: str | None = None
    website_url: str | None = None
    caa_identities: tuple[str, ...] = ()
    dns_resolver_ip: str | None = None
    dns_resolver_port: int | None = None
    retry_interval: int = 30  # seconds, sent as Retry-After
    validity: int = 36000  # order and authorization lifetime, seconds
    terms_of_service_change_disable: bool = False
    terms_of_service_change_url: str | None = None
    #: When the ToS-change flag was last switched on: accounts must agree again after it.
    terms_of_service_changed_at: datetime | None = None
    require_contact: bool = False
    require_terms_of_service: bool = False
    require_external_account_binding: bool = False
    default_ra_profile_uuid: str | None = None
    issue_certificate_attributes: dict[str, Any] = field(default_factory=dict)
    revoke_certificate_attributes: dict[str, Any] = field(default_factory=dict)
    custom_attributes: dict[str, Any] = field(default_factory=dict)
    certificate_associations: dict[str, Any] = field(default_factory=dict)
    #: Which addresses http-01 and tls-alpn-01 may connect to.
    validation_network: ValidationNetwork = ValidationNetwork.INTERNAL
    #: Check CAA records (RFC 8659) before an authorization becomes valid; off only for
    #: internal zones that have no public DNS.
    caa_checking: bool = True
    #: CAA and dns-01 lookups must come back DNSSEC-validated (the resolver's AD bit).
    dnssec_required: bool = False
    #: Newer challenge types offered (domain/dns_challenges.py); off by default.
    offer_dns_account_01: bool = False
    offer_dns_persist_01: bool = False
    #: newAuthz (RFC 8555 §7.4.1), subdomain authorizations (RFC 9444) and how long (seconds)
    #: a valid authorization serves new orders (0: never): domain/preauthorization.py.
    new_authz_enabled: bool = False
    subdomain_auth_allowed: bool = False
    authorization_reuse: int = 0
    #: RFC 9773 renewal information: the directory's renewalInfo, new-order's "replaces", and
    #: the Retry-After (seconds) a renewalInfo answer carries.
    renewal_info: bool = True
    renewal_info_retry_after: int = 6 * 3600


def caa_issuer_domains(acme: AcmeProfile, ra: RaProfile) -> tuple[str, ...]:
    """The issuer domain names CAA records must name for issuance through ``ra`` (its own, else
    the ACME profile's caaIdentities); also what the directory advertises (RFC 8555 §7.1.1)."""
    return ra.policy.caa_issuer_domains or acme.caa_identities


@dataclass(frozen=True)
class Account:
    id: str  # protocol id: /acct/{id}
    uuid: str  # management id
    key_thumbprint: str  # RFC 7638, base64url SHA-256
    jwk: dict[str, Any]
    status: AccountStatus
    enabled: bool
    contact: tuple[str, ...]
    terms_of_service_agreed: bool
    acme_profile_uuid: str
    ra_profile_uuid: str
    #: True when bound through the profile's default RA profile (follows it when it changes).
    via_default_ra_profile: bool
    created_at: datetime
    #: Set when the account last agreed to the terms (for the ToS-change flow).
    tos_agreed_at: datetime | None = None
    eab_key_id: str | None = None


@dataclass(frozen=True)
class Order:
    id: str
    account_id: str
    status: OrderStatus  # stored status; see domain.status.order_status for the derived one
    identifiers: tuple[Identifier, ...]
    authorization_ids: tuple[str, ...]
    expires: datetime
    created_at: datetime
    not_before: datetime | None = None
    not_after: datetime | None = None
    error: Problem | None = None
    certificate_id: str | None = None
    acme_profile_uuid: str = ""
    ra_profile_uuid: str = ""
    csr_der: bytes | None = None
    #: The certificate profile the order is issued under (draft-ietf-acme-profiles), by name;
    #: None: the RA profile offered none when the order was made.
    profile: str | None = None
    #: RFC 9773 §5: the certID of the certificate this order replaces.
    replaces: str | None = None


@dataclass(frozen=True)
class Challenge:
    id: str
    authorization_id: str
    type: ChallengeType
    token: str
    status: ChallengeStatus
    validated: datetime | None = None
    error: Problem | None = None


@dataclass(frozen=True)
class Authorization:
    id: str
    account_id: str
    identifier: Identifier  # base name; ``wildcard`` says whether it came from "*."
    wildcard: bool
    status: AuthzStatus
    expires: datetime
    challenges: tuple[Challenge, ...] = ()
    #: The order it was made for; None for a pre-authorization (newAuthz, RFC 8555 §7.4.1).
    order_id: str | None = None
    #: RFC 9444 §4.1: it also authorizes the names below its identifier.
    subdomain_auth_allowed: bool = False
    #: The profiles it was made through ("" for authorizations older than migration 0016).
    acme_profile_uuid: str = ""
    ra_profile_uuid: str = ""

    @property
    def pre_authorization(self) -> bool:
        return self.order_id is None


@dataclass(frozen=True)
class Certificate:
    id: str
    serial_hex: str
    order_id: str
    account_id: str
    pem: str  # leaf only
    chain_pem: str  # issuer certificates, leaf excluded
    names: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    ra_profile_uuid: str
    acme_profile_uuid: str
    authority_uuid: str
    key_thumbprint: str  # SHA-256 of the SubjectPublicKeyInfo, hex
    issued_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: int | None = None
    #: The ACME profile's certificate associations at issuance (owner, groups, attributes).
    associations: dict[str, Any] = field(default_factory=dict)
    #: RFC 9773: when an administrator moved the renewal window into the past, and the page
    #: that explains why (explanationURL).
    renewal_moved_at: datetime | None = None
    renewal_explanation_url: str | None = None

    @property
    def full_chain_pem(self) -> str:
        return self.pem + self.chain_pem

    @property
    def serial_display(self) -> str:
        """The serial as people see it (``openssl x509 -serial``): whole octets, even length."""
        return serial_display(self.serial_hex)


def serial_display(serial_hex: str) -> str:
    """Canonical serial hex (no leading zeros) as whole octets: "abc" -> "0abc"."""
    return serial_hex if len(serial_hex) % 2 == 0 else "0" + serial_hex


def serial_lookup(text: str) -> str | None:
    """The canonical serial hex of a serial as a person may type it (either form, any case,
    octets separated by colons as some tools print them), or None if it is not one."""
    digits = text.strip().lower().replace(":", "").lstrip("0")
    if not digits or len(digits) > 40 or any(c not in "0123456789abcdef" for c in digits):
        return None
    return digits


@dataclass(frozen=True)
class ValidationTask:
    """What the VA needs to check one challenge; it writes no state (Boulder's VA)."""

    challenge_id: str
    type: ChallengeType
    identifier: Identifier
    token: str
    key_authorization: str
    dns_resolver_ip: str | None
    dns_resolver_port: int | None
    #: The ACME profile's network policy for the addresses the VA connects to.
    validation_network: ValidationNetwork = ValidationNetwork.INTERNAL
    #: The authorization is for a wildcard of ``identifier`` (RFC 8555 §7.1.3): CAA then looks
    #: at issuewild (RFC 8659 §4.3).
    wildcard: bool = False
    #: CAA (RFC 8659) is checked beside the challenge when on; the names a record must carry
    #: and the account URLs an RFC 8657 ``accounturi`` parameter may name.
    caa_checking: bool = False
    caa_issuer_domains: tuple[str, ...] = ()
    account_uris: tuple[str, ...] = ()
    #: CAA and dns-01 answers must carry the AD bit of a validating resolver.
    dnssec_required: bool = False
    #: When the RA asked (its clock): dns-persist-01 compares a record's persistUntil to it.
    checked_at: datetime | None = None


@dataclass(frozen=True)
class ValidationResult:
    """The VA's answer: a failure is data (``problem``), not an exception."""

    challenge_id: str
    problem: Problem | None = None
    attempts: tuple[str, ...] = ()  # what was tried (URLs, addresses), for the operator
    #: The validation may be relied on until then at most (dns-persist-01's persistUntil).
    valid_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class EabKey:
    """An external account binding key (RFC 8555 §7.3.4) of one ACME profile."""

    key_id: str
    acme_profile_uuid: str
    hmac_key: bytes
    algorithm: str  # HS256 | HS384 | HS512
    created_at: datetime
    reusable: bool = False
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    used_count: int = 0
    description: str = ""


@dataclass(frozen=True)
class BlockedKey:
    """A public key that may no longer be used, as an account key or in a CSR (a certificate
    with it was revoked for keyCompromise): domain.key_policy, services.certificates."""

    spki_sha256: str  # SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex
    blocked_at: datetime
    #: Who revoked: an audit actor ("acme:<account>", "acme:certkey:<hash>", a user, a token).
    blocked_by: str
    #: The revoked certificate that put the key here.
    certificate_id: str | None = None
