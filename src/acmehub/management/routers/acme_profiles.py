"""ACME profiles (platform-reference.md, "ACME Profile fields" and "Core ACME API").

Reads need the auditor role; enable and disable (single and bulk) the operator role; everything
else the admin role. New profiles start disabled. ``PUT`` changes only the fields it carries.
``DELETE`` is refused (422) while RA profiles have the profile activated or accounts are bound
to it; ``DELETE /acmeProfiles/delete/force`` deactivates those accounts and deactivates ACME on
those RA profiles first (services/acme_profiles.py; docs/management.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.model import AcmeProfile, RaProfile
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import Problem
from acmehub.services.acme_profiles import (
    MAX_ORDER_VALIDITY,
    MAX_RETRY_INTERVAL,
    AcmeProfileView,
)
from acmehub.services.profile_rules import MAX_DESCRIPTION, MAX_URL, BulkFailure

router = APIRouter(tags=["ACME profiles"])

MAX_BULK = 1000
#: Unreserved URL characters (RFC 3986 §2.3): profile names appear in ACME URLs.
URL_NAME_PATTERN = r"^[A-Za-z0-9._~-]{1,200}$"
_DEFAULTS = AcmeProfile(uuid="", name="", enabled=False)


def _omit_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def Keep(**kwargs: Any) -> Any:  # noqa: N802 (reads as a marker in field declarations)
    """A PUT field that may be left out (then the stored value stays) but is never null."""
    return Field(default=None, json_schema_extra=_omit_default, **kwargs)


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


# --------------------------------------------------------------------------- shared pieces


def base_url(request: Request) -> str:
    """The server's external base URL (set by the composition root), else this request's."""
    configured: str = getattr(request.app.state, "base_url", "")
    if configured:
        return configured
    return f"{request.url.scheme}://{request.url.netloc}"


def directory_url(request: Request, name: str, *, ra_family: bool = False) -> str:
    """The ACME directory of a profile; the same paths as protocol/links.py (PREFIXES[0],
    FAMILY_TEMPLATES, PATHS[DIRECTORY]). Names are unreserved characters: no escaping."""
    family = f"/raProfile/{name}" if ra_family else f"/{name}"
    return f"{base_url(request)}/acme{family}/directory"


class UuidResponse(BaseModel):
    uuid: str


class NameAndUuid(CamelModel):
    uuid: str
    name: str


class BulkActionMessage(CamelModel):
    uuid: str
    name: str = Field(description="The profile's name (empty when it was not found)")
    message: str

    @classmethod
    def of(cls, failure: BulkFailure) -> BulkActionMessage:
        return cls(uuid=failure.uuid, name=failure.name, message=failure.message)


def created(request: Request, response: Response, route: str, **params: str) -> None:
    """201 with a Location header naming the new object."""
    response.status_code = 201
    response.headers["Location"] = str(request.url_for(route, **params))


# --------------------------------------------------------------------------- models


class CertificateAssociations(CamelModel):
    """Applied to every certificate issued through the profile (stored on the certificate)."""

    owner_uuid: str | None = Field(default=None, max_length=200)
    group_uuids: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )
    custom_attributes: dict[str, Any] = Field(default_factory=dict)


class DefaultRaProfile(CamelModel):
    uuid: str
    name: str
    enabled: bool
    authority_uuid: str

    @classmethod
    def of(cls, ra: RaProfile) -> DefaultRaProfile:
        return cls(uuid=ra.uuid, name=ra.name, enabled=ra.enabled, authority_uuid=ra.authority_uuid)


class AcmeProfileDetail(CamelModel):
    uuid: str
    name: str
    description: str
    enabled: bool
    terms_of_service_url: str | None = Field(description="Directory meta.termsOfService")
    website_url: str | None = Field(description="Directory meta.website")
    caa_identities: list[str] = Field(description="Directory meta.caaIdentities")
    dns_resolver_ip: str | None = Field(description="Resolver for validations; null: system's")
    dns_resolver_port: int | None
    retry_interval: int = Field(description="Seconds, sent as Retry-After")
    validity: int = Field(description="Order and authorization lifetime, seconds")
    terms_of_service_change_disable: bool = Field(
        description="New orders are refused until the account agrees to the terms again"
    )
    terms_of_service_change_url: str | None
    terms_of_service_changed_at: datetime | None = Field(
        description="When termsOfServiceChangeDisable was last switched on"
    )
    require_contact: bool
    require_terms_of_service: bool
    require_external_account_binding: bool = Field(
        description="Directory meta.externalAccountRequired (RFC 8555 §7.3.4)"
    )
    ra_profile: DefaultRaProfile | None = Field(description="The default RA profile")
    directory_url: str = Field(description="The ACME directory (ACME-profile URL family)")
    activated_on: list[NameAndUuid] = Field(
        description="RA profiles this ACME profile is activated on (RA-profile URL family)"
    )
    issue_certificate_attributes: dict[str, Any]
    revoke_certificate_attributes: dict[str, Any]
    custom_attributes: dict[str, Any]
    certificate_associations: CertificateAssociations | None

    @classmethod
    def of(cls, view: AcmeProfileView, request: Request) -> AcmeProfileDetail:
        p = view.profile
        associations = (
            CertificateAssociations.model_validate(p.certificate_associations)
            if p.certificate_associations
            else None
        )
        return cls(
            uuid=p.uuid,
            name=p.name,
            description=p.description,
            enabled=p.enabled,
            terms_of_service_url=p.terms_of_service_url,
            website_url=p.website_url,
            caa_identities=list(p.caa_identities),
            dns_resolver_ip=p.dns_resolver_ip,
            dns_resolver_port=p.dns_resolver_port,
            retry_interval=p.retry_interval,
            validity=p.validity,
            terms_of_service_change_disable=p.terms_of_service_change_disable,
            terms_of_service_change_url=p.terms_of_service_change_url,
            terms_of_service_changed_at=p.terms_of_service_changed_at,
            require_contact=p.require_contact,
            require_terms_of_service=p.require_terms_of_service,
            require_external_account_binding=p.require_external_account_binding,
            ra_profile=DefaultRaProfile.of(view.default_ra_profile)
            if view.default_ra_profile
            else None,
            directory_url=directory_url(request, p.name),
            activated_on=[NameAndUuid(uuid=r.uuid, name=r.name) for r in view.activated_on],
            issue_certificate_attributes=p.issue_certificate_attributes,
            revoke_certificate_attributes=p.revoke_certificate_attributes,
            custom_attributes=p.custom_attributes,
            certificate_associations=associations,
        )


Url = Annotated[str, Field(max_length=MAX_URL, description="Absolute http or https URL")]
Attributes = Annotated[dict[str, Any], Field(description="Passed to the Authority")]


class AcmeProfileRequest(CamelModel):
    """POST /acmeProfiles. Absent fields take the platform's defaults."""

    name: str = Field(pattern=URL_NAME_PATTERN, description='Unique; not "raProfile"')
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    terms_of_service_url: Url | None = None
    website_url: Url | None = None
    caa_identities: list[Annotated[str, Field(min_length=1, max_length=253)]] = Field(
        default_factory=list, max_length=20
    )
    dns_resolver_ip: str | None = Field(default=None, max_length=45)
    dns_resolver_port: int | None = Field(default=None, ge=1, le=65535)
    retry_interval: int = Field(default=_DEFAULTS.retry_interval, ge=1, le=MAX_RETRY_INTERVAL)
    validity: int = Field(default=_DEFAULTS.validity, ge=1, le=MAX_ORDER_VALIDITY)
    terms_of_service_change_disable: bool = False
    terms_of_service_change_url: Url | None = None
    require_contact: bool = False
    require_terms_of_service: bool = False
    require_external_account_binding: bool = False
    ra_profile_uuid: str | None = Field(
        default=None, max_length=36, description="The default RA profile"
    )
    issue_certificate_attributes: Attributes = Field(default_factory=dict)
    revoke_certificate_attributes: Attributes = Field(default_factory=dict)
    custom_attributes: dict[str, Any] = Field(default_factory=dict)
    certificate_associations: CertificateAssociations | None = None


