"""External account binding keys of an ACME profile (RFC 8555 §7.3.4).

* ``POST /acmeProfiles/{uuid}/eabKeys`` (admin) creates a key and answers 201 with its
  ``keyId`` and ``hmacKey`` (base64url, no padding): the secret is shown in this response only.
  The response also carries ready-to-use certbot and lego flags.
* ``GET .../eabKeys`` and ``GET .../eabKeys/{keyId}`` (auditor) never show the secret.
* ``DELETE .../eabKeys/{keyId}`` (operator) revokes the key: it admits no more accounts. The key
  stays listed (state "revoked") because the accounts it admitted keep naming it; repeating the
  DELETE is harmless (204 again).

A profile requires bindings when its ``requireExternalAccountBinding`` is set (directory
``meta.externalAccountRequired``); a binding sent to a profile that does not require one is
checked all the same.
"""

from __future__ import annotations

import base64
import shlex
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.model import AcmeProfile, EabKey
from acmehub.domain.ports import Page
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import MOUNT_PATH, Problem
from acmehub.management.params import Timestamp
from acmehub.management.routers.shared import directory_url
from acmehub.management.routers.strict_query import reject_unknown_query
from acmehub.services.eab import MAX_DESCRIPTION, EabKeyState, NewEabKey, key_state

router = APIRouter(tags=["EAB keys"], dependencies=[Depends(reject_unknown_query)])

MAX_PAGE = 1000
#: Ten years: long enough for any planned key, short enough to stay a real date.
MAX_VALIDITY_SECONDS = 10 * 366 * 86400


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class EabKeyRequest(_Camel):
    # Strict: "true" is not a boolean nor "60" a number (the schema says what it takes).
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, strict=True)

    algorithm: Literal["HS256", "HS384", "HS512"] = Field(
        default="HS256", description="The MAC algorithm the binding must use (RFC 7518 §3.2)"
    )
    reusable: bool = Field(
        default=False, description="false (default): the key admits one account; true: many"
    )
    expires_at: Timestamp | None = Field(
        default=None, description="When the key stops admitting accounts (with a zone)"
    )
    validity_seconds: int | None = Field(
        default=None,
        ge=1,
        le=MAX_VALIDITY_SECONDS,
        description="Alternative to expiresAt: the key expires this long after creation",
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class EabKeyInfo(_Camel):
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


class ClientFlags(_Camel):
    certbot: str = Field(description="certbot register/certonly flags")
    lego: str | None = Field(
        description="lego flags; null when lego cannot use the key "
        "(lego signs bindings with HS256 only)"
    )


class EabKeyCreated(EabKeyInfo):
    hmac_key: str = Field(
        description="The secret, base64url without padding. Shown in this response only."
    )
    directory_url: str = Field(description="The profile's ACME directory")
    clients: ClientFlags


class EabKeyPage(_Camel):
    items: list[EabKeyInfo]
    offset: int
    limit: int
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")


ProfileUuid = Annotated[str, Path(alias="acmeProfileUuid", max_length=36)]
KeyId = Annotated[str, Path(alias="keyId", max_length=100)]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such ACME profile or EAB key"}
}


def _directory_url(request: Request, profile: AcmeProfile) -> str:
    """The profile's directory (the configured base URL, not the caller's Host header)."""
    return directory_url(request, profile.name)


def _flags(directory_url: str, key: EabKey, secret_b64: str) -> ClientFlags:
    certbot = ["--server", directory_url, "--eab-kid", key.key_id, "--eab-hmac-key", secret_b64]
    if key.algorithm != "HS256":
        certbot += ["--eab-hmac-alg", key.algorithm]
    lego = ["--server", directory_url, "--eab", "--kid", key.key_id, "--hmac", secret_b64]
    return ClientFlags(
        certbot=shlex.join(certbot), lego=shlex.join(lego) if key.algorithm == "HS256" else None
    )


@router.post(
    "/acmeProfiles/{acmeProfileUuid}/eabKeys",
    summary="Create an EAB key (the secret is shown once)",
    status_code=201,
    response_model=EabKeyCreated,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def create_eab_key(
    services: ServicesDep,
    actor: ActorDep,
    request: Request,
    response: Response,
    profile_uuid: ProfileUuid,
    body: EabKeyRequest | None = None,
) -> EabKeyCreated:
    body = body or EabKeyRequest()
    spec = NewEabKey(
        algorithm=body.algorithm,
        reusable=body.reusable,
        expires_at=body.expires_at,
        valid_for=timedelta(seconds=body.validity_seconds) if body.validity_seconds else None,
        description=body.description,
    )
    created = services.eab.create(actor, profile_uuid, spec)
    key = created.key
    secret_b64 = base64.urlsafe_b64encode(created.secret).rstrip(b"=").decode("ascii")
    directory_url = _directory_url(request, created.profile)
    response.headers["Location"] = f"{MOUNT_PATH}/acmeProfiles/{profile_uuid}/eabKeys/{key.key_id}"
    response.headers["Cache-Control"] = "no-store"  # the HMAC key: kept by no cache
    return EabKeyCreated(
        **EabKeyInfo.of(key, key.created_at).model_dump(),
        hmac_key=secret_b64,
        directory_url=directory_url,
        clients=_flags(directory_url, key, secret_b64),
    )


@router.get(
    "/acmeProfiles/{acmeProfileUuid}/eabKeys",
    summary="List the EAB keys of an ACME profile (no secrets)",
    response_model=EabKeyPage,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def list_eab_keys(
    services: ServicesDep,
    actor: ActorDep,
    profile_uuid: ProfileUuid,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> EabKeyPage:
    keys = services.eab.list(actor, profile_uuid, Page(offset, limit + 1))
    now = services.eab.now()
    return EabKeyPage(
        items=[EabKeyInfo.of(k, now) for k in keys[:limit]],
        offset=offset,
        limit=limit,
        has_more=len(keys) > limit,
    )


@router.get(
    "/acmeProfiles/{acmeProfileUuid}/eabKeys/{keyId}",
    summary="Get an EAB key (no secret)",
    response_model=EabKeyInfo,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def get_eab_key(
    services: ServicesDep, actor: ActorDep, profile_uuid: ProfileUuid, key_id: KeyId
) -> EabKeyInfo:
    return EabKeyInfo.of(services.eab.get(actor, profile_uuid, key_id), services.eab.now())


@router.delete(
    "/acmeProfiles/{acmeProfileUuid}/eabKeys/{keyId}",
    summary="Revoke an EAB key (it stays listed as revoked)",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def revoke_eab_key(
    services: ServicesDep, actor: ActorDep, profile_uuid: ProfileUuid, key_id: KeyId
) -> Response:
    services.eab.revoke(actor, profile_uuid, key_id)
    return Response(status_code=204)
