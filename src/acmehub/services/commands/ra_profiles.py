"""RA profiles: the commands that create and change one (with the issuance policy as a nested
command), the ACME activation, and the views the API and the CLI show. A field added here
appears in the API, its OpenAPI document, the web form and the CLI's options without further
code.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal, cast

from pydantic import Field

from acmehub.domain.identifiers import MAX_IDENTIFIERS
from acmehub.domain.model import AcmeProfile, Authority, IssuancePolicy, RaProfile
from acmehub.domain.policy import MAX_LABELS_RANGE, MAX_PATTERNS, MIN_RSA_BITS_RANGE
from acmehub.domain.urls import Urls
from acmehub.services.commands.base import (
    ApiModel,
    Column,
    Int,
    NameAndUuid,
    PageQuery,
    UrlName,
    change_command,
    ui,
)
from acmehub.services.profile_rules import MAX_DESCRIPTION

DAY = 86400
#: Certificate validity bounds, seconds (ten years keeps every date arithmetic in range).
MAX_VALIDITY = 3650 * DAY
_POLICY = IssuancePolicy()

PolicyKeyType = Literal["rsa", "ec-p256", "ec-p384"]
Usage = Literal["serverAuth", "clientAuth"]
Pattern = Annotated[str, Field(min_length=1, max_length=253)]
#: RFC 8659 §4.2 issuer-domain-name: LDH labels joined by dots.
CaaDomain = Annotated[
    str,
    Field(
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9](-*[A-Za-z0-9])*(\.[A-Za-z0-9](-*[A-Za-z0-9])*)*$",
    ),
]
Validity = Int(1, MAX_VALIDITY)
MaxNames = Int(1, MAX_IDENTIFIERS)
MaxLabels = Int(*MAX_LABELS_RANGE)
RsaBits = Int(*MIN_RSA_BITS_RANGE)

_RA = "RA profile"
_PATTERN_HELP = (
    "example.com (that name), .example.com (any name below it), *.example.com (that wildcard), "
    "10.0.0.0/8 (IP range). Empty: any name."
)


@dataclass(frozen=True)
class RaProfileView:
    profile: RaProfile
    authority: Authority
    #: The ACME profile activated on this RA profile, if any.
    acme_profile: AcmeProfile | None


# --------------------------------------------------------------------------- issuance policy


class _PolicyFields(ApiModel):
    """What the RA profile lets through; refusals name the rule (e.g. issuancePolicy.maxNames).

    Patterns: "example.com" (that name), ".example.com" (any name below it), "*.example.com"
    (that wildcard), "10.0.0.0/8" (IP identifiers in the range). Denied wins over allowed;
    an empty allowedIdentifiers allows any name.
    """

    allowed_identifiers: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        title="Allowed identifiers, one per line",
        json_schema_extra=ui(widget="lines", cli="allow", help=_PATTERN_HELP),
    )
    denied_identifiers: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        title="Denied identifiers, one per line",
        description="Denied wins over allowed",
        json_schema_extra=ui(widget="lines", cli="deny"),
    )
    allow_wildcards: bool = Field(
        default=_POLICY.allow_wildcards,
        title="Allow wildcard names",
        json_schema_extra=ui(cli="wildcards"),
    )
    max_names: MaxNames = Field(  # type: ignore[valid-type]
        default=_POLICY.max_names, title="Most names in one certificate"
    )
    max_labels: MaxLabels = Field(  # type: ignore[valid-type]
        default=_POLICY.max_labels,
        title="Most labels in one name",
        description='A wildcard\'s "*" not counted; "www.example.com" has 3',
    )
    allowed_key_types: list[PolicyKeyType] = Field(
        default_factory=lambda: cast(list[PolicyKeyType], list(_POLICY.allowed_key_types)),
        min_length=1,
        max_length=3,
        title="Allowed key types",
        json_schema_extra=ui(widget="checkboxes", form="keyTypes", cli="key-types", sep=","),
    )
    min_rsa_bits: RsaBits = Field(  # type: ignore[valid-type]
        default=_POLICY.min_rsa_bits, title="Smallest RSA key (bits)"
    )
    extended_key_usages: list[Usage] = Field(
        default_factory=lambda: cast(list[Usage], list(_POLICY.extended_key_usages)),
        min_length=1,
        max_length=2,
        title="Extended key usages",
        json_schema_extra=ui(widget="checkboxes", form="ekus", cli="ekus", sep=","),
    )

    caa_issuer_domains: list[CaaDomain] = Field(
        default_factory=list,
        max_length=20,
        title="CAA issuer domain names, one per line",
        description="Names a CAA issue record must carry (RFC 8659 §4.2); empty: the ACME "
        "profile's caaIdentities. The directory advertises these as meta.caaIdentities",
        json_schema_extra=ui(widget="lines", cli="caa-issuer"),
    )
    allowed_ip_networks: list[Pattern] = Field(
        default_factory=list,
        max_length=MAX_PATTERNS,
        title="Allowed IP networks, one per line",
        description="IP address identifiers (RFC 8738) in these networks may be ordered, "
        "e.g. 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7; empty: no IP identifiers",
        json_schema_extra=ui(widget="lines", cli="allow-ip"),
    )

    def changes(self, *, only_set: bool) -> dict[str, Any]:
        """The IssuancePolicy fields this command sets (all, or only the ones it carries)."""
        names = self.model_fields_set if only_set else type(self).model_fields.keys()
        values = {name: getattr(self, name) for name in names}
        return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


class IssuancePolicyRequest(_PolicyFields):
    """The issuance policy of a new RA profile; absent fields take the defaults."""

    @classmethod
    def of(cls, policy: IssuancePolicy) -> IssuancePolicyRequest:
        return cls.model_validate({f.name: getattr(policy, f.name) for f in fields(policy)})


@change_command
class IssuancePolicyUpdate(_PolicyFields):
    """A policy change in a PUT: fields left out keep their values."""


# --------------------------------------------------------------------------- RA profiles


class _RaProfileFields(ApiModel):
    description: str = Field(
        default="",
        max_length=MAX_DESCRIPTION,
        title="Description",
        json_schema_extra=ui(group=_RA, widget="textarea"),
    )
    validity_default: Validity = Field(  # type: ignore[valid-type]
        default=90 * DAY,
        title="Default certificate validity (seconds)",
        description="Seconds; left out: 90 days, or validityMax when that is shorter",
        json_schema_extra=ui(group=_RA, help="7776000 = 90 days."),
    )
    validity_max: Validity = Field(  # type: ignore[valid-type]
        default=397 * DAY,
        title="Maximum certificate validity (seconds)",
        description="Longest certificate validity an order may ask, seconds",
        json_schema_extra=ui(group=_RA, help="34300800 = 397 days."),
    )

    def changes(self, *, only_set: bool) -> dict[str, Any]:
        """The RaProfile fields (but the policy) this command sets."""
        names = self.model_fields_set if only_set else type(self).model_fields.keys()
        return {
            name: getattr(self, name) for name in names if name not in ("name", "issuance_policy")
        }


class RaProfileRequest(_RaProfileFields):
    """Create an RA profile (POST /authorities/{authorityUuid}/raProfiles)."""

    name: UrlName("RA Profile") = Field(  # type: ignore[valid-type]
        title="Name",
        description="Unique; appears in ACME URLs",
        json_schema_extra=ui(
            group=_RA,
            order=0,
            help="Appears in ACME URLs (/acme/raProfile/NAME/): letters, digits and - . _ ~.",
        ),
    )
    enabled: bool = Field(default=True, title="Enabled", json_schema_extra=ui(group=_RA, order=2))
    issuance_policy: IssuancePolicyRequest = Field(
        default_factory=IssuancePolicyRequest,
        title="Issuance policy",
        json_schema_extra=ui(fieldset=True),
    )


@change_command
class RaProfileUpdate(_RaProfileFields):
    """Change an RA profile (PUT): fields left out keep their values; the name cannot change."""

    issuance_policy: IssuancePolicyUpdate = Field(
        title="Issuance policy", json_schema_extra=ui(fieldset=True)
    )


class RaProfileSearch(PageQuery):
    """A page of an Authority's RA profiles."""

    search: str | None = Field(
        default=None, max_length=200, description="Name or description contains (any case)"
    )


