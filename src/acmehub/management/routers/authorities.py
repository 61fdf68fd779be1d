"""Authorities, their RA profiles, and the ACME activation of an RA profile.

* ``/authorities``: list, create (embedded: generate a root and an intermediate, or import an
  existing CA certificate and key with its chain), get (issuing certificate and chain), enable,
  disable, delete (422 while RA profiles use it). A disabled Authority refuses issuance.
* ``/authorities/{a}/raProfiles``: CRUD, enable, disable, with the certificate validity
  (seconds) and the issuance policy that new-order and finalize enforce.
* ``/authorities/{a}/raProfiles/{r}/protocols/acme``: which ACME profile is activated on the RA
  profile (the RA-profile URL family), activate with issue/revoke attributes, deactivate.

Reads need the auditor role; enable and disable the operator role; the rest the admin role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Body, Path, Request, Response
from pydantic import BaseModel, Field

from acmehub.domain.model import IssuancePolicy
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import Problem
from acmehub.management.routers.shared import (
    URL_NAME_PATTERN,
    CamelModel,
    Keep,
    NameAndUuid,
    UuidResponse,
    created,
    directory_url,
)
from acmehub.services.authorities import AuthorityView, ImportedCa
from acmehub.services.profile_rules import MAX_DESCRIPTION
from acmehub.services.ra_profiles import MAX_VALIDITY, RaProfileView

router = APIRouter(tags=["Authorities and RA profiles"])

MAX_PEM = 200_000
_POLICY = IssuancePolicy()
_KeyType = Literal["ec-p256", "ec-p384", "rsa-3072"]
_PolicyKeyType = Literal["rsa", "ec-p256", "ec-p384"]
_Usage = Literal["serverAuth", "clientAuth"]
_Pattern = Annotated[str, Field(min_length=1, max_length=253)]


# --------------------------------------------------------------------------- authorities


class CaCertificate(CamelModel):
    subject: str
    issuer: str
    serial_number: str = Field(description="Lower-case hex, whole octets (as openssl shows it)")
    not_before: datetime
    not_after: datetime


class AuthorityDetail(CamelModel):
    uuid: str
    name: str
    kind: str = Field(description='CA backend type, e.g. "embedded"')
    enabled: bool = Field(description="A disabled Authority refuses issuance")
    key_type: str | None
    certificate: CaCertificate | None = Field(description="The issuing CA certificate")
    chain: str | None = Field(description="The issuing certificate, then its issuers (PEM)")
    problem: str | None = Field(description="Why the certificate cannot be shown, if so")
    ra_profiles: list[NameAndUuid]

    @classmethod
    def of(cls, view: AuthorityView) -> AuthorityDetail:
        a, info = view.authority, view.certificate
        key_type = a.config.get("key_type")
        return cls(
            uuid=a.uuid,
            name=a.name,
            kind=a.kind,
            enabled=a.enabled,
            key_type=key_type if isinstance(key_type, str) else None,
            certificate=CaCertificate(
                subject=info.subject,
                issuer=info.issuer,
                serial_number=info.serial_hex,
                not_before=info.not_before,
                not_after=info.not_after,
            )
            if info
            else None,
            chain=info.chain_pem if info else None,
            problem=view.problem,
            ra_profiles=[NameAndUuid(uuid=r.uuid, name=r.name) for r in view.ra_profiles],
        )


class ImportCaRequest(CamelModel):
    certificate: str = Field(max_length=MAX_PEM, description="The issuing CA certificate, PEM")
    private_key: str = Field(max_length=MAX_PEM, description="Its private key, PEM")
    chain: str = Field(
        default="", max_length=MAX_PEM, description="Its issuers, nearest first, PEM"
    )
    passphrase: str | None = Field(
        default=None, max_length=1000, description="Opens privateKey when it is encrypted"
    )


class AuthorityRequest(CamelModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["embedded"] = "embedded"
    key_type: _KeyType = Field(
        default="ec-p256", description="For a generated CA (ignored on import)"
    )
    import_ca: ImportCaRequest | None = Field(
        default=None, description="Import this CA instead of generating a root and intermediate"
    )


AuthorityUuid = Annotated[str, Path(alias="authorityUuid", max_length=36)]
RaUuid = Annotated[str, Path(alias="raProfileUuid", max_length=36)]
_AUTHORITY_404: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such Authority"}
}
_RA_404: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such Authority or RA profile"}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The name is taken"}
}


@router.get("/authorities", summary="List Authorities", response_model=list[AuthorityDetail])
def list_authorities(services: ServicesDep, actor: ActorDep) -> list[AuthorityDetail]:
    return [AuthorityDetail.of(v) for v in services.authorities.list_all(actor)]


@router.post(
    "/authorities",
    summary="Create an embedded Authority: generate a new CA, or import one",
    status_code=201,
    response_model=UuidResponse,
    responses=_CONFLICT,
)
def create_authority(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    response: Response,
    body: AuthorityRequest,
) -> UuidResponse:
    if body.import_ca is None:
        view = services.authorities.create_embedded(actor, body.name, body.key_type)
    else:
        ca = body.import_ca
        view = services.authorities.import_embedded(
            actor,
            body.name,
            ImportedCa(
                cert_pem=ca.certificate,
                key_pem=ca.private_key,
                chain_pem=ca.chain,
                passphrase=ca.passphrase.encode() if ca.passphrase else None,
            ),
        )
    created(request, response, "get_authority", authorityUuid=view.authority.uuid)
    return UuidResponse(uuid=view.authority.uuid)


@router.get(
    "/authorities/{authorityUuid}",
    summary="Get an Authority with its CA certificate and chain",
    response_model=AuthorityDetail,
    responses=_AUTHORITY_404,
)
def get_authority(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid
) -> AuthorityDetail:
    return AuthorityDetail.of(services.authorities.get(actor, authority))


@router.delete(
    "/authorities/{authorityUuid}",
    summary="Delete an Authority (422 while RA profiles use it)",
    status_code=204,
    response_class=Response,
    responses=_AUTHORITY_404,
)
def delete_authority(services: ServicesDep, actor: ActorDep, authority: AuthorityUuid) -> Response:
    services.authorities.delete(actor, authority)
    return Response(status_code=204)


@router.patch(
    "/authorities/{authorityUuid}/enable",
    summary="Enable an Authority (422 if it is enabled)",
    status_code=204,
    response_class=Response,
    responses=_AUTHORITY_404,
)
def enable_authority(services: ServicesDep, actor: ActorDep, authority: AuthorityUuid) -> Response:
    services.authorities.enable(actor, authority)
    return Response(status_code=204)


@router.patch(
    "/authorities/{authorityUuid}/disable",
    summary="Disable an Authority: it refuses issuance (422 if it is disabled)",
    status_code=204,
    response_class=Response,
    responses=_AUTHORITY_404,
)
def disable_authority(services: ServicesDep, actor: ActorDep, authority: AuthorityUuid) -> Response:
    services.authorities.disable(actor, authority)
    return Response(status_code=204)


# --------------------------------------------------------------------------- RA profiles


class IssuancePolicyModel(CamelModel):
    """What the RA profile lets through; refusals name the rule (e.g. issuancePolicy.maxNames).

    Patterns: "example.com" (that name), ".example.com" (any name below it), "*.example.com"
    (that wildcard), "10.0.0.0/8" (IP identifiers in the range). Denied wins over allowed;
    an empty allowedIdentifiers allows any name.
    """

    allowed_identifiers: list[_Pattern] = Field(default_factory=list, max_length=500)
    denied_identifiers: list[_Pattern] = Field(default_factory=list, max_length=500)
    allow_wildcards: bool = _POLICY.allow_wildcards
    max_names: int = Field(default=_POLICY.max_names, ge=1, le=100)
    allowed_key_types: list[_PolicyKeyType] = Field(
        default_factory=lambda: cast(list[_PolicyKeyType], list(_POLICY.allowed_key_types)),
        min_length=1,
        max_length=3,
    )
    min_rsa_bits: int = Field(default=_POLICY.min_rsa_bits, ge=2048, le=8192)
    extended_key_usages: list[_Usage] = Field(
        default_factory=lambda: cast(list[_Usage], list(_POLICY.extended_key_usages)),
        min_length=1,
        max_length=2,
    )

    @classmethod
    def of(cls, policy: IssuancePolicy) -> IssuancePolicyModel:
        return cls.model_validate(
            {
                "allowed_identifiers": list(policy.allowed_identifiers),
                "denied_identifiers": list(policy.denied_identifiers),
                "allow_wildcards": policy.allow_wildcards,
                "max_names": policy.max_names,
                "allowed_key_types": list(policy.allowed_key_types),
                "min_rsa_bits": policy.min_rsa_bits,
                "extended_key_usages": list(policy.extended_key_usages),
            }
        )


class IssuancePolicyUpdate(CamelModel):
    """A policy change in a PUT: fields left out keep their values."""

    allowed_identifiers: list[_Pattern] = Keep(max_length=500)
    denied_identifiers: list[_Pattern] = Keep(max_length=500)
    allow_wildcards: bool = Keep()
    max_names: int = Keep(ge=1, le=100)
    allowed_key_types: list[_PolicyKeyType] = Keep(min_length=1, max_length=3)
    min_rsa_bits: int = Keep(ge=2048, le=8192)
    extended_key_usages: list[_Usage] = Keep(min_length=1, max_length=2)


class RaProfileDetail(CamelModel):
    uuid: str
    name: str
    description: str
    enabled: bool
    authority: NameAndUuid
    validity_default: int = Field(description="Certificate validity when the order sets none, s")
    validity_max: int = Field(description="Longest certificate validity an order may ask, s")
    issuance_policy: IssuancePolicyModel
    acme_profile: NameAndUuid | None = Field(description="The ACME profile activated on it")

    @classmethod
    def of(cls, view: RaProfileView) -> RaProfileDetail:
        p = view.profile
        return cls(
            uuid=p.uuid,
            name=p.name,
            description=p.description,
            enabled=p.enabled,
            authority=NameAndUuid(uuid=view.authority.uuid, name=view.authority.name),
            validity_default=p.validity_default,
            validity_max=p.validity_max,
            issuance_policy=IssuancePolicyModel.of(p.policy),
            acme_profile=NameAndUuid(uuid=view.acme_profile.uuid, name=view.acme_profile.name)
            if view.acme_profile
            else None,
        )


_RA_DEFAULTS_DAYS = (90, 397)


class RaProfileRequest(CamelModel):
    name: str = Field(pattern=URL_NAME_PATTERN, description="Unique; appears in ACME URLs")
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    enabled: bool = True
    validity_default: int = Field(
        default=_RA_DEFAULTS_DAYS[0] * 86400,
        ge=1,
        le=MAX_VALIDITY,
        description="Seconds; left out: 90 days, or validityMax when that is shorter",
    )
    validity_max: int = Field(default=_RA_DEFAULTS_DAYS[1] * 86400, ge=1, le=MAX_VALIDITY)
    issuance_policy: IssuancePolicyModel = Field(default_factory=IssuancePolicyModel)


class RaProfileUpdate(CamelModel):
    """PUT: fields left out keep their values (the name cannot change)."""

    description: str = Keep(max_length=MAX_DESCRIPTION)
    validity_default: int = Keep(ge=1, le=MAX_VALIDITY)
    validity_max: int = Keep(ge=1, le=MAX_VALIDITY)
    issuance_policy: IssuancePolicyUpdate = Keep()


def _policy(model: BaseModel, *, only_set: bool) -> dict[str, Any]:
    names = model.model_fields_set if only_set else type(model).model_fields.keys()
    return {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in ((n, getattr(model, n)) for n in names)
    }


@router.get("/raProfiles", summary="List every RA profile", response_model=list[RaProfileDetail])
def list_all_ra_profiles(services: ServicesDep, actor: ActorDep) -> list[RaProfileDetail]:
    return [RaProfileDetail.of(v) for v in services.ra_profiles.list_all(actor)]


@router.get(
    "/authorities/{authorityUuid}/raProfiles",
    summary="List the Authority's RA profiles",
    response_model=list[RaProfileDetail],
    responses=_AUTHORITY_404,
)
def list_ra_profiles(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid
) -> list[RaProfileDetail]:
    return [RaProfileDetail.of(v) for v in services.ra_profiles.list_all(actor, authority)]


@router.post(
    "/authorities/{authorityUuid}/raProfiles",
    summary="Create an RA profile",
    status_code=201,
    response_model=UuidResponse,
    responses={**_AUTHORITY_404, **_CONFLICT},
)
def create_ra_profile(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    response: Response,
    authority: AuthorityUuid,
    body: RaProfileRequest,
) -> UuidResponse:
    values: dict[str, Any] = {
        "description": body.description,
        "enabled": body.enabled,
        "validity_max": body.validity_max,
        "policy": _policy(body.issuance_policy, only_set=False),
    }
    if "validity_default" in body.model_fields_set:
        values["validity_default"] = body.validity_default
    profile = services.ra_profiles.create(actor, authority, body.name, **values)
    created(
        request,
        response,
        "get_ra_profile",
        authorityUuid=authority,
        raProfileUuid=profile.uuid,
    )
    return UuidResponse(uuid=profile.uuid)


@router.get(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}",
    summary="Get an RA profile",
    response_model=RaProfileDetail,
    responses=_RA_404,
)
def get_ra_profile(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid, ra: RaUuid
) -> RaProfileDetail:
    return RaProfileDetail.of(services.ra_profiles.get(actor, ra, authority))


@router.put(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}",
    summary="Change an RA profile (fields left out keep their values)",
    response_model=RaProfileDetail,
    responses=_RA_404,
)
def update_ra_profile(
    services: ServicesDep,
    actor: ActorDep,
    authority: AuthorityUuid,
    ra: RaUuid,
    body: RaProfileUpdate,
) -> RaProfileDetail:
    changes: dict[str, Any] = {
        name: getattr(body, name) for name in body.model_fields_set if name != "issuance_policy"
    }
    if "issuance_policy" in body.model_fields_set:
        changes["policy"] = _policy(body.issuance_policy, only_set=True)
    services.ra_profiles.update(actor, ra, authority_uuid=authority, **changes)
    return RaProfileDetail.of(services.ra_profiles.get(actor, ra, authority))


@router.delete(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}",
    summary="Delete an RA profile (422 while it is a default RA profile or has accounts)",
    status_code=204,
    response_class=Response,
    responses=_RA_404,
)
def delete_ra_profile(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid, ra: RaUuid
) -> Response:
    services.ra_profiles.delete(actor, ra, authority)
    return Response(status_code=204)


@router.patch(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}/enable",
    summary="Enable an RA profile (422 if it is enabled)",
    status_code=204,
    response_class=Response,
    responses=_RA_404,
)
def enable_ra_profile(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid, ra: RaUuid
) -> Response:
    services.ra_profiles.enable(actor, ra, authority)
    return Response(status_code=204)


@router.patch(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}/disable",
    summary="Disable an RA profile (422 if it is disabled)",
    status_code=204,
    response_class=Response,
    responses=_RA_404,
)
def disable_ra_profile(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid, ra: RaUuid
) -> Response:
    services.ra_profiles.disable(actor, ra, authority)
    return Response(status_code=204)


# --------------------------------------------------------------------------- ACME activation


class RaProfileAcme(CamelModel):
    """platform-reference.md: the RA profile's ACME row."""

    acme_available: bool = Field(description="Whether an ACME profile is activated")
    uuid: str | None = Field(description="The activated ACME profile")
    name: str | None
    directory_url: str | None = Field(description="The RA-profile URL family's directory")
    issue_certificate_attributes: dict[str, Any] | None
    revoke_certificate_attributes: dict[str, Any] | None

    @classmethod
    def of(cls, view: RaProfileView, request: Request) -> RaProfileAcme:
        acme, ra = view.acme_profile, view.profile
        if acme is None:
            return cls(
                acme_available=False,
                uuid=None,
                name=None,
                directory_url=None,
                issue_certificate_attributes=None,
                revoke_certificate_attributes=None,
            )
        return cls(
            acme_available=True,
            uuid=acme.uuid,
            name=acme.name,
            directory_url=directory_url(request, ra.name, ra_family=True),
            issue_certificate_attributes=ra.acme_issue_attributes,
            revoke_certificate_attributes=ra.acme_revoke_attributes,
        )


