"""Certificates: the inventory's filters, the revocation command and the views the API, the
CLI and the web interface show (RFC 5280 §5.3.1 reasons; serials as ``openssl x509 -serial``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain import revocation
from acmehub.domain.model import Account, Certificate
from acmehub.services.commands.base import ApiModel, Column, PageQuery, Timestamp, ui
from acmehub.services.commands.renewal import RenewalInfo

#: RFC 5280 §5.3.1 CRLReason names (the spelling of its ASN.1 module), by code.
REASON_NAMES: dict[int, str] = dict(revocation.REASON_NAMES)
REASON_CODES = {name: code for code, name in REASON_NAMES.items()}
ReasonName = Literal[
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "removeFromCRL",
    "privilegeWithdrawn",
    "aACompromise",
]
assert set(get_args(ReasonName)) == set(REASON_CODES)
#: A certificate with its chain, as a download (RFC 8555 §9.1).
CHAIN_TYPE = "application/pem-certificate-chain"
#: The longest "expiring within" filter, in days (100 years).
MAX_EXPIRING_DAYS = 36500
ExpiringDays = Annotated[int, Field(ge=1, le=MAX_EXPIRING_DAYS)]


def acme_filter(page_name: str) -> dict[str, Any]:
    """An ACME profile filter: a name or UUID on the CLI, ``page_name`` on the web page."""
    return ui(
        cli="acme-profile",
        options="acme_profiles",
        help="ACME profile (name or UUID)",
        filter=page_name,
    )


def account_filter(page_name: str | None = None) -> dict[str, Any]:
    return ui(cli="account", help="the ordering ACME account's UUID", filter=page_name)


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class CertificateView:
    certificate: Certificate
    status: CertificateStatus
    #: The owning account (None only if its row is gone).
    account: Account | None
    #: The profiles' names ("" when a profile is gone).
    acme_profile_name: str = ""
    ra_profile_name: str = ""
    authority_name: str = ""
    #: RFC 9773: its certID, suggested window and chain of renewals (on the detail only).
    renewal: RenewalInfo | None = None


class CertificateListQuery(PageQuery):
    """The inventory's filters; ``accountUuid`` and ``accountId`` name the same account."""

    acme_profile_uuid: str | None = Field(
        default=None, max_length=36, json_schema_extra=acme_filter("profile")
    )
    ra_profile_uuid: str | None = Field(
        default=None,
        max_length=36,
        json_schema_extra=ui(
            cli="ra-profile", options="ra_profiles", help="RA profile (name or UUID)", filter="ra"
        ),
    )
    account_uuid: str | None = Field(
        default=None, max_length=36, json_schema_extra=account_filter()
    )
    account_id: str | None = Field(
        default=None,
        max_length=64,
        description="Protocol id",
        json_schema_extra=ui(filter="account"),
    )
    status: CertificateStatus | None = Field(
        default=None, json_schema_extra=ui(filter="status", refused="Unknown status.")
    )
    name: str | None = Field(
        default=None,
        max_length=255,
        description="Part of any name, case-insensitive",
        json_schema_extra=ui(filter="name"),
    )
    expires_after: Timestamp | None = Field(default=None, description="notAfter at or after")
    expires_before: Timestamp | None = Field(default=None, description="notAfter before")
    expiring_within: ExpiringDays | None = Field(
        default=None,
        description="Valid now and expiring within this many days",
        json_schema_extra=ui(filter="expiring", refused="Give a number of days."),
    )


class RevokeRequest(ApiModel):
    """Revoke a certificate (RFC 8555 §7.6 rules; the CRL lists it at once)."""

    # Strict: "true" is not a boolean nor "60" a number (the schema says what it takes).
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, strict=True)

    reason: ReasonName | Annotated[int, Field(ge=0, le=10)] = Field(
        default="unspecified",
        description="RFC 5280 §5.3.1 CRLReason, by name (keyCompromise...) or code (0-10, not 7)",
    )