class AcmeProfileUpdate(CamelModel):
    """PUT /acmeProfiles/{uuid}: a field left out keeps its value; null clears a nullable one."""

    description: str = Keep(max_length=MAX_DESCRIPTION)
    terms_of_service_url: Url | None = None
    website_url: Url | None = None
    caa_identities: list[Annotated[str, Field(min_length=1, max_length=253)]] = Keep(max_length=20)
    dns_resolver_ip: str | None = Field(default=None, max_length=45)
    dns_resolver_port: int | None = Field(default=None, ge=1, le=65535)
    retry_interval: int = Keep(ge=1, le=MAX_RETRY_INTERVAL)
    validity: int = Keep(ge=1, le=MAX_ORDER_VALIDITY)
    terms_of_service_change_disable: bool = Keep()
    terms_of_service_change_url: Url | None = None
    require_contact: bool = Keep()
    require_terms_of_service: bool = Keep()
    require_external_account_binding: bool = Keep()
    ra_profile_uuid: str | None = Field(
        default=None,
        max_length=36,
        description="The default RA profile (accounts bound through the default follow it)",
    )
    issue_certificate_attributes: Attributes = Keep()
    revoke_certificate_attributes: Attributes = Keep()
    custom_attributes: dict[str, Any] = Keep()
    certificate_associations: CertificateAssociations | None = None


