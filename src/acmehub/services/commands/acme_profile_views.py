"""ACME profiles as the API and the CLI show them: the detail view (every settable field of
:mod:`acmehub.services.commands.acme_profiles`, and more) and the list's columns."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from acmehub.domain.model import RaProfile
from acmehub.domain.urls import Urls
from acmehub.services.commands.acme_profiles import (
    DOMAIN_NAMES,
    AcmeProfileFields,
    AcmeProfileView,
    CertificateAssociations,
)
from acmehub.services.commands.base import ApiModel, Column, NameAndUuid


class DefaultRaProfile(ApiModel):
    uuid: str
    name: str
    enabled: bool
    authority_uuid: str

    @classmethod
    def of(cls, ra: RaProfile) -> DefaultRaProfile:
        return cls(uuid=ra.uuid, name=ra.name, enabled=ra.enabled, authority_uuid=ra.authority_uuid)


class AcmeProfileDetail(AcmeProfileFields):
    """An ACME profile as the API and the CLI show it: every settable field, and more."""

    uuid: str
    name: str
    enabled: bool
    #: Shown as ``raProfile`` (an object) instead.
    ra_profile_uuid: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    terms_of_service_changed_at: datetime | None = Field(
        description="When termsOfServiceChangeDisable was last switched on"
    )
    ra_profile: DefaultRaProfile | None = Field(description="The default RA profile")
    directory_url: str = Field(description="The ACME directory (ACME-profile URL family)")
    activated_on: list[NameAndUuid] = Field(
        description="RA profiles this ACME profile is activated on (RA-profile URL family)"
    )

    @classmethod
    def of(cls, view: AcmeProfileView, urls: Urls) -> AcmeProfileDetail:
        p = view.profile
        values = {
            name: getattr(p, DOMAIN_NAMES.get(name, name))
            for name in cls.model_fields
            if hasattr(p, DOMAIN_NAMES.get(name, name))
        }
        values["caa_identities"] = list(p.caa_identities)
        values["validation_network"] = str(p.validation_network)
        values["certificate_associations"] = (
            CertificateAssociations.model_validate(p.certificate_associations)
            if p.certificate_associations
            else None
        )
        return cls(
            **values,
            ra_profile=DefaultRaProfile.of(view.default_ra_profile)
            if view.default_ra_profile
            else None,
            directory_url=urls.directory(p.name),
            activated_on=[NameAndUuid(uuid=r.uuid, name=r.name) for r in view.activated_on],
        )


#: The list's columns (the CLI's table), declared once.
COLUMNS: tuple[Column[AcmeProfileDetail], ...] = (
    Column("UUID", lambda d: d.uuid),
    Column("NAME", lambda d: d.name),
    Column("ENABLED", lambda d: d.enabled),
    Column("DEFAULT RA PROFILE", lambda d: d.ra_profile.name if d.ra_profile else None),
    Column("EAB", lambda d: d.require_external_account_binding),
    Column("DIRECTORY", lambda d: d.directory_url),
)