class ActivateAcmeRequest(CamelModel):
    issue_certificate_attributes: dict[str, Any] = Field(default_factory=dict)
    revoke_certificate_attributes: dict[str, Any] = Field(default_factory=dict)


_ACTIVATION_404: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such Authority, RA profile or ACME profile"}
}


@router.get(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}/protocols/acme",
    summary="The ACME profile activated on the RA profile",
    response_model=RaProfileAcme,
    responses=_RA_404,
)
def get_ra_profile_acme(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    authority: AuthorityUuid,
    ra: RaUuid,
) -> RaProfileAcme:
    return RaProfileAcme.of(services.ra_profiles.acme_activation(actor, ra, authority), request)


@router.patch(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}/protocols/acme/activate/"
    "{acmeProfileUuid}",
    summary="Activate an ACME profile on the RA profile (replaces the current one)",
    response_model=RaProfileAcme,
    responses=_ACTIVATION_404,
)
def activate_ra_profile_acme(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    authority: AuthorityUuid,
    ra: RaUuid,
    acme_profile: Annotated[str, Path(alias="acmeProfileUuid", max_length=36)],
    body: Annotated[ActivateAcmeRequest | None, Body()] = None,
) -> RaProfileAcme:
    body = body or ActivateAcmeRequest()
    view = services.ra_profiles.activate_acme(
        actor,
        ra,
        acme_profile,
        body.issue_certificate_attributes,
        body.revoke_certificate_attributes,
        authority_uuid=authority,
    )
    return RaProfileAcme.of(view, request)


@router.patch(
    "/authorities/{authorityUuid}/raProfiles/{raProfileUuid}/protocols/acme/deactivate",
    summary="Deactivate ACME on the RA profile (422 if none is activated)",
    status_code=204,
    response_class=Response,
    responses=_RA_404,
)
def deactivate_ra_profile_acme(
    services: ServicesDep, actor: ActorDep, authority: AuthorityUuid, ra: RaUuid
) -> Response:
    services.ra_profiles.deactivate_acme(actor, ra, authority)
    return Response(status_code=204)
