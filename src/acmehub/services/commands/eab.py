"""External account binding keys (RFC 8555 §7.3.4): the command that creates one and the views
the API, the web interface and the CLI show. A key's secret appears in one view only
(:class:`EabKeyCreated`, the answer to its creation); no read shows it again.
"""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.model import AcmeProfile, EabKey
from acmehub.domain.urls import Urls
from acmehub.services.commands.base import ApiModel, Column, Int, OneOf, Text, Timestamp, ui

#: The MAC algorithms a key may be made for (RFC 7518 §3.2).
EAB_ALGORITHMS = ("HS256", "HS384", "HS512")
MAX_DESCRIPTION = 500
#: Ten years: long enough for any planned key, short enough to stay a real date.
MAX_VALIDITY_SECONDS = 10 * 366 * 86400


@dataclass(frozen=True)
class CreatedEabKey:
    key: EabKey
    #: The MAC key: returned this once, never shown again.
    secret: bytes
    profile: AcmeProfile


class EabKeyState(StrEnum):
    """What a key can still do, derived from its fields at a given time."""

    ACTIVE = "active"  # admits new accounts
    USED = "used"  # single-use and used
    EXPIRED = "expired"
    REVOKED = "revoked"


def key_state(key: EabKey, now: datetime) -> EabKeyState:
    if key.revoked_at is not None:
        return EabKeyState.REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return EabKeyState.EXPIRED
    if not key.reusable and key.used_count > 0:
        return EabKeyState.USED
    return EabKeyState.ACTIVE


class EabKeyRequest(ApiModel):
    """Create an EAB key (POST /acmeProfiles/{uuid}/eabKeys); every field may be left out."""

    # Strict: "true" is not a boolean nor "60" a number (the schema says what it takes).
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, strict=True)

    description: Text(MAX_DESCRIPTION) = Field(  # type: ignore[valid-type]
        default="", title="Description", json_schema_extra=ui(help="Who the key is for.")
    )
    algorithm: OneOf(*EAB_ALGORITHMS) = Field(  # type: ignore[valid-type]
        default="HS256",
        title="MAC algorithm",
        description="The MAC algorithm the binding must use (RFC 7518 §3.2)",
        json_schema_extra=ui(widget="select", choices=EAB_ALGORITHMS),
    )
    validity_seconds: Int(1, MAX_VALIDITY_SECONDS) | None = Field(  # type: ignore[valid-type]
        default=None,
        title="Valid for (seconds, optional)",
        description="Alternative to expiresAt: the key expires this long after creation",
        json_schema_extra=ui(cli="valid-for", help="Empty: the key never expires."),
    )
    expires_at: Timestamp | None = Field(
        default=None,
        title="Expires at (optional)",
        description="When the key stops admitting accounts (with a zone)",
        json_schema_extra=ui(help="Instead of a validity: e.g. 2030-01-01T00:00:00Z."),
    )
    reusable: bool = Field(
        default=False,
        title="Reusable (admits more than one account)",
        description="false (default): the key admits one account; true: many",
        json_schema_extra=ui(flag=True, help="Without it the key admits one account."),
    )


class EabKeyInfo(ApiModel):
    """A key as every read shows it: never its secret."""

    key_id: str = Field(description='The "kid" of the binding')
    acme_profile_uuid: str
    algorithm: str
    reusable: bool
    state: EabKeyState = Field(
        description="active; used (single-use and used); expired; revoked — only active "
        "keys admit accounts"
    )
    used_count: int = Field(description="How many accounts the key admitted")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    description: str

    @classmethod
    def of(cls, key: EabKey, now: datetime) -> EabKeyInfo:
        return cls(
            key_id=key.key_id,
            acme_profile_uuid=key.acme_profile_uuid,
            algorithm=key.algorithm,
            reusable=key.reusable,
            state=key_state(key, now),
            used_count=key.used_count,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            description=key.description,
        )


class ClientFlags(ApiModel):
    certbot: str = Field(description="certbot register/certonly flags")
    lego: str | None = Field(
        description="lego flags; null when lego cannot use the key "
        "(lego signs bindings with HS256 only)"
    )


class EabKeyCreated(EabKeyInfo):
    """The answer to a creation: the key, its secret (this once) and how clients use it."""

    hmac_key: str = Field(
        description="The secret, base64url without padding. Shown in this response only."
    )
    directory_url: str = Field(description="The profile's ACME directory")
    clients: ClientFlags

    @classmethod
    def made(cls, created: CreatedEabKey, urls: Urls) -> EabKeyCreated:
        """The directory URL comes from the configured base URL (``urls``), never from the
        Host header of the request that asked."""
        key = created.key
        secret = base64.urlsafe_b64encode(created.secret).rstrip(b"=").decode("ascii")
        directory = urls.directory(created.profile.name)
        certbot = ["--server", directory, "--eab-kid", key.key_id, "--eab-hmac-key", secret]
        if key.algorithm != "HS256":
            certbot += ["--eab-hmac-alg", key.algorithm]
        lego = ["--server", directory, "--eab", "--kid", key.key_id, "--hmac", secret]
        return cls(
            **EabKeyInfo.of(key, key.created_at).model_dump(),
            hmac_key=secret,
            directory_url=directory,
            clients=ClientFlags(
                certbot=shlex.join(certbot),
                lego=shlex.join(lego) if key.algorithm == "HS256" else None,
            ),
        )


#: The list's columns (the CLI's table), declared once.
COLUMNS: tuple[Column[EabKeyInfo], ...] = (
    Column("KEY ID", lambda k: k.key_id),
    Column("ALG", lambda k: k.algorithm),
    Column("STATE", lambda k: k.state.value),
    Column("REUSABLE", lambda k: k.reusable),
    Column("USED", lambda k: k.used_count),
    Column("CREATED", lambda k: k.created_at),
    Column("EXPIRES", lambda k: k.expires_at),
    Column("DESCRIPTION", lambda k: k.description),
)
