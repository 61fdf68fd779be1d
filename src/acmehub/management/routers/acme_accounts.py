"""ACME accounts (platform-reference.md, "ACME accounts"): list, detail, enable, disable,
revoke, single and bulk.

Reads need the auditor role, changes the operator role. Enable and disable apply to valid
accounts only; revoke is final. The ACME protocol honours both at once: a disabled account is
refused new orders, finalize, challenge answers and revocation (unauthorized, "disabled by
the administrator"); a revoked one is refused everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.model import AccountStatus
from acmehub.domain.ports import AccountFilter, Page
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import Problem
from acmehub.management.routers.strict_query import reject_unknown_query
from acmehub.services.account_admin import AccountView, BulkFailure, NamedRef

router = APIRouter(tags=["ACME accounts"], dependencies=[Depends(reject_unknown_query)])

MAX_PAGE = 1000
MAX_BULK = 1000


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class ProfileSummary(_Camel):
    uuid: str
    name: str

    @classmethod
    def of(cls, ref: NamedRef) -> ProfileSummary:
        return cls(uuid=ref.uuid, name=ref.name)


class AcmeAccount(_Camel):
    uuid: str = Field(description="Management id")
    account_id: str = Field(description="Protocol id: the last segment of /acct/{accountId}")
    status: AccountStatus = Field(
        description="valid; deactivated (by the client, RFC 8555 §7.3.6); revoked (by an "
        "administrator, final)"
    )
    enabled: bool = Field(
        description="The administrator's switch; disabled accounts cannot "
        "order, finalize, answer challenges or revoke"
    )
    contact: list[str]
    terms_of_service_agreed: bool
    eab_key_id: str | None = Field(description="The EAB key that admitted the account, if any")
    created_at: datetime
    acme_profile: ProfileSummary
    ra_profile: ProfileSummary
    total_orders: int
    pending_orders: int
    ready_orders: int
    processing_orders: int
    valid_orders: int
    failed_orders: int = Field(description="Orders that became invalid")

    @classmethod
    def of(cls, view: AccountView) -> AcmeAccount:
        a, counts = view.account, view.order_counts
        return cls(
            uuid=a.uuid,
            account_id=a.id,
            status=a.status,
            enabled=a.enabled,
            contact=list(a.contact),
            terms_of_service_agreed=a.terms_of_service_agreed,
            eab_key_id=a.eab_key_id,
            created_at=a.created_at,
            acme_profile=ProfileSummary.of(view.acme_profile),
            ra_profile=ProfileSummary.of(view.ra_profile),
            total_orders=counts.get("total", 0),
            pending_orders=counts.get("pending", 0),
            ready_orders=counts.get("ready", 0),
            processing_orders=counts.get("processing", 0),
            valid_orders=counts.get("valid", 0),
            failed_orders=counts.get("invalid", 0),
        )


class AcmeAccountPage(_Camel):
    items: list[AcmeAccount]
    offset: int
    limit: int
    total: int = Field(description="How many accounts match the filters")
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")


class BulkActionMessage(_Camel):
    uuid: str
    name: str = Field(description="The account id (accounts have no name)")
    message: str

    @classmethod
    def of(cls, failure: BulkFailure) -> BulkActionMessage:
        return cls(uuid=failure.uuid, name=failure.name, message=failure.message)


ProfileUuid = Annotated[str, Path(alias="acmeProfileUuid", max_length=36)]
AccountUuid = Annotated[str, Path(alias="acmeAccountUuid", max_length=36)]
UuidList = Annotated[
    list[Annotated[str, Field(max_length=36)]],
    Body(max_length=MAX_BULK, description="UUIDs of the accounts"),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such ACME profile or account"}
}


@router.get(
    "/acmeAccounts",
    summary="List ACME accounts",
    response_model=AcmeAccountPage,
    response_model_by_alias=True,
)
def list_acme_accounts(
    services: ServicesDep,
    actor: ActorDep,
    acme_profile_uuid: Annotated[str | None, Query(alias="acmeProfileUuid", max_length=36)] = None,
    ra_profile_uuid: Annotated[str | None, Query(alias="raProfileUuid", max_length=36)] = None,
    status: Annotated[AccountStatus | None, Query()] = None,
    enabled: Annotated[bool | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AcmeAccountPage:
    where = AccountFilter(acme_profile_uuid, ra_profile_uuid, status, enabled)
    views, total = services.account_admin.search(actor, where, Page(offset, limit))
    return AcmeAccountPage(
        items=[AcmeAccount.of(v) for v in views],
        offset=offset,
        limit=limit,
        total=total,
        has_more=offset + len(views) < total,
    )


@router.patch(
    "/acmeAccounts/enable",
    summary="Enable ACME accounts (bulk)",
    response_model=list[BulkActionMessage],
)
def bulk_enable(services: ServicesDep, actor: ActorDep, uuids: UuidList) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.account_admin.bulk_enable(actor, uuids)]


@router.patch(
    "/acmeAccounts/disable",
    summary="Disable ACME accounts (bulk)",
    response_model=list[BulkActionMessage],
)
def bulk_disable(
    services: ServicesDep, actor: ActorDep, uuids: UuidList
) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.account_admin.bulk_disable(actor, uuids)]


@router.put(
    "/acmeAccounts/revoke",
    summary="Revoke ACME accounts (bulk)",
    response_model=list[BulkActionMessage],
)
def bulk_revoke(services: ServicesDep, actor: ActorDep, uuids: UuidList) -> list[BulkActionMessage]:
    return [BulkActionMessage.of(f) for f in services.account_admin.bulk_revoke(actor, uuids)]


@router.get(
    "/acmeProfiles/{acmeProfileUuid}/acmeAccounts/{acmeAccountUuid}",
    summary="Get an ACME account with its order counts",
    response_model=AcmeAccount,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def get_acme_account(
    services: ServicesDep, actor: ActorDep, profile: ProfileUuid, account: AccountUuid
) -> AcmeAccount:
    return AcmeAccount.of(services.account_admin.get(actor, profile, account))


@router.post(
    "/acmeProfiles/{acmeProfileUuid}/acmeAccounts/{acmeAccountUuid}",
    summary="Revoke an ACME account (final)",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def revoke_acme_account(
    services: ServicesDep, actor: ActorDep, profile: ProfileUuid, account: AccountUuid
) -> Response:
    services.account_admin.revoke(actor, profile, account)
    return Response(status_code=204)


@router.patch(
    "/acmeProfiles/{acmeProfileUuid}/acmeAccounts/{acmeAccountUuid}/enable",
    summary="Enable an ACME account",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def enable_acme_account(
    services: ServicesDep, actor: ActorDep, profile: ProfileUuid, account: AccountUuid
) -> Response:
    services.account_admin.enable(actor, profile, account)
    return Response(status_code=204)


@router.patch(
    "/acmeProfiles/{acmeProfileUuid}/acmeAccounts/{acmeAccountUuid}/disable",
    summary="Disable an ACME account",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
)
def disable_acme_account(
    services: ServicesDep, actor: ActorDep, profile: ProfileUuid, account: AccountUuid
) -> Response:
    services.account_admin.disable(actor, profile, account)
    return Response(status_code=204)
