"""The certificate inventory: list with filters, detail, and revocation with a reason.

Reads need the auditor role; revocation the operator role. Revocation follows the same rule as
ACME revoke-cert (RFC 8555 §7.6): the CA revokes first, then the certificate is marked, and the
authority's CRL (built from storage on each fetch, RFC 5280 §5) lists it at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.ports import Page
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import Problem
from acmehub.management.params import Timestamp
from acmehub.management.routers.strict_query import reject_unknown_query
from acmehub.services.certificate_admin import (
    REASON_CODES,
    REASON_NAMES,
    CertificateQuery,
    CertificateStatus,
    CertificateView,
)

router = APIRouter(tags=["Certificates"], dependencies=[Depends(reject_unknown_query)])

MAX_PAGE = 1000


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class CertificateSummary(_Camel):
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
    ra_profile_uuid: str
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
            "ra_profile_uuid": c.ra_profile_uuid,
            "authority_uuid": c.authority_uuid,
            "account_uuid": view.account.uuid if view.account else None,
            "account_id": c.account_id,
        }

    @classmethod
    def of(cls, view: CertificateView) -> CertificateSummary:
        return cls(**cls.fields_of(view))


class Revocation(_Camel):
    revoked_at: datetime
    reason: str = Field(description="RFC 5280 §5.3.1 CRLReason name, e.g. keyCompromise")
    reason_code: int


class Associations(_Camel):
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
            associations=Associations(
                owner_uuid=stored.get("ownerUuid"),
                group_uuids=list(groups) if isinstance(groups, list) else [],
                custom_attributes=dict(attributes) if isinstance(attributes, dict) else {},
            ),
        )


class CertificatePage(_Camel):
    items: list[CertificateSummary]
    offset: int
    limit: int
    total: int = Field(description="How many certificates match the filters")
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")


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


class RevokeRequest(_Camel):
    # Strict: "true" is not a boolean nor "60" a number (the schema says what it takes).
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, strict=True)

    reason: ReasonName | Annotated[int, Field(ge=0, le=10)] = Field(
        default="unspecified",
        description="RFC 5280 §5.3.1 CRLReason, by name (keyCompromise...) or code (0-10, not 7)",
    )


CertificateId = Annotated[
    str,
    Path(alias="certificateId", max_length=64, description="The id, or the serial number (hex)"),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such certificate"}
}


@router.get(
    "/certificates",
    summary="List certificates (newest first)",
    response_model=CertificatePage,
    response_model_by_alias=True,
)
def list_certificates(
    services: ServicesDep,
    actor: ActorDep,
    acme_profile_uuid: Annotated[str | None, Query(alias="acmeProfileUuid", max_length=36)] = None,
    ra_profile_uuid: Annotated[str | None, Query(alias="raProfileUuid", max_length=36)] = None,
    account_uuid: Annotated[str | None, Query(alias="accountUuid", max_length=36)] = None,
    account_id: Annotated[
        str | None, Query(alias="accountId", max_length=64, description="Protocol id")
    ] = None,
    status: Annotated[CertificateStatus | None, Query()] = None,
    name: Annotated[
        str | None, Query(max_length=255, description="Part of any name, case-insensitive")
    ] = None,
    expires_after: Annotated[
        Timestamp | None,
        Query(alias="expiresAfter", description="notAfter at or after this time"),
    ] = None,
    expires_before: Annotated[
        Timestamp | None,
        Query(alias="expiresBefore", description="notAfter before this time"),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> CertificatePage:
    query = CertificateQuery(
        acme_profile_uuid=acme_profile_uuid,
        ra_profile_uuid=ra_profile_uuid,
        account_uuid=account_uuid,
        account_id=account_id,
        status=status,
        name=name,
        expires_after=expires_after,
        expires_before=expires_before,
    )
    views, total = services.certificate_admin.search(actor, query, Page(offset, limit))
    return CertificatePage(
        items=[CertificateSummary.of(v) for v in views],
        offset=offset,
        limit=limit,
        total=total,
        has_more=offset + len(views) < total,
    )


@router.get(
    "/certificates/{certificateId}",
    summary="Get a certificate with its PEM, chain, revocation and associations",
    response_model=CertificateDetail,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def get_certificate(
    services: ServicesDep, actor: ActorDep, certificate_id: CertificateId
) -> CertificateDetail:
    return CertificateDetail.of(services.certificate_admin.get(actor, certificate_id))


@router.post(
    "/certificates/{certificateId}/revoke",
    summary="Revoke a certificate (the CRL lists it at once)",
    response_model=CertificateDetail,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def revoke_certificate(
    services: ServicesDep,
    actor: ActorDep,
    certificate_id: CertificateId,
    body: RevokeRequest | None = None,
) -> CertificateDetail:
    reason = (body or RevokeRequest()).reason
    return CertificateDetail.of(services.certificate_admin.revoke(actor, certificate_id, reason))