#: API field -> AcmeProfile field, where they differ.
_DOMAIN_NAMES = {"ra_profile_uuid": "default_ra_profile_uuid"}


def _domain_values(body: BaseModel, *, only_set: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    names = body.model_fields_set if only_set else type(body).model_fields.keys()
    for name in names:
        value = getattr(body, name)
        if isinstance(value, CertificateAssociations):
            value = value.model_dump(by_alias=True)
        elif name == "certificate_associations" and value is None:
            value = {}
        elif name == "caa_identities":
            value = tuple(value)
        values[_DOMAIN_NAMES.get(name, name)] = value
    values.pop("name", None)
    return values


ProfileUuid = Annotated[str, Path(alias="acmeProfileUuid", max_length=36)]
UuidList = Annotated[
    list[Annotated[str, Field(max_length=36)]],
    Body(max_length=MAX_BULK, description="UUIDs of the ACME profiles"),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such ACME profile (or RA profile)"}
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "An ACME profile with this name exists"}
}


# --------------------------------------------------------------------------- routes
# Bulk routes come before /acmeProfiles/{acmeProfileUuid}: "delete" is not a profile's UUID.


@router.get("/acmeProfiles", summary="List ACME profiles", response_model=list[AcmeProfileDetail])
def list_acme_profiles(
    services: ServicesDep, actor: ActorDep, request: Request
) -> list[AcmeProfileDetail]:
    return [AcmeProfileDetail.of(v, request) for v in services.acme_profiles.list_all(actor)]


@router.post(
    "/acmeProfiles",
    summary="Create an ACME profile (disabled)",
    status_code=201,
    response_model=UuidResponse,
    responses={**_NOT_FOUND, **_CONFLICT},
)
def create_acme_profile(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    response: Response,
    body: AcmeProfileRequest,
) -> UuidResponse:
    profile = services.acme_profiles.create(
        actor, body.name, **_domain_values(body, only_set=False)
    )
    created(request, response, "get_acme_profile", acmeProfileUuid=profile.uuid)
    return UuidResponse(uuid=profile.uuid)


