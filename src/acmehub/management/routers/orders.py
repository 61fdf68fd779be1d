"""The order browser over the API: list with filters and one order in full (auditor role).

What the UI's order pages show (services/order_browser.py): statuses as a client sees them now
(an expired pending order reads invalid), each authorization with its challenges and their
errors (RFC 8555 §6.7 problem documents, as the ACME client got them), the certificate if any.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from acmehub.domain.errors import Problem as AcmeError
from acmehub.domain.model import (
    AuthzStatus,
    ChallengeStatus,
    Identifier,
    OrderStatus,
)
from acmehub.domain.ports import OrderFilter, Page
from acmehub.management.deps import ActorDep, ServicesDep
from acmehub.management.openapi import Problem
from acmehub.management.routers.certificates import CertificateSummary
from acmehub.management.routers.strict_query import reject_unknown_query
from acmehub.services.certificate_admin import CertificateView
from acmehub.services.order_browser import AuthorizationDetail, OrderDetail, OrderSummary

router = APIRouter(tags=["Orders"], dependencies=[Depends(reject_unknown_query)])

MAX_PAGE = 1000


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class OrderIdentifier(_Camel):
    type: str = Field(description='"dns" or "ip"')
    value: str

    @classmethod
    def of(cls, identifier: Identifier) -> OrderIdentifier:
        return cls(type=identifier.type, value=identifier.value)


class AcmeProblem(_Camel):
    """An ACME problem document (RFC 8555 §6.7), as the client was told."""

    type: str = Field(description="urn:ietf:params:acme:error:...")
    detail: str
    identifier: OrderIdentifier | None = None
    subproblems: list[AcmeProblem] = Field(default_factory=list)

    @classmethod
    def of(cls, problem: AcmeError | None) -> AcmeProblem | None:
        if problem is None:
            return None
        ident = problem.identifier
        return cls(
            type=f"urn:ietf:params:acme:error:{problem.kind.value}",
            detail=problem.detail,
            identifier=OrderIdentifier(type=ident[0], value=ident[1]) if ident else None,
            subproblems=[p for p in (cls.of(s) for s in problem.subproblems) if p is not None],
        )


class OrderSummaryInfo(_Camel):
    id: str = Field(description="The order's protocol id (…/order/{id})")
    identifiers: list[OrderIdentifier]
    status: OrderStatus = Field(description="As a client sees it now")
    error: AcmeProblem | None = Field(description="Why the order failed, as stored")
    acme_profile_uuid: str
    acme_profile_name: str = Field(description='"" when the profile is gone')
    account_id: str = Field(description="The ordering ACME account (protocol id)")
    account_uuid: str | None = Field(description="The ordering ACME account (management id)")
    created_at: datetime
    expires: datetime

    @classmethod
    def of(cls, row: OrderSummary) -> OrderSummaryInfo:
        o = row.order
        return cls(
            id=o.id,
            identifiers=[OrderIdentifier.of(i) for i in o.identifiers],
            status=row.status,
            error=AcmeProblem.of(o.error),
            acme_profile_uuid=o.acme_profile_uuid,
            acme_profile_name=row.acme_profile_name,
            account_id=o.account_id,
            account_uuid=row.account_uuid or None,
            created_at=o.created_at,
            expires=o.expires,
        )


class OrderPage(_Camel):
    items: list[OrderSummaryInfo]
    offset: int
    limit: int
    total: int = Field(description="How many orders match the filters")
    has_more: bool = Field(description="Whether a next page exists (ask with offset + limit)")


class ChallengeInfo(_Camel):
    id: str
    type: str = Field(description="http-01, dns-01, tls-alpn-01")
    status: ChallengeStatus
    token: str
    validated: datetime | None
    error: AcmeProblem | None


class AuthorizationInfo(_Camel):
    id: str
    identifier: OrderIdentifier = Field(description="The base name (no *.)")
    wildcard: bool
    status: AuthzStatus = Field(description="As a client sees it now")
    expires: datetime
    challenges: list[ChallengeInfo]

    @classmethod
    def of(cls, detail: AuthorizationDetail) -> AuthorizationInfo:
        a = detail.authorization
        return cls(
            id=a.id,
            identifier=OrderIdentifier.of(a.identifier),
            wildcard=a.wildcard,
            status=detail.status,
            expires=a.expires,
            challenges=[
                ChallengeInfo(
                    id=c.id,
                    type=c.type.value,
                    status=c.status,
                    token=c.token,
                    validated=c.validated,
                    error=AcmeProblem.of(c.error),
                )
                for c in a.challenges
            ],
        )


class OrderAccount(_Camel):
    id: str = Field(description="Protocol id")
    uuid: str = Field(description="Management id")
    status: str
    enabled: bool
    contact: list[str]


class OrderDetailInfo(_Camel):
    id: str
    identifiers: list[OrderIdentifier]
    status: OrderStatus = Field(description="As a client sees it now")
    stored_status: OrderStatus = Field(description="As stored (the status follows authorizations)")
    error: AcmeProblem | None = Field(
        description="Why it failed: stored, or its first failed authorization's reason"
    )
    created_at: datetime
    expires: datetime
    not_before: datetime | None = Field(description="Requested by the client, if it did")
    not_after: datetime | None = Field(description="Requested by the client, if it did")
    acme_profile_uuid: str
    acme_profile_name: str
    ra_profile_uuid: str
    ra_profile_name: str
    account: OrderAccount | None = Field(description="null only if its row is gone")
    account_id: str
    authorizations: list[AuthorizationInfo]
    certificate: CertificateSummary | None = Field(description="What the order produced")

    @classmethod
    def of(cls, d: OrderDetail) -> OrderDetailInfo:
        o, account = d.order, d.account
        certificate = None
        if d.certificate is not None and d.certificate_status is not None:
            view = CertificateView(d.certificate, d.certificate_status, account)
            certificate = CertificateSummary.of(view)
        return cls(
            id=o.id,
            identifiers=[OrderIdentifier.of(i) for i in o.identifiers],
            status=d.status,
            stored_status=o.status,
            error=AcmeProblem.of(d.error),
            created_at=o.created_at,
            expires=o.expires,
            not_before=o.not_before,
            not_after=o.not_after,
            acme_profile_uuid=o.acme_profile_uuid,
            acme_profile_name=d.acme_profile_name,
            ra_profile_uuid=o.ra_profile_uuid,
            ra_profile_name=d.ra_profile_name,
            account=OrderAccount(
                id=account.id,
                uuid=account.uuid,
                status=account.status.value,
                enabled=account.enabled,
                contact=list(account.contact),
            )
            if account
            else None,
            account_id=o.account_id,
            authorizations=[AuthorizationInfo.of(a) for a in d.authorizations],
            certificate=certificate,
        )


_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such order"}
}


@router.get(
    "/orders",
    summary="List orders (newest first)",
    response_model=OrderPage,
    response_model_by_alias=True,
)
def list_orders(
    services: ServicesDep,
    actor: ActorDep,
    account_uuid: Annotated[str | None, Query(alias="accountUuid", max_length=36)] = None,
    account_id: Annotated[
        str | None, Query(alias="accountId", max_length=64, description="Protocol id")
    ] = None,
    acme_profile_uuid: Annotated[str | None, Query(alias="acmeProfileUuid", max_length=36)] = None,
    name: Annotated[
        str | None, Query(max_length=255, description="Part of any identifier, case-insensitive")
    ] = None,
    status: Annotated[
        OrderStatus | None, Query(description="The stored status (as the UI's filter)")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> OrderPage:
    where = OrderFilter(
        account_id=account_id,
        name=name or None,
        status=status.value if status else None,
        acme_profile_uuid=acme_profile_uuid,
    )
    rows, total = services.order_browser.search(
        actor, where, Page(offset, limit), account_uuid=account_uuid
    )
    return OrderPage(
        items=[OrderSummaryInfo.of(r) for r in rows],
        offset=offset,
        limit=limit,
        total=total,
        has_more=offset + len(rows) < total,
    )


@router.get(
    "/orders/{orderId}",
    summary="Get an order with its authorizations, challenges and certificate",
    response_model=OrderDetailInfo,
    response_model_by_alias=True,
    responses=_NOT_FOUND,
)
def get_order(
    services: ServicesDep,
    actor: ActorDep,
    order_id: Annotated[str, Path(alias="orderId", max_length=64)],
) -> OrderDetailInfo:
    return OrderDetailInfo.of(services.order_browser.get(actor, order_id))
