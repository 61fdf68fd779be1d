"""Certificate profiles of an RA profile (draft-ietf-acme-profiles): the commands that create and
change one and the view the API, the web interface and the CLI show. A field added here appears
in all three without further code.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from acmehub.domain.certificate_profiles import PROFILE_NAME_PATTERN, CertificateProfile
from acmehub.domain.identifiers import MAX_IDENTIFIERS
from acmehub.services.commands.base import ApiModel, Column, Int, PageQuery, change_command, ui
from acmehub.services.commands.ra_profiles import MAX_VALIDITY
from acmehub.services.profile_rules import MAX_DESCRIPTION

Usage = Literal["serverAuth", "clientAuth"]
ProfileName = Annotated[str, Field(pattern=PROFILE_NAME_PATTERN)]
Validity = Int(1, MAX_VALIDITY)
MaxNames = Int(1, MAX_IDENTIFIERS)

_CP = "Certificate profile"


class _CertificateProfileFields(ApiModel):
    description: str = Field(
        default="",
        max_length=MAX_DESCRIPTION,
        title="Description",
        description="Shown to ACME clients in the directory's meta.profiles",
        json_schema_extra=ui(group=_CP, widget="textarea"),
    )
    is_default: bool = Field(
        default=False,
        title="Default profile",
        description="What an order without a profile is issued under; making one the default "
        "unmarks the former default",
        json_schema_extra=ui(group=_CP, cli="default"),
    )
    validity: Validity | None = Field(  # type: ignore[valid-type]
        default=None,
        title="Certificate validity (seconds)",
        description="Seconds; null: the RA profile's validityDefault. At most its validityMax",
        json_schema_extra=ui(
            group=_CP,
            help="7776000 = 90 days, 604800 = 7 days. Empty: the RA profile's default validity.",
        ),
    )
    crl_distribution_point: bool = Field(
        default=True,
        title="Include the CRL distribution point",
        description="Certificates name the CA's CRL (RFC 5280 §4.2.1.13)",
        json_schema_extra=ui(group=_CP, cli="crl-dp"),
    )
    extended_key_usages: list[Usage] = Field(
        default_factory=list,
        max_length=2,
        title="Extended key usages",
        description="Empty: the RA profile's issuance policy's",
        json_schema_extra=ui(group=_CP, widget="checkboxes", form="ekus", cli="ekus", sep=","),
    )
    common_name: bool = Field(
        default=True,
        title="Set the subject CN",
        description="The first name as the subject's CN; off: an empty subject, the names in "
        "the (then critical) SAN only",
        json_schema_extra=ui(group=_CP, cli="common-name"),
    )
    max_names: MaxNames | None = Field(  # type: ignore[valid-type]
        default=None,
        title="Most names in one certificate",
        description="Null: the RA profile's issuancePolicy.maxNames (which applies as well)",
        json_schema_extra=ui(group=_CP),
    )

    def changes(self, *, only_set: bool) -> dict[str, Any]:
        """The CertificateProfile fields (but the name) this command sets."""
        names = self.model_fields_set if only_set else type(self).model_fields.keys()
        values = {name: getattr(self, name) for name in names if name != "name"}
        return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


class CertificateProfileRequest(_CertificateProfileFields):
    """Create a certificate profile on an RA profile."""

    name: ProfileName = Field(
        title="Name",
        description="What clients send as new-order's profile; unique on the RA profile",
        json_schema_extra=ui(
            group=_CP,
            order=0,
            help="1-64 of A-Z a-z 0-9 - . _, starting with a letter or digit: e.g. tlsserver.",
        ),
    )


@change_command
class CertificateProfileUpdate(_CertificateProfileFields):
    """Change a certificate profile (PUT): fields left out keep their values; the name cannot
    change (orders and clients' configurations name it)."""


class CertificateProfileSearch(PageQuery):
    """A page of an RA profile's certificate profiles."""


class CertificateProfileDetail(ApiModel):
    uuid: str
    ra_profile_uuid: str
    name: str
    description: str
    is_default: bool
    validity: int | None = Field(description="Seconds; null: the RA profile's validityDefault")
    effective_validity: int = Field(description="What an order without notAfter gets, s")
    crl_distribution_point: bool
    extended_key_usages: list[str] = Field(description="Empty: the issuance policy's")
    common_name: bool
    max_names: int | None = Field(description="Null: the RA profile's issuancePolicy.maxNames")

    @classmethod
    def of(cls, profile: CertificateProfile, effective_validity: int) -> CertificateProfileDetail:
        return cls(
            uuid=profile.uuid,
            ra_profile_uuid=profile.ra_profile_uuid,
            name=profile.name,
            description=profile.description,
            is_default=profile.is_default,
            validity=profile.validity,
            effective_validity=effective_validity,
            crl_distribution_point=profile.crl_distribution_point,
            extended_key_usages=list(profile.extended_key_usages),
            common_name=profile.common_name,
            max_names=profile.max_names,
        )


def _days(seconds: int) -> str:
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds}s"


#: The list's columns (the CLI's table), declared once.
COLUMNS: tuple[Column[CertificateProfileDetail], ...] = (
    Column("UUID", lambda d: d.uuid),
    Column("NAME", lambda d: d.name),
    Column("DEFAULT", lambda d: d.is_default),
    Column("VALIDITY", lambda d: _days(d.effective_validity)),
    Column("CRL DP", lambda d: d.crl_distribution_point),
    Column("CN", lambda d: d.common_name),
    Column("EKUS", lambda d: ",".join(d.extended_key_usages) or "(policy)"),
    Column("DESCRIPTION", lambda d: d.description),
)
