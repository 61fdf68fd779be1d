"""Authorities (CAs): the command that creates one (generate a new CA, or import one) and the
view the API and the CLI show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from acmehub.domain.model import Authority, RaProfile
from acmehub.domain.urls import Urls
from acmehub.services.commands.base import ApiModel, Column, NameAndUuid, NotBlank, ui

MAX_PEM = 100_000
#: Printable ASCII and line ends: what PEM text is made of (RFC 7468 §3).
PEM_PATTERN = r"^[\t\n\r\x20-\x7e]*$"
KeyType = Literal["ec-p256", "ec-p384", "rsa-3072"]
#: Key types the embedded provisioner generates CAs with.
KEY_TYPES: tuple[str, ...] = get_args(KeyType)

_AUTHORITY = "Authority"
_IMPORT = "The CA to import"


@dataclass(frozen=True)
class CaCertificateInfo:
    """The Authority's issuing certificate as an administrator checks it."""

    subject: str
    issuer: str
    #: Whole octets, as ``openssl x509 -serial`` shows it.
    serial_hex: str
    not_before: datetime
    not_after: datetime
    #: The issuing certificate, then its issuers (root last), PEM.
    chain_pem: str


@dataclass(frozen=True)
class AuthorityView:
    authority: Authority
    certificate: CaCertificateInfo | None
    #: Why ``certificate`` could not be read (e.g. the key's passphrase is not configured).
    problem: str | None
    ra_profiles: tuple[RaProfile, ...]
    #: Alternate chains (RFC 8555 §7.4.2): a cross-signed twin of the issuing CA, then its
    #: root, PEM; offered beside the default chain on every certificate download.
    alternate_chains: tuple[str, ...] = ()


def _pem_text(value: Any, handler: Any) -> Any:
    try:
        return handler(value)
    except ValidationError as exc:
        if any(e["type"] != "string_pattern_mismatch" for e in exc.errors()):
            raise
        raise PydanticCustomError(
            "pem", "must be PEM text (RFC 7468 §3: printable ASCII)"
        ) from None


#: PEM text (RFC 7468 §3), at most MAX_PEM characters (three of them fit the 1 MiB body cap,
#: JSON escapes included); ``RequiredPem`` must be given.
Pem = Annotated[str, Field(max_length=MAX_PEM, pattern=PEM_PATTERN), WrapValidator(_pem_text)]
_BLANK = NotBlank("is required to import a CA", MAX_PEM)
RequiredPem = Annotated[_BLANK, Field(pattern=PEM_PATTERN), WrapValidator(_pem_text)]  # type: ignore[valid-type]


class ImportCaRequest(ApiModel):
    certificate: RequiredPem = Field(
        description="The issuing CA certificate, PEM",
        title="CA certificate (PEM)",
        json_schema_extra=ui(widget="pem", form="certPem"),
    )
    private_key: RequiredPem = Field(
        description="Its private key, PEM",
        title="CA private key (PEM)",
        json_schema_extra=ui(
            widget="pem",
            form="keyPem",
            help="Stored by the server's CA provisioner; never shown again.",
        ),
    )
    chain: Pem = Field(
        default="",
        description="Its issuers, nearest first, PEM",
        title="Chain above it (PEM, optional)",
        json_schema_extra=ui(widget="pem", form="chainPem"),
    )
    passphrase: str | None = Field(
        default=None,
        max_length=1000,
        description="Opens privateKey when it is encrypted",
        title="Key passphrase (optional)",
        json_schema_extra=ui(widget="password", form="passphrase"),
    )

    @property
    def passphrase_bytes(self) -> bytes | None:
        return self.passphrase.encode() if self.passphrase else None


class AuthorityRequest(ApiModel):
    """Create an embedded Authority (POST /authorities): generate a root and an intermediate,
    or import an existing CA (``importCa``)."""

    name: str = Field(
        min_length=1, max_length=200, title="Name", json_schema_extra=ui(group=_AUTHORITY)
    )
    kind: Literal["embedded"] = Field(default="embedded", description="CA backend type")
    key_type: KeyType = Field(
        default="ec-p256",
        description="For a generated CA (ignored on import)",
        title="Key type",
        json_schema_extra=ui(
            group=_AUTHORITY,
            widget="select",
            help="A new root and issuing CA are generated with this key type.",
        ),
    )
    import_ca: ImportCaRequest | None = Field(
        default=None,
        description="Import this CA instead of generating a root and intermediate",
        title=_IMPORT,
        json_schema_extra=ui(fieldset=True),
    )


# --------------------------------------------------------------------------- views


class CaCertificate(ApiModel):
    subject: str
    issuer: str
    serial_number: str = Field(description="Lower-case hex, whole octets (as openssl shows it)")
    not_before: datetime
    not_after: datetime


class AuthorityDetail(ApiModel):
    uuid: str
    name: str
    kind: str = Field(description='CA backend type, e.g. "embedded"')
    enabled: bool = Field(description="A disabled Authority refuses issuance")
    key_type: str | None
    certificate: CaCertificate | None = Field(description="The issuing CA certificate")
    chain: str | None = Field(description="The issuing certificate, then its issuers (PEM)")
    problem: str | None = Field(description="Why the certificate cannot be shown, if so")
    crl_url: str = Field(description="The Authority's CRL (RFC 5280)")
    ra_profiles: list[NameAndUuid]
    alternate_chains: list[str] = Field(
        default_factory=list,
        description="Alternate chains offered with every certificate (RFC 8555 §7.4.2): the "
        "issuing CA cross-signed by another root, then that root (PEM)",
    )

    @classmethod
    def of(cls, view: AuthorityView, urls: Urls) -> AuthorityDetail:
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
            crl_url=urls.crl(a.uuid),
            ra_profiles=[NameAndUuid(uuid=r.uuid, name=r.name) for r in view.ra_profiles],
            alternate_chains=list(view.alternate_chains),
        )


#: The list's columns (the CLI's table), declared once.
COLUMNS: tuple[Column[AuthorityDetail], ...] = (
    Column("UUID", lambda d: d.uuid),
    Column("NAME", lambda d: d.name),
    Column("KIND", lambda d: d.kind),
    Column("ENABLED", lambda d: d.enabled),
    Column("KEY TYPE", lambda d: d.key_type),
    Column("CA EXPIRES", lambda d: d.certificate.not_after if d.certificate else d.problem),
    Column("RA PROFILES", lambda d: ", ".join(r.name for r in d.ra_profiles)),
)
