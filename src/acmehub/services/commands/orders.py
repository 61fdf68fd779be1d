"""Orders: the order browser's filters and views ("why did my client fail?"), as the API, the
CLI and the web interface show them. Statuses are as a client sees them now (an expired
pending order reads invalid); errors are RFC 8555 §6.7 problem documents, as the client got
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from acmehub.domain.errors import Problem as AcmeError
from acmehub.domain.model import (
    Account,
    Authorization,
    AuthzStatus,
    Certificate,
    ChallengeStatus,
    Identifier,
    Order,
    OrderStatus,
)
from acmehub.domain.preauthorization import validated_at
from acmehub.services.commands.base import ApiModel, Column, PageQuery, ui
from acmehub.services.commands.certificates import (
    CertificateStatus,
    CertificateSummary,
    CertificateView,
    account_filter,
    acme_filter,
)


@dataclass(frozen=True)
class OrderSummary:
    """One row of the order list."""

    order: Order
    #: The status a client sees now (an expired pending order is invalid).
    status: OrderStatus
    #: The account's management uuid (for links); "" when the account is gone.
    account_uuid: str
    acme_profile_name: str


@dataclass(frozen=True)
class AuthorizationDetail:
    authorization: Authorization
    status: AuthzStatus
    #: Made for another order, or a pre-authorization: this order reused it (its validation).
    reused: bool = False

    @property
    def validated(self) -> datetime | None:
        return validated_at(self.authorization)


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    status: OrderStatus
    #: The order's error as a client sees it (stored, or derived from a failed authorization).
    error: AcmeError | None
    account: Account | None
    acme_profile_name: str
    ra_profile_name: str
    authorizations: tuple[AuthorizationDetail, ...]
    certificate: Certificate | None
    #: The certificate's status now (valid, revoked, expired), when there is one.
    certificate_status: CertificateStatus | None = None


class OrderListQuery(PageQuery):
    account_uuid: str | None = Field(
        default=None, max_length=36, json_schema_extra=account_filter()
    )
    account_id: str | None = Field(
        default=None,
        max_length=64,
        description="Protocol id",
        json_schema_extra=ui(filter="account"),
    )
    acme_profile_uuid: str | None = Field(
        default=None, max_length=36, json_schema_extra=acme_filter("acmeProfile")
    )
    name: str | None = Field(
        default=None,
        max_length=255,
        description="Part of any identifier, case-insensitive",
        json_schema_extra=ui(filter="name"),
    )
    status: OrderStatus | None = Field(
        default=None,
        description="The stored status (as the UI's filter)",
        json_schema_extra=ui(filter="status"),
    )


class OrderIdentifier(ApiModel):
    type: str = Field(description='"dns" or "ip"')
    value: str

    @classmethod
    def of(cls, identifier: Identifier) -> OrderIdentifier:
        return cls(type=identifier.type, value=identifier.value)


class AcmeProblem(ApiModel):
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


class OrderSummaryInfo(ApiModel):
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


class ChallengeInfo(ApiModel):
    id: str
    type: str = Field(description="http-01, dns-01, tls-alpn-01")
    status: ChallengeStatus
    token: str
    validated: datetime | None
    error: AcmeProblem | None


class AuthorizationInfo(ApiModel):
    id: str
    identifier: OrderIdentifier = Field(description="The base name (no *.)")
    wildcard: bool
    status: AuthzStatus = Field(description="As a client sees it now")
    expires: datetime
    reused: bool = Field(
        description="Not validated for this order: reused from an earlier one or a "
        "pre-authorization (newAuthz)"
    )
    made_for_order_id: str | None = Field(
        description="The order it was made for; null for a pre-authorization"
    )
    validated_at: datetime | None = Field(description="When its challenge was validated")
    subdomain_auth_allowed: bool = Field(description="RFC 9444: covers the names below it too")
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
            reused=detail.reused,
            made_for_order_id=a.order_id,
            validated_at=detail.validated,
            subdomain_auth_allowed=a.subdomain_auth_allowed,
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


class OrderAccount(ApiModel):
    id: str = Field(description="Protocol id")
    uuid: str = Field(description="Management id")
    status: str
    enabled: bool
    contact: list[str]


class OrderDetailInfo(ApiModel):
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
    replaces: str | None = Field(
        default=None, description="RFC 9773 §5: the certID of the certificate it replaces"
    )
    acme_profile_uuid: str
    acme_profile_name: str
    ra_profile_uuid: str
    ra_profile_name: str
    certificate_profile: str | None = Field(
        description="The certificate profile it was made under (draft-ietf-acme-profiles)"
    )
    account: OrderAccount | None = Field(description="null only if its row is gone")
    account_id: str
    authorizations: list[AuthorizationInfo]
    certificate: CertificateSummary | None = Field(description="What the order produced")

    @classmethod
    def of(cls, d: OrderDetail) -> OrderDetailInfo:
        o, account = d.order, d.account
        certificate = None
        if d.certificate is not None and d.certificate_status is not None:
            view = CertificateView(
                d.certificate,
                d.certificate_status,
                account,
                d.acme_profile_name,
                d.ra_profile_name,
            )
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
            replaces=o.replaces,
            acme_profile_uuid=o.acme_profile_uuid,
            acme_profile_name=d.acme_profile_name,
            ra_profile_uuid=o.ra_profile_uuid,
            ra_profile_name=d.ra_profile_name,
            certificate_profile=o.profile,
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


def _account_page(o: OrderSummaryInfo) -> str | None:
    return f"/accounts/{o.acme_profile_uuid}/{o.account_uuid}" if o.account_uuid else None


#: The order list's columns: the CLI's table and the web interface's list.
COLUMNS: tuple[Column[OrderSummaryInfo], ...] = (
    Column("Order", lambda o: o.id, show="code", link=lambda o: f"/orders/{o.id}"),
    Column("Identifiers", lambda o: ", ".join(i.value for i in o.identifiers)),
    Column("Status", lambda o: o.status.value, show="badge"),
    Column("Error", lambda o: o.error.type.rsplit(":", 1)[-1] if o.error else None),
    Column("ACME profile", lambda o: o.acme_profile_name or None),
    Column("Account", lambda o: o.account_id, show="code", link=_account_page),
    Column("Created", lambda o: o.created_at, show="time"),
    Column("Expires", lambda o: o.expires, show="time"),
)