class CertificateSummary(ApiModel):
    id: str
    serial_number: str = Field(
        description="Hexadecimal, lower case, whole octets (as `openssl x509 -serial` shows it)"
    )
    names: list[str]
    status: CertificateStatus
    not_before: datetime
    not_after: datetime
    issued_at: datetime
    revoked_at: datetime | None
    acme_profile_uuid: str
    acme_profile_name: str = Field(default="", description='"" when the profile is gone')
    ra_profile_uuid: str
    ra_profile_name: str = Field(default="", description='"" when the profile is gone')
    authority_uuid: str
    account_uuid: str | None = Field(description="The ordering ACME account (management id)")
    account_id: str = Field(description="The ordering ACME account (protocol id)")

    @classmethod
    def fields_of(cls, view: CertificateView) -> dict[str, Any]:
        c = view.certificate
        return {
            "id": c.id,
            "serial_number": c.serial_display,
            "names": list(c.names),
            "status": view.status,
            "not_before": c.not_before,
            "not_after": c.not_after,
            "issued_at": c.issued_at,
            "revoked_at": c.revoked_at,
            "acme_profile_uuid": c.acme_profile_uuid,
            "acme_profile_name": view.acme_profile_name,
            "ra_profile_uuid": c.ra_profile_uuid,
            "ra_profile_name": view.ra_profile_name,
            "authority_uuid": c.authority_uuid,
            "account_uuid": view.account.uuid if view.account else None,
            "account_id": c.account_id,
        }

    @classmethod
    def of(cls, view: CertificateView) -> CertificateSummary:
        return cls(**cls.fields_of(view))


class Revocation(ApiModel):
    revoked_at: datetime
    reason: str = Field(description="RFC 5280 §5.3.1 CRLReason name, e.g. keyCompromise")
    reason_code: int


class Associations(ApiModel):
    """Copied from the ACME profile when the certificate was issued."""

    owner_uuid: str | None = None
    group_uuids: list[str] = Field(default_factory=list)
    custom_attributes: dict[str, Any] = Field(default_factory=dict)


class CertificateDetail(CertificateSummary):
    certificate_pem: str = Field(description="The leaf certificate, PEM")
    chain_pem: str = Field(description="The issuing certificates, nearest first, PEM")
    key_thumbprint: str = Field(description="SHA-256 of the SubjectPublicKeyInfo, hex")
    revocation: Revocation | None
    associations: Associations
    renewal: RenewalInfo | None = Field(
        default=None, description="RFC 9773 renewal information and the chain of renewals"
    )

    @classmethod
    def of(cls, view: CertificateView) -> CertificateDetail:
        c = view.certificate
        revocation = None
        if c.revoked_at is not None:
            code = c.revocation_reason or 0
            revocation = Revocation(
                revoked_at=c.revoked_at,
                reason=REASON_NAMES.get(code, str(code)),
                reason_code=code,
            )
        stored = c.associations
        groups = stored.get("groupUuids")
        attributes = stored.get("customAttributes")
        return cls(
            **CertificateSummary.fields_of(view),
            certificate_pem=c.pem,
            chain_pem=c.chain_pem,
            key_thumbprint=c.key_thumbprint,
            revocation=revocation,
            renewal=view.renewal,
            associations=Associations(
                owner_uuid=stored.get("ownerUuid"),
                group_uuids=list(groups) if isinstance(groups, list) else [],
                custom_attributes=dict(attributes) if isinstance(attributes, dict) else {},
            ),
        )


#: The inventory's columns: the CLI's table and the web interface's list.
COLUMNS: tuple[Column[CertificateSummary], ...] = (
    Column("ID", lambda c: c.id, show="code", link=lambda c: f"/certificates/{c.id}"),
    Column("Serial", lambda c: c.serial_number, show="code"),
    Column("Names", lambda c: ", ".join(c.names)),
    Column("ACME profile", lambda c: c.acme_profile_name or None),
    Column("RA profile", lambda c: c.ra_profile_name or None),
    Column("Account", lambda c: c.account_id, show="code"),
    Column("Not after", lambda c: c.not_after, show="time"),
    Column("Status", lambda c: c.status.value, show="badge"),
)