class RaProfileQuery(RaProfileSearch):
    """A page of RA profiles, filtered."""

    authority_uuid: str | None = Field(default=None, max_length=36, description="Of this Authority")


class ActivateAcmeRequest(ApiModel):
    """The attributes of an ACME profile's activation on an RA profile."""

    issue_certificate_attributes: dict[str, Any] = Field(
        default_factory=dict,
        title="Issue certificate attributes (JSON object)",
        json_schema_extra=ui(widget="json", cli="issue-attributes"),
    )
    revoke_certificate_attributes: dict[str, Any] = Field(
        default_factory=dict,
        title="Revoke certificate attributes (JSON object)",
        json_schema_extra=ui(widget="json", cli="revoke-attributes"),
    )


# --------------------------------------------------------------------------- views


class RaProfileDetail(ApiModel):
    uuid: str
    name: str
    description: str
    enabled: bool
    authority: NameAndUuid
    validity_default: int = Field(description="Certificate validity when the order sets none, s")
    validity_max: int = Field(description="Longest certificate validity an order may ask, s")
    issuance_policy: IssuancePolicyRequest
    acme_profile: NameAndUuid | None = Field(description="The ACME profile activated on it")

    @classmethod
    def of(cls, view: RaProfileView) -> RaProfileDetail:
        p = view.profile
        acme = view.acme_profile
        return cls(
            uuid=p.uuid,
            name=p.name,
            description=p.description,
            enabled=p.enabled,
            authority=NameAndUuid(uuid=view.authority.uuid, name=view.authority.name),
            validity_default=p.validity_default,
            validity_max=p.validity_max,
            issuance_policy=IssuancePolicyRequest.of(p.policy),
            acme_profile=NameAndUuid(uuid=acme.uuid, name=acme.name) if acme else None,
        )


class RaProfileAcme(ApiModel):
    """platform-reference.md: the RA profile's ACME row."""

    acme_available: bool = Field(description="Whether an ACME profile is activated")
    uuid: str | None = Field(description="The activated ACME profile")
    name: str | None
    directory_url: str | None = Field(description="The RA-profile URL family's directory")
    issue_certificate_attributes: dict[str, Any] | None
    revoke_certificate_attributes: dict[str, Any] | None

    @classmethod
    def of(cls, view: RaProfileView, urls: Urls) -> RaProfileAcme:
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
            directory_url=urls.ra_directory(ra.name),
            issue_certificate_attributes=ra.acme_issue_attributes,
            revoke_certificate_attributes=ra.acme_revoke_attributes,
        )


#: The list's columns (the CLI's table), declared once.
COLUMNS: tuple[Column[RaProfileDetail], ...] = (
    Column("UUID", lambda d: d.uuid),
    Column("NAME", lambda d: d.name),
    Column("ENABLED", lambda d: d.enabled),
    Column("AUTHORITY", lambda d: d.authority.name),
    Column("ACME PROFILE", lambda d: d.acme_profile.name if d.acme_profile else None),
    Column(
        "VALIDITY (DEFAULT/MAX)",
        lambda d: f"{d.validity_default // 86400}d / {d.validity_max // 86400}d",
    ),
)