@router.patch(
    "/acmeProfiles/enable",
    summary="Enable ACME profiles (bulk)",
    response_model=list[BulkActionMessage],
)
def bulk_enable_acme_profiles(
    services: ServicesDep, actor: ActorDep, uuids: UuidList
) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.acme_profiles.bulk_enable(actor, uuids)]


@router.patch(
    "/acmeProfiles/disable",
    summary="Disable ACME profiles (bulk)",
    response_model=list[BulkActionMessage],
)
def bulk_disable_acme_profiles(
    services: ServicesDep, actor: ActorDep, uuids: UuidList
) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.acme_profiles.bulk_disable(actor, uuids)]


@router.delete(
    "/acmeProfiles/delete",
    summary="Delete ACME profiles (bulk); the ones in use are reported, not deleted",
    response_model=list[BulkActionMessage],
)
def bulk_delete_acme_profiles(
    services: ServicesDep, actor: ActorDep, uuids: UuidList
) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.acme_profiles.bulk_delete(actor, uuids)]


@router.delete(
    "/acmeProfiles/delete/force",
    summary="Force-delete ACME profiles: deactivate their accounts and ACME on RA profiles",
    response_model=list[BulkActionMessage],
)
def force_delete_acme_profiles(
    services: ServicesDep, actor: ActorDep, uuids: UuidList
) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.acme_profiles.force_delete(actor, uuids)]


@router.get(
    "/acmeProfiles/{acmeProfileUuid}",
    summary="Get an ACME profile",
    response_model=AcmeProfileDetail,
    responses=_NOT_FOUND,
)
def get_acme_profile(
    services: ServicesDep, actor: ActorDep, request: Request, profile: ProfileUuid
) -> AcmeProfileDetail:
    return AcmeProfileDetail.of(services.acme_profiles.get(actor, profile), request)


@router.put(
    "/acmeProfiles/{acmeProfileUuid}",
    summary="Change an ACME profile (fields left out keep their values)",
    response_model=AcmeProfileDetail,
    responses=_NOT_FOUND,
)
def update_acme_profile(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    profile: ProfileUuid,
    body: AcmeProfileUpdate,
) -> AcmeProfileDetail:
    services.acme_profiles.update(actor, profile, **_domain_values(body, only_set=True))
    return AcmeProfileDetail.of(services.acme_profiles.get(actor, profile), request)


@router.delete(
    "/acmeProfiles/{acmeProfileUuid}",
    summary="Delete an ACME profile (422 while RA profiles or accounts depend on it)",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def delete_acme_profile(services: ServicesDep, actor: ActorDep, profile: ProfileUuid) -> Response:
    services.acme_profiles.delete(actor, profile)
    return Response(status_code=204)


@router.patch(
    "/acmeProfiles/{acmeProfileUuid}/enable",
    summary="Enable an ACME profile (422 if it is enabled)",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def enable_acme_profile(services: ServicesDep, actor: ActorDep, profile: ProfileUuid) -> Response:
    services.acme_profiles.enable(actor, profile)
    return Response(status_code=204)


@router.patch(
    "/acmeProfiles/{acmeProfileUuid}/disable",
    summary="Disable an ACME profile (422 if it is disabled)",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def disable_acme_profile(services: ServicesDep, actor: ActorDep, profile: ProfileUuid) -> Response:
    services.acme_profiles.disable(actor, profile)
    return Response(status_code=204)


@router.patch(
    "/acmeProfiles/{acmeProfileUuid}/raprofile/{raProfileUuid}",
    summary="Set the default RA profile; accounts bound through the default follow it",
    response_model=AcmeProfileDetail,
    responses=_NOT_FOUND,
)
def set_default_ra_profile(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    profile: ProfileUuid,
    ra_profile: Annotated[str, Path(alias="raProfileUuid", max_length=36)],
) -> AcmeProfileDetail:
    view = services.acme_profiles.set_default_ra_profile(actor, profile, ra_profile)
    return AcmeProfileDetail.of(view, request)
